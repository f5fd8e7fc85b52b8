/**
 * List requests over real HTTP: filters on any attribute, fields, sorting, pagination with
 * <collection>_links, what a member may see, and that a list's cost in store statements does not grow
 * with the rows it returns or with other projects' rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { expectError, neutronErrorType, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });

type Row = { id: string; name: string };
const ids = (r: ApiResponse, key: string): string[] => {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body[key].map((x: Row) => x.id);
};
const names = (r: ApiResponse, key: string): string[] => {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body[key].map((x: Row) => x.name);
};
const sorted = (a: string[]): string[] => [...a].sort();
const linkOf = (r: ApiResponse, key: string, rel: 'next' | 'previous'): string | undefined => {
  const links: Array<{ rel: string; href: string }> = r.body[`${key}_links`] ?? [];
  return links.find((l) => l.rel === rel)?.href;
};

describe('filters', () => {
  let a: Record<string, any>; let b: Record<string, any>; let c: Record<string, any>; let d: Record<string, any>;
  const p = () => api.as('lists-filter');

  before(async () => {
    a = await p().create('networks', 'network', { name: 'a' });
    b = await p().create('networks', 'network', { name: 'b', admin_state_up: false });
    c = await p().create('networks', 'network', { name: 'c', mtu: 1400 });
    d = await p().create('networks', 'network', { name: 'a', admin_state_up: false, mtu: 1400, description: 'dee' });
  });

  it('name=a matches exactly the networks named a', async () => {
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?name=a'), 'networks')), sorted([a.id, d.id]));
    assert.deepEqual(ids(await p().get('/v2.0/networks?name=nobody'), 'networks'), []);
  });

  it('a repeated key ORs its values; different keys AND', async () => {
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?name=a&name=b'), 'networks')), sorted([a.id, b.id, d.id]));
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?name=b&name=c'), 'networks')), sorted([b.id, c.id]));
    assert.deepEqual(ids(await p().get('/v2.0/networks?name=a&admin_state_up=false'), 'networks'), [d.id]);
    assert.deepEqual(ids(await p().get('/v2.0/networks?name=a&description=dee'), 'networks'), [d.id]);
  });

  it('boolean filters read true/false in any case', async () => {
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?admin_state_up=false'), 'networks')), sorted([b.id, d.id]));
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?admin_state_up=False'), 'networks')), sorted([b.id, d.id]));
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?admin_state_up=true'), 'networks')), sorted([a.id, c.id]));
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?shared=false'), 'networks')), sorted([a.id, b.id, c.id, d.id]));
    await expectError(p().get('/v2.0/networks?admin_state_up=perhaps'), 400);
  });

  it('integer filters (mtu) compare as numbers', async () => {
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?mtu=1400'), 'networks')), sorted([c.id, d.id]));
    assert.deepEqual(sorted(ids(await p().get('/v2.0/networks?mtu=1450'), 'networks')), sorted([a.id, b.id]));
    assert.deepEqual(ids(await p().get('/v2.0/networks?mtu=1400&name=c'), 'networks'), [c.id]);
    await expectError(p().get('/v2.0/networks?mtu=big'), 400);
  });

  it('id, project_id, tenant_id and status filter too', async () => {
    assert.deepEqual(ids(await p().get(`/v2.0/networks?id=${b.id}`), 'networks'), [b.id]);
    assert.deepEqual(sorted(ids(await p().get(`/v2.0/networks?id=${b.id}&id=${c.id}`), 'networks')), sorted([b.id, c.id]));
    assert.equal(ids(await api.get('/v2.0/networks?project_id=lists-filter'), 'networks').length, 4);
    assert.equal(ids(await api.get('/v2.0/networks?tenant_id=lists-filter'), 'networks').length, 4);
    assert.equal(ids(await p().get('/v2.0/networks?status=ACTIVE'), 'networks').length, 4);
  });

  it('an unknown or unfilterable key is a 400 NeutronError', async () => {
    const r = await expectError(p().get('/v2.0/networks?colour=red'), 400);
    assert.match(r.body.NeutronError.message, /colour/);
    await expectError(p().get('/v2.0/networks?subnets=x'), 400);
    await expectError(p().get('/v2.0/ports?colour=red'), 400);
  });

  describe('ports', () => {
    let net: Record<string, any>; let net2: Record<string, any>; let s1: Record<string, any>; let s2: Record<string, any>;
    let p1: Record<string, any>; let p2: Record<string, any>; let p3: Record<string, any>;

    before(async () => {
      net = await api.create('networks', 'network', { name: 'lists-ports' });
      net2 = await api.create('networks', 'network', { name: 'lists-ports-2' });
      s1 = await api.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.61.0.0/24' });
      s2 = await api.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.62.0.0/24' });
      p1 = await api.create('ports', 'port', {
        network_id: net.id, device_id: 'vm-1', device_owner: 'compute:nova',
        fixed_ips: [{ subnet_id: s1.id, ip_address: '10.61.0.10' }],
      });
      p2 = await api.create('ports', 'port', {
        network_id: net.id, device_id: 'vm-2', device_owner: 'compute:nova',
        fixed_ips: [{ subnet_id: s2.id, ip_address: '10.62.0.20' }],
      });
      p3 = await api.create('ports', 'port', { network_id: net2.id, device_id: 'vm-1', device_owner: 'network:dhcp' });
    });

    it('network_id', async () => {
      assert.deepEqual(sorted(ids(await api.get(`/v2.0/ports?network_id=${net.id}`), 'ports')), sorted([p1.id, p2.id]));
      assert.deepEqual(ids(await api.get(`/v2.0/ports?network_id=${net2.id}`), 'ports'), [p3.id]);
    });

    it('device_id and device_owner', async () => {
      assert.deepEqual(sorted(ids(await api.get('/v2.0/ports?device_id=vm-1'), 'ports')), sorted([p1.id, p3.id]));
      assert.deepEqual(ids(await api.get(`/v2.0/ports?device_id=vm-1&network_id=${net.id}`), 'ports'), [p1.id]);
      assert.deepEqual(ids(await api.get(`/v2.0/ports?device_owner=${encodeURIComponent('network:dhcp')}`), 'ports'), [p3.id]);
      assert.deepEqual(
        sorted(ids(await api.get(`/v2.0/ports?device_owner=compute%3Anova&network_id=${net.id}`), 'ports')),
        sorted([p1.id, p2.id]),
      );
    });

    it('mac_address', async () => {
      assert.deepEqual(ids(await api.get(`/v2.0/ports?mac_address=${encodeURIComponent(p2.mac_address)}`), 'ports'), [p2.id]);
      assert.deepEqual(ids(await api.get('/v2.0/ports?mac_address=fa%3A16%3A3e%3A00%3A00%3A01'), 'ports'), []);
    });

    it('fixed_ips=ip_address=<ip> and fixed_ips=subnet_id=<id>', async () => {
      assert.deepEqual(ids(await api.get('/v2.0/ports?fixed_ips=ip_address%3D10.61.0.10'), 'ports'), [p1.id]);
      assert.deepEqual(ids(await api.get('/v2.0/ports?fixed_ips=ip_address%3D10.62.0.20'), 'ports'), [p2.id]);
      assert.deepEqual(ids(await api.get('/v2.0/ports?fixed_ips=ip_address%3D10.61.0.11'), 'ports'), []);
      assert.deepEqual(ids(await api.get(`/v2.0/ports?fixed_ips=subnet_id%3D${s1.id}`), 'ports'), [p1.id]);
      assert.deepEqual(ids(await api.get(`/v2.0/ports?fixed_ips=subnet_id%3D${s2.id}`), 'ports'), [p2.id]);
      assert.deepEqual(
        sorted(ids(await api.get(`/v2.0/ports?fixed_ips=subnet_id%3D${s1.id}&fixed_ips=subnet_id%3D${s2.id}`), 'ports')),
        sorted([p1.id, p2.id]),
      );
      // An address and a subnet together: the port must match both.
      assert.deepEqual(ids(await api.get(`/v2.0/ports?fixed_ips=ip_address%3D10.61.0.10&fixed_ips=subnet_id%3D${s1.id}`), 'ports'), [p1.id]);
      assert.deepEqual(ids(await api.get(`/v2.0/ports?fixed_ips=ip_address%3D10.61.0.10&fixed_ips=subnet_id%3D${s2.id}`), 'ports'), []);
    });
  });
});

describe('fields', () => {
  it('fields=id&fields=name returns only those keys, on lists and on show', async () => {
    const p = api.as('lists-fields');
    const n = await p.create('networks', 'network', { name: 'narrow' });
    const list = await p.get('/v2.0/networks?fields=id&fields=name');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.networks, [{ id: n.id, name: 'narrow' }]);
    const show = await p.get(`/v2.0/networks/${n.id}?fields=id&fields=name`);
    assert.equal(show.status, 200);
    assert.deepEqual(show.body.network, { id: n.id, name: 'narrow' });
    const one = await p.get(`/v2.0/networks?fields=admin_state_up&name=narrow`);
    assert.deepEqual(one.body.networks, [{ admin_state_up: true }]);
  });

  it('fields works on ports too', async () => {
    const n = await api.create('networks', 'network', { name: 'fields-ports' });
    const port = await api.create('ports', 'port', { network_id: n.id, name: 'fp' });
    const list = await api.get(`/v2.0/ports?network_id=${n.id}&fields=id&fields=name`);
    assert.deepEqual(list.body.ports, [{ id: port.id, name: 'fp' }]);
  });
});

describe('sorting', () => {
  const p = () => api.as('lists-sort');
  before(async () => {
    for (const [name, up] of [['b', true], ['d', false], ['a', true], ['c', false], ['e', true]] as const) {
      await p().create('networks', 'network', { name, admin_state_up: up });
    }
  });

  it('sort_key=name&sort_dir=desc and asc', async () => {
    assert.deepEqual(names(await p().get('/v2.0/networks?sort_key=name&sort_dir=desc'), 'networks'), ['e', 'd', 'c', 'b', 'a']);
    assert.deepEqual(names(await p().get('/v2.0/networks?sort_key=name&sort_dir=asc'), 'networks'), ['a', 'b', 'c', 'd', 'e']);
  });

  it('two sort keys: admin_state_up asc, name desc (and the reverse)', async () => {
    assert.deepEqual(
      names(await p().get('/v2.0/networks?sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc'), 'networks'),
      ['d', 'c', 'e', 'b', 'a'],
    );
    assert.deepEqual(
      names(await p().get('/v2.0/networks?sort_key=admin_state_up&sort_dir=desc&sort_key=name&sort_dir=asc'), 'networks'),
      ['a', 'b', 'e', 'c', 'd'],
    );
  });

  it('sorted pages follow the sort order across next links', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/v2.0/networks?sort_key=name&sort_dir=desc&limit=2';
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 6, 'pagination does not end');
      const res = await p().get(url);
      seen.push(...names(res, 'networks'));
      const next = linkOf(res, 'networks', 'next');
      url = next === undefined ? undefined : next.replace(api.url, '');
    }
    assert.deepEqual(seen, ['e', 'd', 'c', 'b', 'a']);

    // Ties on the first key: paging must still see each row once, in the unpaged order.
    const full = ids(await p().get('/v2.0/networks?sort_key=admin_state_up&sort_dir=asc'), 'networks');
    const paged: string[] = [];
    url = '/v2.0/networks?sort_key=admin_state_up&sort_dir=asc&limit=2';
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 6, 'pagination does not end');
      const res = await p().get(url);
      paged.push(...ids(res, 'networks'));
      const next = linkOf(res, 'networks', 'next');
      url = next === undefined ? undefined : next.replace(api.url, '');
    }
    assert.deepEqual(paged, full);
  });

  it('paging on a sort key that holds nulls still sees every row once', async () => {
    const n = await api.create('networks', 'network', { name: 'null-sort' });
    const subnets: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await api.create('subnets', 'subnet', {
        network_id: n.id, ip_version: 4, cidr: `10.66.${i}.0/24`, ...(i % 2 ? { gateway_ip: null } : {}),
      });
      subnets.push(s.id);
    }
    for (const dir of ['asc', 'desc']) {
      const base = `/v2.0/subnets?network_id=${n.id}&sort_key=gateway_ip&sort_dir=${dir}`;
      const full = ids(await api.get(base), 'subnets');
      assert.deepEqual(sorted(full), sorted(subnets));
      const paged: string[] = [];
      let url: string | undefined = `${base}&limit=1`;
      for (let pages = 0; url; pages++) {
        assert.ok(pages < 10, 'pagination does not end');
        const res = await api.get(url);
        paged.push(...ids(res, 'subnets'));
        const next = linkOf(res, 'subnets', 'next');
        url = next === undefined ? undefined : next.replace(api.url, '');
      }
      assert.deepEqual(paged, full, `sort_dir=${dir}`);
    }
  });

  it('sort_key and sort_dir counts must match', async () => {
    await expectError(p().get('/v2.0/networks?sort_key=name&sort_dir=asc&sort_dir=desc'), 400);
    await expectError(p().get('/v2.0/networks?sort_key=name&sort_key=id&sort_dir=asc'), 400);
    await expectError(p().get('/v2.0/networks?sort_dir=asc'), 400);
  });

  it('sort_key without any sort_dir is a count mismatch (Neutron get_sorts)', async () => {
    // Neutron: "The number of sort_keys and sort_dirs must be same" -> 400, even with no sort_dir.
    await expectError(p().get('/v2.0/networks?sort_key=name'), 400);
  });

  it('a bad sort_dir is a 400', async () => {
    await expectError(p().get('/v2.0/networks?sort_key=name&sort_dir=up'), 400);
    await expectError(p().get('/v2.0/networks?sort_key=name&sort_dir=DESCENDING'), 400);
  });

  it('an unknown or unsortable sort_key is a 400', async () => {
    await expectError(p().get('/v2.0/networks?sort_key=nonsense&sort_dir=asc'), 400);
    await expectError(p().get('/v2.0/networks?sort_key=subnets&sort_dir=asc'), 400);
    await expectError(p().get('/v2.0/networks?sort_key=tags&sort_dir=asc'), 400);
    await expectError(p().get('/v2.0/ports?sort_key=fixed_ips&sort_dir=asc'), 400);
  });
});

describe('pagination', () => {
  const p = () => api.as('lists-page');
  let made: string[] = [];
  before(async () => {
    made = [];
    for (let i = 0; i < 7; i++) made.push((await p().create('networks', 'network', { name: `page-${i}` })).id);
    made.sort();
  });

  it('limit=3 pages follow next links until there is none, each network once, in id order', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let url: string | undefined = '/v2.0/networks?limit=3';
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 10, 'pagination does not end');
      const res = await p().get(url);
      const page = ids(res, 'networks');
      sizes.push(page.length);
      seen.push(...page);
      const next = linkOf(res, 'networks', 'next');
      if (next !== undefined) {
        assert.ok(next.startsWith(`${api.url}/v2.0/networks?`), next);
        const q = new URL(next).searchParams;
        assert.equal(q.get('limit'), '3');
        assert.equal(q.get('marker'), page[page.length - 1]);
      }
      url = next === undefined ? undefined : next.replace(api.url, '');
    }
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, made);
  });

  it('next links keep the other query parameters', async () => {
    const res = await api.get('/v2.0/networks?project_id=lists-page&limit=3');
    assert.deepEqual(ids(res, 'networks'), made.slice(0, 3));
    const next = linkOf(res, 'networks', 'next');
    assert.ok(next);
    assert.equal(new URL(next).searchParams.get('project_id'), 'lists-page');
    const second = await api.get(next.replace(api.url, ''));
    assert.deepEqual(ids(second, 'networks'), made.slice(3, 6));
  });

  it('marker gives the page after it', async () => {
    const res = await p().get(`/v2.0/networks?limit=3&marker=${made[2]}`);
    assert.deepEqual(ids(res, 'networks'), made.slice(3, 6));
  });

  it('marker with page_reverse=True gives the previous page, in natural order', async () => {
    const res = await p().get(`/v2.0/networks?limit=3&marker=${made[6]}&page_reverse=True`);
    assert.deepEqual(ids(res, 'networks'), made.slice(3, 6));
    const res2 = await p().get(`/v2.0/networks?limit=3&marker=${made[3]}&page_reverse=True`);
    assert.deepEqual(ids(res2, 'networks'), made.slice(0, 3));
    const short = await p().get(`/v2.0/networks?limit=3&marker=${made[1]}&page_reverse=True`);
    assert.deepEqual(ids(short, 'networks'), made.slice(0, 1));
    // The last page backwards has no previous link.
    assert.equal(linkOf(short, 'networks', 'previous'), undefined);
  });

  it('the previous link of a later page leads back to the page before it', async () => {
    const second = await p().get(`/v2.0/networks?limit=3&marker=${made[2]}`);
    const prev = linkOf(second, 'networks', 'previous');
    assert.ok(prev, 'a page after a marker links back');
    const q = new URL(prev).searchParams;
    assert.equal(q.get('marker'), made[3]);
    assert.equal(q.get('page_reverse'), 'True');
    assert.deepEqual(ids(await p().get(prev.replace(api.url, '')), 'networks'), made.slice(0, 3));
  });

  it('page_reverse=True without a marker gives the last page', async () => {
    const res = await p().get('/v2.0/networks?limit=3&page_reverse=True');
    assert.deepEqual(ids(res, 'networks'), made.slice(4, 7));
  });

  it('the first page has a previous link too (Neutron: only the last page backwards lacks one)', async () => {
    // Neutron's get_pagination_links: "previous" unless (len(items) < limit and page_reverse); the API
    // reference: "the last page in the list requested with page_reverse=True will not contain previous".
    const first = await p().get('/v2.0/networks?limit=3');
    assert.deepEqual(ids(first, 'networks'), made.slice(0, 3));
    const prev = linkOf(first, 'networks', 'previous');
    assert.ok(prev, 'a full first page links to a previous page');
    const q = new URL(prev).searchParams;
    assert.equal(q.get('marker'), made[0]);
    assert.equal(q.get('page_reverse'), 'True');
    assert.deepEqual(ids(await p().get(prev.replace(api.url, '')), 'networks'), []);
  });

  it('limit=0 means no limit', async () => {
    const res = await p().get('/v2.0/networks?limit=0');
    assert.deepEqual(ids(res, 'networks'), made);
    assert.equal(res.body.networks_links, undefined);
  });

  it('limit=-1 and limit=abc are 400s', async () => {
    await expectError(p().get('/v2.0/networks?limit=-1'), 400);
    await expectError(p().get('/v2.0/networks?limit=abc'), 400);
    await expectError(p().get('/v2.0/networks?limit=1.5'), 400);
  });

  it('an unknown marker is a 404 NetworkNotFound', async () => {
    await expectError(p().get('/v2.0/networks?limit=2&marker=01a21100-0000-7000-8000-000000000000'), 404, 'NetworkNotFound');
  });
});

describe('bounded queries', () => {
  const statements = async (caller: Api, path: string, expected: string[]): Promise<number> => {
    const before = t.server.store.stats.statements;
    const res = await caller.get(path);
    const after = t.server.store.stats.statements;
    assert.deepEqual(sorted(ids(res, 'ports')), sorted(expected));
    return after - before;
  };

  it('GET /v2.0/ports?network_id=X costs the same for 1 port and for 50 ports', async () => {
    const n1 = await api.create('networks', 'network', { name: 'bounded-1' });
    const n50 = await api.create('networks', 'network', { name: 'bounded-50' });
    await api.create('subnets', 'subnet', { network_id: n1.id, ip_version: 4, cidr: '10.63.0.0/24' });
    await api.create('subnets', 'subnet', { network_id: n50.id, ip_version: 4, cidr: '10.64.0.0/24' });
    const one = await api.create('ports', 'port', { network_id: n1.id });
    const bulk = await api.post('/v2.0/ports', { ports: Array.from({ length: 50 }, () => ({ network_id: n50.id })) });
    assert.equal(bulk.status, 201);
    const fifty: string[] = bulk.body.ports.map((x: Row) => x.id);
    assert.equal(fifty.length, 50);

    const cost1 = await statements(api, `/v2.0/ports?network_id=${n1.id}`, [one.id]);
    const cost50 = await statements(api, `/v2.0/ports?network_id=${n50.id}`, fifty);
    assert.ok(cost1 > 0, 'the store counts the list query');
    assert.equal(cost50, cost1);
    // The same holds when fields asks for a view of each port.
    const f1 = await statements(api, `/v2.0/ports?network_id=${n1.id}&fields=id`, [one.id]);
    const f50 = await statements(api, `/v2.0/ports?network_id=${n50.id}&fields=id`, fifty);
    assert.equal(f50, f1);
  });

  it("a project's port list costs the same however many ports another project has", async () => {
    const mine = api.as('bounded-mine');
    const theirs = api.as('bounded-theirs');
    const mn = await mine.create('networks', 'network', {});
    const own = [(await mine.create('ports', 'port', { network_id: mn.id })).id, (await mine.create('ports', 'port', { network_id: mn.id })).id];
    const before = await statements(mine, '/v2.0/ports', own);
    const tn = await theirs.create('networks', 'network', {});
    const bulk = await theirs.post('/v2.0/ports', { ports: Array.from({ length: 60 }, () => ({ network_id: tn.id })) });
    assert.equal(bulk.status, 201);
    const afterCost = await statements(mine, '/v2.0/ports', own);
    assert.equal(afterCost, before);
    assert.equal((await theirs.get('/v2.0/ports')).body.ports.length, 60);
  });

  it('a network list costs the same for 1 and for 3 networks (subnets expanded in one query)', async () => {
    const nets = [];
    for (let i = 0; i < 3; i++) {
      const n = await api.create('networks', 'network', { name: `bounded-net-${i}` });
      await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: `10.65.${i}.0/24` });
      nets.push(n.id);
    }
    const count = async (q: string, expected: string[]) => {
      const before = t.server.store.stats.statements;
      const res = await api.get(`/v2.0/networks?${q}`);
      const cost = t.server.store.stats.statements - before;
      assert.deepEqual(sorted(ids(res, 'networks')), sorted(expected));
      for (const n of res.body.networks) assert.equal(n.subnets.length, 1);
      return cost;
    };
    const c1 = await count(`id=${nets[0]}`, [nets[0]]);
    const c3 = await count(nets.map((id) => `id=${id}`).join('&'), nets);
    assert.equal(c3, c1);
  });
});

describe('visibility', () => {
  it('a member lists its own networks plus shared and external ones, never another project\'s private ones', async () => {
    const member = api.as('p1');
    const own1 = await member.create('networks', 'network', { name: 'p1-a' });
    const own2 = await member.create('networks', 'network', { name: 'p1-b' });
    const other = await api.as('p2').create('networks', 'network', { name: 'p2-private' });
    const shared = await api.create('networks', 'network', { name: 'shared', shared: true, project_id: 'p2' });
    const external = await api.create('networks', 'network', { name: 'external', 'router:external': true, project_id: 'p2' });

    const list = await member.get('/v2.0/networks');
    assert.deepEqual(sorted(ids(list, 'networks')), sorted([own1.id, own2.id, shared.id, external.id]));
    assert.ok(!ids(list, 'networks').includes(other.id));
    assert.deepEqual(ids(await member.get('/v2.0/networks?shared=true'), 'networks'), [shared.id]);
    assert.deepEqual(ids(await member.get('/v2.0/networks?name=p2-private'), 'networks'), []);
    const hidden = await member.get(`/v2.0/networks/${other.id}`);
    assert.equal(hidden.status, 404);
    assert.equal(neutronErrorType(hidden), 'NetworkNotFound');
    assert.equal((await member.get(`/v2.0/networks/${shared.id}`)).status, 200);

    // p2 sees its own three, and the admin sees all of them.
    assert.deepEqual(sorted(ids(await api.as('p2').get('/v2.0/networks'), 'networks')), sorted([other.id, shared.id, external.id]));
    const all = ids(await api.get('/v2.0/networks'), 'networks');
    for (const id of [own1.id, own2.id, other.id, shared.id, external.id]) assert.ok(all.includes(id));
  });

  it('a member lists subnets of its own and of shared networks only', async () => {
    const member = api.as('p4');
    const ownNet = await member.create('networks', 'network', {});
    const own = await member.create('subnets', 'subnet', { network_id: ownNet.id, ip_version: 4, cidr: '10.67.0.0/24' });
    const sharedNet = await api.create('networks', 'network', { shared: true, project_id: 'p5' });
    const shared = await api.create('subnets', 'subnet', { network_id: sharedNet.id, ip_version: 4, cidr: '10.67.1.0/24' });
    const privateNet = await api.as('p5').create('networks', 'network', {});
    const hidden = await api.as('p5').create('subnets', 'subnet', { network_id: privateNet.id, ip_version: 4, cidr: '10.67.2.0/24' });
    const seen = ids(await member.get('/v2.0/subnets'), 'subnets');
    assert.ok(seen.includes(own.id));
    assert.ok(seen.includes(shared.id));
    assert.ok(!seen.includes(hidden.id));
    assert.equal((await member.get(`/v2.0/subnets/${hidden.id}`)).status, 404);
  });

  it("a member's port list holds only its own ports", async () => {
    const n = await api.as('p3').create('networks', 'network', {});
    const mine = await api.as('p3').create('ports', 'port', { network_id: n.id });
    const adminNet = await api.create('networks', 'network', {});
    await api.create('ports', 'port', { network_id: adminNet.id });
    await api.as('p6').create('ports', 'port', { network_id: (await api.as('p6').create('networks', 'network', {})).id });
    assert.deepEqual(ids(await api.as('p3').get('/v2.0/ports'), 'ports'), [mine.id]);
  });
});
