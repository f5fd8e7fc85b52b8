import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });


const ids = (r: ApiResponse, key: string) => r.body[key].map((x: { id: string }) => x.id);

describe('list queries', () => {
  it('filter on any attribute; repeated keys OR; booleans and integers', async () => {
    const p = api.as('lq-1');
    const a = await p.create('networks', 'network', { name: 'alpha' });
    const b = await p.create('networks', 'network', { name: 'beta', admin_state_up: false });
    await p.create('networks', 'network', { name: 'gamma', mtu: 1400 });
    assert.deepEqual(ids(await p.get('/v2.0/networks?name=alpha'), 'networks'), [a.id]);
    assert.deepEqual(ids(await p.get('/v2.0/networks?name=alpha&name=beta'), 'networks').sort(), [a.id, b.id].sort());
    assert.deepEqual(ids(await p.get('/v2.0/networks?admin_state_up=false'), 'networks'), [b.id]);
    assert.deepEqual((await p.get('/v2.0/networks?mtu=1400')).body.networks.map((n: { name: string }) => n.name), ['gamma']);
    assert.deepEqual(ids(await p.get(`/v2.0/networks?id=${b.id}`), 'networks'), [b.id]);
    await expectError(p.get('/v2.0/networks?colour=red'), 400);
    await expectError(p.get('/v2.0/networks?admin_state_up=perhaps'), 400);
    await expectError(p.get('/v2.0/networks?mtu=big'), 400);
  });

  it('filters ports by network, device, owner, MAC and fixed IPs', async () => {
    const n = await api.create('networks', 'network', {});
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.70.0.0/24' });
    const p1 = await api.create('ports', 'port', { network_id: n.id, device_id: 'vm-1', device_owner: 'compute:nova', fixed_ips: [{ ip_address: '10.70.0.7' }] });
    const p2 = await api.create('ports', 'port', { network_id: n.id, device_id: 'vm-2' });
    // Lists are in id order; ids are random (as Neutron's), not creation-ordered.
    assert.deepEqual(ids(await api.get(`/v2.0/ports?network_id=${n.id}`), 'ports'), [p1.id, p2.id].sort());
    assert.deepEqual(ids(await api.get('/v2.0/ports?device_id=vm-2'), 'ports'), [p2.id]);
    assert.deepEqual(ids(await api.get(`/v2.0/ports?device_owner=compute:nova&network_id=${n.id}`), 'ports'), [p1.id]);
    assert.deepEqual(ids(await api.get(`/v2.0/ports?mac_address=${p2.mac_address}`), 'ports'), [p2.id]);
    assert.deepEqual(ids(await api.get('/v2.0/ports?fixed_ips=ip_address%3D10.70.0.7'), 'ports'), [p1.id]);
    assert.deepEqual(ids(await api.get(`/v2.0/ports?fixed_ips=subnet_id%3D${s.id}`), 'ports'), [p1.id, p2.id].sort());
    await expectError(api.get('/v2.0/ports?fixed_ips=colour%3Dred'), 400);
  });

  it('fields narrows the answer, on lists and on show', async () => {
    const n = await api.create('networks', 'network', { name: 'fields' });
    const list = await api.get(`/v2.0/networks?id=${n.id}&fields=id&fields=name`);
    assert.deepEqual(list.body.networks, [{ id: n.id, name: 'fields' }]);
    const show = await api.get(`/v2.0/networks/${n.id}?fields=mtu`);
    assert.deepEqual(show.body.network, { mtu: 1450 });
  });

  it('sorts by several keys and checks them', async () => {
    const p = api.as('lq-sort');
    for (const [name, up] of [['b', true], ['a', true], ['c', false], ['d', false]] as const) {
      await p.create('networks', 'network', { name, admin_state_up: up });
    }
    const desc = await p.get('/v2.0/networks?sort_key=name&sort_dir=desc');
    assert.deepEqual(desc.body.networks.map((n: { name: string }) => n.name), ['d', 'c', 'b', 'a']);
    const two = await p.get('/v2.0/networks?sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc');
    assert.deepEqual(two.body.networks.map((n: { name: string }) => n.name), ['d', 'c', 'b', 'a']);
    const two2 = await p.get('/v2.0/networks?sort_key=admin_state_up&sort_dir=desc&sort_key=name&sort_dir=asc');
    assert.deepEqual(two2.body.networks.map((n: { name: string }) => n.name), ['a', 'b', 'c', 'd']);
    await expectError(p.get('/v2.0/networks?sort_key=name&sort_dir=asc&sort_dir=desc'), 400);
    await expectError(p.get('/v2.0/networks?sort_key=name&sort_dir=up'), 400);
    await expectError(p.get('/v2.0/networks?sort_key=subnets'), 400);
    await expectError(p.get('/v2.0/networks?sort_key=nonsense'), 400);
  });

  it('pages with limit and marker, following the links both ways', async () => {
    const p = api.as('lq-page');
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await p.create('networks', 'network', { name: `n${i}` })).id);
    const sorted = [...made].sort();
    const seen: string[] = [];
    let url: string | undefined = '/v2.0/networks?limit=3';
    let pages = 0;
    while (url) {
      const res = await p.get(url);
      assert.equal(res.status, 200);
      seen.push(...ids(res, 'networks'));
      const next = (res.body.networks_links ?? []).find((l: { rel: string }) => l.rel === 'next');
      url = next ? next.href.replace(p.url, '') : undefined;
      pages++;
      assert.ok(pages < 10, 'pagination does not end');
    }
    assert.deepEqual(seen, sorted);
    const second = await p.get(`/v2.0/networks?limit=3&marker=${sorted[2]}`);
    assert.deepEqual(ids(second, 'networks'), sorted.slice(3, 6));
    const prev = second.body.networks_links.find((l: { rel: string }) => l.rel === 'previous');
    assert.ok(prev, 'a page after a marker links back');
    const back = await p.get(prev.href.replace(p.url, ''));
    assert.deepEqual(ids(back, 'networks'), sorted.slice(0, 3));
    const reversed = await p.get(`/v2.0/networks?limit=2&marker=${sorted[4]}&page_reverse=True`);
    assert.deepEqual(ids(reversed, 'networks'), sorted.slice(2, 4));
    await expectError(p.get('/v2.0/networks?limit=-1'), 400);
    await expectError(p.get('/v2.0/networks?limit=abc'), 400);
    await expectError(p.get('/v2.0/networks?page_reverse=sideways'), 400);
    const gone = await p.get('/v2.0/networks?limit=2&marker=01a21100-0000-7000-8000-000000000000');
    assert.equal(gone.status, 404);
  });

  it('a list issues the same number of statements whatever it returns or the table holds', async () => {
    const n1 = await api.create('networks', 'network', {});
    const n50 = await api.create('networks', 'network', {});
    await api.create('subnets', 'subnet', { network_id: n1.id, ip_version: 4, cidr: '10.80.0.0/24' });
    await api.create('subnets', 'subnet', { network_id: n50.id, ip_version: 4, cidr: '10.81.0.0/24' });
    await api.create('ports', 'port', { network_id: n1.id });
    await api.post('/v2.0/ports', { ports: Array.from({ length: 50 }, () => ({ network_id: n50.id })) });
    const stats = t.server.store.stats;
    const statementsFor = async (path: string, expectedCount: number) => {
      const before = stats.statements;
      const res = await api.get(path);
      assert.equal(res.body.ports?.length ?? res.body.networks?.length, expectedCount);
      return stats.statements - before;
    };
    assert.equal(await statementsFor(`/v2.0/ports?network_id=${n1.id}`, 1), await statementsFor(`/v2.0/ports?network_id=${n50.id}`, 50));
    const lonely = api.as('lq-lonely');
    const ln = await lonely.create('networks', 'network', {});
    assert.equal(await statementsFor(`/v2.0/networks?id=${ln.id}`, 1), await statementsFor(`/v2.0/networks?id=${n1.id}&id=${n50.id}`, 2));
  });
});
