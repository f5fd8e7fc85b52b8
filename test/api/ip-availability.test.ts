/**
 * Neutron's network-ip-availability extension against a real controller over HTTP: totals from the
 * allocation pools (IPv6 ones as exact big integers), used addresses from the store's allocations
 * (every port's: router interfaces too), Neutron's filters and fields, and its admin-only policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

describe('network IP availability', () => {
  let t: TestServer;
  let api: Api;
  before(async () => { t = await startTestServer(); api = t.api; });
  after(async () => { await t.close(); });

  const show = async (id: string) => {
    const res = await api.get(`/v2.0/network-ip-availabilities/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.network_ip_availability;
  };

  it('counts a network\'s and each subnet\'s pool addresses and allocations, before and after ports', async () => {
    const n = await api.create('networks', 'network', { name: 'ipa-1' });
    const s = await api.create('subnets', 'subnet', { network_id: n.id, cidr: '10.70.0.0/24', ip_version: 4, name: 'ipa-s1' });
    const before = await show(n.id);
    assert.deepEqual(before, {
      network_id: n.id, network_name: 'ipa-1', tenant_id: n.project_id, project_id: n.project_id,
      subnet_ip_availability: [{ subnet_id: s.id, ip_version: 4, cidr: '10.70.0.0/24', subnet_name: 'ipa-s1', used_ips: 0, total_ips: 253 }],
      used_ips: 0, total_ips: 253,
    });
    assert.deepEqual(Object.keys(before), ['network_id', 'network_name', 'tenant_id', 'project_id', 'subnet_ip_availability', 'used_ips', 'total_ips']);
    assert.deepEqual(Object.keys(before.subnet_ip_availability[0]), ['subnet_id', 'ip_version', 'cidr', 'subnet_name', 'used_ips', 'total_ips']);
    const p1 = await api.create('ports', 'port', { network_id: n.id });
    await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ subnet_id: s.id }] });
    const after2 = await show(n.id);
    assert.equal(after2.used_ips, 2);
    assert.equal(after2.subnet_ip_availability[0].used_ips, 2);
    assert.equal(after2.total_ips, 253);
    // A router interface holds an address too (the gateway, outside the pool): Neutron counts every allocation.
    const r = await api.create('routers', 'router', { name: 'ipa-r' });
    assert.equal((await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id })).status, 200);
    assert.equal((await show(n.id)).used_ips, 3);
    assert.equal((await api.delete(`/v2.0/ports/${p1.id}`)).status, 204);
    assert.equal((await show(n.id)).used_ips, 2);
  });

  it('sums several pools and subnets; an IPv6 /64 is an exact integer past 2^53', async () => {
    const n = await api.create('networks', 'network', { name: 'ipa-2' });
    const s4 = await api.create('subnets', 'subnet', {
      network_id: n.id, cidr: '10.71.0.0/24', ip_version: 4,
      allocation_pools: [{ start: '10.71.0.10', end: '10.71.0.19' }, { start: '10.71.0.100', end: '10.71.0.104' }],
    });
    const s6 = await api.create('subnets', 'subnet', { network_id: n.id, cidr: '2001:db8:71::/64', ip_version: 6, name: 'v6' });
    await api.create('ports', 'port', { network_id: n.id });
    const res = await fetch(`${api.url}/v2.0/network-ip-availabilities/${n.id}`);
    const text = await res.text();
    // 2^64 - 1: ::1 to ::ffff:ffff:ffff:ffff, the gateway being :: (the Subnet-Router anycast
    // address, as Neutron makes it); the network adds the IPv4 15.
    assert.match(text, /"total_ips":18446744073709551615\}/);
    assert.match(text, /"total_ips":18446744073709551630\}\}$/);
    const body = (await show(n.id));
    const byId = new Map(body.subnet_ip_availability.map((e: { subnet_id: string }) => [e.subnet_id, e]));
    assert.equal((byId.get(s4.id) as { total_ips: number }).total_ips, 15);
    assert.equal((byId.get(s4.id) as { used_ips: number }).used_ips, 1);
    assert.equal((byId.get(s6.id) as { used_ips: number }).used_ips, 1);
    assert.equal((byId.get(s6.id) as { ip_version: number }).ip_version, 6);
    assert.equal(body.used_ips, 2);
    // Neutron's own default pool for a /64 (::1 on, its gateway being ::): its answer, 2^64 - 1.
    const n2 = await api.create('networks', 'network', { name: 'ipa-2b' });
    await api.create('subnets', 'subnet', {
      network_id: n2.id, cidr: '2001:db8:73::/64', ip_version: 6, gateway_ip: null,
      allocation_pools: [{ start: '2001:db8:73::1', end: '2001:db8:73:0:ffff:ffff:ffff:ffff' }],
    });
    const text2 = await (await fetch(`${api.url}/v2.0/network-ip-availabilities/${n2.id}`)).text();
    assert.match(text2, /"total_ips":18446744073709551615\}\],"used_ips":0,"total_ips":18446744073709551615\}\}$/);
  });

  it('lists every network, one without subnets with zero totals; filters and fields as Neutron', async () => {
    const empty = await api.create('networks', 'network', { name: 'ipa-empty' });
    const other = await api.as('p-ipa').create('networks', 'network', { name: 'ipa-other' });
    const o4 = await api.as('p-ipa').create('subnets', 'subnet', { network_id: other.id, cidr: '10.72.0.0/28', ip_version: 4 });
    const listed = (await api.get('/v2.0/network-ip-availabilities')).body.network_ip_availabilities;
    const e = listed.find((x: { network_id: string }) => x.network_id === empty.id);
    assert.deepEqual(e, {
      network_id: empty.id, network_name: 'ipa-empty', tenant_id: empty.project_id, project_id: empty.project_id,
      subnet_ip_availability: [], used_ips: 0, total_ips: 0,
    });
    assert.ok(listed.some((x: { network_id: string }) => x.network_id === other.id));

    const ids = async (q: string) => (await api.get(`/v2.0/network-ip-availabilities?${q}`)).body.network_ip_availabilities
      .map((x: { network_id: string }) => x.network_id).sort();
    assert.deepEqual(await ids(`network_id=${empty.id}`), [empty.id]);
    assert.deepEqual(await ids('network_name=ipa-other'), [other.id]);
    assert.deepEqual(await ids('project_id=p-ipa'), [other.id]);
    assert.deepEqual(await ids('tenant_id=p-ipa'), [other.id]);
    assert.deepEqual(await ids(`tenant_id=p-ipa&project_id=${empty.project_id}`), []);
    assert.deepEqual(await ids(`network_id=${empty.id}&network_id=${other.id}`), [empty.id, other.id].sort());
    // ip_version keeps only subnets of that version, and so no network without one.
    const v4 = await ids('ip_version=4');
    assert.ok(v4.includes(other.id) && !v4.includes(empty.id));
    const v6 = (await api.get('/v2.0/network-ip-availabilities?ip_version=6')).body.network_ip_availabilities;
    assert.ok(v6.every((x: { subnet_ip_availability: Array<{ ip_version: number }> }) => x.subnet_ip_availability.length > 0
      && x.subnet_ip_availability.every((s) => s.ip_version === 6)));
    assert.ok(!v6.some((x: { network_id: string }) => x.network_id === other.id));
    await expectError(api.get('/v2.0/network-ip-availabilities?total_ips=3'), 400, 'HTTPBadRequest');
    await expectError(api.get('/v2.0/network-ip-availabilities?subnet_id=x'), 400, 'HTTPBadRequest');

    const narrowed = (await api.get(`/v2.0/network-ip-availabilities?network_id=${other.id}&fields=network_id&fields=total_ips`)).body;
    assert.deepEqual(narrowed, { network_ip_availabilities: [{ network_id: other.id, total_ips: 13 }] });
    const one = (await api.get(`/v2.0/network-ip-availabilities/${other.id}?fields=used_ips`)).body;
    assert.deepEqual(one, { network_ip_availability: { used_ips: 0 } });
    assert.equal(o4.ip_version, 4);
  });

  it('is admin only: a member lists nothing and finds nothing; an unknown network is NetworkNotFound', async () => {
    const mine = await api.as('p-ipa-m').create('networks', 'network', { name: 'ipa-member' });
    const member = api.as('p-ipa-m');
    const list = await member.get('/v2.0/network-ip-availabilities');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { network_ip_availabilities: [] });
    await expectError(member.get(`/v2.0/network-ip-availabilities/${mine.id}`), 404, 'HTTPNotFound');
    const missing = await expectError(api.get('/v2.0/network-ip-availabilities/00000000-0000-0000-0000-000000000000'), 404, 'NetworkNotFound');
    assert.equal(missing.body.NeutronError.message, 'Network 00000000-0000-0000-0000-000000000000 could not be found.');
  });
});
