/**
 * RBAC policies on networks (rbac-policies), as Neutron answers them: CRUD, errors, and what a
 * policy lets its target (and only its target) see and do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'cccccccccccccccccccccccccccccccc';

function policy(objectId: string, target: string, action = 'access_as_shared'): { rbac_policy: Record<string, unknown> } {
  return { rbac_policy: { object_type: 'network', object_id: objectId, action, target_tenant: target } };
}

describe('rbac-policies', () => {
  let t: TestServer;
  let a: Api;
  let b: Api;
  let c: Api;
  before(async () => {
    t = await startTestServer();
    a = t.api.as(A);
    b = t.api.as(B);
    c = t.api.as(C);
  });
  after(async () => { await t?.close(); });

  it('is listed as the rbac-policies extension', async () => {
    const aliases = (await t.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(aliases.includes('rbac-policies'));
  });

  it('creates, shows, lists, updates target_tenant and deletes, with Neutron bodies', async () => {
    const net = await a.create('networks', 'network', { name: 'crud' });
    const res = await a.post('/v2.0/rbac-policies', policy(net.id, B));
    assert.equal(res.status, 201);
    const p = res.body.rbac_policy;
    assert.deepEqual(Object.keys(p), ['id', 'project_id', 'action', 'object_id', 'target_tenant', 'object_type', 'tenant_id']);
    assert.deepEqual({ ...p, id: undefined }, {
      id: undefined, project_id: A, action: 'access_as_shared', object_id: net.id, target_tenant: B, object_type: 'network', tenant_id: A,
    });
    // As Neutron: the network moves to a new revision.
    assert.equal((await a.get(`/v2.0/networks/${net.id}`)).body.network.revision_number, net.revision_number + 1);
    assert.deepEqual((await a.get(`/v2.0/rbac-policies/${p.id}`)).body.rbac_policy, p);
    assert.deepEqual((await a.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, [p]);
    // A member sees only its own project's policies, not those that target it.
    assert.deepEqual((await b.get('/v2.0/rbac-policies')).body.rbac_policies, []);
    await expectError(b.get(`/v2.0/rbac-policies/${p.id}`), 404, 'RbacPolicyNotFound');
    await expectError(b.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: C } }), 404, 'RbacPolicyNotFound');
    await expectError(b.delete(`/v2.0/rbac-policies/${p.id}`), 404, 'RbacPolicyNotFound');

    const upd = await a.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: C } });
    assert.equal(upd.status, 200);
    assert.deepEqual(upd.body.rbac_policy, { ...p, target_tenant: C });
    await expectError(a.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { action: 'access_as_external' } }), 400, 'HTTPBadRequest');
    await expectError(a.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { object_id: net.id } }), 400, 'HTTPBadRequest');
    assert.equal((await c.get(`/v2.0/networks/${net.id}`)).status, 200);
    assert.equal((await b.get(`/v2.0/networks/${net.id}`)).status, 404);

    assert.equal((await a.delete(`/v2.0/rbac-policies/${p.id}`)).status, 204);
    await expectError(a.get(`/v2.0/rbac-policies/${p.id}`), 404, 'RbacPolicyNotFound');
    await expectError(a.delete(`/v2.0/rbac-policies/${p.id}`), 404, 'RbacPolicyNotFound');
    assert.equal((await c.get(`/v2.0/networks/${net.id}`)).status, 404);
  });

  it("answers Neutron's errors", async () => {
    const net = await a.create('networks', 'network', { name: 'errors' });
    await a.create('rbac-policies', 'rbac_policy', policy(net.id, B).rbac_policy);
    const dup = await expectError(a.post('/v2.0/rbac-policies', policy(net.id, B)), 409, 'DuplicateRbacPolicy');
    assert.equal(dup.body.NeutronError.message, 'An RBAC policy already exists with those values.');
    const bad = await expectError(a.post('/v2.0/rbac-policies', policy(net.id, B, 'bogus')), 400, 'InvalidActionForType');
    assert.equal(bad.body.NeutronError.message, "Invalid action 'bogus' for object type 'network'. Valid actions: ('access_as_shared', 'access_as_external')");
    const qos = { rbac_policy: { ...policy(net.id, B).rbac_policy, object_type: 'qos_policy' } };
    await expectError(a.post('/v2.0/rbac-policies', qos), 400, 'InvalidInput');
    await expectError(a.post('/v2.0/rbac-policies', policy('11111111-1111-1111-1111-111111111111', B)), 400, 'InvalidInput');
    await expectError(a.post('/v2.0/rbac-policies', policy('not-a-uuid', B)), 400, 'HTTPBadRequest');
    const missing = await expectError(a.post('/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_shared' } }), 400, 'HTTPBadRequest');
    assert.equal(missing.body.NeutronError.message, "Failed to parse request. Required attribute 'target_tenant' not specified");
    await expectError(a.post('/v2.0/rbac-policies', { rbac_policy: { ...policy(net.id, C).rbac_policy, bogus: 1 } }), 400, 'HTTPBadRequest');
    // Someone else's network, visible or not: Neutron's InvalidInput.
    const notMine = await expectError(c.post('/v2.0/rbac-policies', policy(net.id, C)), 400, 'InvalidInput');
    assert.match(notMine.body.NeutronError.message, /Only admins can manipulate policies on objects they do not own/);
    await expectError(b.post('/v2.0/rbac-policies', policy(net.id, C)), 400, 'InvalidInput');
    // Only an admin shares with everyone.
    await expectError(a.post('/v2.0/rbac-policies', policy(net.id, '*')), 403, 'PolicyNotAuthorized');
    const wild = await t.api.create('rbac-policies', 'rbac_policy', policy(net.id, '*').rbac_policy);
    assert.equal(wild.project_id, 'admin');
    assert.equal((await a.get(`/v2.0/networks/${net.id}`)).body.network.shared, true);
    assert.equal((await a.delete(`/v2.0/rbac-policies/${wild.id}`)).status, 404);
    assert.equal((await t.api.delete(`/v2.0/rbac-policies/${wild.id}`)).status, 204);
    assert.equal((await a.get(`/v2.0/networks/${net.id}`)).body.network.shared, false);
  });

  it('shares a network with B only: B sees it (shared), its subnets, makes ports; C sees nothing; in use until B is gone', async () => {
    const net = await a.create('networks', 'network', { name: 'to-b' });
    const sub = await a.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' });
    await expectError(b.get(`/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
    const p = await a.create('rbac-policies', 'rbac_policy', policy(net.id, B).rbac_policy);

    const seen = (await b.get(`/v2.0/networks/${net.id}`)).body.network;
    assert.equal(seen.shared, true);
    assert.deepEqual(seen.subnets, [sub.id]);
    assert.equal((await a.get(`/v2.0/networks/${net.id}`)).body.network.shared, false, 'the owner sees it unshared');
    assert.equal((await t.api.get(`/v2.0/networks/${net.id}`)).body.network.shared, false);
    const listed = (await b.get('/v2.0/networks')).body.networks.filter((n: { id: string }) => n.id === net.id);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].shared, true);
    assert.deepEqual((await b.get('/v2.0/subnets')).body.subnets.map((s: { id: string }) => s.id), [sub.id]);
    // The shared filter, as each caller sees shared (Neutron's answers).
    const ids = async (api: Api, q: string) => (await api.get(`/v2.0/networks?id=${net.id}&${q}`)).body.networks.map((n: { id: string }) => n.id);
    assert.deepEqual(await ids(b, 'shared=true'), [net.id]);
    assert.deepEqual(await ids(b, 'shared=false'), []);
    assert.deepEqual(await ids(a, 'shared=false'), [net.id]);
    assert.deepEqual(await ids(a, 'shared=true'), []);
    assert.deepEqual(await ids(b, 'shared=true&shared=false'), [net.id]);
    const subs = async (api: Api, q: string) => (await api.get(`/v2.0/subnets?network_id=${net.id}&${q}`)).body.subnets.map((s: { id: string }) => s.id);
    assert.deepEqual(await subs(b, 'shared=true'), [sub.id]);
    assert.deepEqual(await subs(b, 'shared=false'), []);
    assert.deepEqual(await subs(a, 'shared=false'), [sub.id]);
    assert.deepEqual(await subs(t.api, 'shared=false'), [sub.id]);
    assert.equal((await b.get(`/v2.0/subnets/${sub.id}`)).status, 200);

    await expectError(c.get(`/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
    await expectError(c.get(`/v2.0/subnets/${sub.id}`), 404, 'SubnetNotFound');
    assert.equal((await c.get('/v2.0/networks')).body.networks.some((n: { id: string }) => n.id === net.id), false);
    assert.deepEqual((await c.get('/v2.0/subnets')).body.subnets, []);
    await expectError(c.post('/v2.0/ports', { port: { network_id: net.id } }), 404, 'NetworkNotFound');

    const port = await b.create('ports', 'port', { network_id: net.id });
    assert.equal(port.fixed_ips[0].subnet_id, sub.id);
    // Taking B's access away while B has a port there: Neutron's 409, for a delete and an update.
    const inUse = await expectError(a.delete(`/v2.0/rbac-policies/${p.id}`), 409, 'RbacPolicyInUse');
    assert.match(inUse.body.NeutronError.message, new RegExp(`^RBAC policy on object ${net.id} cannot be removed because other objects depend on it.`));
    await expectError(a.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: C } }), 409, 'RbacPolicyInUse');
    // A wildcard beside it covers B: the targeted one may go, and the wildcard may not while B is there.
    const wild = await t.api.create('rbac-policies', 'rbac_policy', policy(net.id, '*').rbac_policy);
    assert.equal((await a.delete(`/v2.0/rbac-policies/${p.id}`)).status, 204);
    await expectError(t.api.delete(`/v2.0/rbac-policies/${wild.id}`), 409, 'RbacPolicyInUse');
    await expectError(t.api.put(`/v2.0/networks/${net.id}`, { network: { shared: false } }), 409, 'InvalidSharedSetting');
    // With a policy of its own, B no longer needs the wildcard.
    const again = await a.create('rbac-policies', 'rbac_policy', policy(net.id, B).rbac_policy);
    assert.equal((await t.api.put(`/v2.0/networks/${net.id}`, { network: { shared: false } })).status, 200);
    assert.deepEqual((await t.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies.map((x: { id: string }) => x.id), [again.id]);

    assert.equal((await b.delete(`/v2.0/ports/${port.id}`)).status, 204);
    assert.equal((await a.delete(`/v2.0/rbac-policies/${again.id}`)).status, 204);
    await expectError(b.get(`/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
    await expectError(b.get(`/v2.0/subnets/${sub.id}`), 404, 'SubnetNotFound');
    await expectError(b.post('/v2.0/ports', { port: { network_id: net.id } }), 404, 'NetworkNotFound');
  });

  it('shared: true is a wildcard access_as_shared policy of the network, listed as one; shared: false removes it', async () => {
    const net = await t.api.create('networks', 'network', { name: 'wild', shared: true, project_id: A });
    const policies = (await t.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies;
    assert.equal(policies.length, 1);
    assert.deepEqual({ ...policies[0], id: undefined }, {
      id: undefined, project_id: A, action: 'access_as_shared', object_id: net.id, target_tenant: '*', object_type: 'network', tenant_id: A,
    });
    assert.equal((await c.get(`/v2.0/networks/${net.id}`)).body.network.shared, true);
    assert.equal((await t.api.put(`/v2.0/networks/${net.id}`, { network: { shared: false } })).status, 200);
    assert.deepEqual((await t.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
    await expectError(c.get(`/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
    assert.equal((await t.api.put(`/v2.0/networks/${net.id}`, { network: { shared: true } })).status, 200);
    assert.equal((await t.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies.length, 1);
    // The network takes its policies with it.
    assert.equal((await t.api.delete(`/v2.0/networks/${net.id}`)).status, 204);
    assert.deepEqual((await t.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
  });

  it('access_as_external to B: the network is external, B (only) sees it and makes a floating IP and a router gateway on it', async () => {
    const ext = await a.create('networks', 'network', { name: 'ext-b' });
    await a.create('subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr: '198.51.100.0/24' });
    const p = await a.create('rbac-policies', 'rbac_policy', policy(ext.id, B, 'access_as_external').rbac_policy);
    const asA = (await a.get(`/v2.0/networks/${ext.id}`)).body.network;
    assert.equal(asA['router:external'], true);
    assert.equal(asA.shared, false);
    const asB = (await b.get(`/v2.0/networks/${ext.id}`)).body.network;
    assert.equal(asB['router:external'], true);
    assert.equal(asB.shared, false);
    assert.equal(asB.revision_number, asA.revision_number);
    await expectError(c.get(`/v2.0/networks/${ext.id}`), 404, 'NetworkNotFound');
    assert.equal((await c.get('/v2.0/networks?router:external=true')).body.networks.some((n: { id: string }) => n.id === ext.id), false);

    // Seen, but not shared: no ports of B's own on it (Neutron's 403).
    const noPort = await expectError(b.post('/v2.0/ports', { port: { network_id: ext.id } }), 403, 'HTTPForbidden');
    assert.equal(noPort.body.NeutronError.message, `Tenant ${B} not allowed to create port on this network`);
    assert.deepEqual((await b.get(`/v2.0/subnets?network_id=${ext.id}`)).body.subnets, []);
    const fip = await b.create('floatingips', 'floatingip', { floating_network_id: ext.id });
    assert.equal(fip.floating_network_id, ext.id);
    await expectError(c.post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } }), 404);
    const router = await b.create('routers', 'router', { name: 'r', external_gateway_info: { network_id: ext.id } });
    assert.equal(router.external_gateway_info.network_id, ext.id);
    await expectError(c.post('/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } }), 404);

    // B's router gateway depends on the policy.
    const used = await expectError(a.delete(`/v2.0/rbac-policies/${p.id}`), 409, 'RbacPolicyInUse');
    assert.match(used.body.NeutronError.message, /There are routers attached to this network that depend on this policy for access\.$/);
    assert.equal((await b.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: {} } })).status, 200);
    assert.equal((await b.delete(`/v2.0/floatingips/${fip.id}`)).status, 204);
    assert.equal((await a.delete(`/v2.0/rbac-policies/${p.id}`)).status, 204);
    // The last access_as_external policy gone, the network is no longer external.
    assert.equal((await a.get(`/v2.0/networks/${ext.id}`)).body.network['router:external'], false);
    await expectError(b.get(`/v2.0/networks/${ext.id}`), 404, 'NetworkNotFound');
  });

  it('router:external: true is a wildcard access_as_external policy; false removes every access_as_external one', async () => {
    const ext = await t.api.create('networks', 'network', { name: 'public', 'router:external': true });
    const listed = (await t.api.get(`/v2.0/rbac-policies?object_id=${ext.id}`)).body.rbac_policies;
    assert.deepEqual(listed.map((x: Record<string, unknown>) => [x.action, x.target_tenant]), [['access_as_external', '*']]);
    assert.equal((await c.get(`/v2.0/networks/${ext.id}`)).body.network['router:external'], true);
    await t.api.create('rbac-policies', 'rbac_policy', policy(ext.id, B, 'access_as_external').rbac_policy);
    assert.equal((await t.api.put(`/v2.0/networks/${ext.id}`, { network: { 'router:external': false } })).status, 200);
    assert.deepEqual((await t.api.get(`/v2.0/rbac-policies?object_id=${ext.id}`)).body.rbac_policies, []);
    await expectError(c.get(`/v2.0/networks/${ext.id}`), 404, 'NetworkNotFound');
    await expectError(b.get(`/v2.0/networks/${ext.id}`), 404, 'NetworkNotFound');
  });

  it("the default external network's wildcard access_as_external may not be deleted nor retargeted (409)", async () => {
    const ext = await t.api.create('networks', 'network', { name: 'default-public', 'router:external': true, is_default: true });
    const [wildcard] = (await t.api.get(`/v2.0/rbac-policies?object_id=${ext.id}&action=access_as_external&target_tenant=*`)).body.rbac_policies;
    const refused = await expectError(t.api.delete(`/v2.0/rbac-policies/${wildcard.id}`), 409, 'RbacPolicyInUse');
    assert.match(refused.body.NeutronError.message, /Default external networks must be shared to everyone/);
    await expectError(t.api.put(`/v2.0/rbac-policies/${wildcard.id}`, { rbac_policy: { target_tenant: B } }), 409, 'RbacPolicyInUse');
    assert.equal((await c.get(`/v2.0/networks/${ext.id}`)).body.network['router:external'], true);
    // No longer the default, it is an ordinary external network again.
    assert.equal((await t.api.put(`/v2.0/networks/${ext.id}`, { network: { is_default: false } })).status, 200);
    assert.equal((await t.api.delete(`/v2.0/rbac-policies/${wildcard.id}`)).status, 204);
  });

  it("the network's owner reads and deletes a port B made on it, but does not change it; C does none of that", async () => {
    const net = await a.create('networks', 'network', { name: 'owner-port' });
    await a.create('subnets', 'subnet', { network_id: net.id, cidr: '10.71.0.0/24', ip_version: 4 });
    assert.equal((await a.post('/v2.0/rbac-policies', policy(net.id, B))).status, 201);
    const port = await b.create('ports', 'port', { network_id: net.id, name: 'b-port' });
    assert.equal((await a.get(`/v2.0/ports/${port.id}`)).body.port.name, 'b-port');
    assert.ok((await a.get(`/v2.0/ports?network_id=${net.id}`)).body.ports.some((p: { id: string }) => p.id === port.id));
    await expectError(a.put(`/v2.0/ports/${port.id}`, { port: { name: 'taken' } }), 403, 'PolicyNotAuthorized');
    await expectError(c.get(`/v2.0/ports/${port.id}`), 404, 'PortNotFound');
    await expectError(c.delete(`/v2.0/ports/${port.id}`), 404, 'PortNotFound');
    assert.equal((await a.delete(`/v2.0/ports/${port.id}`)).status, 204);
    await expectError(b.get(`/v2.0/ports/${port.id}`), 404, 'PortNotFound');
  });

  it("counts against the rbac_policy quota (Neutron's default 10)", async () => {
    const q = 'dddddddddddddddddddddddddddddddd';
    const d = t.api.as(q);
    const net = await d.create('networks', 'network', { name: 'quota' });
    for (let i = 0; i < 10; i++) await d.create('rbac-policies', 'rbac_policy', policy(net.id, `target-${i}`).rbac_policy);
    const over = await expectError(d.post('/v2.0/rbac-policies', policy(net.id, 'target-10')), 409, 'OverQuota');
    assert.equal(over.body.NeutronError.message, "Quota exceeded for resources: ['rbac_policy'].");
    const details = (await d.get(`/v2.0/quotas/${q}/details`)).body.quota;
    assert.equal(details.rbac_policy.used, 10);
  });
});
