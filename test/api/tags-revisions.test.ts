/**
 * The tags API (standard-attr-tag) on every taggable resource, tag filters on lists, revision
 * numbers with If-Match (revision-if-match), timestamps, bulk create and the extensions documents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
after(async () => { await t.close(); });

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

async function status(req: Promise<ApiResponse>, expected: number): Promise<ApiResponse> {
  const res = await req;
  assert.equal(res.status, expected, `expected ${expected}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res;
}

/** One of each taggable resource, by URL path and body key. */
interface Target { path: string; member: string; id: string }
let targets: Target[] = [];

before(async () => {
  t = await startTestServer();
  api = t.api;
  const n = await api.create('networks', 'network', { name: 'tagged-net' });
  const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.71.0.0/24' });
  const p = await api.create('ports', 'port', { network_id: n.id });
  const g = await api.create('security-groups', 'security_group', { name: 'tagged-sg' });
  const r = await api.create('routers', 'router', { name: 'tagged-router' });
  targets = [
    { path: 'networks', member: 'network', id: n.id },
    { path: 'subnets', member: 'subnet', id: s.id },
    { path: 'ports', member: 'port', id: p.id },
    { path: 'security-groups', member: 'security_group', id: g.id },
    { path: 'routers', member: 'router', id: r.id },
  ];
});

const revisionOf = async (x: Target): Promise<number> => {
  const res = await status(api.get(`/v2.0/${x.path}/${x.id}`), 200);
  return res.body[x.member].revision_number;
};

describe('tags API', () => {
  for (const path of ['networks', 'subnets', 'ports', 'security-groups', 'routers']) {
    describe(path, () => {
      const target = () => targets.find((x) => x.path === path)!;
      const base = () => `/v2.0/${path}/${target().id}/tags`;

      it('PUT /tags/{tag} is a 201 and GET /tags lists it', async () => {
        await status(api.put(`${base()}/red`, undefined), 201);
        await status(api.put(`${base()}/green`, undefined), 201);
        const list = await status(api.get(base()), 200);
        assert.deepEqual(Object.keys(list.body), ['tags']);
        assert.deepEqual([...list.body.tags].sort(), ['green', 'red']);
        const shown = await status(api.get(`/v2.0/${path}/${target().id}`), 200);
        assert.deepEqual([...shown.body[target().member].tags].sort(), ['green', 'red']);
      });

      it('PUT of a tag already present keeps one copy', async () => {
        await status(api.put(`${base()}/red`, undefined), 201);
        assert.deepEqual([...(await api.get(base())).body.tags].sort(), ['green', 'red']);
      });

      it('GET /tags/{tag} is 204 when present and 404 when absent', async () => {
        const present = await status(api.get(`${base()}/red`), 204);
        assert.equal(present.body, undefined);
        await expectError(api.get(`${base()}/blue`), 404);
      });

      it('PUT /tags replaces every tag (200 with the new list)', async () => {
        const res = await status(api.put(base(), { tags: ['a', 'b', 'c'] }), 200);
        assert.deepEqual([...res.body.tags].sort(), ['a', 'b', 'c']);
        assert.deepEqual([...(await api.get(base())).body.tags].sort(), ['a', 'b', 'c']);
        await expectError(api.get(`${base()}/red`), 404);
        const empty = await status(api.put(base(), { tags: [] }), 200);
        assert.deepEqual(empty.body.tags, []);
        await status(api.put(base(), { tags: ['a', 'b', 'c'] }), 200);
      });

      it('DELETE /tags/{tag} is 204, and 404 when absent', async () => {
        const res = await status(api.delete(`${base()}/a`), 204);
        assert.equal(res.body, undefined);
        assert.deepEqual([...(await api.get(base())).body.tags].sort(), ['b', 'c']);
        await expectError(api.delete(`${base()}/a`), 404);
        await expectError(api.delete(`${base()}/never`), 404);
      });

      it('DELETE /tags is 204 and leaves no tags', async () => {
        await status(api.delete(base()), 204);
        assert.deepEqual((await api.get(base())).body, { tags: [] });
        await status(api.delete(base()), 204);
      });

      it('invalid tags are 400 InvalidInputs (more than 255 characters, not a string); commas are tags too', async () => {
        // Neutron's validate_tag(s): any string of at most 255 characters.
        await expectError(api.put(`${base()}/${'x'.repeat(256)}`, undefined), 400, 'InvalidInput');
        await expectError(api.put(base(), { tags: ['x'.repeat(256)] }), 400, 'InvalidInput');
        await expectError(api.put(base(), { tags: [1] }), 400, 'InvalidInput');
        await expectError(api.put(base(), { tags: 'nope' }), 400, 'InvalidInput');
        await expectError(api.put(base(), {}), 400, 'InvalidInput');
        const comma = await api.put(base(), { tags: ['a,b', 'a/b'] });
        assert.equal(comma.status, 200, JSON.stringify(comma.body));
        assert.deepEqual(comma.body.tags, ['a,b', 'a/b']);
        await status(api.delete(base()), 204);
        assert.deepEqual((await api.get(base())).body, { tags: [] });
        // 255 characters is allowed.
        await status(api.put(`${base()}/${'y'.repeat(255)}`, undefined), 201);
        assert.deepEqual((await api.get(base())).body, { tags: ['y'.repeat(255)] });
        await status(api.delete(base()), 204);
      });

      it('tags of an unknown resource are 404s', async () => {
        const missing = `/v2.0/${path}/01a21100-0000-7000-8000-000000000000/tags`;
        await expectError(api.get(missing), 404);
        await expectError(api.put(`${missing}/x`, undefined), 404);
        await expectError(api.put(missing, { tags: ['x'] }), 404);
        await expectError(api.delete(missing), 404);
      });
    });
  }

  it('PUT /tags with a duplicated tag is a 400 (Neutron validates a list of unique strings)', async () => {
    const n = await api.create('networks', 'network', { name: 'dup-tags' });
    const base = `/v2.0/networks/${n.id}/tags`;
    await expectError(api.put(base, { tags: ['dup', 'dup'] }), 400);
    assert.deepEqual((await api.get(base)).body, { tags: [] });
  });

  it('security group rules have no tags API', async () => {
    const g = targets.find((x) => x.path === 'security-groups')!;
    const rule = await api.create('security-group-rules', 'security_group_rule', { security_group_id: g.id, direction: 'ingress' });
    const res = await api.put(`/v2.0/security-group-rules/${rule.id}/tags/x`, undefined);
    assert.equal(res.status, 404);
  });
});

describe('tag filters', () => {
  const p = () => api.as('tag-filters');
  const made: Record<string, string> = {};
  const list = async (q: string): Promise<string[]> => {
    const res = await status(p().get(`/v2.0/networks?${q}`), 200);
    return res.body.networks.map((n: { name: string }) => n.name).sort();
  };

  before(async () => {
    for (const [name, tags] of [['ab', ['a', 'b']], ['a', ['a']], ['bc', ['b', 'c']], ['none', []]] as const) {
      const n = await p().create('networks', 'network', { name });
      await status(p().put(`/v2.0/networks/${n.id}/tags`, { tags }), 200);
      made[name] = n.id;
    }
  });

  it('tags=a,b matches resources with all of them', async () => {
    assert.deepEqual(await list('tags=a,b'), ['ab']);
    assert.deepEqual(await list('tags=a'), ['a', 'ab']);
    assert.deepEqual(await list('tags=a&tags=b'), ['ab']);
    assert.deepEqual(await list('tags=a,c'), []);
  });

  it('tags-any=a,c matches resources with any of them', async () => {
    assert.deepEqual(await list('tags-any=a,c'), ['a', 'ab', 'bc']);
    assert.deepEqual(await list('tags-any=c'), ['bc']);
    assert.deepEqual(await list('tags-any=zzz'), []);
  });

  it('not-tags=a,b excludes resources with all of them', async () => {
    assert.deepEqual(await list('not-tags=a,b'), ['a', 'bc', 'none']);
    assert.deepEqual(await list('not-tags=b'), ['a', 'none']);
  });

  it('not-tags-any=a,c excludes resources with any of them', async () => {
    assert.deepEqual(await list('not-tags-any=a,c'), ['none']);
    assert.deepEqual(await list('not-tags-any=c'), ['a', 'ab', 'none']);
  });

  it('tag filters combine with each other and with attribute filters', async () => {
    assert.deepEqual(await list('tags=b&not-tags-any=c'), ['ab']);
    assert.deepEqual(await list('tags-any=a,b&name=bc'), ['bc']);
  });

  it('tag filters work on ports, subnets, security groups and routers too', async () => {
    for (const x of targets.slice(1)) {
      await status(api.put(`/v2.0/${x.path}/${x.id}/tags`, { tags: ['filter-me'] }), 200);
      const coll = x.path.replace('-', '_');
      const hit = await status(api.get(`/v2.0/${x.path}?tags=filter-me`), 200);
      assert.deepEqual(hit.body[coll].map((r: { id: string }) => r.id), [x.id], x.path);
      const miss = await status(api.get(`/v2.0/${x.path}?tags=filter-me&not-tags=filter-me`), 200);
      assert.deepEqual(miss.body[coll], [], x.path);
      await status(api.delete(`/v2.0/${x.path}/${x.id}/tags`), 204);
    }
  });
});

describe('revision_number and If-Match', () => {
  it('starts at 1 on every resource', async () => {
    const n = await api.create('networks', 'network', {});
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.72.0.0/24' });
    const p = await api.create('ports', 'port', { network_id: n.id });
    const g = await api.create('security-groups', 'security_group', { name: 'rev-sg' });
    const r = await api.create('routers', 'router', {});
    assert.deepEqual([n, s, p, g, r].map((x) => x.revision_number), [1, 1, 1, 1, 1]);
  });

  it('increments by one on every update', async () => {
    const n = await api.create('networks', 'network', { name: 'rev-0' });
    assert.equal(n.revision_number, 1);
    for (let i = 1; i <= 3; i++) {
      const res = await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: `rev-${i}` } }), 200);
      assert.equal(res.body.network.revision_number, 1 + i);
    }
    assert.equal((await api.get(`/v2.0/networks/${n.id}`)).body.network.revision_number, 4);
    const port = await api.create('ports', 'port', { network_id: n.id });
    const up = await status(api.put(`/v2.0/ports/${port.id}`, { port: { name: 'renamed' } }), 200);
    assert.equal(up.body.port.revision_number, 2);
  });

  it('an empty update is no new revision; one naming an attribute is, even with the same value (as Neutron)', async () => {
    for (const x of targets.filter((y) => y.path !== 'subnets')) {
      const before = (await api.get(`/v2.0/${x.path}/${x.id}`)).body[x.member];
      const empty = await status(api.put(`/v2.0/${x.path}/${x.id}`, { [x.member]: {} }), 200);
      assert.equal(empty.body[x.member].revision_number, before.revision_number, `${x.path}: {}`);
      assert.equal(empty.body[x.member].updated_at, before.updated_at, `${x.path}: {}`);
      assert.equal(await revisionOf(x), before.revision_number, `${x.path}: {} stored`);
      const same = await status(api.put(`/v2.0/${x.path}/${x.id}`, { [x.member]: { name: before.name } }), 200);
      assert.equal(same.body[x.member].revision_number, before.revision_number + 1, `${x.path}: the same name`);
    }
  });

  it('increments on tag changes', async () => {
    for (const x of targets) {
      const r0 = await revisionOf(x);
      await status(api.put(`/v2.0/${x.path}/${x.id}/tags/rev-tag`, undefined), 201);
      assert.equal(await revisionOf(x), r0 + 1, `${x.path}: add a tag`);
      await status(api.put(`/v2.0/${x.path}/${x.id}/tags`, { tags: ['p', 'q'] }), 200);
      assert.equal(await revisionOf(x), r0 + 2, `${x.path}: replace the tags`);
      await status(api.delete(`/v2.0/${x.path}/${x.id}/tags/p`), 204);
      assert.equal(await revisionOf(x), r0 + 3, `${x.path}: remove a tag`);
      await status(api.delete(`/v2.0/${x.path}/${x.id}/tags`), 204);
      assert.equal(await revisionOf(x), r0 + 4, `${x.path}: remove every tag`);
    }
  });

  it('adding a tag the resource already has changes nothing, revision included', async () => {
    const n = await api.create('networks', 'network', { name: 'tag-once' });
    const x: Target = { path: 'networks', member: 'network', id: n.id };
    await status(api.put(`/v2.0/${x.path}/${x.id}/tags/once`, undefined), 201);
    assert.equal(await revisionOf(x), 2);
    const r = await revisionOf(x);
    await status(api.put(`/v2.0/${x.path}/${x.id}/tags/once`, undefined), 201);
    assert.deepEqual((await api.get(`/v2.0/${x.path}/${x.id}/tags`)).body, { tags: ['once'] });
    assert.equal(await revisionOf(x), r);
  });

  it('revision_number is an integer filter', async () => {
    const p = api.as('rev-filter');
    const a = await p.create('networks', 'network', {});
    const b = await p.create('networks', 'network', {});
    await status(p.put(`/v2.0/networks/${b.id}`, { network: { name: 'bumped' } }), 200);
    const ids = async (q: string) => (await p.get(`/v2.0/networks?${q}`)).body.networks.map((n: { id: string }) => n.id);
    assert.deepEqual(await ids('revision_number=1'), [a.id]);
    assert.deepEqual(await ids('revision_number=2'), [b.id]);
  });

  it('If-Match: revision_number=<current> on PUT succeeds', async () => {
    const n = await api.create('networks', 'network', { name: 'if-match' });
    const res = await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'if-match-2' } }, { 'if-match': 'revision_number=1' }), 200);
    assert.equal(res.body.network.name, 'if-match-2');
    assert.equal(res.body.network.revision_number, 2);
    const again = await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'if-match-3' } }, { 'if-match': 'revision_number=2' }), 200);
    assert.equal(again.body.network.revision_number, 3);
  });

  it('a stale If-Match on PUT is a 412 and changes nothing', async () => {
    const n = await api.create('networks', 'network', { name: 'stale' });
    await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'fresh' } }), 200);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'lost' } }, { 'if-match': 'revision_number=1' }), 412, 'RevisionNumberConstraintFailed');
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'lost' } }, { 'if-match': 'revision_number=3' }), 412);
    const shown = (await api.get(`/v2.0/networks/${n.id}`)).body.network;
    assert.equal(shown.name, 'fresh');
    assert.equal(shown.revision_number, 2);
    const port = await api.create('ports', 'port', { network_id: n.id });
    await expectError(api.put(`/v2.0/ports/${port.id}`, { port: { name: 'lost' } }, { 'if-match': 'revision_number=7' }), 412);
  });

  it('a malformed If-Match is a 400', async () => {
    const n = await api.create('networks', 'network', { name: 'malformed' });
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, { 'if-match': 'rev=1' }), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=abc' }), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=' }), 400);
    await expectError(api.delete(`/v2.0/networks/${n.id}`, { 'if-match': 'garbage' }), 400);
    const shown = (await api.get(`/v2.0/networks/${n.id}`)).body.network;
    assert.equal(shown.name, 'malformed');
    assert.equal(shown.revision_number, 1);
  });

  it('a stale If-Match on DELETE is a 412 and the resource still exists; the current one deletes', async () => {
    const n = await api.create('networks', 'network', { name: 'delete-guarded' });
    await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'delete-guarded-2' } }), 200);
    await expectError(api.delete(`/v2.0/networks/${n.id}`, { 'if-match': 'revision_number=1' }), 412, 'RevisionNumberConstraintFailed');
    const still = await status(api.get(`/v2.0/networks/${n.id}`), 200);
    assert.equal(still.body.network.name, 'delete-guarded-2');
    await status(api.delete(`/v2.0/networks/${n.id}`, { 'if-match': 'revision_number=2' }), 204);
    await expectError(api.get(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
  });

  it('a tag change makes an If-Match taken before it stale', async () => {
    const n = await api.create('networks', 'network', {});
    await status(api.put(`/v2.0/networks/${n.id}/tags/t`, undefined), 201);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=1' }), 412);
    await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, { 'if-match': 'revision_number=2' }), 200);
  });
});

describe('timestamps', () => {
  it('created_at and updated_at are set, second precision UTC, and updated_at moves on update', async () => {
    const n = await api.create('networks', 'network', { name: 'ts' });
    assert.match(n.created_at, TIMESTAMP);
    assert.match(n.updated_at, TIMESTAMP);
    assert.ok(n.updated_at >= n.created_at);
    const up = await status(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'ts-2' } }), 200);
    assert.match(up.body.network.updated_at, TIMESTAMP);
    assert.ok(up.body.network.updated_at >= n.updated_at);
    assert.equal(up.body.network.created_at, n.created_at);
    const shown = (await api.get(`/v2.0/networks/${n.id}`)).body.network;
    assert.equal(shown.updated_at, up.body.network.updated_at);
    assert.equal(shown.created_at, n.created_at);
  });

  it('a tag change sets updated_at too', async () => {
    const x = targets[0];
    await status(api.put(`/v2.0/${x.path}/${x.id}/tags/ts`, undefined), 201);
    const shown = (await api.get(`/v2.0/${x.path}/${x.id}`)).body.network;
    assert.match(shown.updated_at, TIMESTAMP);
    assert.ok(shown.updated_at >= shown.created_at);
    await status(api.delete(`/v2.0/${x.path}/${x.id}/tags`), 204);
  });
});

describe('bulk create', () => {
  it('three networks in one POST come back as three, with distinct ids, each readable', async () => {
    const res = await status(api.post('/v2.0/networks', { networks: [{ name: 'bulk-1' }, { name: 'bulk-2' }, { name: 'bulk-3' }] }), 201);
    assert.deepEqual(Object.keys(res.body), ['networks']);
    assert.equal(res.body.networks.length, 3);
    assert.deepEqual(res.body.networks.map((n: { name: string }) => n.name), ['bulk-1', 'bulk-2', 'bulk-3']);
    const ids: string[] = res.body.networks.map((n: { id: string }) => n.id);
    assert.equal(new Set(ids).size, 3);
    for (const n of res.body.networks) {
      assert.equal(n.revision_number, 1);
      const shown = await status(api.get(`/v2.0/networks/${n.id}`), 200);
      assert.equal(shown.body.network.name, n.name);
    }
  });
});

describe('extensions', () => {
  const REQUIRED = [
    'standard-attr-tag', 'revision-if-match', 'pagination', 'sorting', 'router', 'extraroute', 'security-group',
    'binding', 'allowed-address-pairs', 'extra_dhcp_opt', 'port-security', 'net-mtu', 'provider', 'external-net',
  ];

  it('GET /v2.0/extensions includes every implemented alias', async () => {
    const res = await status(api.get('/v2.0/extensions'), 200);
    const aliases: string[] = res.body.extensions.map((e: { alias: string }) => e.alias);
    for (const alias of REQUIRED) assert.ok(aliases.includes(alias), `missing ${alias}`);
    assert.equal(new Set(aliases).size, aliases.length, 'aliases are unique');
    for (const e of res.body.extensions) {
      for (const key of ['alias', 'name', 'description', 'updated']) assert.equal(typeof e[key], 'string', `${e.alias}.${key}`);
      assert.ok(Array.isArray(e.links));
    }
  });

  it('GET /v2.0/extensions/router is a 200, an unknown alias a 404', async () => {
    const res = await status(api.get('/v2.0/extensions/router'), 200);
    assert.equal(res.body.extension.alias, 'router');
    assert.equal(typeof res.body.extension.name, 'string');
    for (const alias of REQUIRED) assert.equal((await api.get(`/v2.0/extensions/${alias}`)).body.extension?.alias, alias);
    await expectError(api.get('/v2.0/extensions/nope'), 404);
  });
});
