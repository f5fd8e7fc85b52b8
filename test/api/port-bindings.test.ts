/**
 * binding-extended (/v2.0/ports/{id}/bindings), as Nova's live migration drives it: an inactive
 * binding on the destination, its agent's report of the port ready there, activation, and the old
 * binding's deletion; admin only, compute ports only, Neutron's faults.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentReport } from '../../src/domain/index.js';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const SERVER = '6a0e9f0e-54c1-4c1e-9d6b-1b2a3c4d5e6f';
const agent = (host: string): AgentReport => ({
  host, agentType: 'Alcor agent', binary: 'alcor-agent', topic: 'N/A', configurations: { tunneling_ip: '198.18.9.1' }, startedAt: new Date().toISOString(),
});

let t: TestServer;
let api: Api;
let net: Record<string, any>;
before(async () => {
  t = await startTestServer();
  api = t.api;
  for (const h of ['pb-src', 'pb-dst']) await t.server.domain.writes.registerAgent(agent(h));
  net = await api.create('networks', 'network', { name: 'pb' });
  await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.71.0.0/24', ip_version: 4 });
});
after(async () => { await t.close(); });

describe('binding-extended', () => {
  it('is listed', async () => {
    const aliases = (await api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(aliases.includes('binding-extended'));
  });

  it('an inactive binding on the destination, ready there, activated; the old one deleted', async () => {
    const port = await api.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: SERVER, 'binding:host_id': 'pb-src' });
    assert.equal(port['binding:vif_type'], 'tap');
    const base = `/v2.0/ports/${port.id}/bindings`;
    let list = (await api.get(base)).body.bindings;
    assert.deepEqual(list.map((b: any) => [b.host, b.status, b.vif_type]), [['pb-src', 'ACTIVE', 'tap']]);
    const created = await api.post(base, { binding: { host: 'pb-dst' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.binding, { host: 'pb-dst', vif_type: 'tap', vif_details: { port_filter: true, connectivity: 'l2' }, vnic_type: 'normal', profile: {}, status: 'INACTIVE' });
    await expectError(api.post(base, { binding: { host: 'pb-dst' } }), 409, 'PortBindingAlreadyExists');
    await expectError(api.post(base, { binding: { host: 'pb-src' } }), 409, 'PortBindingAlreadyExists');
    await expectError(api.post(base, { binding: { host: 'pb-nowhere' } }), 409, 'PortBindingError');
    await expectError(api.post(base, { binding: {} }), 400);
    // The port itself is unchanged, and does not show its bindings.
    const shown = (await api.get(`/v2.0/ports/${port.id}`)).body.port;
    assert.equal(shown['binding:host_id'], 'pb-src');
    assert.equal(shown.bindings_inactive, undefined);
    // The destination's agent reports the port ready: the port's status stays its source's.
    await t.server.domain.writes.setPortStatuses([{ id: port.id, host: 'pb-src', status: 'ACTIVE' }]);
    await t.server.domain.writes.setPortStatuses([{ id: port.id, host: 'pb-dst', status: 'ACTIVE' }]);
    assert.equal((await api.get(`/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE');
    assert.equal((await api.get(`${base}/pb-dst`)).body.binding.status, 'INACTIVE');
    // Activation moves the port; the source's binding stays, inactive, until deleted.
    await expectError(api.put(`${base}/pb-src/activate`, {}), 409, 'PortBindingAlreadyActive');
    await expectError(api.put(`${base}/pb-x/activate`, {}), 404, 'PortBindingNotFound');
    const activated = await api.put(`${base}/pb-dst/activate`, {});
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.deepEqual([activated.body.binding.host, activated.body.binding.status], ['pb-dst', 'ACTIVE']);
    const moved = (await api.get(`/v2.0/ports/${port.id}`)).body.port;
    assert.deepEqual([moved['binding:host_id'], moved.status], ['pb-dst', 'ACTIVE'], 'the destination had it up already');
    list = (await api.get(base)).body.bindings;
    assert.deepEqual(list.map((b: any) => [b.host, b.status]), [['pb-dst', 'ACTIVE'], ['pb-src', 'INACTIVE']]);
    assert.equal((await api.delete(`${base}/pb-src`)).status, 204);
    await expectError(api.delete(`${base}/pb-src`), 404, 'PortBindingNotFound');
    await expectError(api.get(`${base}/pb-src`), 404, 'PortBindingNotFound');
    assert.deepEqual((await api.get(base)).body.bindings.map((b: any) => b.host), ['pb-dst']);
    // Activating a binding whose host never reported it: DOWN until it does.
    await api.post(base, { binding: { host: 'pb-src' } });
    await api.put(`${base}/pb-src/activate`, {});
    assert.equal((await api.get(`/v2.0/ports/${port.id}`)).body.port.status, 'DOWN');
    await t.server.domain.writes.setPortStatuses([{ id: port.id, host: 'pb-src', status: 'ACTIVE' }]);
    assert.equal((await api.get(`/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE');
  });

  it('admin only, compute ports only, a missing port 404', async () => {
    const port = await api.as('pb-member').create('ports', 'port', { network_id: (await api.as('pb-member').create('networks', 'network', { name: 'm' })).id, device_owner: 'compute:nova', device_id: SERVER });
    await expectError(api.as('pb-member').get(`/v2.0/ports/${port.id}/bindings`), 403);
    await expectError(api.as('pb-member').post(`/v2.0/ports/${port.id}/bindings`, { binding: { host: 'pb-dst' } }), 403);
    const plain = await api.create('ports', 'port', { network_id: net.id });
    await expectError(api.get(`/v2.0/ports/${plain.id}/bindings`), 400);
    await expectError(api.get('/v2.0/ports/6a0e9f0e-0000-4c1e-9d6b-1b2a3c4d5e6f/bindings'), 404, 'PortNotFound');
  });
});
