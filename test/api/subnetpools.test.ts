/** Subnet pools: stored, listed, updated (growing only), tagged and deleted, with Neutron's defaults. */
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
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/8', '2001:db8::/32'] } }), 400, 'InvalidInput');
    await expectError(t.api.post('/v2.0/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/8'], min_prefixlen: 24, max_prefixlen: 16 } }), 400, 'IllegalSubnetPoolPrefixBounds');
    await expectError(t.api.as('member-p').post('/v2.0/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/8'], shared: true } }), 403);
    const v6 = await t.api.create('subnetpools', 'subnetpool', { prefixes: ['2001:db8::/48'] });
    assert.equal(v6.min_prefixlen, '64');
    assert.equal(v6.max_prefixlen, '128');
    // Allocation from a pool is not implemented: a subnet naming one is refused, not half-served.
    const net = await t.api.create('networks', 'network', {});
    await expectError(t.api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 6, subnetpool_id: v6.id } }), 400);
  });
});
