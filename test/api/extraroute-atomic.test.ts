/**
 * extraroute-atomic (`openstack router add route` uses it): routes added to and removed from a
 * router's own set, Neutron's merge (exact duplicates are one route), and no update lost when many
 * clients add routes at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
let router: Record<string, any>;
before(async () => {
  t = await startTestServer();
  api = t.api;
  const net = await api.create('networks', 'network', { name: 'er' });
  const sub = await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 });
  router = await api.create('routers', 'router', { name: 'er' });
  assert.equal((await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id })).status, 200);
});
after(async () => { await t.close(); });

const sorted = (rs: Array<{ destination: string; nexthop: string }>) => rs.map((r) => `${r.destination}>${r.nexthop}`).sort();

describe('extraroute-atomic', () => {
  it('is listed, adds routes to the set (an exact duplicate once), removes them (a missing one is no error)', async () => {
    const ext = (await api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(ext.includes('extraroute-atomic'));
    let r = await api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [
      { destination: '10.1.0.0/24', nexthop: '10.77.0.10' }, { destination: '10.1.0.0/24', nexthop: '10.77.0.11' },
    ] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.router.id, router.id);
    r = await api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [
      { destination: '10.1.0.0/24', nexthop: '10.77.0.10' }, { destination: '10.2.0.0/24', nexthop: '10.77.0.12' },
    ] } });
    assert.deepEqual(sorted(r.body.router.routes), ['10.1.0.0/24>10.77.0.10', '10.1.0.0/24>10.77.0.11', '10.2.0.0/24>10.77.0.12']);
    r = await api.put(`/v2.0/routers/${router.id}/remove_extraroutes`, { router: { routes: [
      { destination: '10.1.0.0/24', nexthop: '10.77.0.11' }, { destination: '10.9.0.0/24', nexthop: '10.77.0.99' },
    ] } });
    assert.equal(r.status, 200);
    assert.deepEqual(sorted(r.body.router.routes), ['10.1.0.0/24>10.77.0.10', '10.2.0.0/24>10.77.0.12']);
    assert.deepEqual(sorted((await api.get(`/v2.0/routers/${router.id}`)).body.router.routes), sorted(r.body.router.routes));
  });

  it('validates as an update of routes does: a nexthop off the router\'s subnets is 400, a bad body 400, another project\'s router 404', async () => {
    await expectError(api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [{ destination: '10.3.0.0/24', nexthop: '192.0.2.1' }] } }), 400, 'InvalidRoutes');
    await expectError(api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { routes: [] }), 400);
    await expectError(api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [{ destination: 'x' }] } }), 400);
    await expectError(api.as('someone-else').put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [] } }), 404);
    // A destination with host bits is no route (validate_hostroutes), and nothing is added.
    const before = (await api.get(`/v2.0/routers/${router.id}`)).body.router.routes;
    const host = await expectError(api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [{ destination: '10.4.0.9/24', nexthop: '10.77.0.10' }] } }), 400, 'HTTPBadRequest');
    assert.match(host.body.NeutronError.message, /'10\.4\.0\.9\/24' is not a recognized CIDR, '10\.4\.0\.0\/24' is recommended/);
    assert.deepEqual((await api.get(`/v2.0/routers/${router.id}`)).body.router.routes, before);
  });

  it('20 clients adding a route each at once: all 20 are there (none lost to another\'s write)', async () => {
    await api.put(`/v2.0/routers/${router.id}`, { router: { routes: [] } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      api.put(`/v2.0/routers/${router.id}/add_extraroutes`, { router: { routes: [{ destination: `10.100.${i}.0/24`, nexthop: '10.77.0.10' }] } })));
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    const routes = (await api.get(`/v2.0/routers/${router.id}`)).body.router.routes;
    assert.equal(routes.length, 20);
  });
});
