/**
 * The Linux data plane's edges, on three namespaced hosts: admin state, DHCP switched off and
 * extra options, DHCPv6 addresses, head-end replication only to a network's own hosts, and a
 * kernel refusal that fails the port (ERROR, with the reason) without harming the agent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labMissing } from '../helpers/netns.js';
import type { LabHost } from '../helpers/netns.js';
import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestServer, tempDir } from '../helpers/server.js';
import type { Api, TestServer } from '../helpers/server.js';
import { portStatus, waitFor } from '../helpers/hosts.js';

const missing = labMissing();

describe('linux data plane: admin state, DHCP options, DHCPv6, replication, refusals', { skip: missing, timeout: 240_000 }, () => {
  let lab: Lab;
  let t: TestServer;
  let api: Api;
  let h1: LabHost, h2: LabHost, h3: LabHost;
  const dataDir = tempDir();
  let admin: { a: { ns: string; ip: string }; b: { ns: string; ip: string } } | undefined;

  before(async () => {
    lab = new Lab(3);
    [h1, h2, h3] = lab.hosts;
    t = await startTestServer({ southboundListen: `unix:${lab.socket}`, dataDir });
    api = t.api;
    await lab.startRelay();
    await lab.startAgents(api);
  });

  after(async () => {
    if (process.env.ALCOR_LAB_KEEP) return;
    await lab?.close();
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function vm(name: string, h: LabHost, network: string, attrs: Record<string, unknown> = {}, status = 'ACTIVE') {
    const port = await api.create('ports', 'port', { network_id: network, name, device_owner: 'compute:nova', device_id: name, 'binding:host_id': h.name, ...attrs });
    const ns = lab.vm(h, port, name);
    await waitFor(`${name} ${status}`, async () => (await portStatus(api, port.id)) === status, 15_000)
      .catch((e) => { throw new Error(`${e.message}\n${h.log.join('').slice(-3000)}`); });
    return { ns, port, ip: port.fixed_ips[0]?.ip_address as string };
  }

  const ping = (from: string, to: string): boolean => lab.in(from, 'ping', '-c', '1', '-W', '1', to).code === 0;

  it('cuts off a port with admin_state_up false, and lets it back', async () => {
    const net = await api.create('networks', 'network', { name: 'admin' });
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.50.0.0/24', ip_version: 4, enable_dhcp: false });
    const a = await vm('a', h1, net.id);
    const b = await vm('b', h2, net.id);
    for (const v of [a, b]) lab.in(v.ns, 'ip', 'addr', 'add', `${v.ip}/24`, 'dev', 'eth0');
    await waitFor('a reaches b', async () => ping(a.ns, b.ip));
    assert.equal((await api.put(`/v2.0/ports/${b.port.id}`, { port: { admin_state_up: false } })).status, 200);
    await waitFor('b cut off', async () => !ping(a.ns, b.ip));
    assert.equal((await api.put(`/v2.0/ports/${b.port.id}`, { port: { admin_state_up: true } })).status, 200);
    await waitFor('b back', async () => ping(a.ns, b.ip));
    admin = { a, b };
  });

  it('takes an allowed address pair whose prefix holds the port\'s own address (no overlap refused)', async () => {
    const { a, b } = admin!;
    const netId = (await api.get(`/v2.0/ports?device_id=a`)).body.ports[0].network_id;
    const w = await vm('w', h1, netId, { allowed_address_pairs: [{ ip_address: '10.50.0.0/24' }] });
    lab.in(w.ns, 'ip', 'addr', 'add', `${w.ip}/24`, 'dev', 'eth0');
    lab.in(w.ns, 'ip', 'addr', 'add', '10.50.0.77/24', 'dev', 'eth0');
    // A target without port security, so only w's own anti-spoofing decides.
    const open = await vm('open', h2, netId, { port_security_enabled: false, security_groups: [] });
    lab.in(open.ns, 'ip', 'addr', 'add', `${open.ip}/24`, 'dev', 'eth0');
    await waitFor('w reaches a VM from an address of the pair', async () => lab.in(w.ns, 'ping', '-c', '1', '-W', '1', '-I', '10.50.0.77', open.ip).code === 0);
    assert.ok(ping(a.ns, b.ip), 'the other ports of the host lost their filtering state');
    // A second member's pair inside the first: the remote-group prefixes overlap, and stay apart in the set.
    const w2 = await vm('w2', h2, netId, { allowed_address_pairs: [{ ip_address: '10.50.0.0/25' }] });
    assert.equal((await api.delete(`/v2.0/ports/${w.port.id}`)).status, 204);
    const group = (w2.port.security_groups as string[])[0].replace(/-/g, '');
    await waitFor('the /25 left alone in h2\'s prefix set', async () => {
      const set = lab.in(h2.ns, 'nft', 'list', 'set', 'inet', 'alcor', `n4_${group}`).out;
      return set.includes('10.50.0.0/25') && !set.includes('10.50.0.0/24');
    });
    for (const h of lab.hosts) assert.equal(h.log.join('').includes('rebuilding the tables'), false, `${h.name} had to rebuild its tables`);
  });

  it('keeps traffic flowing through a controller restart', async () => {
    const { a, b } = admin!;
    const pinger = spawn('ip', ['netns', 'exec', a.ns, 'ping', '-i', '0.01', '-w', '4', b.ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    pinger.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => setTimeout(r, 500));
    await t.server.close();
    rmSync(lab.socket, { force: true });
    t = await startTestServer({ southboundListen: `unix:${lab.socket}`, dataDir });
    api = t.api;
    await new Promise((r) => pinger.once('exit', r));
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m, out);
    assert.ok(Number(m[1]) - Number(m[2]) <= 2, `lost ${Number(m[1]) - Number(m[2])} of ${m[1]} pings across a controller restart`);
    for (const h of lab.hosts) await waitFor(`${h.name} back`, async () => (await api.get(`/v2.0/agents?host=${h.name}`)).body.agents[0]?.alive, 20_000);
  });

  it('answers no DHCP on a subnet with enable_dhcp false, and carries extra_dhcp_opts where it is on', async () => {
    const off = await api.create('networks', 'network', { name: 'dhcp-off' });
    await api.create('subnets', 'subnet', { network_id: off.id, cidr: '10.51.0.0/24', ip_version: 4, enable_dhcp: false });
    const c = await vm('c', h1, off.id);
    assert.equal(lab.dhcp(c.ns, 3), undefined, 'a subnet with DHCP off answered');
    const on = await api.create('networks', 'network', { name: 'dhcp-on' });
    await api.create('subnets', 'subnet', { network_id: on.id, cidr: '10.52.0.0/24', ip_version: 4 });
    const d = await vm('d', h1, on.id, { extra_dhcp_opts: [{ opt_name: 'ntp-server', opt_value: '10.52.0.123' }] });
    const lease = lab.dhcp(d.ns);
    assert.ok(lease, 'no lease');
    assert.equal(lease.address, d.ip);
    assert.equal(lease['ntp-servers'], '10.52.0.123');
    // A port of the same network on another host is not this host's to answer: its own host does.
    const e = await vm('e', h2, on.id);
    assert.equal(lab.dhcp(e.ns)?.address, e.ip);
  });

  it('drops the offers of a rogue DHCP server in a VM', async () => {
    const on = (await api.get('/v2.0/networks?name=dhcp-on')).body.networks[0];
    // Its group lets DHCP requests in, so the rogue does hear them and answer.
    const server = await api.create('security-groups', 'security_group', { name: 'dhcp-server' });
    await api.create('security-group-rules', 'security_group_rule', { security_group_id: server.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 67, port_range_max: 67 });
    const rogue = await vm('rogue', h1, on.id, { security_groups: [server.id] });
    const victim = await vm('victim', h1, on.id);
    lab.in(rogue.ns, 'ip', 'addr', 'add', `${rogue.ip}/24`, 'dev', 'eth0');
    const log = join(lab.dir, 'rogue.log');
    const started = lab.in(rogue.ns, 'dnsmasq', '--conf-file=/dev/null', '--port=0', '--interface=eth0', '--bind-interfaces', '--user=root', '--log-dhcp', `--log-facility=${log}`,
      '--dhcp-range=10.52.0.150,10.52.0.160,1h', `--pid-file=${join(lab.dir, 'rogue.pid')}`, `--dhcp-leasefile=${join(lab.dir, 'rogue.leases')}`);
    const cap = spawn('ip', ['netns', 'exec', victim.ns, 'tcpdump', '-i', 'eth0', '-nn', '-l', `udp src port 67 and ether src ${rogue.port.mac_address}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    cap.stdout!.on('data', (d: Buffer) => { seen += d.toString(); });
    await new Promise<void>((r) => cap.stderr!.once('data', () => r()));
    await new Promise((r) => setTimeout(r, 300));
    const lease = lab.dhcp(victim.ns);
    // dnsmasq logs its offer a moment after sending it.
    await waitFor('the rogue offered (else the test would prove nothing)', async () => /DHCPOFFER/.test(lab.in(rogue.ns, 'cat', log).out), 5_000)
      .catch((e) => { throw new Error(`${e.message}: ${started.err} ${lab.in(rogue.ns, 'cat', log).out}`); });
    await new Promise((r) => setTimeout(r, 300));
    cap.kill();
    assert.equal(lease?.address, victim.ip, 'the victim did not get its own address from its host');
    assert.equal(seen.trim(), '', `the rogue's offers reached the victim:\n${seen}`);
  });

  it('gives a dhcpv6-stateful subnet\'s address by DHCPv6', async () => {
    const net = await api.create('networks', 'network', { name: 'v6' });
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: 'fd00:53::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' });
    const f = await vm('f', h3, net.id);
    const got = await lab.dhcp6(f.ns);
    assert.deepEqual(got, [f.ip], `DHCPv6 gave ${JSON.stringify(got)} for ${f.ip}`);
  });

  it('replicates broadcast only to the hosts of the network', async () => {
    const net = await api.create('networks', 'network', { name: 'her' });
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.54.0.0/24', ip_version: 4, enable_dhcp: false });
    await vm('g', h1, net.id);
    await vm('h', h2, net.id);
    const vni = net['provider:segmentation_id'];
    const flood = (h: LabHost) => lab.in(h.ns, 'bridge', 'fdb', 'show', 'dev', `vxlan-${vni}`).out.split('\n')
      .filter((l) => l.startsWith('00:00:00:00:00:00')).map((l) => /dst (\S+)/.exec(l)?.[1]).sort();
    await waitFor('h1 floods to h2 only', async () => JSON.stringify(flood(h1)) === JSON.stringify([h2.vtep]));
    assert.deepEqual(flood(h2), [h1.vtep]);
    // h3 has ports on other networks, none on this one: no device, no entry.
    assert.notEqual(lab.in(h3.ns, 'ip', 'link', 'show', `vxlan-${vni}`).code, 0);
    // Every port's address stays a neighbour entry as more taps join the bridge (a bridge whose MAC
    // followed its ports would flush them all whenever a lower MAC joined).
    const ips: string[] = [];
    // Each MAC lower than all before it, so each tap would have changed such a bridge's MAC.
    for (let i = 0; i < 8; i++) ips.push((await vm(`n${i}`, i % 2 ? h2 : h1, net.id, { mac_address: `00:16:3e:00:00:${(20 - i).toString(16).padStart(2, '0')}` })).ip);
    await waitFor('every address a neighbour entry on h1', async () => {
      const have = lab.in(h1.ns, 'ip', 'neigh', 'show', 'dev', `brq${net.id.slice(0, 11)}`, 'nud', 'permanent').out;
      return ips.every((ip) => have.includes(`${ip} `));
    });
  });

  it('fails a port whose bridge name the kernel refuses (a clash), with the reason, and the agent carries on', async () => {
    const net = await api.create('networks', 'network', { name: 'clash' });
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.55.0.0/24', ip_version: 4, enable_dhcp: false });
    // Something not ours already holds the name.
    assert.equal(lab.in(h3.ns, 'ip', 'link', 'add', `brq${net.id.slice(0, 11)}`, 'type', 'veth', 'peer', 'name', 'clashpeer').code, 0);
    const port = await api.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'clash', 'binding:host_id': h3.name });
    lab.vm(h3, port, 'clash');
    await waitFor('the port in ERROR', async () => (await portStatus(api, port.id)) === 'ERROR', 15_000)
      .catch(async (e) => { throw new Error(`${e.message} (it is ${await portStatus(api, port.id)})\n${h3.log.join('').slice(-3000)}`); });
    assert.equal(lab.in(h3.ns, 'ip', '-d', 'link', 'show', `brq${net.id.slice(0, 11)}`).out.includes('veth'), true, 'the agent touched a device not its own');
    assert.equal(h3.agent?.exitCode, null, 'the agent died');
    const other = await api.create('networks', 'network', { name: 'after-clash' });
    await api.create('subnets', 'subnet', { network_id: other.id, cidr: '10.56.0.0/24', ip_version: 4, enable_dhcp: false });
    await vm('ok', h3, other.id);
  });

  it('serves a host whose agent says vif_type bridge: Nova plugs the tap into the bridge the binding names', async () => {
    await lab.stopAgent(h3);
    lab.startAgent(h3, ['--vif-type', 'bridge']);
    await waitFor('h3 back as a bridge host', async () => {
      const a = (await api.get(`/v2.0/agents?host=${h3.name}`)).body.agents[0];
      return a?.alive && a.configurations?.vif_type === 'bridge';
    }, 20_000);
    const net = await api.create('networks', 'network', { name: 'vif-bridge' });
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.57.0.0/24', ip_version: 4, enable_dhcp: false });
    const port = await api.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vb', 'binding:host_id': h3.name });
    assert.equal(port['binding:vif_type'], 'bridge');
    const bridge = port['binding:vif_details'].bridge_name as string;
    assert.equal(bridge, `brq${net.id.slice(0, 11)}`);
    // The agent makes the bridge before any tap exists, for Nova to plug into.
    await waitFor('the bridge the binding names', async () => lab.in(h3.ns, 'ip', 'link', 'show', bridge).code === 0);
    const ns = lab.vm(h3, port, 'vb');
    lab.in(h3.ns, 'ip', 'link', 'set', `tap${port.id.slice(0, 11)}`, 'master', bridge, 'up');
    await waitFor('vb ACTIVE', async () => (await portStatus(api, port.id)) === 'ACTIVE');
    const peer = await vm('vb-peer', h1, net.id);
    lab.in(ns, 'ip', 'addr', 'add', `${port.fixed_ips[0].ip_address}/24`, 'dev', 'eth0');
    lab.in(peer.ns, 'ip', 'addr', 'add', `${peer.ip}/24`, 'dev', 'eth0');
    await waitFor('vb reaches its peer on another host', async () => ping(ns, peer.ip));
  });
});
