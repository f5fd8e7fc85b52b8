/**
 * Neutron's availability_zone extension against a real controller: zones come from what agents
 * report, `GET /v2.0/availability_zones` lists them (admin only) with Neutron's filters, a zone is
 * unavailable once none of its agents is up and alive, networks' `availability_zone_hints` must name
 * a known zone (AvailabilityZoneNotFound), and `availability_zones` is where their ports are bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentReport } from '../../src/domain/index.js';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

function report(host: string, extra: Partial<AgentReport> = {}): AgentReport {
  return {
    host, agentType: 'Alcor agent', binary: 'alcor-agent', topic: 'N/A',
    configurations: { devices: 0 }, startedAt: new Date().toISOString(), ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('availability zones', () => {
  let t: TestServer;
  let api: Api;
  // Heartbeats are stored in whole seconds: 2 s leaves each check at least a second of life.
  before(async () => { t = await startTestServer({ agentDownTime: '2' }); api = t.api; });
  after(async () => { await t.close(); });
  const register = (r: AgentReport) => t.server.domain.writes.registerAgent(r);
  const zones = async (q = '') => {
    const res = await api.get(`/v2.0/availability_zones${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.availability_zones;
  };

  it('lists nothing before any agent; zones appear as agents report them, with Neutron\'s fields', async () => {
    assert.deepEqual(await zones(), []);
    await register(report('az-h1', { availabilityZone: 'az-a' }));
    assert.deepEqual(await zones(), [{ state: 'available', name: 'az-a', resource: 'network' }]);
    // A gateway agent (agent_mode dvr_snat) carries routers too; an agent without a zone adds none.
    await register(report('az-h2', { availabilityZone: 'az-b', configurations: { agent_mode: 'dvr_snat' } }));
    await register(report('az-h3', { availabilityZone: null }));
    assert.deepEqual(await zones(), [
      { state: 'available', name: 'az-a', resource: 'network' },
      { state: 'available', name: 'az-b', resource: 'network' },
      { state: 'available', name: 'az-b', resource: 'router' },
    ]);
    assert.deepEqual(await zones('?name=az-b&resource=router'), [{ state: 'available', name: 'az-b', resource: 'router' }]);
    assert.deepEqual(await zones('?resource=network&fields=name'), [{ name: 'az-a' }, { name: 'az-b' }]);
    assert.deepEqual(await zones('?state=unavailable'), []);
    await expectError(api.get('/v2.0/availability_zones?foo=1'), 400, 'HTTPBadRequest');
  });

  it('is admin only: a member lists nothing', async () => {
    const res = await api.as('p-az').get('/v2.0/availability_zones');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { availability_zones: [] });
  });

  it('a zone whose agents are all down or dead is unavailable; a heartbeat makes it available again', async () => {
    const a = await register(report('az-d1', { availabilityZone: 'az-dead' }));
    assert.deepEqual(await zones('?name=az-dead'), [{ state: 'available', name: 'az-dead', resource: 'network' }]);
    await api.put(`/v2.0/agents/${a.id}`, { agent: { admin_state_up: false } });
    assert.deepEqual(await zones('?name=az-dead'), [{ state: 'unavailable', name: 'az-dead', resource: 'network' }]);
    await api.put(`/v2.0/agents/${a.id}`, { agent: { admin_state_up: true } });
    await sleep(3200);
    assert.deepEqual(await zones('?name=az-dead'), [{ state: 'unavailable', name: 'az-dead', resource: 'network' }]);
    assert.ok((await zones('?state=unavailable')).some((z: { name: string }) => z.name === 'az-dead'));
    await t.server.domain.writes.agentHeartbeats([{ host: 'az-d1', agentType: 'Alcor agent', at: Date.now() }]);
    assert.deepEqual(await zones('?name=az-dead'), [{ state: 'available', name: 'az-dead', resource: 'network' }]);
    // Two agents in one zone: available while either is.
    const b = await register(report('az-d2', { availabilityZone: 'az-dead' }));
    await api.put(`/v2.0/agents/${b.id}`, { agent: { admin_state_up: false } });
    assert.deepEqual(await zones('?name=az-dead'), [{ state: 'available', name: 'az-dead', resource: 'network' }]);
  });

  it('availability_zone_hints must name a known zone, without repeats', async () => {
    await register(report('az-hint', { availabilityZone: 'az-h' }));
    const n = await api.create('networks', 'network', { name: 'hinted', availability_zone_hints: ['az-h'] });
    assert.deepEqual(n.availability_zone_hints, ['az-h']);
    assert.deepEqual(n.availability_zones, []);
    const missing = await expectError(api.post('/v2.0/networks', { network: { availability_zone_hints: ['zz'] } }), 404, 'AvailabilityZoneNotFound');
    assert.equal(missing.body.NeutronError.message, 'AvailabilityZone zz could not be found.');
    await expectError(api.post('/v2.0/networks', { network: { availability_zone_hints: ['az-h', 'az-h'] } }), 400);
    await expectError(api.post('/v2.0/networks', { network: { availability_zone_hints: 'az-h' } }), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { availability_zone_hints: [] } }), 400);
  });

  it('a network\'s availability_zones are the zones of the agents where its ports are bound', async () => {
    await register(report('az-x1', { availabilityZone: 'az-x' }));
    await register(report('az-y1', { availabilityZone: 'az-y' }));
    const n = await api.create('networks', 'network', { name: 'zoned' });
    const other = await api.create('networks', 'network', { name: 'unzoned' });
    assert.deepEqual((await api.get(`/v2.0/networks/${n.id}`)).body.network.availability_zones, []);
    await api.create('ports', 'port', { network_id: n.id });
    assert.deepEqual((await api.get(`/v2.0/networks/${n.id}`)).body.network.availability_zones, []);
    const p = await api.create('ports', 'port', { network_id: n.id, 'binding:host_id': 'az-x1' });
    assert.deepEqual((await api.get(`/v2.0/networks/${n.id}`)).body.network.availability_zones, ['az-x']);
    await api.create('ports', 'port', { network_id: n.id, 'binding:host_id': 'az-x1' });
    await api.create('ports', 'port', { network_id: n.id, 'binding:host_id': 'az-y1' });
    const listed = (await api.get(`/v2.0/networks?id=${n.id}&id=${other.id}`)).body.networks;
    const byId = new Map(listed.map((x: { id: string; availability_zones: string[] }) => [x.id, x.availability_zones]));
    assert.deepEqual(byId.get(n.id), ['az-x', 'az-y']);
    assert.deepEqual(byId.get(other.id), []);
    assert.deepEqual((await api.get(`/v2.0/networks?id=${n.id}&fields=availability_zones`)).body.networks, [{ availability_zones: ['az-x', 'az-y'] }]);
    // A port moved elsewhere leaves the zones the others are bound in.
    await api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'az-y1' } });
    assert.deepEqual((await api.get(`/v2.0/networks/${n.id}`)).body.network.availability_zones, ['az-x', 'az-y']);
  });

  it('a page of networks costs the same statements whatever zones it has', async () => {
    const stats = t.server.store.stats;
    const n1 = await api.create('networks', 'network', { name: 'cost-1' });
    const n2 = await api.create('networks', 'network', { name: 'cost-2' });
    for (const host of ['az-x1', 'az-y1']) await api.create('ports', 'port', { network_id: n2.id, 'binding:host_id': host });
    const cost = async (path: string) => {
      const before = stats.statements;
      assert.equal((await api.get(path)).status, 200);
      return stats.statements - before;
    };
    assert.equal(await cost(`/v2.0/networks?id=${n1.id}`), await cost(`/v2.0/networks?id=${n1.id}&id=${n2.id}`));
  });
});

describe('router availability zones', () => {
  let t: TestServer;
  let api: Api;
  before(async () => { t = await startTestServer(); api = t.api; });
  after(async () => { await t.close(); });
  const register = (r: AgentReport) => t.server.domain.writes.registerAgent(r);
  const gateway = (host: string, zone: string) => register(report(host, { availabilityZone: zone, configurations: { agent_mode: 'dvr_snat' } }));
  const portsOf = async (routerId: string) => (await api.get(`/v2.0/ports?device_id=${routerId}`)).body.ports as Array<Record<string, unknown>>;

  it('hints name zones of agents that carry routers; the router is scheduled there and its zones follow its ports', async () => {
    for (const [h, z] of [['rgw-a1', 'rz-a'], ['rgw-a2', 'rz-a'], ['rgw-b1', 'rz-b']]) await gateway(h, z);
    await register(report('rcompute-1', { availabilityZone: 'rz-compute' }));
    assert.deepEqual((await api.get('/v2.0/availability_zones?resource=router')).body.availability_zones.map((z: { name: string }) => z.name), ['rz-a', 'rz-b']);
    const ext = await api.create('networks', 'network', { name: 'rext', 'router:external': true });
    await api.create('subnets', 'subnet', { network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4 });
    const missing = await expectError(api.post('/v2.0/routers', { router: { availability_zone_hints: ['rz-none'] } }), 404, 'AvailabilityZoneNotFound');
    assert.equal(missing.body.NeutronError.message, 'AvailabilityZone rz-none could not be found.');
    // A zone only compute agents are in carries no routers.
    await expectError(api.post('/v2.0/routers', { router: { availability_zone_hints: ['rz-compute'] } }), 404, 'AvailabilityZoneNotFound');

    for (let i = 0; i < 4; i++) {
      const r = await api.create('routers', 'router', { name: `rb-${i}`, availability_zone_hints: ['rz-b'], external_gateway_info: { network_id: ext.id } });
      assert.deepEqual(r.availability_zone_hints, ['rz-b']);
      assert.deepEqual(r.availability_zones, ['rz-b']);
      const hosts = (await portsOf(r.id)).map((p) => p['binding:host_id']);
      assert.deepEqual(hosts, ['rgw-b1']);
    }
    const a = await api.create('routers', 'router', { name: 'ra', availability_zone_hints: ['rz-a'] });
    assert.deepEqual(a.availability_zones, []);
    const net = await api.create('networks', 'network', { name: 'rin' });
    const sub = await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.80.0.0/24', ip_version: 4 });
    assert.equal((await api.put(`/v2.0/routers/${a.id}/add_router_interface`, { subnet_id: sub.id })).status, 200);
    const [iface] = await portsOf(a.id);
    assert.ok(['rgw-a1', 'rgw-a2'].includes(iface!['binding:host_id'] as string), String(iface!['binding:host_id']));
    assert.deepEqual((await api.get(`/v2.0/routers/${a.id}`)).body.router.availability_zones, ['rz-a']);
    const listed = (await api.get(`/v2.0/routers?id=${a.id}&fields=availability_zones`)).body.routers;
    assert.deepEqual(listed, [{ availability_zones: ['rz-a'] }]);
  });
});
