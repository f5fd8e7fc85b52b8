/**
 * The real `openstack` client (Debian's python3-openstackclient) against the controller, in
 * noauth mode and through Keystone with a password: what a cloud operator types must just work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKeystone, Keystone, KEYSTONE_URL, SERVICE_PASSWORD } from '../../src/bench/keystone-admin.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';
import type { Cli } from '../helpers/openstack-cli.js';
import { cli, requireCli } from '../helpers/openstack-cli.js';

/** Network, subnet, port and security group rule: create, show, list, update, delete. */
async function lifecycle(openstack: Cli): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (...args: string[]): Promise<any> => JSON.parse(await openstack(...args, '-f', 'json'));
    const net = await json('network', 'create', 'cli-net');
    assert.equal(net.name, 'cli-net');
    assert.equal(net.mtu, 1450);
    assert.equal((await json('network', 'show', 'cli-net')).id, net.id);
    assert.ok((await json('network', 'list')).some((n: { ID: string }) => n.ID === net.id));
    await openstack('network', 'set', '--name', 'cli-net2', net.id);
    assert.equal((await json('network', 'show', net.id)).name, 'cli-net2');

    const sub = await json('subnet', 'create', '--network', net.id, '--subnet-range', '10.9.0.0/24', 'cli-sub');
    assert.equal(sub.cidr, '10.9.0.0/24');
    assert.equal(sub.gateway_ip, '10.9.0.1');
    assert.equal((await json('subnet', 'show', 'cli-sub')).network_id, net.id);
    assert.ok((await json('subnet', 'list')).some((s: { ID: string }) => s.ID === sub.id));
    await openstack('subnet', 'set', '--name', 'cli-sub2', sub.id);
    assert.equal((await json('subnet', 'show', sub.id)).name, 'cli-sub2');

    const port = await json('port', 'create', '--network', net.id, 'cli-port');
    assert.equal(port.name, 'cli-port');
    assert.match(JSON.stringify(port.fixed_ips), /10\.9\.0\./);
    assert.equal((await json('port', 'show', 'cli-port')).id, port.id);
    assert.ok((await json('port', 'list')).some((p: { ID: string }) => p.ID === port.id));
    await openstack('port', 'set', '--name', 'cli-port2', port.id);
    assert.equal((await json('port', 'show', port.id)).name, 'cli-port2');

    const rule = await json('security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'default');
    assert.equal(rule.port_range_min, 22);
    assert.equal(rule.port_range_max, 22);
    assert.equal(rule.protocol, 'tcp');
    assert.equal((await json('security', 'group', 'rule', 'show', rule.id)).id, rule.id);
    assert.ok((await json('security', 'group', 'rule', 'list')).some((r: { ID: string }) => r.ID === rule.id));
    await openstack('security', 'group', 'rule', 'delete', rule.id);
    assert.ok(!(await json('security', 'group', 'rule', 'list')).some((r: { ID: string }) => r.ID === rule.id));

    await openstack('port', 'delete', port.id);
    await openstack('subnet', 'delete', sub.id);
    await openstack('network', 'delete', net.id);
    assert.ok(!(await json('network', 'list')).some((n: { ID: string }) => n.ID === net.id));
    await assert.rejects(openstack('network', 'show', net.id), /No Network found|could not be found/);
}

describe('openstack CLI (noauth)', () => {
  let t: TestServer;
  before(async () => {
    await requireCli();
    t = await startTestServer();
  });
  after(async () => { await t?.close(); });

  it('network, subnet, port and security group rule: create, show, list, update, delete', async () => {
    await lifecycle(cli(() => ['--os-auth-type', 'none', '--os-endpoint', t.server.url], () => ({ OS_AUTH_URL: '' })));
  });
});

describe('openstack CLI (Keystone password)', () => {
  let t: TestServer;
  let keystone: Keystone;
  let project: string;
  let user: { id: string; name: string; password: string };
  before(async () => {
    await requireCli();
    await ensureKeystone();
    t = await startTestServer({ authStrategy: 'keystone', keystoneUrl: KEYSTONE_URL, keystonePassword: SERVICE_PASSWORD });
    keystone = await Keystone.admin();
    await keystone.setNetworkEndpoint(t.server.url);
    project = await keystone.createProject('alcor-cli');
    user = await keystone.createUser(project, 'member');
  });
  after(async () => {
    await t?.close();
    if (user) await keystone.deleteUser(user.id);
    if (project) await keystone.deleteProject(project);
  });

  it('network, subnet, port and security group rule through the catalog, as a project member', async () => {
    const env = () => ({
      OS_AUTH_URL: KEYSTONE_URL, OS_IDENTITY_API_VERSION: '3', OS_USERNAME: user.name, OS_PASSWORD: user.password,
      OS_PROJECT_ID: project, OS_USER_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
    });
    await lifecycle(cli(() => [], env));
  });

  it('quotas, router routes, subnet pools, RBAC and IP availability, as an admin and a member', async () => {
    const common = { OS_AUTH_URL: KEYSTONE_URL, OS_IDENTITY_API_VERSION: '3', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public' };
    const member = cli(() => [], () => ({ ...common, OS_USERNAME: user.name, OS_PASSWORD: user.password, OS_PROJECT_ID: project }));
    const admin = cli(() => [], () => ({ ...common, OS_USERNAME: 'admin', OS_PASSWORD: process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin', OS_PROJECT_NAME: 'admin' }));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const json = async (c: Cli, ...args: string[]): Promise<any> => JSON.parse(await c(...args, '-f', 'json'));
    // Quotas: an admin sets one over the API (this client's `quota set` and `quota show` need a
    // compute endpoint in the catalog: they open Nova's client first), the member lists its own.
    const { token } = await Keystone.passwordToken('admin', process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin', { name: 'admin' });
    const put = await fetch(`${t.server.url}/v2.0/quotas/${project}`, {
      method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ quota: { port: 123 } }),
    });
    assert.equal(put.status, 200, await put.text());
    const listed = await json(member, 'quota', 'list', '--network', '--project', project);
    assert.equal(listed[0].Ports, 123, JSON.stringify(listed));
    // A router's extra route, added atomically (extraroute-atomic).
    const net = await json(member, 'network', 'create', 'cli-routed');
    const sub = await json(member, 'subnet', 'create', '--network', net.id, '--subnet-range', '10.9.1.0/24', 'cli-routed-sub');
    const router = await json(member, 'router', 'create', 'cli-router');
    await member('router', 'add', 'subnet', router.id, sub.id);
    await member('router', 'add', 'route', '--route', 'destination=10.50.0.0/24,gateway=10.9.1.10', router.id);
    const routes = (await json(member, 'router', 'show', router.id)).routes as Array<{ destination: string; nexthop: string }>;
    assert.deepEqual(routes.map((r) => `${r.destination}>${r.nexthop}`), ['10.50.0.0/24>10.9.1.10']);
    await member('router', 'remove', 'route', '--route', 'destination=10.50.0.0/24,gateway=10.9.1.10', router.id);
    assert.deepEqual((await json(member, 'router', 'show', router.id)).routes, []);
    // A shared subnet pool made by the admin; the member's subnet comes from it.
    const pool = await json(admin, 'subnet', 'pool', 'create', '--pool-prefix', '10.240.0.0/16', '--default-prefix-length', '26', '--share', 'cli-pool');
    // (Its own network: a network's IPv4 subnets all come from one pool or none, as in Neutron.)
    const net2 = await json(member, 'network', 'create', 'cli-pooled-net');
    const pooled = await json(member, 'subnet', 'create', '--network', net2.id, '--subnet-pool', pool.id, 'cli-pooled');
    assert.equal(pooled.subnetpool_id, pool.id);
    assert.equal(pooled.cidr, '10.240.0.0/26');
    // IP availability, as the admin: the router's interface holds an address of the first subnet.
    const avail = async (id: string) => (await json(admin, 'ip', 'availability', 'show', id)).subnet_ip_availability as Array<{ subnet_id: string; used_ips: number; total_ips: number }>;
    assert.equal((await avail(net.id)).find((x) => x.subnet_id === sub.id)?.used_ips, 1);
    assert.equal((await avail(net2.id)).find((x) => x.subnet_id === pooled.id)?.total_ips, 61);
    // An RBAC policy shares the admin's network with the member's project alone.
    const adminNet = await json(admin, 'network', 'create', 'cli-rbac-net');
    const seen = async () => (await json(member, 'network', 'list')).map((n: { ID: string }) => n.ID) as string[];
    assert.ok(!(await seen()).includes(adminNet.id));
    const rbac = await json(admin, 'network', 'rbac', 'create', '--type', 'network', '--action', 'access_as_shared', '--target-project', project, adminNet.id);
    assert.equal(rbac.target_project_id, project, JSON.stringify(rbac));
    assert.ok((await seen()).includes(adminNet.id));
    const rbacs = (await json(admin, 'network', 'rbac', 'list', '--long')) as Array<{ ID: string }>;
    assert.ok(rbacs.some((r) => r.ID === rbac.id));
    await admin('network', 'rbac', 'delete', rbac.id);
    assert.ok(!(await seen()).includes(adminNet.id));
    await admin('network', 'delete', adminNet.id);
    // Zones come from agents; this controller has none, and the list says so rather than failing.
    assert.deepEqual(await json(member, 'availability', 'zone', 'list', '--network'), []);
    await member('router', 'remove', 'subnet', router.id, sub.id);
    await member('router', 'delete', router.id);
    await member('subnet', 'delete', pooled.id);
    await member('network', 'delete', net.id, net2.id);
    await admin('subnet', 'pool', 'delete', pool.id);
  });
});
