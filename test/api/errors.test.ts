/**
 * Every failure over real HTTP is a NeutronError {type, message, detail} with Neutron's status:
 * malformed and misshapen bodies, unknown and read-only attributes, bad values, unknown ids and
 * paths, oversized bodies; and the server keeps answering afterwards.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { neutronErrorType, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });

const MISSING = '01a21100-0000-7000-8000-000000000000';

/** Asserts status, the exact NeutronError shape (three string keys, nothing else) and a JSON content type. */
async function fails(req: Promise<ApiResponse>, status: number, type?: string): Promise<ApiResponse> {
  const res = await req;
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)?.slice(0, 500)}`);
  assert.deepEqual(Object.keys(res.body ?? {}), ['NeutronError'], JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body.NeutronError).sort(), ['detail', 'message', 'type']);
  const actual = neutronErrorType(res);
  assert.ok(res.body.NeutronError.message.length > 0, 'message is not empty');
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  if (type !== undefined) assert.equal(actual, type);
  return res;
}

const networkCount = async (): Promise<number> => (await api.get('/v2.0/networks?fields=id')).body.networks.length;

describe('malformed and misshapen bodies', () => {
  it('malformed JSON is a 400', async () => {
    await fails(api.post('/v2.0/networks', '{"network": {"name": '), 400, 'HTTPBadRequest');
    await fails(api.post('/v2.0/networks', '{network: {}}'), 400, 'HTTPBadRequest');
    await fails(api.post('/v2.0/networks', 'not json at all'), 400, 'HTTPBadRequest');
  });

  it('a body that is not an object is a 400', async () => {
    await fails(api.post('/v2.0/networks', '"text"'), 400);
    await fails(api.post('/v2.0/networks', '42'), 400);
    await fails(api.post('/v2.0/networks', 'null'), 400);
    await fails(api.post('/v2.0/networks', 'true'), 400);
  });

  it('a JSON array body is a 400', async () => {
    await fails(api.post('/v2.0/networks', '[]'), 400);
    await fails(api.post('/v2.0/networks', [{ network: {} }]), 400);
  });

  it('a missing resource key is a 400', async () => {
    const res = await fails(api.post('/v2.0/networks', { netwrk: {} }), 400);
    assert.match(res.body.NeutronError.message, /network/);
    await fails(api.post('/v2.0/networks', {}), 400);
    await fails(api.post('/v2.0/networks', { subnet: { network_id: MISSING } }), 400);
  });

  it('a resource value that is not an object is a 400', async () => {
    await fails(api.post('/v2.0/networks', { network: [] }), 400);
    await fails(api.post('/v2.0/networks', { network: 'x' }), 400);
    await fails(api.post('/v2.0/networks', { network: null }), 400);
  });

  it('POST with no body is a 400', async () => {
    await fails(api.request('POST', '/v2.0/networks'), 400);
  });

  it('nothing was created by any of the refused requests', async () => {
    assert.equal(await networkCount(), 0);
  });
});

describe('attribute validation', () => {
  let net: Record<string, any>;
  before(async () => { net = await api.create('networks', 'network', { name: 'errors-net' }); });

  it('an unknown attribute is a 400 naming it', async () => {
    const res = await fails(api.post('/v2.0/networks', { network: { colour: 'red' } }), 400);
    assert.match(res.body.NeutronError.message, /colour/);
    await fails(api.post('/v2.0/ports', { port: { network_id: net.id, flavour: 'x' } }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: { colour: 'red' } }), 400);
    await fails(api.post('/v2.0/networks', { network: { constructor: 1 } }), 400);
    await fails(api.post('/v2.0/networks', '{"network": {"__proto__": {"name": "x"}}}'), 400);
  });

  it('a bad UUID in network_id is a 400 naming the attribute', async () => {
    const res = await fails(api.post('/v2.0/ports', { port: { network_id: 'not-a-uuid' } }), 400);
    assert.match(res.body.NeutronError.message, /network_id/);
    await fails(api.post('/v2.0/subnets', { subnet: { network_id: 'not-a-uuid', ip_version: 4, cidr: '10.1.0.0/24' } }), 400);
    await fails(api.post('/v2.0/ports', { port: { network_id: 12 } }), 400);
  });

  it('a valid UUID naming no network is a 404 NetworkNotFound', async () => {
    await fails(api.post('/v2.0/ports', { port: { network_id: MISSING } }), 404, 'NetworkNotFound');
    await fails(api.post('/v2.0/subnets', { subnet: { network_id: MISSING, ip_version: 4, cidr: '10.1.0.0/24' } }), 404, 'NetworkNotFound');
  });

  it('a bad enum value is a 400', async () => {
    await fails(api.post('/v2.0/ports', { port: { network_id: net.id, 'binding:vnic_type': 'warp' } }), 400);
    const sg = await api.create('security-groups', 'security_group', { name: 'errors-sg' });
    await fails(api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'sideways' } }), 400);
    await fails(api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv5' } }), 400);
    await fails(api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 5, cidr: '10.1.0.0/24' } }), 400);
    await fails(api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: '2001:db8::/64', ipv6_ra_mode: 'bogus' } }), 400);
  });

  it('other bad values are 400s', async () => {
    await fails(api.post('/v2.0/networks', { network: { admin_state_up: 'perhaps' } }), 400);
    await fails(api.post('/v2.0/networks', { network: { name: 'x'.repeat(256) } }), 400);
    await fails(api.post('/v2.0/networks', { network: { mtu: 'big' } }), 400);
    await fails(api.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: 'not-a-cidr' } }), 400);
    await fails(api.post('/v2.0/ports', { port: { network_id: net.id, mac_address: 'zz:zz' } }), 400);
  });

  it('a missing required attribute is a 400 naming it', async () => {
    const res = await fails(api.post('/v2.0/ports', { port: {} }), 400);
    assert.match(res.body.NeutronError.message, /network_id/);
  });

  it('an empty bulk list is a 400, and a bulk with a bad item creates nothing', async () => {
    const before = await networkCount();
    await fails(api.post('/v2.0/networks', { networks: [] }), 400);
    await fails(api.post('/v2.0/networks', { networks: {} }), 400);
    await fails(api.post('/v2.0/networks', { networks: [1] }), 400);
    await fails(api.post('/v2.0/networks', { networks: [{ name: 'bulk-ok' }, { name: 'bulk-bad', colour: 'red' }] }), 400);
    assert.equal(await networkCount(), before);
  });
});

describe('updates', () => {
  let net: Record<string, any>;
  before(async () => { net = await api.create('networks', 'network', { name: 'errors-update' }); });

  it('PUT with no body is a 400', async () => {
    await fails(api.request('PUT', `/v2.0/networks/${net.id}`), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, ''), 400);
  });

  it('PUT without the resource key or with a non-object is a 400', async () => {
    await fails(api.put(`/v2.0/networks/${net.id}`, { subnet: {} }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: [] }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, [1]), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, '{"network": '), 400);
  });

  it('PUT of a read-only attribute (id, status, created_at...) is a 400', async () => {
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: { id: MISSING } }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: { status: 'DOWN' } }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: { revision_number: 9 } }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: { created_at: '2000-01-01T00:00:00Z' } }), 400);
    await fails(api.put(`/v2.0/networks/${net.id}`, { network: { project_id: 'someone-else' } }), 400);
    const port = await api.create('ports', 'port', { network_id: net.id });
    await fails(api.put(`/v2.0/ports/${port.id}`, { port: { network_id: MISSING } }), 400);
    await fails(api.put(`/v2.0/ports/${port.id}`, { port: { status: 'ACTIVE' } }), 400);
  });

  it('a refused update changed nothing', async () => {
    const res = await api.get(`/v2.0/networks/${net.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.network.id, net.id);
    assert.equal(res.body.network.status, 'ACTIVE');
    assert.equal(res.body.network.name, 'errors-update');
    assert.equal(res.body.network.revision_number, net.revision_number);
  });
});

describe('not found', () => {
  it('unknown ids are 404s typed by resource, for GET, PUT and DELETE', async () => {
    await fails(api.get(`/v2.0/networks/${MISSING}`), 404, 'NetworkNotFound');
    await fails(api.get(`/v2.0/ports/${MISSING}`), 404, 'PortNotFound');
    await fails(api.get(`/v2.0/subnets/${MISSING}`), 404, 'SubnetNotFound');
    await fails(api.get(`/v2.0/routers/${MISSING}`), 404, 'RouterNotFound');
    await fails(api.get(`/v2.0/security-groups/${MISSING}`), 404, 'SecurityGroupNotFound');
    await fails(api.put(`/v2.0/networks/${MISSING}`, { network: { name: 'x' } }), 404, 'NetworkNotFound');
    await fails(api.put(`/v2.0/ports/${MISSING}`, { port: { name: 'x' } }), 404, 'PortNotFound');
    await fails(api.put(`/v2.0/subnets/${MISSING}`, { subnet: { name: 'x' } }), 404, 'SubnetNotFound');
    await fails(api.delete(`/v2.0/networks/${MISSING}`), 404, 'NetworkNotFound');
    await fails(api.delete(`/v2.0/ports/${MISSING}`), 404, 'PortNotFound');
    await fails(api.delete(`/v2.0/subnets/${MISSING}`), 404, 'SubnetNotFound');
  });

  it('an id that is not even a UUID is still the resource\'s 404', async () => {
    await fails(api.get('/v2.0/networks/not-a-uuid'), 404, 'NetworkNotFound');
    await fails(api.get('/v2.0/ports/not-a-uuid'), 404, 'PortNotFound');
  });

  it('a deleted resource is a 404 afterwards', async () => {
    const n = await api.create('networks', 'network', {});
    assert.equal((await api.delete(`/v2.0/networks/${n.id}`)).status, 204);
    await fails(api.get(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
    await fails(api.delete(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
  });

  it('unknown paths are NeutronError 404s', async () => {
    await fails(api.get('/v2.0/flavors'), 404);
    await fails(api.get('/v3/networks'), 404);
    await fails(api.get('/nothing/here'), 404);
    await fails(api.post('/v2.0/unicorns', { unicorn: {} }), 404);
    await fails(api.get(`/v2.0/networks/${MISSING}/nonsense`), 404);
  });
});

describe('oversized bodies', () => {
  it('a body over 1 MiB (a 2 MiB name) is a 413 NeutronError and creates nothing', async () => {
    const before = await networkCount();
    await fails(api.post('/v2.0/networks', { network: { name: 'x'.repeat(2 * 1024 * 1024) } }), 413);
    const n = await api.create('networks', 'network', {});
    await fails(api.put(`/v2.0/networks/${n.id}`, { network: { description: 'y'.repeat(2 * 1024 * 1024) } }), 413);
    assert.equal(await networkCount(), before + 1);
    assert.equal((await api.get(`/v2.0/networks/${n.id}`)).body.network.description, '');
  });

  it('an oversized chunked body (no Content-Length) is a 413 too', async () => {
    const url = new URL('/v2.0/networks', api.url);
    const res = await new Promise<ApiResponse>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => { text += c; });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: new Headers(r.headers as Record<string, string>), body: JSON.parse(text) }));
      });
      req.on('error', (e) => (e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e));
      req.write('{"network": {"name": "');
      for (let i = 0; i < 32; i++) req.write('z'.repeat(64 * 1024));
      req.end('"}}');
    });
    await fails(Promise.resolve(res), 413);
  });

  it('a body just under the limit is read (and refused only on its merits)', async () => {
    // ~1000 KB: parsed, then the 255-character limit on name refuses it as a 400, not a 413.
    await fails(api.post('/v2.0/networks', { network: { name: 'x'.repeat(1000 * 1024) } }), 400);
  });
});

describe('after all that', () => {
  it('the server still answers GET / and lists', async () => {
    const res = await api.get('/');
    assert.equal(res.status, 200);
    assert.equal(res.body.versions[0].id, 'v2.0');
    assert.equal((await api.get('/v2.0/networks')).status, 200);
    const n = await api.create('networks', 'network', { name: 'still-alive' });
    assert.equal(n.name, 'still-alive');
  });
});

describe("routers' faults in Neutron's words", () => {
  it("external_gateway_info is checked as Neutron's validate_dict; a router with interfaces names them", async () => {
    const ext = await api.create('networks', 'network', { name: 'ext-faults', 'router:external': true });
    const noNet = await fails(api.post('/v2.0/routers', { router: { external_gateway_info: { enable_snat: true } } }), 400, 'HTTPBadRequest');
    assert.equal(noNet.body.NeutronError.message, "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {'enable_snat'}.");
    const extra = await fails(api.post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, foo: 1 } } }), 400, 'HTTPBadRequest');
    assert.equal(extra.body.NeutronError.message, 'Invalid input for external_gateway_info. Reason: Unexpected keys supplied: foo.');
    const r = await api.create('routers', 'router', {});
    const n = await api.create('networks', 'network', {});
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.65.0.0/24' });
    const added = await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id });
    const inUse = await fails(api.delete(`/v2.0/routers/${r.id}`), 409, 'RouterInUse');
    assert.equal(inUse.body.NeutronError.message, `Router ${r.id} has ports still attached: ${added.body.port_id}`);
  });
});
