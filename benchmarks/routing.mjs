#!/usr/bin/env node
// Routing in the Linux data plane, measured in network namespaces on this machine (root): two
// compute hosts and a gateway host with real agents, an "outside" namespace on a flat external
// network (203.0.113.0/24, inside the lab only), VMs as namespaces. A benchmark: it asserts nothing.
//   npm run bench:routing -- [--fips 100] [--interfaces 30] [--routers 10,20,40] [--json FILE]
//
// 1. Floating IP associate -> first answer from the outside (ping), p50/p99 over --fips VMs.
// 2. add_router_interface -> first routed ping from a VM on another subnet, p50/p99 over --interfaces.
// 3. Kernel objects on the gateway host as floating IPs grow, and on a compute host as routers grow.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab, labMissing, sh } from '../dist/test/helpers/netns.js';
import { startTestServer } from '../dist/test/helpers/server.js';

const { values } = parseArgs({ options: {
  fips: { type: 'string', default: '100' }, interfaces: { type: 'string', default: '30' }, routers: { type: 'string', default: '10,20,40' },
  json: { type: 'string' },
} });
const missing = labMissing();
if (missing) { console.error(`bench:routing cannot run here: ${missing}`); process.exit(2); }

const FIPS = Number(values.fips), IFACES = Number(values.interfaces), ROUTERS = values.routers.split(',').map(Number);
const OUTSIDE = '203.0.113.1';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms (n=${xs.length})`;

const lab = new Lab(3);
const [h1, h2, gw] = lab.hosts;
const pn = lab.physical('ph0');
const out = lab.outside(pn, `${OUTSIDE}/24`);
// The outside's ARP retries every second by default: that would be the figure, not ours.
lab.in(out, 'sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.retrans_time_ms=20');
const t = await startTestServer({ southboundListen: `unix:${lab.socket}`, flatNetworks: 'public', defaultQuotas: 'network=-1,subnet=-1,port=-1,router=-1,floatingip=-1,security_group=-1,security_group_rule=-1' });
const api = t.api;
const report = { machine: { cpus: (await import('node:os')).cpus().length } };
try {
  await lab.startRelay();
  for (const h of lab.hosts) lab.startAgent(h, ['--physical-network', 'public=ph0', ...(h === gw ? ['--gateway'] : [])]);
  for (const h of lab.hosts) {
    for (let i = 0; ; i++) {
      if ((await api.get(`/v2.0/agents?host=${h.name}`)).body.agents[0]?.alive) break;
      if (i > 400) throw new Error(`agent ${h.name} did not register:\n${h.log.join('')}`);
      await sleep(50);
    }
  }
  const ext = await api.create('networks', 'network', { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' });
  await api.create('subnets', 'subnet', { network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4, gateway_ip: OUTSIDE, enable_dhcp: false, allocation_pools: [{ start: '203.0.113.2', end: '203.0.113.254' }] });
  const sg = await api.create('security-groups', 'security_group', { name: 'icmp' });
  await api.create('security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' });

  /** A VM as Nova boots one (tap first: the agent's work is measured, not Nova's), up once ACTIVE. */
  async function vms(specs) {
    const made = [];
    for (const [i, s] of specs.entries()) {
      const port = await api.create('ports', 'port', { network_id: s.net.id, device_owner: 'compute:nova', device_id: `vm-${s.name}`, security_groups: [sg.id] });
      const ns = lab.vm(s.host, port, s.name);
      const ip = port.fixed_ips[0].ip_address;
      lab.in(ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      lab.in(ns, 'ip', 'route', 'add', 'default', 'via', s.gateway);
      lab.in(ns, 'sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.retrans_time_ms=20');
      const r = await api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': s.host.name } });
      if (r.status !== 200) throw new Error(JSON.stringify(r.body));
      made.push({ port, ns, ip, i });
    }
    for (const v of made) {
      for (let k = 0; (await api.get(`/v2.0/ports/${v.port.id}`)).body.port.status !== 'ACTIVE'; k++) {
        if (k > 600) throw new Error(`VM ${v.i} not ACTIVE`);
        await sleep(50);
      }
    }
    return made;
  }
  // The controller runs in this process: every wait must leave it the event loop (no spawnSync).
  const until = async (what, fn, ms = 30_000) => {
    const t0 = performance.now();
    while (!(await fn())) if (performance.now() - t0 > ms) throw new Error(`${what} after ${ms} ms\n${lab.hosts.map((h) => `${h.name}:\n${h.log.join('').slice(-3000)}`).join('\n')}`);
    return performance.now() - t0;
  };
  /**
   * A ping every 10 ms from `ns` (ping -D stamps each reply with the epoch): `first` resolves with
   * the epoch ms of the first reply; `last()` is the latest reply's. Resolution: the interval.
   */
  const watch = (ns, ip) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'ping', '-n', '-D', '-i', '0.01', '-W', '1', '-c', '100000', ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    let last = 0, resolveFirst;
    const first = new Promise((r) => { resolveFirst = r; });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const m = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m) { last = Number(m[1]) * 1000; resolveFirst(last); }
      }
    });
    return { first, last: () => last, stop: () => child.kill('SIGKILL') };
  };
  const ping = (ns, ip) => new Promise((res) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '0.2', ip], { stdio: 'ignore' });
    child.once('exit', (code) => res(code === 0));
  });

  /** What a router namespace holds, by the holder pids in the agent's state directory. */
  function routerObjects(h) {
    const dir = join(h.stateDir, 'linux', 'routers');
    let routers = 0, links = 0, addrs = 0, routes = 0, neigh = 0, nat = 0;
    let ids = [];
    try { ids = readdirSync(dir); } catch { /* none */ }
    for (const id of ids) {
      const pid = Number(readFileSync(join(dir, id, 'pid'), 'utf8'));
      const inNs = (...args) => sh('nsenter', [`--net=/proc/${pid}/ns/net`, ...args]).out;
      routers++;
      const l = JSON.parse(inNs('ip', '-j', 'addr', 'show') || '[]').filter((x) => x.ifname !== 'lo');
      links += l.length;
      addrs += l.reduce((n, x) => n + x.addr_info.filter((a) => a.scope === 'global').length, 0);
      routes += JSON.parse(inNs('ip', '-j', 'route', 'show', 'proto', 'static') || '[]').length;
      neigh += JSON.parse(inNs('ip', '-j', 'neigh', 'show', 'nud', 'permanent') || '[]').length;
      const maps = inNs('nft', '-j', 'list', 'table', 'ip', 'alcor_nat');
      if (maps) nat += JSON.parse(maps).nftables.filter((o) => o.map).reduce((n, o) => n + (o.map.elem?.length ?? 0), 0);
    }
    const hostLinks = JSON.parse(sh('ip', ['-n', h.ns, '-j', 'link', 'show']).out).length;
    return { routers, hostLinks, links, addrs, routes, neigh, natElements: nat };
  }

  // 1. Floating IPs.
  const router = await api.create('routers', 'router', { name: 'r', external_gateway_info: { network_id: ext.id } });
  const netA = await api.create('networks', 'network', { name: 'a' });
  const subA = await api.create('subnets', 'subnet', { network_id: netA.id, cidr: '10.50.0.0/24', ip_version: 4 });
  await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subA.id });
  const fipVms = await vms(Array.from({ length: FIPS }, (_, i) => ({ name: `f${i}`, host: i % 2 ? h2 : h1, net: netA, gateway: '10.50.0.1' })));
  const fipMs = [];
  const fipGrowth = [];
  const fips = [];
  for (const [i, v] of fipVms.entries()) {
    const fip = await api.create('floatingips', 'floatingip', { floating_network_id: ext.id });
    const w = watch(out, fip.floating_ip_address);
    await sleep(50);
    const t0 = Date.now();
    const r = await api.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: v.port.id } });
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    const first = await Promise.race([w.first, sleep(30_000).then(() => undefined)]);
    w.stop();
    if (first === undefined) throw new Error(`floating IP ${i} unreachable after 30 s\n${gw.log.join('').slice(-3000)}`);
    fipMs.push(first - t0);
    fips.push(fip);
    if ((i + 1) % Math.max(1, Math.floor(FIPS / 4)) === 0) fipGrowth.push({ fips: i + 1, ...routerObjects(gw) });
  }
  report.floatingIp = { associateToReachable: { p50: pct(fipMs, 50), p99: pct(fipMs, 99), n: fipMs.length }, gatewayHost: fipGrowth };
  console.log(`floating IP associate -> reachable from the outside: ${fmt(fipMs)}`);
  for (const g of fipGrowth) console.log(`  gateway host with ${g.fips} floating IPs: ${g.addrs} addresses, ${g.natElements} NAT map elements, ${g.neigh} neighbours in its router`);
  const dis = [];
  for (const fip of fips.slice(0, 20)) {
    const w = watch(out, fip.floating_ip_address);
    await w.first;
    const t0 = Date.now();
    await api.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    // Replies stop: the last one is when the translation went (the ping's own 10 ms aside).
    await sleep(1500);
    w.stop();
    dis.push(Math.max(0, w.last() - t0));
  }
  console.log(`floating IP disassociate -> unreachable: ${fmt(dis)}`);
  report.floatingIp.disassociateToUnreachable = { p50: pct(dis, 50), p99: pct(dis, 99), n: dis.length };

  // 2. add_router_interface -> first routed ping.
  const src = fipVms[0];
  const targets = [];
  for (let i = 0; i < IFACES; i++) {
    const net = await api.create('networks', 'network', { name: `b${i}` });
    const sub = await api.create('subnets', 'subnet', { network_id: net.id, cidr: `10.${60 + Math.floor(i / 200)}.${i % 200}.0/24`, ip_version: 4 });
    targets.push({ net, sub, gateway: sub.gateway_ip });
  }
  const targetVms = await vms(targets.map((x, i) => ({ name: `t${i}`, host: h2, net: x.net, gateway: x.gateway })));
  const ifaceMs = [];
  for (const [i, x] of targets.entries()) {
    const w = watch(src.ns, targetVms[i].ip);
    await sleep(50);
    const t0 = Date.now();
    const r = await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: x.sub.id });
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    const first = await Promise.race([w.first, sleep(30_000).then(() => undefined)]);
    w.stop();
    if (first === undefined) throw new Error(`interface ${i} not routed after 30 s`);
    ifaceMs.push(first - t0);
  }
  report.addInterface = { toFirstRoutedPing: { p50: pct(ifaceMs, 50), p99: pct(ifaceMs, 99), n: ifaceMs.length } };
  console.log(`add_router_interface -> first routed ping (source on another host): ${fmt(ifaceMs)}`);

  // 3. Routers on a compute host as they grow: each its own network, one VM of it on h1.
  const growth = [];
  let made = 0;
  for (const want of ROUTERS) {
    const specs = [];
    for (; made < want; made++) {
      const r = await api.create('routers', 'router', { name: `g${made}` });
      const net = await api.create('networks', 'network', { name: `g${made}` });
      const sub = await api.create('subnets', 'subnet', { network_id: net.id, cidr: `10.${100 + Math.floor(made / 200)}.${made % 200}.0/24`, ip_version: 4 });
      await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id });
      specs.push({ name: `g${made}`, host: h1, net, gateway: sub.gateway_ip });
    }
    const vs = await vms(specs);
    await until('last router not answering', () => ping(vs.at(-1).ns, specs.at(-1).gateway));
    growth.push({ extraRouters: want, ...routerObjects(h1) });
  }
  report.routersOnHost = growth;
  for (const g of growth) console.log(`  compute host with ${g.routers} routers: ${g.hostLinks} links in the host, ${g.links} router links, ${g.addrs} addresses, ${g.routes} routes, ${g.neigh} neighbours`);
} finally {
  await lab.close();
  await t.close();
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
