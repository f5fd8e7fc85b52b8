/** Subnet pools: stored, listed, updated (growing only), tagged and deleted, with Neutron's defaults; subnets allocated from them. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

describe('subnet pools', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });

  it('are created with Neutron\'s defaults, listed, tagged, grown and deleted', async () => {
    const pool = await t.api.create('subnetpools', 'subnetpool', { name: 'p', prefixes: ['1.0.0.0/16', '2.0.0.0/16'] });
    assert.equal(pool.ip_version, 4);
    assert.equal(pool.min_prefixlen, '8');
    assert.equal(pool.max_prefixlen, '32');
    assert.equal(pool.default_prefixlen, '8');
    assert.equal(pool.shared, false);
    assert.deepEqual(pool.prefixes, ['1.0.0.0/16', '2.0.0.0/16']);
    assert.ok((await t.api.get('/v2.0/subnetpools')).body.subnetpools.some((p: { id: string }) => p.id === pool.id));
    assert.equal((await t.api.put(`/v2.0/subnetpools/${pool.id}/tags/blue`, {})).status, 201);
    assert.deepEqual((await t.api.get(`/v2.0/subnetpools?tags=blue`)).body.subnetpools.map((p: { id: string }) => p.id), [pool.id]);
    const grown = (await t.api.put(`/v2.0/subnetpools/${pool.id}`, { subnetpool: { prefixes: ['1.0.0.0/8', '2.0.0.0/16'] } })).body.subnetpool;
    assert.deepEqual(grown.prefixes, ['1.0.0.0/8', '2.0.0.0/16']);
    await expectError(t.api.put(`/v2.0/subnetpools/${pool.id}`, { subnetpool: { prefixes: ['1.0.0.0/8'] } }), 400, 'IllegalSubnetPoolPrefixUpdate');
    assert.equal((await t.api.delete(`/v2.0/subnetpools/${pool.id}`)).status, 204);
    await expectError(t.api.get(`/v2.0/subnetpools/${pool.id}`), 404, 'SubnetPoolNotFound');
  });

  it('refuses what Neutron refuses', async () => {
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: 'none' } }), 400);
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8', '2001:db8::/32'] } }), 400, 'PrefixVersionMismatch');
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], min_prefixlen: 24, max_prefixlen: 16 } }), 400, 'IllegalSubnetPoolPrefixBounds');
    await expectError(t.api.as('member-p').post('/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], shared: true } }), 403);
    const v6 = await t.api.create('subnetpools', 'subnetpool', { name: 'v6', prefixes: ['2001:db8::/48'] });
    assert.equal(v6.min_prefixlen, '64');
    assert.equal(v6.max_prefixlen, '128');
    // An IPv4 subnet from an IPv6 pool.
    const net = await t.api.create('networks', 'network', {});
    await expectError(t.api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: v6.id } }), 400);
  });

  it('allocate subnets: the default prefix length, a given one, a given CIDR, lowest free block first, across networks', async () => {
    const pool = await t.api.create('subnetpools', 'subnetpool', { name: 'a', prefixes: ['10.200.0.0/22'], min_prefixlen: 24, max_prefixlen: 28, default_prefixlen: 24 });
    const n1 = await t.api.create('networks', 'network', {});
    const n2 = await t.api.create('networks', 'network', {});
    const sub = async (net: string, extra: Record<string, unknown>) => t.api.post('/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, subnetpool_id: pool.id, ...extra } });
    let r = await sub(n1.id, {});
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.subnet.cidr, '10.200.0.0/24');
    assert.equal(r.body.subnet.subnetpool_id, pool.id);
    assert.equal(r.body.subnet.gateway_ip, '10.200.0.1');
    r = await sub(n2.id, { prefixlen: 28 });
    assert.equal(r.body.subnet.cidr, '10.200.1.0/28', 'the next free block, in another network');
    r = await sub(n2.id, { prefixlen: 28 });
    assert.equal(r.body.subnet.cidr, '10.200.1.16/28');
    r = await sub(n1.id, { cidr: '10.200.3.0/24' });
    assert.equal(r.body.subnet.cidr, '10.200.3.0/24');
    await expectError(sub(n2.id, { cidr: '10.200.3.0/25' }), 409, 'SubnetAllocationError');
    await expectError(sub(n2.id, { cidr: '192.0.2.0/24' }), 409, 'SubnetAllocationError');
    await expectError(sub(n2.id, { prefixlen: 29 }), 400, 'MaxPrefixSubnetAllocationError');
    await expectError(sub(n2.id, { prefixlen: 23 }), 400, 'MinPrefixSubnetAllocationError');
    r = await sub(n2.id, { prefixlen: 24 });
    assert.equal(r.body.subnet.cidr, '10.200.2.0/24', 'the /24 left beside the /28s');
    await expectError(sub(n2.id, { prefixlen: 24 }), 409, 'SubnetAllocationError');
    // A network's subnets of one version come from one pool.
    await expectError(t.api.post('/v2.0/subnets', { subnet: { network_id: n1.id, ip_version: 4, cidr: '192.0.2.0/24' } }), 400, 'NetworkSubnetPoolAffinityError');
    // A pool with allocations is in use; freed, the space is allocatable again.
    await expectError(t.api.delete(`/v2.0/subnetpools/${pool.id}`), 409, 'SubnetPoolInUse');
    const first = (await t.api.get(`/v2.0/subnets?network_id=${n1.id}&cidr=10.200.0.0/24`)).body.subnets[0];
    assert.equal((await t.api.delete(`/v2.0/subnets/${first.id}`)).status, 204);
    r = await sub(n2.id, { prefixlen: 24 });
    assert.equal(r.body.subnet.cidr, '10.200.0.0/24');
  });

  it('a default pool per IP version serves use_default_subnetpool; an IPv6 pool allocates /64s; quotas cap the owner', async () => {
    const v6 = await t.api.create('subnetpools', 'subnetpool', { name: 'd6', prefixes: ['2001:db8:3::/48'], min_prefixlen: 64, is_default: true });
    const net = await t.api.create('networks', 'network', {});
    let r = await t.api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 6, use_default_subnetpool: true } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.subnet.cidr, '2001:db8:3::/64');
    assert.equal(r.body.subnet.subnetpool_id, v6.id);
    await expectError(t.api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, use_default_subnetpool: true } }), 400);
    const q = await t.api.create('subnetpools', 'subnetpool', { name: 'q', prefixes: ['10.210.0.0/16'], min_prefixlen: 28, max_prefixlen: 30, default_quota: 20 });
    const qn = await t.api.create('networks', 'network', {});
    assert.equal((await t.api.post('/v2.0/subnets', { subnet: { network_id: qn.id, ip_version: 4, subnetpool_id: q.id, prefixlen: 28 } })).status, 201);
    assert.equal((await t.api.post('/v2.0/subnets', { subnet: { network_id: qn.id, ip_version: 4, subnetpool_id: q.id, prefixlen: 30 } })).status, 201);
    await expectError(t.api.post('/v2.0/subnets', { subnet: { network_id: qn.id, ip_version: 4, subnetpool_id: q.id, prefixlen: 30 } }), 409, 'SubnetPoolQuotaExceeded');
  });

  it('a shared pool is seen and allocated from by every project; a private one by its own only', async () => {
    const shared = await t.api.create('subnetpools', 'subnetpool', { name: 'shared', prefixes: ['10.220.0.0/16'], shared: true, default_prefixlen: 24 });
    const mine = await t.api.create('subnetpools', 'subnetpool', { name: 'mine', prefixes: ['10.230.0.0/16'] });
    const member = t.api.as('pool-member');
    assert.equal((await member.get(`/v2.0/subnetpools/${shared.id}`)).body.subnetpool.shared, true);
    await expectError(member.get(`/v2.0/subnetpools/${mine.id}`), 404, 'SubnetPoolNotFound');
    const names = (await member.get('/v2.0/subnetpools')).body.subnetpools.map((p: { name: string }) => p.name);
    assert.ok(names.includes('shared') && !names.includes('mine'));
    const net = await member.create('networks', 'network', {});
    const r = await member.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: shared.id } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.subnet.cidr, '10.220.0.0/24');
    await expectError(member.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: mine.id } }), 404);
    await expectError(member.put(`/v2.0/subnetpools/${shared.id}`, { subnetpool: { name: 'x' } }), 403, 'PolicyNotAuthorized');
  });

  it('as Neutron: a name is required, prefixes are merged, bounds checked in its order, one default per IP version', async () => {
    let r = await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { prefixes: ['10.240.0.0/16'] } }), 400);
    assert.equal(r.body.NeutronError.message, "Failed to parse request. Required attribute 'name' not specified");
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: ' ', prefixes: ['10.240.0.0/16'] } }), 400);
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: 'e', prefixes: [] } }), 400, 'EmptySubnetPoolPrefixList');
    const merged = await t.api.create('subnetpools', 'subnetpool', { name: 'm', prefixes: ['10.241.0.0/16', '10.241.0.0/24', '10.242.0.0/24', '10.242.1.0/24'] });
    assert.deepEqual(merged.prefixes, ['10.241.0.0/16', '10.242.0.0/23']);
    const message = async (body: Record<string, unknown>) =>
      (await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: 'b', prefixes: ['10.243.0.0/16'], ...body } }), 400, 'IllegalSubnetPoolPrefixBounds')).body.NeutronError.message;
    assert.equal(await message({ min_prefixlen: 28, max_prefixlen: 24 }), 'Illegal prefix bounds: min_prefixlen=28, max_prefixlen=24.');
    assert.equal(await message({ max_prefixlen: 33 }), 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.');
    assert.equal(await message({ min_prefixlen: 20, default_prefixlen: 16 }), 'Illegal prefix bounds: default_prefixlen=16, min_prefixlen=20.');
    // An update keeps the stored default: a minimum above it is refused, not carried along.
    const p = await t.api.create('subnetpools', 'subnetpool', { name: 'u', prefixes: ['10.244.0.0/16'], default_prefixlen: 25 });
    r = await expectError(t.api.put(`/v2.0/subnetpools/${p.id}`, { subnetpool: { min_prefixlen: 28 } }), 400, 'IllegalSubnetPoolPrefixBounds');
    assert.equal(r.body.NeutronError.message, 'Illegal prefix bounds: default_prefixlen=25, min_prefixlen=28.');
    // Growing by a covering union is allowed; the answer is merged.
    const grown = (await t.api.put(`/v2.0/subnetpools/${p.id}`, { subnetpool: { prefixes: ['10.244.0.0/17', '10.244.128.0/17', '10.245.0.0/16'] } })).body.subnetpool;
    assert.deepEqual(grown.prefixes, ['10.244.0.0/15']);
    const d1 = await t.api.create('subnetpools', 'subnetpool', { name: 'def4', prefixes: ['10.246.0.0/16'], is_default: true });
    r = await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { name: 'def4b', prefixes: ['10.247.0.0/16'], is_default: true } }), 400, 'InvalidInput');
    assert.match(r.body.NeutronError.message, /A default subnetpool for this IP family has already been set/);
    const other = await t.api.create('subnetpools', 'subnetpool', { name: 'nd', prefixes: ['10.247.0.0/16'] });
    await expectError(t.api.put(`/v2.0/subnetpools/${other.id}`, { subnetpool: { is_default: true } }), 400, 'InvalidInput');
    assert.equal((await t.api.put(`/v2.0/subnetpools/${d1.id}`, { subnetpool: { is_default: true, name: 'still' } })).status, 200);
  });

  it('add_prefixes merges, remove_prefixes takes space out but never under a subnet, the owner only', async () => {
    const member = t.api.as('prefix-owner');
    const pool = await member.create('subnetpools', 'subnetpool', { name: 'ops', prefixes: ['10.250.0.0/24'], default_prefixlen: 26 });
    let r = await member.put(`/v2.0/subnetpools/${pool.id}/add_prefixes`, { prefixes: ['10.250.1.0/24', '10.251.0.0/16', '10.251.3.0/24'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { prefixes: ['10.250.0.0/23', '10.251.0.0/16'] });
    const shown = (await member.get(`/v2.0/subnetpools/${pool.id}`)).body.subnetpool;
    assert.deepEqual(shown.prefixes, ['10.250.0.0/23', '10.251.0.0/16']);
    assert.equal(shown.revision_number, pool.revision_number + 1);
    await expectError(member.put(`/v2.0/subnetpools/${pool.id}/add_prefixes`, { prefixes: [] }), 400, 'HTTPBadRequest');
    await expectError(member.put(`/v2.0/subnetpools/${pool.id}/add_prefixes`, { prefixes: '10.0.0.0/8' }), 400, 'HTTPBadRequest');
    await expectError(member.put(`/v2.0/subnetpools/${pool.id}/add_prefixes`, { prefixes: ['2001:db8::/48'] }), 400, 'PrefixVersionMismatch');
    await expectError(member.put(`/v2.0/subnetpools/${pool.id}/add_prefixes`, { prefixes: ['x'] }), 400, 'AddrFormatError');
    const net = await member.create('networks', 'network', {});
    const sub = await member.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, subnetpool_id: pool.id, cidr: '10.251.8.0/24' });
    r = await expectError(member.put(`/v2.0/subnetpools/${pool.id}/remove_prefixes`, { prefixes: ['10.251.8.128/25'] }), 400, 'IllegalSubnetPoolPrefixUpdate');
    assert.equal(r.body.NeutronError.message, 'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..');
    r = await member.put(`/v2.0/subnetpools/${pool.id}/remove_prefixes`, { prefixes: ['10.251.0.0/21', '10.250.1.0/24'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const after = (await member.get(`/v2.0/subnetpools/${pool.id}`)).body.subnetpool.prefixes;
    assert.deepEqual(r.body, { prefixes: after });
    assert.deepEqual(after, ['10.250.0.0/24', '10.251.8.0/21', '10.251.16.0/20', '10.251.32.0/19', '10.251.64.0/18', '10.251.128.0/17']);
    // Space the pool does not hold: nothing changes.
    r = await member.put(`/v2.0/subnetpools/${pool.id}/remove_prefixes`, { prefixes: ['192.0.2.0/24'] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { prefixes: after });
    assert.deepEqual((await member.get(`/v2.0/subnetpools/${pool.id}`)).body.subnetpool.prefixes, after);
    // Another project: the pool is not found; a shared one is seen but not changed.
    await expectError(t.api.as('prefix-other').put(`/v2.0/subnetpools/${pool.id}/add_prefixes`, { prefixes: ['10.252.0.0/24'] }), 404, 'SubnetPoolNotFound');
    const shared = await t.api.create('subnetpools', 'subnetpool', { name: 'sh', prefixes: ['10.253.0.0/24'], shared: true });
    r = await expectError(t.api.as('prefix-other').put(`/v2.0/subnetpools/${shared.id}/add_prefixes`, { prefixes: ['10.253.1.0/24'] }), 403, 'PolicyNotAuthorized');
    assert.equal(r.body.NeutronError.message, '(rule:add_prefixes and rule:add_prefixes:shared) is disallowed by policy');
    assert.equal((await member.delete(`/v2.0/subnets/${sub.id}`)).status, 204);
  });
});
