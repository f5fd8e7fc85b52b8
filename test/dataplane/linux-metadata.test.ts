/**
 * The metadata proxy on two namespaced hosts: a server reaches http://169.254.169.254 by the on-link
 * route its DHCP lease gives it, and the host it runs on forwards the request to Nova's metadata API
 * (here a stand-in that checks the signature as Nova does) with its own instance id, project and
 * address; headers a server forges change nothing; an agent restart leaves it working (haproxy
 * outlives the agent, as dnsmasq does). The real Nova's answer is in test/e2e/nova.test.ts.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Lab, labMissing, sh } from '../helpers/netns.js';
import type { LabHost } from '../helpers/netns.js';
import { portStatus, waitFor } from '../helpers/hosts.js';
import { startTestServer, tempDir } from '../helpers/server.js';
import type { Api, TestServer } from '../helpers/server.js';

const SECRET = 'metadata-test-secret';
const missing = labMissing() ?? (sh('sh', ['-c', 'command -v haproxy']).code !== 0 ? 'haproxy is not installed (scripts/ensure-dataplane-tools.sh installs it)' : undefined);

describe('linux data plane: the metadata proxy', { skip: missing, timeout: 180_000 }, () => {
  let lab: Lab;
  let t: TestServer;
  let api: Api;
  let h1: LabHost, h2: LabHost;
  let nova: Server;
  const seen: Array<Record<string, string | undefined>> = [];
  const dataDir = tempDir();
  let agentArgs: string[];

  before(async () => {
    lab = new Lab(2);
    [h1, h2] = lab.hosts;
    // Nova's metadata API as far as the proxy is concerned: it trusts X-Instance-ID only with the
    // right signature, and answers with what it was told.
    nova = createServer((req, res) => {
      const id = req.headers['x-instance-id'] as string | undefined;
      const sig = createHmac('sha256', SECRET).update(id ?? '').digest('hex');
      seen.push({ path: req.url, id, project: req.headers['x-tenant-id'] as string, forwarded: req.headers['x-forwarded-for'] as string });
      if (!id || req.headers['x-instance-id-signature'] !== sig) { res.writeHead(403).end('Invalid proxy request signature.'); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ uuid: id, project_id: req.headers['x-tenant-id'], remote: req.headers['x-forwarded-for'], path: req.url }));
    });
    const sock = join(lab.dir, 'fake-nova.sock');
    await new Promise<void>((r) => nova.listen(sock, () => r()));
    t = await startTestServer({ southboundListen: `unix:${lab.socket}`, dataDir });
    api = t.api;
    await lab.startRelay();
    const url = await lab.reachMetadata(sock);
    const secretFile = join(lab.dir, 'metadata-secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    agentArgs = ['--metadata-url', url, '--metadata-secret-file', secretFile];
    await lab.startAgents(api, agentArgs);
  });

  after(async () => {
    if (process.env.ALCOR_LAB_KEEP) return;
    await lab?.close();
    await t?.close();
    await new Promise((r) => nova?.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A server's VM on `h`, up by DHCP with the routes its lease gives (as cloud-init's network would be). */
  async function server(name: string, h: LabHost, network: string) {
    const instance = randomUUID();
    const port = await api.as('meta-project').create('ports', 'port', { network_id: network, name });
    const bound = await api.put(`/v2.0/ports/${port.id}`, { port: { device_owner: 'compute:nova', device_id: instance, 'binding:host_id': h.name } });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    const ns = lab.vm(h, port, name);
    await waitFor(`${name} ACTIVE`, async () => (await portStatus(api, port.id)) === 'ACTIVE', 15_000)
      .catch((e) => { throw new Error(`${e.message}\n${h.log.join('').slice(-3000)}`); });
    const lease = lab.dhcp(ns);
    assert.ok(lease, 'no lease');
    const ip = port.fixed_ips[0].ip_address as string;
    // Option 121: 169.254.169.254/32 on-link (next hop 0.0.0.0), then the default route.
    assert.match(lease['rfc3442-classless-static-routes'] ?? '', /^32,169,254,169,254,0,0,0,0,0,10,61,0,1$/);
    lab.in(ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
    lab.in(ns, 'ip', 'route', 'add', '169.254.169.254/32', 'dev', 'eth0');
    return { ns, port, ip, instance };
  }

  /** GET from inside a VM (asynchronously: the stand-in Nova answers from this process). */
  async function fetchIn(ns: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const script = `fetch('http://169.254.169.254${path}', { headers: ${JSON.stringify(headers)}, signal: AbortSignal.timeout(5000) })
      .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.log(JSON.stringify({ status: 0, body: String(e.cause ?? e) })); })`;
    const r = await lab.exec(ns, process.execPath, '-e', script);
    return JSON.parse(r.out.trim() || '{"status":0,"body":"no output"}') as { status: number; body: string };
  }

  let net: Record<string, any>;
  let a: Awaited<ReturnType<typeof server>>;

  it('answers a server with its own instance, project and address, through the host it runs on', async () => {
    net = await api.as('meta-project').create('networks', 'network', { name: 'meta' });
    await api.as('meta-project').create('subnets', 'subnet', { network_id: net.id, cidr: '10.61.0.0/24', ip_version: 4 });
    a = await server('ma', h1, net.id);
    const b = await server('mb', h2, net.id);
    let got = { status: 0, body: '' };
    await waitFor('a reaches the metadata address', async () => (got = await fetchIn(a.ns, '/openstack/latest/meta_data.json')).status === 200, 10_000)
      .catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(got)}\n${h1.log.join('').slice(-2000)}`); });
    assert.deepEqual(JSON.parse(got.body), { uuid: a.instance, project_id: 'meta-project', remote: a.ip, path: '/openstack/latest/meta_data.json' });
    const fromB = await fetchIn(b.ns, '/latest/meta-data/instance-id');
    assert.equal(fromB.status, 200, fromB.body);
    assert.equal(JSON.parse(fromB.body).uuid, b.instance);
  });

  it('ignores the headers a server forges', async () => {
    const forged = await fetchIn(a.ns, '/openstack/latest/meta_data.json', {
      'X-Forwarded-For': '10.61.0.99', 'X-Alcor-Network-ID': randomUUID(), 'X-Instance-ID': randomUUID(), 'X-Instance-ID-Signature': 'x',
    });
    assert.equal(forged.status, 200, forged.body);
    const body = JSON.parse(forged.body);
    assert.equal(body.uuid, a.instance);
    assert.equal(body.remote, a.ip);
  });

  it('keeps answering across a restart of the host\'s agent', async () => {
    await lab.stopAgent(h1);
    lab.startAgent(h1, agentArgs);
    await waitFor('agent h1 back', async () => (await api.get(`/v2.0/agents?host=${h1.name}`)).body.agents[0]?.alive, 20_000);
    let got = { status: 0, body: '' };
    await waitFor('metadata after the restart', async () => (got = await fetchIn(a.ns, '/openstack/latest/meta_data.json')).status === 200, 15_000)
      .catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(got)}`); });
    assert.equal(JSON.parse(got.body).uuid, a.instance);
  });

  it('stops the proxy with the network\'s DHCP when the host\'s last server on it goes', async () => {
    const ports = (await api.get(`/v2.0/ports?network_id=${net.id}&binding:host_id=${h1.name}&device_owner=compute:nova`)).body.ports;
    for (const p of ports) assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
    await waitFor('no haproxy of the network left on h1', async () => !sh('pgrep', ['-f', join(h1.stateDir, 'linux', 'dhcp', net.id)]).out.trim(), 15_000);
    // The veth goes right after the processes (the namespace goes with the last of them).
    await waitFor('the metadata veth gone', async () => lab.in(h1.ns, 'ip', 'link', 'show', `mdp${net.id.slice(0, 11)}`).code !== 0, 5_000);
  });
});
