import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });


describe('faults', () => {
  it('malformed and misshapen bodies are 400s', async () => {
    await expectError(api.post('/v2.0/networks', '{"network": {"name": '), 400);
    // Neutron's prepare_request_body's words for each.
    const said = async (res: Promise<any>, text: string) => assert.equal((await expectError(res, 400, 'HTTPBadRequest')).body.NeutronError.message, text);
    await said(api.post('/v2.0/networks', '{"network": {"name": '), 'Body contains invalid data');
    await said(api.post('/v2.0/networks', {}), "Unable to find 'network' in request body");
    await said(api.post('/v2.0/routers', {}), 'Resource body required');
    await said(api.request('POST', '/v2.0/networks'), "Unable to find 'network' in request body");
    await said(api.post('/v2.0/networks', '[1,2]'), 'Body contains invalid data');
    await said(api.post('/v2.0/networks', { network: 'x' }), "Object 'network' contains invalid data");
    await expectError(api.post('/v2.0/networks', '[1,2]'), 400);
    await expectError(api.post('/v2.0/networks', '"text"'), 400);
    await expectError(api.post('/v2.0/networks', { netwrk: {} }), 400);
    await expectError(api.post('/v2.0/networks', { network: [] }), 400);
    await expectError(api.post('/v2.0/networks', { network: {}, extra: 1 }), 400);
    await expectError(api.post('/v2.0/networks', { networks: [] }), 400);
    await expectError(api.request('POST', '/v2.0/networks'), 400);
    await expectError(api.post('/v2.0/ports', { port: { network_id: 'nope' } }), 400);
    await expectError(api.post('/v2.0/ports', { port: { network_id: '01a21100-0000-7000-8000-000000000000', 'binding:vnic_type': 'warp' } }), 400);
    await expectError(api.post('/v2.0/networks', { network: { constructor: 1 } }), 400);
    await expectError(api.post('/v2.0/networks', '{"network": {"__proto__": {"admin": true}}}'), 400);
  });

  it('updates need the resource key and writable attributes', async () => {
    const n = await api.create('networks', 'network', {});
    await expectError(api.request('PUT', `/v2.0/networks/${n.id}`), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { status: 'DOWN' } }), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { id: 'x' } }), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { subnet: {} }), 400);
  });

  it('unknown ids and paths are NeutronError 404s', async () => {
    const missing = '01a21100-0000-7000-8000-000000000000';
    await expectError(api.get(`/v2.0/networks/${missing}`), 404, 'NetworkNotFound');
    await expectError(api.get(`/v2.0/subnets/${missing}`), 404, 'SubnetNotFound');
    await expectError(api.get(`/v2.0/ports/${missing}`), 404, 'PortNotFound');
    await expectError(api.get(`/v2.0/routers/${missing}`), 404, 'RouterNotFound');
    await expectError(api.get('/v2.0/networks/not-even-a-uuid'), 404, 'NetworkNotFound');
    await expectError(api.get('/v2.0/flavors'), 404);
    await expectError(api.get('/v3/whatever'), 404);
  });

  it('oversized bodies are 413 and the server keeps serving', async () => {
    await expectError(api.post('/v2.0/networks', { network: { name: 'x'.repeat(2 * 1024 * 1024) } }), 413);
    assert.equal((await api.get('/')).status, 200);
  });
});

describe('tags, revisions and If-Match', () => {
  it('the tags API on every taggable resource', async () => {
    const n = await api.create('networks', 'network', {});
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.90.0.0/24' });
    const p = await api.create('ports', 'port', { network_id: n.id });
    const g = await api.create('security-groups', 'security_group', { name: 'tagged' });
    const r = await api.create('routers', 'router', {});
    for (const [path, id] of [['networks', n.id], ['subnets', s.id], ['ports', p.id], ['security-groups', g.id], ['routers', r.id]]) {
      const base = `/v2.0/${path}/${id}/tags`;
      assert.equal((await api.put(`${base}/red`, undefined)).status, 201, path);
      assert.deepEqual((await api.get(base)).body, { tags: ['red'] });
      assert.equal((await api.get(`${base}/red`)).status, 204);
      await expectError(api.get(`${base}/blue`), 404);
      const replaced = await api.put(base, { tags: ['a', 'b'] });
      assert.equal(replaced.status, 200);
      assert.deepEqual(replaced.body.tags, ['a', 'b']);
      assert.equal((await api.delete(`${base}/a`)).status, 204);
      await expectError(api.delete(`${base}/a`), 404);
      assert.equal((await api.delete(base)).status, 204);
      assert.deepEqual((await api.get(base)).body.tags, []);
      // As Neutron's validate_tag: any string of at most 255 characters, a comma too.
      assert.equal((await api.put(`${base}/${encodeURIComponent('a,b')}`, undefined)).status, 201, path);
      await api.delete(base);
      await expectError(api.put(`${base}/${'x'.repeat(256)}`, undefined), 400, 'InvalidInput');
      await expectError(api.put(base, { tags: ['x'.repeat(256)] }), 400, 'InvalidInput');
      await expectError(api.put(base, { tags: 'nope' }), 400, 'InvalidInput');
      await expectError(api.put(base, { labels: ['x'] }), 400, 'InvalidInput');
      await expectError(api.put(base, { tags: ['x', 'x'] }), 400, 'InvalidInput');
    }
  });

  it('tag filters on lists', async () => {
    const p = api.as('tag-filter');
    const mk = async (tags: string[]) => {
      const n = await p.create('networks', 'network', {});
      await p.put(`/v2.0/networks/${n.id}/tags`, { tags });
      return n.id;
    };
    const ab = await mk(['a', 'b']);
    const a = await mk(['a']);
    const c = await mk(['c']);
    const list = async (q: string) => (await p.get(`/v2.0/networks?${q}`)).body.networks.map((x: { id: string }) => x.id).sort();
    assert.deepEqual(await list('tags=a,b'), [ab]);
    assert.deepEqual(await list('tags-any=b,c'), [ab, c].sort());
    assert.deepEqual(await list('not-tags=a,b'), [a, c].sort());
    assert.deepEqual(await list('not-tags-any=a'), [c]);
  });

  it('revision_number counts changes and If-Match guards them', async () => {
    const n = await api.create('networks', 'network', { name: 'rev' });
    assert.equal(n.revision_number, 1);
    const u1 = await api.put(`/v2.0/networks/${n.id}`, { network: { name: 'rev2' } }, { 'if-match': 'revision_number=1' });
    assert.equal(u1.status, 200);
    assert.equal(u1.body.network.revision_number, 2);
    await api.put(`/v2.0/networks/${n.id}/tags/t1`, undefined);
    assert.equal((await api.get(`/v2.0/networks/${n.id}`)).body.network.revision_number, 3);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'stale' } }, { 'if-match': 'revision_number=2' }), 412);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { name: 'bad' } }, { 'if-match': 'rev=2' }), 400);
    await expectError(api.delete(`/v2.0/networks/${n.id}`, { 'if-match': 'revision_number=1' }), 412);
    assert.equal((await api.get(`/v2.0/networks/${n.id}`)).body.network.name, 'rev2');
    assert.equal((await api.delete(`/v2.0/networks/${n.id}`, { 'if-match': 'revision_number=3' })).status, 204);
  });

  it('bulk create returns every resource', async () => {
    const res = await api.post('/v2.0/networks', { networks: [{ name: 'b1' }, { name: 'b2' }, { name: 'b3' }] });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.networks.map((n: { name: string }) => n.name), ['b1', 'b2', 'b3']);
    assert.equal(new Set(res.body.networks.map((n: { id: string }) => n.id)).size, 3);
    const bad = await api.post('/v2.0/networks', { networks: [{ name: 'c1' }, { name: 'c2', mtu: 99999 }] });
    assert.equal(bad.status, 400);
    assert.deepEqual((await api.get('/v2.0/networks?name=c1')).body.networks, []);
  });

  it('extensions lists what is implemented', async () => {
    const res = await api.get('/v2.0/extensions');
    const aliases = res.body.extensions.map((e: { alias: string }) => e.alias);
    for (const alias of ['standard-attr-tag', 'revision-if-match', 'pagination', 'sorting', 'router', 'extraroute', 'security-group', 'binding', 'allowed-address-pairs', 'extra_dhcp_opt', 'port-security', 'net-mtu', 'provider', 'external-net']) {
      assert.ok(aliases.includes(alias), alias);
    }
    assert.ok(aliases.includes('quotas'));
    assert.ok(!aliases.includes('trunk'));
    assert.equal((await api.get('/v2.0/extensions/router')).body.extension.alias, 'router');
    await expectError(api.get('/v2.0/extensions/nope'), 404);
  });
});

describe('methods', () => {
  it('a method a path does not take is a 405', async () => {
    const n = await api.create('networks', 'network', {});
    await expectError(api.put('/v2.0/networks', { network: {} }), 405);
    await expectError(api.delete('/v2.0/ports'), 405);
    await expectError(api.post(`/v2.0/networks/${n.id}`, { network: {} }), 405);
  });

  it('a member may set the MAC of a port on its own network, only an admin may change it', async () => {
    const m = api.as('mac-owner');
    const n = await m.create('networks', 'network', {});
    const p = await m.create('ports', 'port', { network_id: n.id, mac_address: 'fa:16:3e:12:34:56' });
    assert.equal(p.mac_address, 'fa:16:3e:12:34:56');
    await expectError(m.put(`/v2.0/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:12:34:57' } }), 403);
    const changed = await api.put(`/v2.0/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:12:34:57' } });
    assert.equal(changed.body.port.mac_address, 'fa:16:3e:12:34:57');
  });
});
