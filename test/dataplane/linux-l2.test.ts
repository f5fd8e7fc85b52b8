/**
 * The Linux data plane end to end, in network namespaces: real agents on hosts joined by an
 * underlay, VMs wired by taps, the controller reached over the underlay. DHCP, VXLAN, neighbour
 * suppression and security groups are checked by what the VMs can and cannot do.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labMissing, sh } from '../helpers/netns.js';
import { spawn } from 'node:child_process';
import type { LabHost } from '../helpers/netns.js';
import { startTestServer } from '../helpers/server.js';
import type { Api, TestServer } from '../helpers/server.js';
import { portStatus, waitFor } from '../helpers/hosts.js';

const missing = labMissing();

describe('linux data plane: two hosts, DHCP, VXLAN, security groups', { skip: missing, timeout: 240_000 }, () => {
  let lab: Lab;
  let t: TestServer;
  let api: Api;
  let h1: LabHost, h2: LabHost;
  let net: Record<string, any>;
  let subnet: Record<string, any>;
  const closeMs: number[] = [];
  const restartLoss: number[] = [];
  const vms = new Map<string, { ns: string; port: Record<string, any>; ip: string; ip6?: string }>();

  before(async () => {
    lab = new Lab(2);
    [h1, h2] = lab.hosts;
    t = await startTestServer({ southboundListen: `unix:${lab.socket}` });
    api = t.api;
    await lab.startRelay();
    for (const h of lab.hosts) lab.startAgent(h);
    for (const h of lab.hosts) {
      await waitFor(`agent ${h.name} registered`, async () => {
        const r = await api.get(`/v2.0/agents?host=${h.name}`);
        return r.body.agents.length > 0 && r.body.agents[0].alive;
      }, 20_000).catch((e) => { throw new Error(`${e.message}\n${h.log.join('')}`); });
    }
    net = await api.create('networks', 'network', { name: 'lab' });
    subnet = await api.create('subnets', 'subnet', {
      network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4, dns_nameservers: ['10.20.0.53'],
      host_routes: [{ destination: '172.16.0.0/16', nexthop: '10.20.0.254' }],
    });
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: 'fd00:20::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
  });

  after(async () => {
    if (closeMs.length || restartLoss.length) process.stdout.write(`# rule removal to closed: ${closeMs.join(', ')} ms; restart: ${restartLoss[0]} of ${restartLoss[1]} pings lost\n`);
    if (process.env.ALCOR_LAB_KEEP) return;
    await lab?.close();
    await t?.close();
  });

  async function boot(name: string, h: LabHost, attrs: Record<string, unknown> = {}, tapFirst = false) {
    let port = await api.create('ports', 'port', { network_id: net.id, name, device_owner: 'compute:nova', device_id: name, ...attrs });
    let ns = '';
    if (tapFirst) ns = lab.vm(h, port, name);
    const res = await api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': h.name } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    port = res.body.port;
    if (!tapFirst) {
      // Nova makes the tap after binding: the port is DOWN until it exists.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await portStatus(api, port.id), 'DOWN');
      ns = lab.vm(h, port, name);
    }
    await waitFor(`${name} ACTIVE`, async () => (await portStatus(api, port.id)) === 'ACTIVE', 15_000)
      .catch((e) => { throw new Error(`${e.message}\n${h.log.join('').slice(-4000)}`); });
    const v4 = port.fixed_ips.find((f: any) => !f.ip_address.includes(':'));
    const vm = { ns, port, ip: v4?.ip_address as string, ip6: port.fixed_ips.find((f: any) => f.ip_address.includes(':'))?.ip_address as string | undefined };
    vms.set(name, vm);
    return vm;
  }

  function ping(from: string, to: string, count = 1, ...extra: string[]): boolean {
    return lab.in(from, 'ping', '-c', String(count), '-W', '1', '-i', '0.2', ...extra, to).code === 0;
  }

  /** Up to `tries` pings, one a second at most: true once one is answered (state converging). */
  async function reaches(from: string, to: string, tries = 10, ...extra: string[]): Promise<boolean> {
    for (let i = 0; i < tries; i++) {
      if (ping(from, to, 1, ...extra)) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  async function address(name: string, h: LabHost, attrs: Record<string, unknown> = {}) {
    const vm = await boot(name, h, attrs);
    lab.in(vm.ns, 'ip', 'addr', 'add', `${vm.ip}/24`, 'dev', 'eth0');
    lab.in(vm.ns, 'ip', 'link', 'set', 'eth0', 'mtu', '1450');
    return vm;
  }

  /** A TCP connection from one VM to another's port: true when it connects. */
  function connects(from: string, to: string, port: number): boolean {
    const js = `const s=require('net').connect(${port},'${to}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),700)`;
    return lab.in(from, process.execPath, '-e', js).code === 0;
  }

  function listen(vm: string, port: number): void {
    const child = spawn('ip', ['netns', 'exec', vm, process.execPath, '-e', `require('net').createServer(s=>s.end('hi')).listen(${port})`], { stdio: 'ignore' });
    child.unref();
  }

  /** What crosses host 1's underlay (VXLAN) while `fn` runs, counted by kind of inner packet. */
  async function capture(fn: () => Promise<void>): Promise<{ arp: number; dhcp: number; nd: number; icmp: number }> {
    const filter = 'udp port 4789';
    const child = spawn('ip', ['netns', 'exec', h1.ns, 'tcpdump', '-i', 'ul', '-nn', '-l', '-e', '-x', filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout!.on('data', (b: Buffer) => { text += b.toString(); });
    await new Promise<void>((r) => child.stderr!.once('data', () => r()));
    await fn();
    await new Promise((r) => setTimeout(r, 300));
    child.kill();
    await new Promise((r) => child.once('exit', r));
    const counts = { arp: 0, dhcp: 0, nd: 0, icmp: 0 };
    for (const pkt of text.split(/\n(?=\S)/)) {
      const hex = [...pkt.matchAll(/0x[0-9a-f]{4}:\s+((?:[0-9a-f]{4}\s?)+)/g)].map((m) => m[1].replace(/\s/g, '')).join('');
      // Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 = 50 bytes before the inner frame (tcpdump -x starts at the IP header: 36).
      const inner = hex.slice(36 * 2);
      const type = inner.slice(24, 28);
      if (type === '0806') counts.arp++;
      else if (type === '0800') {
        const proto = inner.slice(14 * 2 + 18, 14 * 2 + 20);
        const dport = inner.slice(14 * 2 + 22 * 2, 14 * 2 + 24 * 2);
        if (proto === '11' && (dport === '0043' || dport === '0044')) counts.dhcp++;
        if (proto === '01') counts.icmp++;
      } else if (type === '86dd') {
        const next = inner.slice(14 * 2 + 12, 14 * 2 + 14);
        const icmpType = inner.slice((14 + 40) * 2, (14 + 40) * 2 + 2);
        if (next === '3a' && (icmpType === '87' || icmpType === '88')) counts.nd++;
      }
    }
    return counts;
  }

  it('gives each VM exactly its address, gateway, MTU and host routes by DHCP', async () => {
    const a = await boot('a', h1);
    const b = await boot('b', h2, {}, true);
    for (const vm of [a, b]) {
      const lease = lab.dhcp(vm.ns);
      assert.ok(lease, `no DHCP lease for ${vm.ns}\n${h1.log.join('').slice(-3000)}`);
      assert.equal(lease.address, vm.ip);
      assert.equal(lease.routers, subnet.gateway_ip);
      assert.equal(lease['interface-mtu'], '1450');
      assert.equal(lease['domain-name-servers'], '10.20.0.53');
      assert.match(lease['rfc3442-classless-static-routes'] ?? '', /^16,172,16,10,20,0,254/);
      lab.in(vm.ns, 'ip', 'addr', 'add', `${vm.ip}/24`, 'dev', 'eth0');
      lab.in(vm.ns, 'ip', 'link', 'set', 'eth0', 'mtu', lease['interface-mtu']);
    }
  });

  it('lets VMs on different hosts ping each other over VXLAN (default group: members talk)', () => {
    const a = vms.get('a')!, b = vms.get('b')!;
    assert.ok(ping(a.ns, b.ip, 2), 'a cannot ping b');
    assert.ok(ping(b.ns, a.ip, 2), 'b cannot ping a');
  });

  it('gives a SLAAC subnet\'s prefix by router advertisement: the VM forms the EUI-64 address the port shows', async () => {
    for (const name of ['a', 'b']) {
      const vm = vms.get(name)!;
      assert.ok(vm.ip6, 'the port has no SLAAC address');
      await waitFor(`${name} forms ${vm.ip6}`, async () => lab.in(vm.ns, 'ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global').out.includes(vm.ip6!), 15_000);
    }
    const a = vms.get('a')!, b = vms.get('b')!;
    await waitFor('a reaches b over IPv6', async () => ping(a.ns, b.ip6!), 10_000);
    assert.ok(ping(b.ns, a.ip6!, 2), 'b cannot ping a over IPv6');
  });

  it('keeps ARP, ND and DHCP for known neighbours off the overlay', async () => {
    const a = vms.get('a')!, b = vms.get('b')!;
    const seen = await capture(async () => {
      // Forget what a learned: it must ask again, and its own host must answer.
      lab.in(a.ns, 'ip', 'neigh', 'flush', 'dev', 'eth0');
      assert.ok(ping(a.ns, b.ip, 2));
      assert.ok(ping(a.ns, b.ip6!, 2));
      assert.ok(lab.dhcp(a.ns), 'a got no lease');
    });
    assert.ok(seen.icmp >= 4, `the capture saw the pings cross (${JSON.stringify(seen)})`);
    assert.deepEqual({ arp: seen.arp, dhcp: seen.dhcp, nd: seen.nd }, { arp: 0, dhcp: 0, nd: 0 });
  });

  it('holds security groups: strangers kept out, a TCP 22 rule from a prefix opens exactly that, remote groups follow membership', async () => {
    const a = vms.get('a')!;
    const web = await api.create('security-groups', 'security_group', { name: 'web' });
    const c = await address('c', h1, { security_groups: [web.id] });
    listen(c.ns, 22);
    listen(c.ns, 80);
    // c is in no group of a's: a's default group keeps it out; web (egress only) keeps a out.
    assert.equal(await reaches(c.ns, a.ip, 2), false, 'a stranger reached a member of default');
    assert.equal(ping(a.ns, c.ip), false, 'web let ICMP in with no rule for it');
    const rule = await api.create('security-group-rules', 'security_group_rule', {
      security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: `${a.ip}/32`,
    });
    await waitFor('TCP 22 open from a', async () => connects(a.ns, c.ip, 22));
    assert.equal(connects(a.ns, c.ip, 80), false, 'port 80 opened too');
    assert.equal(connects(vms.get('b')!.ns, c.ip, 22), false, 'b is not in the prefix');
    const t0 = Date.now();
    assert.equal((await api.delete(`/v2.0/security-group-rules/${rule.id}`)).status, 204);
    await waitFor('TCP 22 closed again', async () => !connects(a.ns, c.ip, 22));
    closeMs.push(Date.now() - t0);
    // A remote-group rule: ICMP from members of default.
    await api.create('security-group-rules', 'security_group_rule', { security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: (a.port.security_groups as string[])[0] });
    assert.ok(await reaches(a.ns, c.ip), 'a member of default cannot ping c');
    // The reply to a's ping came back though a's group lets no one but members in: conntrack.
    const d = await address('d', h2);
    assert.ok(await reaches(d.ns, c.ip), 'a new member of default (on the other host) cannot ping c');
    assert.equal((await api.put(`/v2.0/ports/${d.port.id}`, { port: { security_groups: [web.id] } })).status, 200);
    await waitFor('d left default: c no longer answers it', async () => !ping(d.ns, c.ip));
  });

  it('drops what a VM sends from an address or MAC not its own, and lets an allowed address pair move a VIP', async () => {
    const a = vms.get('a')!, b = vms.get('b')!;
    lab.in(a.ns, 'ip', 'addr', 'add', '10.20.0.199/24', 'dev', 'eth0');
    assert.equal(ping(a.ns, b.ip, 1, '-I', '10.20.0.199'), false, 'a spoofed address got through');
    lab.in(a.ns, 'ip', 'addr', 'del', '10.20.0.199/24', 'dev', 'eth0');
    assert.ok(ping(a.ns, b.ip), 'a lost its own address');
    const vip = '10.20.0.200';
    const x = await address('x', h1, { allowed_address_pairs: [{ ip_address: vip }] });
    const y = await address('y', h2, { allowed_address_pairs: [{ ip_address: vip }] });
    lab.in(x.ns, 'ip', 'addr', 'add', `${vip}/32`, 'dev', 'eth0');
    assert.ok(await reaches(b.ns, vip), 'the VIP on x is unreachable');
    lab.in(x.ns, 'ip', 'addr', 'del', `${vip}/32`, 'dev', 'eth0');
    lab.in(y.ns, 'ip', 'addr', 'add', `${vip}/32`, 'dev', 'eth0');
    // y announces it (gratuitous ARP); b, on y's host, takes it at once.
    lab.in(y.ns, 'ping', '-c', '1', '-W', '1', b.ip);
    sh('ip', ['netns', 'exec', y.ns, 'sh', '-c', `command -v arping >/dev/null && arping -U -c 2 -I eth0 ${vip}`]);
    lab.in(b.ns, 'ip', 'neigh', 'flush', 'dev', 'eth0');
    assert.ok(await reaches(b.ns, vip), 'the VIP did not move to y');
    // A MAC not its own: y's frames stop.
    lab.in(y.ns, 'ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:99:99:99');
    lab.in(y.ns, 'ip', 'neigh', 'flush', 'dev', 'eth0');
    assert.equal(ping(y.ns, b.ip, 2), false, 'y got through with a MAC not its own');
    lab.in(y.ns, 'ip', 'link', 'set', 'eth0', 'address', y.port.mac_address);
  });

  it('lets anything through a port with port security off', async () => {
    const e = await address('e', h1, { port_security_enabled: false, security_groups: [] });
    const f = await address('f', h2, { port_security_enabled: false, security_groups: [] });
    lab.in(e.ns, 'ip', 'addr', 'add', '10.20.0.201/24', 'dev', 'eth0');
    assert.ok(await reaches(e.ns, f.ip), 'e cannot reach f');
    // f must first learn where .201 is (its ARP crosses by head-end replication): a few tries.
    assert.ok(await reaches(e.ns, f.ip, 5, '-I', '10.20.0.201'), 'a spoofed address was dropped with port security off');
  });

  it('cuts a VM off when its port is deleted, and removes a network\'s bridge, VXLAN and DHCP from a host with none of its ports left', async () => {
    const e = vms.get('e')!, f = vms.get('f')!;
    assert.equal((await api.delete(`/v2.0/ports/${f.port.id}`)).status, 204);
    await waitFor('f cut off', async () => !ping(e.ns, f.ip));
    const other = await api.create('networks', 'network', { name: 'other' });
    await api.create('subnets', 'subnet', { network_id: other.id, cidr: '10.30.0.0/24', ip_version: 4 });
    const p = await api.create('ports', 'port', { network_id: other.id, device_owner: 'compute:nova', device_id: 'z', 'binding:host_id': h2.name });
    const br = `brq${other.id.slice(0, 11)}`;
    await waitFor('bridge made on h2', async () => lab.in(h2.ns, 'ip', 'link', 'show', br).code === 0);
    await waitFor('DHCP for it on h2', async () => lab.in(h2.ns, 'ip', 'link', 'show', `dhp${other.id.slice(0, 11)}`).code === 0);
    assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
    await waitFor('bridge, VXLAN and DHCP gone from h2', async () => lab.in(h2.ns, 'ip', 'link', 'show', br).code !== 0
      && lab.in(h2.ns, 'ip', 'link', 'show', `dhp${other.id.slice(0, 11)}`).code !== 0
      && !lab.in(h2.ns, 'ip', '-d', 'link', 'show', 'type', 'vxlan').out.includes(`vxlan id ${other['provider:segmentation_id']} `));
    assert.equal(lab.in(h2.ns, 'nft', 'list', 'ruleset').out.includes(`tap${f.port.id.slice(0, 11)}`), false, 'f is still in nftables');
  });

  it('restarts without interrupting traffic, and a host changed while its agent was down matches the goal state after', async () => {
    const a = vms.get('a')!, b = vms.get('b')!;
    const pinger = spawn('ip', ['netns', 'exec', a.ns, 'ping', '-i', '0.01', '-w', '4', b.ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    pinger.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => setTimeout(r, 300));
    await lab.stopAgent(h1);
    lab.startAgent(h1);
    await new Promise((r) => pinger.once('exit', r));
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m, out);
    restartLoss.push(Number(m[1]) - Number(m[2]), Number(m[1]));
    assert.ok(Number(m[1]) - Number(m[2]) <= 2, `lost ${Number(m[1]) - Number(m[2])} of ${m[1]} pings across an agent restart`);
    // Killed, then the network changes: a's port deleted, x moved to h2.
    await waitFor('h1 back', async () => { const r = await api.get(`/v2.0/agents?host=${h1.name}`); return r.body.agents[0]?.alive; });
    await lab.stopAgent(h1, 'SIGKILL');
    const x = vms.get('x')!;
    assert.equal((await api.delete(`/v2.0/ports/${a.port.id}`)).status, 204);
    lab.startAgent(h1);
    await waitFor('a cut off after the restart', async () => !ping(a.ns, b.ip));
    assert.ok(await reaches(x.ns, b.ip), 'x lost its network across the restart');
    // The restarted agent's first round swept what the goal state no longer names.
    await waitFor('a gone from h1\'s nftables', async () => !lab.in(h1.ns, 'nft', 'list', 'ruleset').out.includes(`tap${a.port.id.slice(0, 11)}`));
    await waitFor('a\'s tap off the bridge', async () => !lab.in(h1.ns, 'ip', 'link', 'show', `tap${a.port.id.slice(0, 11)}`).out.includes('master'));
    assert.equal(await portStatus(api, x.port.id), 'ACTIVE');
  });
});
