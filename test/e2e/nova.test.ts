/**
 * A real Nova (scripts/nova.sh: Debian's Nova, Placement and Glance, fake-driver computes) booting
 * a server on the controller: Nova reads the quota, creates the port, binds it to the compute's
 * host, the host's agent acknowledges it and the port goes ACTIVE; deleting the server deletes the
 * port. Slow (a first run installs packages and sets up five databases): not part of `npm test`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RunningAgent } from '../../src/agent/agent.js';
import { FakeDataPlane } from '../../src/agent/dataplane/fake.js';
import { ensureKeystone, Keystone, KEYSTONE_URL, SERVICE_PASSWORD } from '../../src/bench/keystone-admin.js';
import { agentOn, waitFor } from '../helpers/hosts.js';
import { ROOT } from '../helpers/process.js';
import type { TestServer } from '../helpers/server.js';
import { Api, startTestServer } from '../helpers/server.js';

const run = promisify(execFile);
const NOVA_SH = join(ROOT, 'scripts', 'nova.sh');
const HOSTS = ['alcor-compute-1', 'alcor-compute-2'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('Nova boots a server on the controller', () => {
  let t: TestServer;
  let api: Api;
  let nova: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Json }>;
  const agents: RunningAgent[] = [];

  before(async () => {
    await ensureKeystone();
    t = await startTestServer({ authStrategy: 'keystone', keystoneUrl: KEYSTONE_URL, keystonePassword: SERVICE_PASSWORD });
    for (const host of HOSTS) agents.push(agentOn(t.server.controlPlane.url, host, new FakeDataPlane()));
    // Nova is pointed at this controller by URL: the catalog's network endpoint is the tests' to move.
    const { stdout } = await run('bash', [NOVA_SH, 'start'], {
      timeout: 20 * 60_000, env: { ...process.env, ALCOR_URL: t.server.url, NOVA_COMPUTES: String(HOSTS.length) },
    });
    const novaUrl = stdout.trim().split('\n').pop()!;
    const keystone = await Keystone.admin();
    api = new Api(t.server.url, { 'x-auth-token': keystone.token });
    nova = async (method, path, body) => {
      const res = await fetch(`${novaUrl}${path}`, {
        method,
        headers: { 'x-auth-token': keystone.token, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
  });

  after(async () => {
    for (const a of agents) await a.stop();
    await t?.close();
    await run('bash', [NOVA_SH, 'stop'], { timeout: 60_000 });
  });

  it('creates, binds and activates the port, and deletes it with the server', async () => {
    const net = await api.create('networks', 'network', { name: 'nova-net' });
    await api.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' });
    const image = (await nova('GET', '/images?name=cirros-healthcheck')).body.images[0];
    const flavor = (await nova('GET', '/flavors')).body.flavors.find((f: Json) => f.name === 'm1.tiny');
    assert.ok(image && flavor, 'scripts/nova.sh seeds cirros-healthcheck and m1.tiny');

    const created = await nova('POST', '/servers', { server: { name: 'vm1', imageRef: image.id, flavorRef: flavor.id, networks: [{ uuid: net.id }] } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.server.id as string;
    const server = await waitFor('the server ACTIVE or ERROR', async () => {
      const s = (await nova('GET', `/servers/${id}`)).body.server;
      return ['ACTIVE', 'ERROR'].includes(s.status) && s;
    }, 180_000);
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server.fault));
    const host = server['OS-EXT-SRV-ATTR:host'] as string;
    assert.ok(HOSTS.includes(host), host);

    const ports = (await api.get(`/v2.0/ports?device_id=${id}`)).body.ports;
    assert.equal(ports.length, 1);
    assert.equal(ports[0].network_id, net.id);
    assert.equal(ports[0].device_owner, 'compute:nova');
    assert.equal(ports[0]['binding:host_id'], host);
    assert.equal(ports[0].status, 'ACTIVE');
    assert.match(JSON.stringify(server.addresses), new RegExp(ports[0].fixed_ips[0].ip_address.replaceAll('.', '\\.')));

    assert.equal((await nova('DELETE', `/servers/${id}`)).status, 204);
    await waitFor('the server gone', async () => (await nova('GET', `/servers/${id}`)).status === 404, 120_000);
    await waitFor('its port deleted', async () => (await api.get(`/v2.0/ports?device_id=${id}`)).body.ports.length === 0, 30_000);
  });

  it('waits for network-vif-plugged from the controller', {
    todo: 'the fake agent acknowledges before Nova reads the port, and the controller sends no events yet',
  });
});
