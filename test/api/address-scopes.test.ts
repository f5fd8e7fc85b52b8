/**
 * Address scopes (address-scope), as Neutron answers them: CRUD with its bodies, shared scopes
 * seen by every project, the policy's 403 and 404, a scope in use, the checks on a pool's scope,
 * and a network's ipv4_address_scope / ipv6_address_scope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ZERO = '00000000-0000-4000-8000-000000000000';

describe('address scopes', () => {
  let t: TestServer;
  let a: Api;
  let b: Api;
  before(async () => {
    t = await startTestServer();
    a = t.api.as(A);
    b = t.api.as(B);
  });
  after(async () => { await t?.close(); });

  it('are listed as the address-scope, rbac-address-scope and subnetpool-prefix-ops extensions', async () => {
    const aliases = (await t.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(aliases.includes('address-scope'));
    assert.ok(aliases.includes('subnetpool-prefix-ops'));
    assert.ok(aliases.includes('rbac-address-scope'));
  });

  it('are created, shown, listed, renamed and deleted with Neutron\'s attributes only', async () => {
    const scope = await a.create('address-scopes', 'address_scope', { name: 's4', ip_version: 4 });
    assert.deepEqual(Object.keys(scope).sort(), ['id', 'ip_version', 'name', 'project_id', 'shared', 'tenant_id']);
    assert.equal(scope.project_id, A);
    assert.equal(scope.shared, false);
    assert.deepEqual((await a.get(`/v2.0/address-scopes/${scope.id}`)).body.address_scope, scope);
    const unnamed = await a.create('address-scopes', 'address_scope', { ip_version: 6 });
    assert.equal(unnamed.name, '');
    const listed = (await a.get('/v2.0/address-scopes?ip_version=4')).body.address_scopes.map((s: { id: string }) => s.id);
    assert.deepEqual(listed, [scope.id]);
    const renamed = (await a.put(`/v2.0/address-scopes/${scope.id}`, { address_scope: { name: 'r' } })).body.address_scope;
    assert.equal(renamed.name, 'r');
    await expectError(a.put(`/v2.0/address-scopes/${scope.id}`, { address_scope: { ip_version: 6 } }), 400);
    assert.equal((await a.delete(`/v2.0/address-scopes/${scope.id}`)).status, 204);
    await expectError(a.get(`/v2.0/address-scopes/${scope.id}`), 404, 'AddressScopeNotFound');
  });

  it('refuses what Neutron refuses', async () => {
    await expectError(a.post('/v2.0/address-scopes', { address_scope: { name: 'x' } }), 400);
    const r = await expectError(a.post('/v2.0/address-scopes', { address_scope: { name: 'x', ip_version: 5 } }), 400);
    assert.equal(r.body.NeutronError.message, 'Invalid input for ip_version. Reason: 5 is not in valid_values.');
    const s = await expectError(a.post('/v2.0/address-scopes', { address_scope: { name: 'x', ip_version: 'four' } }), 400, 'InvalidInput');
    assert.equal(s.body.NeutronError.message, "Invalid input for operation: 'four' is not an integer.");
    await expectError(a.post('/v2.0/address-scopes', { address_scope: { name: 'x', ip_version: 4, shared: true } }), 403, 'PolicyNotAuthorized');
    await expectError(a.post('/v2.0/address-scopes', { address_scope: { name: 'x', ip_version: 4, description: 'd' } }), 400);
    const mine = await a.create('address-scopes', 'address_scope', { name: 'm', ip_version: 4 });
    await expectError(a.put(`/v2.0/address-scopes/${mine.id}`, { address_scope: { shared: true } }), 403, 'PolicyNotAuthorized');
  });

  it('a shared scope is seen by every project and changed by its owner or an admin only; it is not unshared', async () => {
    const shared = await t.api.create('address-scopes', 'address_scope', { name: 'shared', ip_version: 4, shared: true, project_id: A });
    const hidden = await a.create('address-scopes', 'address_scope', { name: 'hidden', ip_version: 4 });
    assert.equal((await b.get(`/v2.0/address-scopes/${shared.id}`)).body.address_scope.shared, true);
    await expectError(b.get(`/v2.0/address-scopes/${hidden.id}`), 404, 'AddressScopeNotFound');
    const seen = (await b.get('/v2.0/address-scopes')).body.address_scopes.map((s: { id: string }) => s.id);
    assert.ok(seen.includes(shared.id) && !seen.includes(hidden.id));
    await expectError(b.put(`/v2.0/address-scopes/${shared.id}`, { address_scope: { name: 'x' } }), 403, 'PolicyNotAuthorized');
    await expectError(b.delete(`/v2.0/address-scopes/${shared.id}`), 403, 'PolicyNotAuthorized');
    await expectError(b.delete(`/v2.0/address-scopes/${hidden.id}`), 404, 'AddressScopeNotFound');
    await expectError(t.api.as(A, 'reader').put(`/v2.0/address-scopes/${hidden.id}`, { address_scope: { name: 'x' } }), 403);
    const r = await expectError(t.api.put(`/v2.0/address-scopes/${shared.id}`, { address_scope: { shared: false } }), 400, 'AddressScopeUpdateError');
    assert.equal(r.body.NeutronError.message, `Unable to update address scope ${shared.id} : Shared address scope can't be unshared.`);
    const nowShared = (await t.api.put(`/v2.0/address-scopes/${hidden.id}`, { address_scope: { shared: true } })).body.address_scope;
    assert.equal(nowShared.shared, true);
    assert.equal((await b.get(`/v2.0/address-scopes/${hidden.id}`)).status, 200);
  });

  it('a pool joins a scope it sees of its IP version, without overlapping the scope\'s other pools', async () => {
    const s4 = await a.create('address-scopes', 'address_scope', { name: 'p4', ip_version: 4 });
    const s6 = await a.create('address-scopes', 'address_scope', { name: 'p6', ip_version: 6 });
    let r = await expectError(a.post('/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.1.0.0/16'], address_scope_id: ZERO } }), 404, 'AddressScopeNotFound');
    assert.equal(r.body.NeutronError.message, `Address scope ${ZERO} could not be found.`);
    // Another project's private scope is not found either.
    await expectError(b.post('/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.1.0.0/16'], address_scope_id: s4.id } }), 404, 'AddressScopeNotFound');
    await expectError(a.post('/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.1.0.0/16'], address_scope_id: s6.id } }), 400, 'IllegalSubnetPoolIpVersionAssociationToAddressScope');
    const p1 = await a.create('subnetpools', 'subnetpool', { name: 'p1', prefixes: ['10.1.0.0/16'], address_scope_id: s4.id });
    assert.equal(p1.address_scope_id, s4.id);
    r = await expectError(a.post('/v2.0/subnetpools', { subnetpool: { name: 'p2', prefixes: ['10.1.128.0/20'], address_scope_id: s4.id } }), 409, 'AddressScopePrefixConflict');
    assert.equal(r.body.NeutronError.message, 'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.');
    const p2 = await a.create('subnetpools', 'subnetpool', { name: 'p2', prefixes: ['10.1.128.0/20'] });
    await expectError(a.put(`/v2.0/subnetpools/${p2.id}`, { subnetpool: { address_scope_id: s4.id } }), 409, 'AddressScopePrefixConflict');
    // Growing into a scope neighbour's space, by update or add_prefixes, is refused the same way.
    const p3 = await a.create('subnetpools', 'subnetpool', { name: 'p3', prefixes: ['10.2.0.0/16'], address_scope_id: s4.id });
    await expectError(a.put(`/v2.0/subnetpools/${p3.id}/add_prefixes`, { prefixes: ['10.1.0.0/24'] }), 409, 'AddressScopePrefixConflict');
    await expectError(a.put(`/v2.0/subnetpools/${p3.id}`, { subnetpool: { prefixes: ['10.0.0.0/14'] } }), 409, 'AddressScopePrefixConflict');
    // The pool leaves the scope, and the scope is free to go.
    r = await expectError(a.delete(`/v2.0/address-scopes/${s4.id}`), 409, 'AddressScopeInUse');
    assert.equal(r.body.NeutronError.message, `Unable to complete operation on address scope ${s4.id}. There are one or more subnet pools in use on the address scope.`);
    assert.equal((await a.put(`/v2.0/subnetpools/${p1.id}`, { subnetpool: { address_scope_id: null } })).body.subnetpool.address_scope_id, null);
    assert.equal((await a.put(`/v2.0/subnetpools/${p3.id}`, { subnetpool: { address_scope_id: s6.id } })).status, 400);
    assert.deepEqual((await a.get(`/v2.0/subnetpools?address_scope_id=${s4.id}`)).body.subnetpools.map((p: { id: string }) => p.id), [p3.id]);
    assert.equal((await a.delete(`/v2.0/subnetpools/${p3.id}`)).status, 204);
    assert.equal((await a.delete(`/v2.0/address-scopes/${s4.id}`)).status, 204);
  });

  it('a pool in another project\'s shared scope is changed only by the scope\'s owner or an admin', async () => {
    const scope = await t.api.create('address-scopes', 'address_scope', { name: 'admin-shared', ip_version: 4, shared: true });
    const pool = await b.create('subnetpools', 'subnetpool', { name: 'in-shared', prefixes: ['10.30.0.0/16'], address_scope_id: scope.id });
    const r = await expectError(b.put(`/v2.0/subnetpools/${pool.id}`, { subnetpool: { name: 'x' } }), 400, 'IllegalSubnetPoolUpdate');
    assert.equal(r.body.NeutronError.message, `Illegal subnetpool update : subnetpool ${pool.id} cannot be updated when associated with shared address scope ${scope.id}.`);
    assert.equal((await t.api.put(`/v2.0/subnetpools/${pool.id}`, { subnetpool: { name: 'by-admin' } })).status, 200);
  });

  it('a network shows the scope of the pool of each family\'s subnets', async () => {
    const s4 = await a.create('address-scopes', 'address_scope', { name: 'n4', ip_version: 4 });
    const s6 = await a.create('address-scopes', 'address_scope', { name: 'n6', ip_version: 6 });
    const p4 = await a.create('subnetpools', 'subnetpool', { name: 'n4', prefixes: ['10.40.0.0/16'], default_prefixlen: 24, address_scope_id: s4.id });
    const p6 = await a.create('subnetpools', 'subnetpool', { name: 'n6', prefixes: ['2001:db8:40::/48'], default_prefixlen: 64, address_scope_id: s6.id });
    const net = await a.create('networks', 'network', { name: 'scoped' });
    assert.equal(net.ipv4_address_scope, null);
    assert.equal(net.ipv6_address_scope, null);
    await a.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, subnetpool_id: p4.id });
    let shown = (await a.get(`/v2.0/networks/${net.id}`)).body.network;
    assert.equal(shown.ipv4_address_scope, s4.id);
    assert.equal(shown.ipv6_address_scope, null);
    await a.create('subnets', 'subnet', { network_id: net.id, ip_version: 6, subnetpool_id: p6.id });
    const listed = (await a.get(`/v2.0/networks?id=${net.id}`)).body.networks[0];
    assert.equal(listed.ipv4_address_scope, s4.id);
    assert.equal(listed.ipv6_address_scope, s6.id);
    // Re-scoping the IPv4 pool moves the network with it.
    const other = await a.create('address-scopes', 'address_scope', { name: 'n4b', ip_version: 4 });
    assert.equal((await a.put(`/v2.0/subnetpools/${p4.id}`, { subnetpool: { address_scope_id: other.id } })).status, 200);
    shown = (await a.get(`/v2.0/networks/${net.id}`)).body.network;
    assert.equal(shown.ipv4_address_scope, other.id);
  });

  it('an RBAC policy shares a scope with one project, and is not removed while that project has pools in it', async () => {
    const C = 'cccccccccccccccccccccccccccccccc';
    const scope = await a.create('address-scopes', 'address_scope', { name: 'rbac', ip_version: 4 });
    const rbac = (target: string, action = 'access_as_shared') =>
      ({ rbac_policy: { object_type: 'address_scope', object_id: scope.id, action, target_tenant: target } });
    let r = await expectError(a.post('/v2.0/rbac-policies', rbac(B, 'access_as_external')), 400, 'InvalidActionForType');
    assert.equal(r.body.NeutronError.message, "Invalid action 'access_as_external' for object type 'address_scope'. Valid actions: ('access_as_shared',)");
    await expectError(b.post('/v2.0/rbac-policies', rbac(C)), 400, 'InvalidInput');
    await expectError(b.get(`/v2.0/address-scopes/${scope.id}`), 404, 'AddressScopeNotFound');
    const policy = (await a.post('/v2.0/rbac-policies', rbac(B))).body.rbac_policy;
    assert.equal(policy.object_type, 'address_scope');
    // The target sees it as shared with it; the owner and the others as they did.
    assert.equal((await b.get(`/v2.0/address-scopes/${scope.id}`)).body.address_scope.shared, true);
    assert.ok((await b.get('/v2.0/address-scopes')).body.address_scopes.some((x: { id: string }) => x.id === scope.id));
    assert.equal((await a.get(`/v2.0/address-scopes/${scope.id}`)).body.address_scope.shared, false);
    await expectError(t.api.as(C).get(`/v2.0/address-scopes/${scope.id}`), 404);
    const pool = await b.create('subnetpools', 'subnetpool', { name: 'b-in-rbac', prefixes: ['10.50.0.0/16'], address_scope_id: scope.id });
    r = await expectError(a.delete(`/v2.0/rbac-policies/${policy.id}`), 409, 'RbacPolicyInUse');
    assert.equal(r.body.NeutronError.message, `RBAC policy on object ${scope.id} cannot be removed because other objects depend on it.\nDetails: project_id=${B}`);
    await expectError(a.put(`/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: C } }), 409, 'RbacPolicyInUse');
    assert.equal((await b.delete(`/v2.0/subnetpools/${pool.id}`)).status, 204);
    assert.equal((await a.put(`/v2.0/rbac-policies/${policy.id}`, { rbac_policy: { target_tenant: C } })).status, 200);
    await expectError(b.get(`/v2.0/address-scopes/${scope.id}`), 404);
    assert.equal((await t.api.as(C).get(`/v2.0/address-scopes/${scope.id}`)).status, 200);
    assert.equal((await a.delete(`/v2.0/rbac-policies/${policy.id}`)).status, 204);
    await expectError(t.api.as(C).get(`/v2.0/address-scopes/${scope.id}`), 404);
  });

  it('a shared scope is its wildcard policy: made with it or by an update, listed, and in use while pools of others are in it', async () => {
    const scope = await t.api.create('address-scopes', 'address_scope', { name: 'wild', ip_version: 4, project_id: A });
    assert.equal((await t.api.put(`/v2.0/address-scopes/${scope.id}`, { address_scope: { shared: true } })).body.address_scope.shared, true);
    const policies = (await t.api.get(`/v2.0/rbac-policies?object_id=${scope.id}`)).body.rbac_policies;
    assert.deepEqual(policies.map((p: Record<string, unknown>) => [p.object_type, p.action, p.target_tenant]), [['address_scope', 'access_as_shared', '*']]);
    const pool = await b.create('subnetpools', 'subnetpool', { name: 'b-in-wild', prefixes: ['10.60.0.0/16'], address_scope_id: scope.id });
    await expectError(t.api.delete(`/v2.0/rbac-policies/${policies[0].id}`), 409, 'RbacPolicyInUse');
    assert.equal((await b.delete(`/v2.0/subnetpools/${pool.id}`)).status, 204);
    assert.equal((await t.api.delete(`/v2.0/rbac-policies/${policies[0].id}`)).status, 204);
    assert.equal((await a.get(`/v2.0/address-scopes/${scope.id}`)).body.address_scope.shared, false);
    await expectError(b.get(`/v2.0/address-scopes/${scope.id}`), 404);
    // Its policies go with it.
    const again = await t.api.create('address-scopes', 'address_scope', { name: 'wild2', ip_version: 6, shared: true });
    assert.equal((await t.api.get(`/v2.0/rbac-policies?object_id=${again.id}`)).body.rbac_policies.length, 1);
    assert.equal((await t.api.delete(`/v2.0/address-scopes/${again.id}`)).status, 204);
    assert.equal((await t.api.get(`/v2.0/rbac-policies?object_id=${again.id}`)).body.rbac_policies.length, 0);
  });
});
