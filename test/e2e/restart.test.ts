/**
 * Durability through the real command: stop the process with SIGTERM, start it again on the same
 * data directory, and everything is there with the same ids, addresses and MACs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Api, tempDir } from '../helpers/server.js';
import { BIN, spawnController } from '../helpers/process.js';

const run = promisify(execFile);
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('alcor start', () => {
  it('prints its options with --help and refuses bad configuration clearly', async () => {
    const help = await run(process.execPath, [BIN, 'start', '--help']);
    assert.match(help.stdout, /--listen/);
    assert.match(help.stdout, /--data/);
    assert.match(help.stdout, /--vni-range/);
    await assert.rejects(run(process.execPath, [BIN, 'start', '--vni-range', '5:1', '--data', tempDir()]), (err: { code: number; stderr: string }) => {
      assert.notEqual(err.code, 0);
      assert.match(err.stderr, /invalid VNI range "5:1"/);
      return true;
    });
    await assert.rejects(run(process.execPath, [BIN, 'start', '--no-such-flag']), (err: { code: number }) => err.code !== 0);
  });

  it('keeps everything across a SIGTERM and a restart', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    let c = await spawnController(dataDir);
    let api = new Api(c.url);
    const n = await api.create('networks', 'network', { name: 'durable' });
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.0.0.0/28' });
    const ports = [];
    for (let i = 0; i < 5; i++) ports.push(await api.create('ports', 'port', { network_id: n.id }));
    const g = await api.create('security-groups', 'security_group', { name: 'keep' });
    const rule = (await api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } })).body.security_group_rule;
    const r = await api.create('routers', 'router', { name: 'keep' });
    const iface = (await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id })).body;
    await api.put(`/v2.0/networks/${n.id}/tags/kept`, undefined);
    assert.equal(await c.stop(), 0, c.output());

    c = await spawnController(dataDir);
    api = new Api(c.url);
    const net = (await api.get(`/v2.0/networks/${n.id}`)).body.network;
    assert.equal(net.name, 'durable');
    assert.deepEqual(net.tags, ['kept']);
    assert.deepEqual(net.subnets, [s.id]);
    assert.equal(net['provider:segmentation_id'], n['provider:segmentation_id']);
    for (const p of ports) {
      const again = (await api.get(`/v2.0/ports/${p.id}`)).body.port;
      assert.deepEqual(again.fixed_ips, p.fixed_ips);
      assert.equal(again.mac_address, p.mac_address);
    }
    assert.equal((await api.get(`/v2.0/security-group-rules/${rule.id}`)).status, 200);
    assert.equal((await api.get(`/v2.0/ports/${iface.port_id}`)).body.port.device_id, r.id);
    // The /28 has 13 pool addresses; 5 ports hold some, the gateway is the router's: the rest, once each.
    const held = new Set(ports.map((p) => p.fixed_ips[0].ip_address));
    const fresh = [];
    for (let i = 0; i < 8; i++) fresh.push(await api.create('ports', 'port', { network_id: n.id }));
    for (const p of fresh) {
      assert.ok(!held.has(p.fixed_ips[0].ip_address));
      held.add(p.fixed_ips[0].ip_address);
    }
    assert.equal((await api.post('/v2.0/ports', { port: { network_id: n.id } })).status, 409);
    assert.equal(await c.stop(), 0, c.output());
  });

  it('a SIGTERM during a burst of creates loses no acknowledged write and leaves none half-written', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    let c = await spawnController(dataDir);
    let api = new Api(c.url);
    const n = await api.create('networks', 'network', { name: 'burst' });
    await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.1.0.0/22' });
    const inflight = Array.from({ length: 100 }, () => api.post('/v2.0/ports', { port: { network_id: n.id } }).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 5));
    const stopped = c.stop();
    const results = await Promise.all(inflight);
    assert.equal(await stopped, 0, c.output());
    const acknowledged = results.filter((r) => r?.status === 201).map((r) => r!.body.port);

    c = await spawnController(dataDir);
    api = new Api(c.url);
    const stored = (await api.get(`/v2.0/ports?network_id=${n.id}`)).body.ports;
    const byId = new Map(stored.map((p: { id: string }) => [p.id, p]));
    for (const p of acknowledged) assert.deepEqual((byId.get(p.id) as { fixed_ips: unknown }).fixed_ips, p.fixed_ips);
    for (const p of stored) assert.equal(p.fixed_ips.length, 1);
    const addresses = stored.map((p: { fixed_ips: Array<{ ip_address: string }> }) => p.fixed_ips[0].ip_address);
    assert.equal(new Set(addresses).size, addresses.length);
    const byAddress = await api.get(`/v2.0/ports?fixed_ips=subnet_id%3D${stored[0]?.fixed_ips[0].subnet_id ?? ''}`);
    assert.equal(byAddress.body.ports.length, stored.length);
    assert.equal(await c.stop(), 0, c.output());
  });
});
