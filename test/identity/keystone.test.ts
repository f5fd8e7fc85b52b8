/**
 * auth_strategy keystone against a real Keystone (scripts/keystone.sh): tokens, project isolation,
 * member / reader / admin, expiry, revocation, and Keystone being away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/process.js';
import { ensureKeystone, Keystone, KEYSTONE_URL, SERVICE_PASSWORD } from '../../src/bench/keystone-admin.js';
import type { TestServer } from '../helpers/server.js';
import { Api, expectError, startTestServer } from '../helpers/server.js';

const keystoneFlags = (cacheSeconds: number) => ({
  authStrategy: 'keystone',
  keystoneUrl: KEYSTONE_URL,
  keystonePassword: SERVICE_PASSWORD,
  tokenCacheSeconds: String(cacheSeconds),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('auth_strategy keystone', () => {
  let keystone: Keystone;
  let server: TestServer;
  let projectA: string;
  let projectB: string;
  const users: Array<{ id: string; name: string; password: string }> = [];
  let a: Api;
  let aReader: Api;
  let b: Api;
  let admin: Api;
  let memberA: { id: string; name: string; password: string };

  const login = async (user: { name: string; password: string }, projectId: string) =>
    new Api(server.api.url, { 'x-auth-token': (await Keystone.passwordToken(user.name, user.password, { id: projectId })).token });

  before(async () => {
    await ensureKeystone();
    keystone = await Keystone.admin();
    projectA = await keystone.createProject('alcor-test-a');
    projectB = await keystone.createProject('alcor-test-b');
    memberA = await keystone.createUser(projectA, 'member');
    const readerA = await keystone.createUser(projectA, 'reader');
    const memberB = await keystone.createUser(projectB, 'member');
    users.push(memberA, readerA, memberB);
    server = await startTestServer(keystoneFlags(300));
    a = await login(memberA, projectA);
    aReader = await login(readerA, projectA);
    b = await login(memberB, projectB);
    admin = new Api(server.api.url, { 'x-auth-token': (await Keystone.passwordToken('admin', process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin', { name: 'admin' })).token });
  });

  after(async () => {
    await server?.close();
    for (const u of users) await keystone?.deleteUser(u.id).catch(() => undefined);
    for (const p of [projectA, projectB]) if (p) await keystone.deleteProject(p).catch(() => undefined);
  });

  it('refuses a missing or garbage token with 401 and says where to get one', async () => {
    const anonymous = new Api(server.api.url);
    const res = await anonymous.get('/v2.0/networks');
    assert.equal(res.status, 401);
    assert.equal(res.body.NeutronError.type, 'HTTPUnauthorized');
    assert.equal(res.headers.get('www-authenticate'), `Keystone uri="${new URL(KEYSTONE_URL).origin}"`);
    await expectError(new Api(server.api.url, { 'x-auth-token': 'gAAAAAnot-a-token' }).get('/v2.0/networks'), 401);
    // Discovery of the API versions needs no token, as in Neutron.
    assert.equal((await anonymous.get('/')).status, 200);
    // Nor does a Prometheus scrape, which carries none.
    assert.equal((await anonymous.get('/metrics')).status, 200);
    assert.equal((await anonymous.get('/metrics/x')).status, 401);
  });

  it('takes the project, user and roles from the token', async () => {
    const net = await a.create('networks', 'network', { name: 'a-net' });
    assert.equal(net.project_id, projectA);
    const sub = await a.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/24' });
    const port = await a.create('ports', 'port', { network_id: net.id });
    assert.equal(port.fixed_ips[0].subnet_id, sub.id);
    // Neutron hides these from members.
    assert.equal('provider:segmentation_id' in net, false);
    assert.equal('binding:vif_type' in port, false);
    const seen = (await admin.get(`/v2.0/networks/${net.id}`)).body.network;
    assert.equal(typeof seen['provider:segmentation_id'], 'number');
    await expectError(a.post('/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }), 403, 'PolicyNotAuthorized');
    await expectError(a.post('/v2.0/networks', { network: { shared: true } }), 403, 'PolicyNotAuthorized');
    await expectError(a.post('/v2.0/networks', { network: { project_id: projectB } }), 400);
  });

  it('keeps projects apart: B neither sees nor touches what A owns', async () => {
    const net = await a.create('networks', 'network', { name: 'private-a' });
    const sub = await a.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.10.0.0/24' });
    const port = await a.create('ports', 'port', { network_id: net.id });
    const sg = await a.create('security-groups', 'security_group', { name: 'a-sg' });
    for (const [path, id] of [['networks', net.id], ['subnets', sub.id], ['ports', port.id], ['security-groups', sg.id]]) {
      await expectError(b.get(`/v2.0/${path}/${id}`), 404);
      await expectError(b.put(`/v2.0/${path}/${id}`, { [path === 'security-groups' ? 'security_group' : path.slice(0, -1)]: { name: 'stolen' } }), 404);
      await expectError(b.delete(`/v2.0/${path}/${id}`), 404);
      const listed = (await b.get(`/v2.0/${path}`)).body[path.replace('-', '_')] as Array<{ id: string }>;
      assert.equal(listed.some((r) => r.id === id), false, `${path} of A listed to B`);
    }
    await expectError(b.post('/v2.0/ports', { port: { network_id: net.id } }), 404, 'NetworkNotFound');
    await expectError(b.post('/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.11.0.0/24' } }), 404);
    // A still has all of it.
    assert.equal((await a.get(`/v2.0/networks/${net.id}`)).body.network.name, 'private-a');
    assert.equal((await admin.get(`/v2.0/ports/${port.id}`)).status, 200);
  });

  it('lets every project use a shared network, and only its owner change it', async () => {
    const shared = await admin.create('networks', 'network', { name: 'shared', shared: true });
    await admin.create('subnets', 'subnet', { network_id: shared.id, ip_version: 4, cidr: '10.12.0.0/24' });
    assert.equal((await b.get(`/v2.0/networks/${shared.id}`)).status, 200);
    const port = await b.create('ports', 'port', { network_id: shared.id });
    assert.equal(port.project_id, projectB);
    await expectError(b.put(`/v2.0/networks/${shared.id}`, { network: { name: 'mine' } }), 403);
    await expectError(b.delete(`/v2.0/networks/${shared.id}`), 403);
    await expectError(b.post('/v2.0/ports', { port: { network_id: shared.id, mac_address: 'fa:16:3e:01:02:03' } }), 403);
  });

  it('lets a reader read and never write', async () => {
    const net = await a.create('networks', 'network', { name: 'for-reader' });
    assert.equal((await aReader.get(`/v2.0/networks/${net.id}`)).body.network.id, net.id);
    assert.ok((await aReader.get('/v2.0/networks')).body.networks.some((n: { id: string }) => n.id === net.id));
    await expectError(aReader.post('/v2.0/networks', { network: { name: 'no' } }), 403, 'PolicyNotAuthorized');
    await expectError(aReader.put(`/v2.0/networks/${net.id}`, { network: { name: 'no' } }), 403, 'PolicyNotAuthorized');
    await expectError(aReader.delete(`/v2.0/networks/${net.id}`), 403, 'PolicyNotAuthorized');
    await expectError(aReader.post('/v2.0/security-groups', { security_group: { name: 'no' } }), 403, 'PolicyNotAuthorized');
  });

  it('lets an admin see and change every project\'s resources', async () => {
    const net = await a.create('networks', 'network', { name: 'admin-sees' });
    assert.equal((await admin.put(`/v2.0/networks/${net.id}`, { network: { name: 'renamed' } })).status, 200);
    const all = (await admin.get(`/v2.0/networks?project_id=${projectA}`)).body.networks as Array<{ id: string }>;
    assert.ok(all.some((n) => n.id === net.id));
    const forB = await admin.create('networks', 'network', { name: 'made-for-b', project_id: projectB });
    assert.equal((await b.get(`/v2.0/networks/${forB.id}`)).body.network.name, 'made-for-b');
  });

  it('refuses a token once it has expired, whatever the cache time', async () => {
    const short = await keystone.shortLivedToken(memberA, projectA, 4);
    const api = new Api(server.api.url, { 'x-auth-token': short.token });
    assert.equal((await api.get('/v2.0/networks')).status, 200);
    await sleep(Date.parse(`${short.expiresAt.replace(/Z$/, '')}Z`) - Date.now() + 1500);
    await expectError(api.get('/v2.0/networks'), 401);
  });
});

describe('auth_strategy keystone, revocation and outage', () => {
  before(ensureKeystone);

  it('refuses a revoked token once the cache time has passed', async () => {
    const keystone = await Keystone.admin();
    const project = await keystone.createProject('alcor-test-revoke');
    const user = await keystone.createUser(project, 'member');
    const server = await startTestServer(keystoneFlags(1));
    try {
      const { token } = await Keystone.passwordToken(user.name, user.password, { id: project });
      const api = new Api(server.api.url, { 'x-auth-token': token });
      assert.equal((await api.get('/v2.0/networks')).status, 200);
      await keystone.revoke(token);
      await sleep(1500);
      await expectError(api.get('/v2.0/networks'), 401);
    } finally {
      await server.close();
      await keystone.deleteUser(user.id);
      await keystone.deleteProject(project);
    }
  });

  it('answers 503, never 200, while Keystone cannot be reached', async () => {
    const closedPort = await freePort();
    const server = await startTestServer({ ...keystoneFlags(300), keystoneUrl: `http://127.0.0.1:${closedPort}/v3` });
    try {
      const res = await new Api(server.api.url, { 'x-auth-token': 'any-token' }).get('/v2.0/networks');
      assert.equal(res.status, 503);
      assert.equal(res.body.NeutronError.type, 'HTTPServiceUnavailable');
    } finally {
      await server.close();
    }
  });

  it('answers 503 when Keystone refuses the controller\'s own credentials', async () => {
    const server = await startTestServer({ ...keystoneFlags(300), keystonePassword: 'wrong-password' });
    try {
      const res = await new Api(server.api.url, { 'x-auth-token': 'any-token' }).get('/v2.0/networks');
      assert.equal(res.status, 503);
    } finally {
      await server.close();
    }
  });
});
