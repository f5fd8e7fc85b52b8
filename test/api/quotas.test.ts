/**
 * Neutron's quotas, served and enforced: every route (with `.json` too), Neutron's defaults, policy,
 * errors and messages as Debian's neutron-server (21.0) answers them, OverQuota on creates, and
 * exactness under concurrency: the check runs in the write transaction against kept usage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const DEFAULTS = {
  network: 100, subnet: 100, subnetpool: -1, port: 500, router: 10, floatingip: 50, rbac_policy: 10, security_group: 10, security_group_rule: 100,
};

let t: TestServer;
let admin: Api;
before(async () => { t = await startTestServer(); admin = t.api; });
after(async () => { await t?.close(); });

const message = (res: { body: { NeutronError: { message: string } } }): string => res.body.NeutronError.message;

async function network(api: Api, name: string, cidr: string): Promise<string> {
  const n = await api.create('networks', 'network', { name });
  await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr });
  return n.id as string;
}

describe('quotas: routes, defaults, policy', () => {
  it('serves Neutron\'s defaults on every path, with and without .json', async () => {
    const member = admin.as('q-routes');
    for (const path of ['/v2.0/quotas/q-routes', '/v2.0/quotas/q-routes.json', '/v2.0/quotas/q-routes/default', '/v2.0/quotas/q-routes/default.json']) {
      const res = await member.get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.body, { quota: DEFAULTS }, path);
      assert.deepEqual(Object.keys(res.body.quota), Object.keys(DEFAULTS), path);
    }
    for (const path of ['/v2.0/quotas/q-routes/details', '/v2.0/quotas/q-routes/details.json']) {
      const res = await member.get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.body.quota.port, { limit: 500, used: 0, reserved: 0 });
      assert.deepEqual(Object.keys(res.body.quota), Object.keys(DEFAULTS));
    }
    assert.deepEqual((await member.get('/v2.0/quotas/tenant')).body, { tenant: { tenant_id: 'q-routes' } });
    assert.deepEqual((await member.get('/v2.0/quotas/tenant.json')).body, { tenant: { tenant_id: 'q-routes' } });
    assert.deepEqual((await member.get('/v2.0/quotas/project')).body, { project: { project_id: 'q-routes' } });
    assert.deepEqual((await member.get('/v2.0/quotas/project.json')).body, { project: { project_id: 'q-routes' } });
    const aliases = (await admin.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    for (const alias of ['quotas', 'quota_details', 'quota-check-limit']) assert.ok(aliases.includes(alias), alias);
    assert.ok(!aliases.includes('quota-check-limit-default'), 'Neutron 21 checks only when asked');
    const post = await expectError(admin.post('/v2.0/quotas', { quota: { port: 1 } }), 501, 'HTTPNotImplemented');
    assert.equal(message(post), 'POST requests are not supported on this resource.');
  });

  it('lists the projects with limits of their own; PUT and DELETE on .json paths too; DELETE resets', async () => {
    const put = await admin.put('/v2.0/quotas/q-list-a', { quota: { port: 5 } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { quota: { ...DEFAULTS, port: 5 } });
    assert.equal((await admin.put('/v2.0/quotas/q-list-b.json', { quota: { network: 7, router: '3' } })).status, 200);
    const listed = (await admin.get('/v2.0/quotas')).body.quotas as Array<Record<string, unknown>>;
    const mine = listed.filter((q) => String(q.project_id).startsWith('q-list-'));
    assert.deepEqual(mine, [
      { ...DEFAULTS, port: 5, project_id: 'q-list-a', tenant_id: 'q-list-a' },
      { ...DEFAULTS, network: 7, router: 3, project_id: 'q-list-b', tenant_id: 'q-list-b' },
    ]);
    assert.deepEqual((await admin.get('/v2.0/quotas.json')).body.quotas, listed);
    assert.deepEqual((await admin.get('/v2.0/quotas/q-list-b')).body.quota, { ...DEFAULTS, network: 7, router: 3 });
    assert.deepEqual((await admin.get('/v2.0/quotas/q-list-b/details')).body.quota.network, { limit: 7, used: 0, reserved: 0 });
    // The default is the default whatever the project set.
    assert.deepEqual((await admin.get('/v2.0/quotas/q-list-b/default')).body.quota, DEFAULTS);

    assert.equal((await admin.delete('/v2.0/quotas/q-list-a')).status, 204);
    assert.equal((await admin.delete('/v2.0/quotas/q-list-b.json')).status, 204);
    assert.deepEqual((await admin.get('/v2.0/quotas/q-list-a')).body.quota, DEFAULTS);
    const left = (await admin.get('/v2.0/quotas')).body.quotas as Array<{ project_id: string }>;
    assert.deepEqual(left.filter((q) => q.project_id.startsWith('q-list-')), []);
    const gone = await expectError(admin.delete('/v2.0/quotas/q-list-a'), 404, 'TenantQuotaNotFound');
    assert.equal(message(gone), 'Quota for tenant q-list-a could not be found.');
  });

  it('a member reads its own project\'s quota only and changes none; only an admin reads others\'', async () => {
    const member = admin.as('q-pol');
    const reader = admin.as('q-pol', 'reader');
    for (const caller of [member, reader]) {
      assert.equal((await caller.get('/v2.0/quotas/q-pol')).status, 200);
      assert.equal((await caller.get('/v2.0/quotas/q-pol/details')).status, 200);
      assert.equal((await caller.get('/v2.0/quotas/q-pol/default')).status, 200);
    }
    const other = await expectError(member.get('/v2.0/quotas/q-other'), 403, 'PolicyNotAuthorized');
    assert.equal(message(other), 'rule:get_quota is disallowed by policy');
    await expectError(member.get('/v2.0/quotas/q-other/default'), 403, 'PolicyNotAuthorized');
    const details = await expectError(member.get('/v2.0/quotas/q-other/details'), 403, 'AdminRequired');
    assert.equal(message(details), 'User does not have admin privileges: Only admin is authorized to access quotas for another project.');
    const list = await expectError(member.get('/v2.0/quotas'), 403, 'PolicyNotAuthorized');
    assert.equal(message(list), 'rule:get_quota is disallowed by policy');
    for (const project of ['q-pol', 'q-other']) {
      const put = await expectError(member.put(`/v2.0/quotas/${project}`, { quota: { port: 1 } }), 403, 'PolicyNotAuthorized');
      assert.equal(message(put), 'rule:update_quota is disallowed by policy');
      const del = await expectError(member.delete(`/v2.0/quotas/${project}`), 403, 'PolicyNotAuthorized');
      assert.equal(message(del), 'rule:delete_quota is disallowed by policy');
    }
    await expectError(reader.put('/v2.0/quotas/q-pol', { quota: { port: 1 } }), 403, 'PolicyNotAuthorized');
    // An admin of another project reads and changes anyone's.
    const otherAdmin = admin.as('q-admin-project', 'admin');
    assert.equal((await otherAdmin.get('/v2.0/quotas/q-pol/details')).status, 200);
    assert.equal((await otherAdmin.put('/v2.0/quotas/q-pol', { quota: { port: 9 } })).status, 200);
    assert.equal((await member.get('/v2.0/quotas/q-pol')).body.quota.port, 9);
    assert.equal((await otherAdmin.delete('/v2.0/quotas/q-pol')).status, 204);
  });

  it('refuses unknown resources and invalid values as Neutron does', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ bogus: 5 }, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"],
      [{ bogus: 5, foo: 1, port: 'abc' }, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus, foo'"],
      [{ port: -2 }, 'HTTPBadRequest', "Invalid input for port. Reason: '-2' is too small - must be at least '-1'."],
      [{ port: 2147483648 }, 'HTTPBadRequest', "Invalid input for port. Reason: '2147483648' is too large - must be no larger than '2147483647'."],
      [{ port: 'abc' }, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer."],
      [{ port: -2, network: 'abc' }, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer."],
      [{ port: '1.5' }, 'InvalidInput', "Invalid input for operation: '1.5' is not an integer."],
      [{ port: null }, 'InvalidInput', "Invalid input for operation: 'None' is not an integer."],
      [{ port: [1] }, 'InvalidInput', "Invalid input for operation: '[1]' is not an integer."],
      [{ port: { a: 1 } }, 'InvalidInput', "Invalid input for operation: '{'a': 1}' is not an integer."],
    ];
    for (const [quota, type, text] of cases) {
      const res = await expectError(admin.put('/v2.0/quotas/q-invalid', { quota }), 400, type);
      assert.equal(message(res), text, JSON.stringify(quota));
    }
    await expectError(admin.put('/v2.0/quotas/q-invalid', { quotas: { port: 1 } }), 400);
    await expectError(admin.put('/v2.0/quotas/q-invalid', { quota: 5 }), 400);
    await expectError(admin.put('/v2.0/quotas/q-invalid', undefined), 400);
    // Nothing was written by any of them.
    assert.deepEqual((await admin.get('/v2.0/quotas/q-invalid')).body.quota, DEFAULTS);
    // Neutron's convert_to_int: numeric strings, floats (truncated) and booleans are integers.
    const res = await admin.put('/v2.0/quotas/q-invalid', { quota: { port: ' 12 ', network: 1.5, subnet: true, router: 2147483647 } });
    assert.deepEqual(res.body.quota, { ...DEFAULTS, port: 12, network: 1, subnet: 1, router: 2147483647 });
    await admin.delete('/v2.0/quotas/q-invalid');
  });
});

describe('quotas: enforcement', () => {
  it('a create over the limit is Neutron\'s OverQuota; a bulk counts all its items; -1 is unlimited', async () => {
    const member = admin.as('q-over');
    const net = await network(member, 'n', '10.61.0.0/24');
    await admin.put('/v2.0/quotas/q-over', { quota: { port: 2 } });
    await member.create('ports', 'port', { network_id: net });
    const bulk = await expectError(member.post('/v2.0/ports', { ports: [{ network_id: net }, { network_id: net }] }), 409, 'OverQuota');
    assert.equal(message(bulk), "Quota exceeded for resources: ['port'].");
    await member.create('ports', 'port', { network_id: net });
    const over = await expectError(member.post('/v2.0/ports', { port: { network_id: net } }), 409, 'OverQuota');
    assert.equal(message(over), "Quota exceeded for resources: ['port'].");
    assert.equal((await member.get('/v2.0/ports')).body.ports.length, 2);
    // An admin creating in the project is held to the project's quota.
    await expectError(admin.post('/v2.0/ports', { port: { network_id: net, project_id: 'q-over' } }), 409, 'OverQuota');

    assert.equal((await admin.put('/v2.0/quotas/q-over', { quota: { port: -1, network: 0, force: true } })).status, 200);
    const many = await member.post('/v2.0/ports', { ports: Array.from({ length: 20 }, () => ({ network_id: net })) });
    assert.equal(many.status, 201);
    const netOver = await expectError(member.post('/v2.0/networks', { network: { name: 'x' } }), 409, 'OverQuota');
    assert.equal(message(netOver), "Quota exceeded for resources: ['network'].");
    const details = (await member.get('/v2.0/quotas/q-over/details')).body.quota;
    assert.deepEqual(details.port, { limit: -1, used: 22, reserved: 0 });
    assert.deepEqual(details.network, { limit: 0, used: 1, reserved: 0 });
    assert.deepEqual(details.subnet, { limit: 100, used: 1, reserved: 0 });
    // The default security group and its rules, made for the project's ports, count as in Neutron.
    assert.equal(details.security_group.used, 1);
    assert.equal(details.security_group_rule.used, (await member.get('/v2.0/security-group-rules')).body.security_group_rules.length);
  });

  it('a limit below what is in use is refused when check_limit asks (quota-check-limit), taken otherwise, as Neutron 21', async () => {
    const member = admin.as('q-check');
    const net = await network(member, 'n', '10.62.0.0/24');
    await member.post('/v2.0/ports', { ports: [{ network_id: net }, { network_id: net }] });
    const refused = await expectError(admin.put('/v2.0/quotas/q-check', { quota: { network: 5, port: 1, check_limit: true } }), 400, 'HTTPBadRequest');
    assert.equal(message(refused), 'Quota limit 1 for port must be greater than or equal to already used 2');
    assert.deepEqual((await admin.get('/v2.0/quotas/q-check')).body.quota, DEFAULTS);
    await expectError(admin.put('/v2.0/quotas/q-check', { quota: { port: 1, force: true, check_limit: true } }), 400, 'HTTPBadRequest');
    assert.equal((await admin.put('/v2.0/quotas/q-check', { quota: { port: 2 } })).status, 200);
    assert.equal((await admin.put('/v2.0/quotas/q-check', { quota: { port: -1 } })).status, 200);
    const lowered = await admin.put('/v2.0/quotas/q-check', { quota: { port: 1 } });
    assert.equal(lowered.status, 200);
    assert.equal(lowered.body.quota.port, 1);
    assert.deepEqual((await member.get('/v2.0/quotas/q-check/details')).body.quota.port, { limit: 1, used: 2, reserved: 0 });
    await expectError(member.post('/v2.0/ports', { port: { network_id: net } }), 409, 'OverQuota');
  });

  it('a security group\'s own egress rules are refused over the rule quota (the group with them), as Neutron', async () => {
    const member = admin.as('q-sgr');
    await member.get('/v2.0/security-groups');
    const used = (await member.get('/v2.0/quotas/q-sgr/details')).body.quota.security_group_rule.used as number;
    assert.equal((await admin.put('/v2.0/quotas/q-sgr', { quota: { security_group_rule: used + 1 } })).status, 200);
    await expectError(member.post('/v2.0/security-groups', { security_group: { name: 'needs-two' } }), 409, 'OverQuota');
    assert.equal((await member.get('/v2.0/security-groups?name=needs-two')).body.security_groups.length, 0);
    assert.equal((await admin.put('/v2.0/quotas/q-sgr', { quota: { security_group_rule: used + 2 } })).status, 200);
    assert.equal((await member.post('/v2.0/security-groups', { security_group: { name: 'needs-two' } })).status, 201);
  });

  it('internal creations count but are not refused: a router interface port over the port quota', async () => {
    const member = admin.as('q-internal');
    const net = await network(member, 'n', '10.63.0.0/24');
    const subnet = (await member.get(`/v2.0/subnets?network_id=${net}`)).body.subnets[0];
    await admin.put('/v2.0/quotas/q-internal', { quota: { port: 0 } });
    const router = await member.create('routers', 'router', { name: 'r' });
    const res = await member.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual((await member.get('/v2.0/quotas/q-internal/details')).body.quota.port, { limit: 0, used: 1, reserved: 0 });
  });

  it('500 concurrent creates against a quota of 100 ports: exactly 100 succeed; bulk creates all or none; usage returns to 0', async () => {
    const member = admin.as('q-race');
    const net = await network(member, 'n', '10.64.0.0/21');
    await admin.put('/v2.0/quotas/q-race', { quota: { port: 100 } });
    const results = await Promise.all(Array.from({ length: 500 }, () => member.post('/v2.0/ports', { port: { network_id: net } })));
    const codes = results.map((r) => r.status);
    assert.equal(codes.filter((c) => c === 201).length, 100);
    assert.equal(codes.filter((c) => c === 409).length, 400);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(message(r), "Quota exceeded for resources: ['port'].");
    const ports = (await member.get('/v2.0/ports')).body.ports as Array<{ id: string }>;
    assert.equal(ports.length, 100);
    assert.equal((await member.get('/v2.0/quotas/q-race/details')).body.quota.port.used, 100);

    // Emptied, then 50 bulk creates of 5 against the same limit: 20 whole bulks, none partial.
    for (let i = 0; i < ports.length; i += 50) {
      const ids = ports.slice(i, i + 50).map((p) => `id=${p.id}`).join('&');
      assert.equal((await member.delete(`/v2.0/ports?${ids}`)).status, 204);
    }
    assert.equal((await member.get('/v2.0/quotas/q-race/details')).body.quota.port.used, 0);
    const bulks = await Promise.all(Array.from({ length: 50 }, () =>
      member.post('/v2.0/ports', { ports: Array.from({ length: 5 }, () => ({ network_id: net })) })));
    assert.equal(bulks.filter((r) => r.status === 201).length, 20);
    assert.equal(bulks.filter((r) => r.status === 409).length, 30);
    for (const r of bulks.filter((x) => x.status === 201)) assert.equal(r.body.ports.length, 5);
    const after = (await member.get('/v2.0/ports')).body.ports as Array<{ id: string }>;
    assert.equal(after.length, 100);
    assert.equal((await member.get('/v2.0/quotas/q-race/details')).body.quota.port.used, 100);

    for (const p of after) assert.equal((await member.delete(`/v2.0/ports/${p.id}`)).status, 204);
    assert.equal((await admin.delete(`/v2.0/networks/${net}`)).status, 204);
    const details = (await member.get('/v2.0/quotas/q-race/details')).body.quota;
    assert.deepEqual(details.port, { limit: 100, used: 0, reserved: 0 });
    assert.equal(details.network.used, 0);
    assert.equal(details.subnet.used, 0);
  });
});

describe('quotas: configured defaults (--default-quotas, Neutron\'s quota_<resource>)', () => {
  let c: TestServer;
  before(async () => { c = await startTestServer({ defaultQuotas: 'port=2,network=-1' }); });
  after(async () => { await c?.close(); });

  it('replace Neutron\'s defaults for projects without limits of their own, and are enforced', async () => {
    const member = c.api.as('q-conf');
    const expected = { ...DEFAULTS, port: 2, network: -1 };
    assert.deepEqual((await member.get('/v2.0/quotas/q-conf')).body.quota, expected);
    assert.deepEqual((await member.get('/v2.0/quotas/q-conf/default')).body.quota, expected);
    const net = await network(member, 'n', '10.65.0.0/24');
    assert.equal((await member.post('/v2.0/ports', { ports: [{ network_id: net }, { network_id: net }] })).status, 201);
    await expectError(member.post('/v2.0/ports', { port: { network_id: net } }), 409, 'OverQuota');
    assert.equal((await c.api.put('/v2.0/quotas/q-conf', { quota: { port: 3 } })).status, 200);
    assert.equal((await member.post('/v2.0/ports', { port: { network_id: net } })).status, 201);
  });

  it('are checked when read', async () => {
    const { parseDefaultQuotas } = await import('../../src/cli/config.js');
    assert.deepEqual(parseDefaultQuotas('port=-1, network=5'), { port: -1, network: 5 });
    assert.throws(() => parseDefaultQuotas('bogus=1'), /default quotas/);
    assert.throws(() => parseDefaultQuotas('port=-2'), /default quotas/);
  });
});
