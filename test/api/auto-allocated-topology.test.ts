/**
 * auto-allocated-topology (Nova's `--nic auto`): Neutron's 409 until a default external network and
 * a default subnet pool exist, then the project's network, subnets and router built once, exactly
 * once under concurrent first calls, and taken down by DELETE; is_default on external networks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });

describe('auto-allocated-topology', () => {
  it('answers AutoAllocationFailure 409 while there is no default external network or pool, 403 for another project', async () => {
    const me = api.as('aat-p1');
    const r = await expectError(me.get('/v2.0/auto-allocated-topology/aat-p1'), 409, 'AutoAllocationFailure');
    assert.match(r.body.NeutronError.message, /No default router:external network/);
    await expectError(me.get('/v2.0/auto-allocated-topology/None'), 409, 'AutoAllocationFailure');
    await expectError(me.get('/v2.0/auto-allocated-topology/aat-p1?fields=dry-run'), 409, 'AutoAllocationFailure');
    await expectError(me.get('/v2.0/auto-allocated-topology/aat-p1?fields=name'), 400);
    await expectError(me.get('/v2.0/auto-allocated-topology/aat-p2'), 403, 'NotAuthorized');
    await expectError(api.get('/v2.0/auto-allocated-topology/aat-p2'), 409, 'AutoAllocationFailure');
    assert.equal((await me.delete('/v2.0/auto-allocated-topology/aat-p1')).status, 204);
    await expectError(me.delete('/v2.0/auto-allocated-topology/aat-p2'), 403);
    const aliases = (await api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(aliases.includes('auto-allocated-topology'));
  });

  it('is_default: admin only, on external networks only (and every create\'s answer), one at a time', async () => {
    const plain = await api.create('networks', 'network', { name: 'aat-plain' });
    // As Neutron: the create's answer has it (false), a show of an internal network not.
    assert.equal(plain.is_default, false);
    assert.equal('is_default' in (await api.get(`/v2.0/networks/${plain.id}`)).body.network, false);
    const bulk = await api.post('/v2.0/networks', { networks: [{ name: 'aat-b1' }] });
    assert.equal(bulk.body.networks[0].is_default, false);
    await expectError(api.as('aat-m').post('/v2.0/networks', { network: { name: 'x', is_default: true } }), 403);
    await expectError(api.post('/v2.0/networks', { network: { name: 'x', is_default: true } }), 400, 'InvalidInput');
    const ext1 = await api.create('networks', 'network', { name: 'aat-ext1', 'router:external': true, is_default: true });
    assert.equal(ext1.is_default, true);
    const second = await expectError(api.post('/v2.0/networks', { network: { name: 'aat-ext2', 'router:external': true, is_default: true } }), 409, 'DefaultExternalNetworkExists');
    assert.match(second.body.NeutronError.message, new RegExp(ext1.id));
    const ext2 = await api.create('networks', 'network', { name: 'aat-ext2', 'router:external': true });
    await expectError(api.put(`/v2.0/networks/${ext2.id}`, { network: { is_default: true } }), 409, 'DefaultExternalNetworkExists');
    assert.deepEqual((await api.get('/v2.0/networks?is_default=true')).body.networks.map((n: any) => n.id), [ext1.id]);
    // No longer external, no longer the default; the other may then be.
    const internal = await api.put(`/v2.0/networks/${ext1.id}`, { network: { 'router:external': false } });
    // As Neutron's: an internal network does not show is_default at all; filtering by it still works.
    assert.equal('is_default' in internal.body.network, false);
    assert.ok(!(await api.get('/v2.0/networks?is_default=true')).body.networks.some((n: any) => n.id === ext1.id));
    assert.equal((await api.get(`/v2.0/networks/${ext2.id}`)).body.network.is_default, false);
    assert.equal((await api.put(`/v2.0/networks/${ext2.id}`, { network: { is_default: true } })).status, 200);
    await api.delete(`/v2.0/networks/${ext1.id}`);
    await api.delete(`/v2.0/networks/${plain.id}`);
  });

  it('builds the project\'s topology once (concurrent first calls included), answers it again, and deletes it', async () => {
    const ext = (await api.get('/v2.0/networks?is_default=true')).body.networks[0];
    await api.create('subnets', 'subnet', { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4 });
    const me = api.as('aat-p3');
    // An external network alone is not enough: the dry run names the missing pools.
    const noPools = await expectError(me.get('/v2.0/auto-allocated-topology/aat-p3?fields=dry-run'), 409, 'AutoAllocationFailure');
    assert.match(noPools.body.NeutronError.message, /No default subnetpools defined/);
    await api.create('subnetpools', 'subnetpool', { name: 'aat-v4', prefixes: ['10.128.0.0/16'], default_prefixlen: 26, shared: true, is_default: true });
    await api.create('subnetpools', 'subnetpool', { name: 'aat-v6', prefixes: ['fd00:aa::/48'], default_prefixlen: 64, shared: true, is_default: true });
    assert.deepEqual((await me.get('/v2.0/auto-allocated-topology/aat-p3?fields=dry-run')).body, { auto_allocated_topology: { id: 'dry-run=pass', tenant_id: 'aat-p3' } });
    assert.deepEqual((await me.get('/v2.0/networks?name=auto_allocated_network')).body.networks, [], 'a dry run builds nothing');

    const answers = await Promise.all(Array.from({ length: 8 }, () => me.get('/v2.0/auto-allocated-topology/None')));
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    const ids = new Set(answers.map((a) => a.body.auto_allocated_topology.id));
    assert.equal(ids.size, 1, 'one network for every concurrent first call');
    const netId = [...ids][0];
    assert.equal(answers[0].body.auto_allocated_topology.tenant_id, 'aat-p3');
    const nets = (await me.get('/v2.0/networks?name=auto_allocated_network')).body.networks;
    assert.deepEqual(nets.map((n: any) => [n.id, n.admin_state_up, n.project_id]), [[netId, true, 'aat-p3']]);
    const subnets = (await me.get(`/v2.0/subnets?network_id=${netId}`)).body.subnets;
    assert.deepEqual(subnets.map((s: any) => s.name).sort(), ['auto_allocated_subnet_v4', 'auto_allocated_subnet_v6']);
    assert.ok(subnets.some((s: any) => s.cidr.startsWith('10.128.') && s.cidr.endsWith('/26')), JSON.stringify(subnets));
    const routers = (await me.get('/v2.0/routers?name=auto_allocated_router')).body.routers;
    assert.equal(routers.length, 1);
    assert.equal(routers[0].external_gateway_info.network_id, ext.id);
    const ifaces = (await api.get(`/v2.0/ports?device_id=${routers[0].id}&device_owner=network:router_interface`)).body.ports;
    assert.deepEqual(ifaces.flatMap((p: any) => p.fixed_ips.map((f: any) => f.subnet_id)).sort(), subnets.map((s: any) => s.id).sort());
    // Asked again, by the admin for the project: the same network, nothing new.
    assert.equal((await api.get('/v2.0/auto-allocated-topology/aat-p3')).body.auto_allocated_topology.id, netId);
    assert.equal((await me.get('/v2.0/networks?name=auto_allocated_network')).body.networks.length, 1);

    // A VM on it: DELETE is Neutron's 409 and takes nothing down.
    const vm = await me.create('ports', 'port', { network_id: netId, device_owner: 'compute:nova', device_id: 'vm-1' });
    await expectError(me.delete('/v2.0/auto-allocated-topology/aat-p3'), 409, 'NetworkInUse');
    assert.equal((await me.get('/v2.0/routers?name=auto_allocated_router')).body.routers.length, 1);
    await me.delete(`/v2.0/ports/${vm.id}`);
    assert.equal((await me.delete('/v2.0/auto-allocated-topology/aat-p3')).status, 204);
    assert.deepEqual((await me.get('/v2.0/networks?name=auto_allocated_network')).body.networks, []);
    assert.deepEqual((await me.get('/v2.0/routers?name=auto_allocated_router')).body.routers, []);
    // And the next call builds a new one.
    const again = await me.get('/v2.0/auto-allocated-topology/aat-p3');
    assert.equal(again.status, 200);
    assert.notEqual(again.body.auto_allocated_topology.id, netId);
  });
});
