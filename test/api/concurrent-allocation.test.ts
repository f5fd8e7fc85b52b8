/**
 * Correctness under concurrency: many creates in flight at once never share an address or a MAC,
 * exhaustion fails cleanly, and freed addresses come back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { neutronErrorType, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => {
  t = await startTestServer();
  api = t.api;
  // These tests make more ports than Neutron's default quota of 500 lets one project have.
  assert.equal((await api.put('/v2.0/quotas/admin', { quota: { port: -1 } })).status, 200);
});
after(async () => { await t.close(); });

const ipToInt = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);

describe('concurrent allocation', () => {
  it('500 concurrent port creates on a /22 get 500 distinct addresses and MACs', async () => {
    const n = await api.create('networks', 'network', { name: 'c' });
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.20.0.0/22' });
    const results = await Promise.all(Array.from({ length: 500 }, () => api.post('/v2.0/ports', { port: { network_id: n.id } })));
    assert.deepEqual(results.filter((r) => r.status !== 201).map((r) => r.body), []);
    const ips = results.map((r) => r.body.port.fixed_ips[0].ip_address as string);
    const macs = results.map((r) => r.body.port.mac_address as string);
    assert.equal(new Set(ips).size, 500);
    assert.equal(new Set(macs).size, 500);
    const [pool] = s.allocation_pools as Array<{ start: string; end: string }>;
    for (const ip of ips) {
      assert.ok(ipToInt(ip) >= ipToInt(pool.start) && ipToInt(ip) <= ipToInt(pool.end), ip);
    }
    const stored = (await api.get(`/v2.0/ports?network_id=${n.id}`)).body.ports;
    assert.equal(stored.length, 500);
    assert.equal(new Set(stored.map((p: { fixed_ips: Array<{ ip_address: string }> }) => p.fixed_ips[0].ip_address)).size, 500);
  });

  it('exhausting a small subnet fails cleanly with 409 and leaves nothing behind; freed addresses come back', async () => {
    const n = await api.create('networks', 'network', { name: 'small' });
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.30.0.0/29' });
    assert.deepEqual(s.allocation_pools, [{ start: '10.30.0.2', end: '10.30.0.6' }]);
    const results = await Promise.all(Array.from({ length: 20 }, () => api.post('/v2.0/ports', { port: { network_id: n.id } })));
    const created = results.filter((r) => r.status === 201);
    const failed = results.filter((r) => r.status !== 201);
    assert.equal(created.length, 5);
    assert.equal(failed.length, 15);
    for (const f of failed) {
      assert.equal(f.status, 409);
      assert.equal(neutronErrorType(f), 'IpAddressGenerationFailure');
    }
    const held = created.map((r) => r.body.port.fixed_ips[0].ip_address).sort();
    assert.deepEqual(held, ['10.30.0.2', '10.30.0.3', '10.30.0.4', '10.30.0.5', '10.30.0.6']);
    const stored = (await api.get(`/v2.0/ports?network_id=${n.id}`)).body.ports;
    assert.equal(stored.length, 5);
    const again = await api.post('/v2.0/ports', { port: { network_id: n.id } });
    assert.equal(again.status, 409);

    const freed = created.slice(0, 2).map((r) => r.body.port);
    for (const p of freed) assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
    const refill = await Promise.all([0, 1].map(() => api.create('ports', 'port', { network_id: n.id })));
    assert.deepEqual(
      refill.map((p) => p.fixed_ips[0].ip_address).sort(),
      freed.map((p) => p.fixed_ips[0].ip_address).sort(),
    );
  });

  it('concurrent explicit MACs, some duplicated, never store a duplicate', async () => {
    const n = await api.create('networks', 'network', { name: 'macs' });
    await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.40.0.0/22' });
    const mac = (i: number) => `fa:16:3e:77:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    const requests = [
      ...Array.from({ length: 200 }, (_, i) => mac(i)),
      ...Array.from({ length: 50 }, (_, i) => mac(i * 3)),
    ];
    const results = await Promise.all(requests.map((m) => api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: m } })));
    const ok = results.filter((r) => r.status === 201);
    assert.equal(ok.length, 200);
    for (const r of results.filter((x) => x.status !== 201)) {
      assert.equal(r.status, 409);
      assert.equal(neutronErrorType(r), 'MacAddressInUse');
    }
    const stored = (await api.get(`/v2.0/ports?network_id=${n.id}`)).body.ports.map((p: { mac_address: string }) => p.mac_address);
    assert.equal(stored.length, 200);
    assert.equal(new Set(stored).size, 200);
  });

  it('concurrent explicit addresses: each address is won by exactly one request', async () => {
    const n = await api.create('networks', 'network', { name: 'race' });
    await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.50.0.0/24' });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      api.post('/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: `10.50.0.${10 + (i % 20)}` }] } })));
    assert.equal(results.filter((r) => r.status === 201).length, 20);
    assert.equal(results.filter((r) => r.status === 409).length, 40);
  });
});
