#!/usr/bin/env node
// The Linux data plane, measured in network namespaces on this machine (root): 3 hosts with real
// agents (`alcor agent --dataplane linux`), VMs as namespaces with the taps Nova would make, the
// controller in this process reached over the underlay. A benchmark: it never asserts timings.
//   npm run bench:dataplane -- [--vms 100] [--hosts 3] [--neighbours 0,1000,10000] [--probe 5] [--json FILE]
//
// 1. bind -> port ACTIVE and bind -> first answered ping from the VM (to a VM on another host),
//    p50/p99 over --vms VMs spread over the hosts (taps made before the bind, so the agent's own
//    work is measured, not Nova's).
// 2. The time the agent takes to program one port (its round, as it logs it) with 0, 1,000 and
//    10,000 neighbours present on the network (neighbours are ports bound to simulated hosts).
// 3. nftables rules and set elements on a host as its ports grow.
// 4. Pings lost across an agent restart (ping every 10 ms).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Lab, labMissing } from '../dist/test/helpers/netns.js';
import { startTestServer } from '../dist/test/helpers/server.js';
import { Simulator } from '../dist/src/agent/sim.js';
import { GrpcClientCarrier } from '../dist/src/protocol/grpc/carrier.js';

const { values } = parseArgs({ options: {
  vms: { type: 'string', default: '100' }, hosts: { type: 'string', default: '3' }, neighbours: { type: 'string', default: '0,1000,10000' },
  probe: { type: 'string', default: '5' }, json: { type: 'string' }, 'agent-log': { type: 'string' },
} });
const missing = labMissing();
if (missing) { console.error(`bench:dataplane cannot run here: ${missing}`); process.exit(2); }

const VMS = Number(values.vms), HOSTS = Number(values.hosts), PROBE = Number(values.probe);
const STEPS = values.neighbours.split(',').map(Number);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms (n=${xs.length})`;

const lab = new Lab(HOSTS);
const t = await startTestServer({ southboundListen: `unix:${lab.socket}`, defaultQuotas: 'network=-1,subnet=-1,port=-1,router=-1,floatingip=-1,security_group=-1,security_group_rule=-1' });
const api = t.api;
const report = { machine: { cpus: (await import('node:os')).cpus().length }, vms: VMS, hosts: HOSTS };
let sim;
try {
  await lab.startRelay();
  for (const h of lab.hosts) lab.startAgent(h, ['--log-level', 'debug']);
  for (const h of lab.hosts) {
    for (let i = 0; ; i++) {
      const r = await api.get(`/v2.0/agents?host=${h.name}`);
      if (r.body.agents[0]?.alive) break;
      if (i > 400) throw new Error(`agent ${h.name} did not register:\n${h.log.join('')}`);
      await sleep(50);
    }
  }
  const net = await api.create('networks', 'network', { name: 'bench' });
  await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.40.0.0/16', ip_version: 4, enable_dhcp: false });

  async function vmOn(h, i, measure, network = net.id) {
    const port = await api.create('ports', 'port', { network_id: network, device_owner: 'compute:nova', device_id: `vm${i}` });
    const ns = lab.vm(h, port, `b${i}`);
    const ip = port.fixed_ips[0].ip_address;
    lab.in(ns, 'ip', 'addr', 'add', `${ip}/16`, 'dev', 'eth0');
    lab.in(ns, 'ip', 'link', 'set', 'eth0', 'mtu', '1450');
    // The VM's own ARP retries every second by default: that would be the figure, not ours.
    lab.in(ns, 'sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.retrans_time_ms=20');
    const t0 = performance.now();
    const res = await api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': h.name } });
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    if (!measure) return { port, ns, ip };
    let active, pinged;
    while (active === undefined || pinged === undefined) {
      if (active === undefined && (await api.get(`/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE') active = performance.now() - t0;
      if (pinged === undefined && lab.in(ns, 'ping', '-c', '1', '-W', '0.2', measure.ip).code === 0) pinged = performance.now() - t0;
      if (performance.now() - t0 > 30_000) throw new Error(`vm ${i} not up after 30 s`);
    }
    return { port, ns, ip, active, pinged };
  }

  // 1. bind -> ACTIVE, bind -> first ping.
  const anchor = await vmOn(lab.hosts[0], 0, undefined);
  await sleep(500);
  const active = [], pinged = [];
  const growth = [];
  const h1 = lab.hosts[0];
  const nftCount = () => {
    const rules = lab.in(h1.ns, 'nft', '-a', 'list', 'ruleset').out;
    const ruleLines = rules.split('\n').filter((l) => /# handle \d+$/.test(l) && !/^\s*(table|chain|set|map)\b/.test(l)).length;
    const sets = JSON.parse(lab.in(h1.ns, 'nft', '-j', 'list', 'ruleset').out).nftables;
    const elements = sets.filter((o) => o.set || o.map).reduce((n, o) => n + ((o.set ?? o.map).elem?.length ?? 0), 0);
    return { rules: ruleLines, elements };
  };
  for (let i = 1; i <= VMS; i++) {
    const h = lab.hosts[i % HOSTS];
    const vm = await vmOn(h, i, anchor);
    active.push(vm.active);
    pinged.push(vm.pinged);
    if (i % 25 === 0 || i === VMS) {
      growth.push({ vms: i, ...nftCount() });
    }
  }
  report.bindToActive = { p50: pct(active, 50), p99: pct(active, 99) };
  report.bindToPing = { p50: pct(pinged, 50), p99: pct(pinged, 99) };
  report.nftGrowth = growth;
  console.log(`bind -> ACTIVE: ${fmt(active)}`);
  console.log(`bind -> first ping: ${fmt(pinged)}`);
  console.log('nftables on host 1 as the network grows (host 1 holds ~1/3 of the VMs; rules / set elements):');
  for (const g of growth) console.log(`  ${String(g.vms).padStart(4)} VMs: ${g.rules} rules, ${g.elements} elements`);

  // 4. Restart loss.
  {
    const target = lab.hosts.length > 1 ? (await vmOn(lab.hosts[1], 9000, undefined)) : anchor;
    await sleep(500);
    const p = spawn('ip', ['netns', 'exec', anchor.ns, 'ping', '-i', '0.01', '-w', '5', target.ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    await sleep(1000);
    await lab.stopAgent(h1);
    lab.startAgent(h1, ['--log-level', 'debug']);
    await new Promise((r) => p.once('exit', r));
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    report.restart = { sent: Number(m?.[1]), lost: Number(m?.[1]) - Number(m?.[2]) };
    console.log(`agent restart during a ping every 10 ms: ${report.restart.lost} of ${report.restart.sent} lost`);
    for (let i = 0; i < 200; i++) { const r = await api.get(`/v2.0/agents?host=${h1.name}`); if (r.body.agents[0]?.alive) break; await sleep(50); }
    await sleep(1000);
  }

  // 2. One port's round with N neighbours present.
  const simHosts = 50;
  sim = new Simulator({ hosts: simHosts, controller: `unix:${lab.socket}`, prefix: `bs${lab.tag}`, perConnection: 500, log: pino({ level: 'silent' }), carrier: () => new GrpcClientCarrier() });
  sim.start();
  while (sim.synced() < simHosts) await sleep(20);
  // A network of its own, so that 0 means 0: the probes and the neighbours are all there is on it.
  const scale = await api.create('networks', 'network', { name: 'bench-scale' });
  await api.create('subnets', 'subnet', { network_id: scale.id, cidr: '10.80.0.0/16', ip_version: 4, enable_dhcp: false });
  const neighboursOnH1 = () => Number(lab.in(h1.ns, 'sh', '-c', `ip neigh show dev brq${scale.id.slice(0, 11)} nud permanent 2>/dev/null | wc -l`).out.trim());
  // A port of host 1's on it first: host 1 then receives the neighbours as they come, as a host with
  // VMs on a growing network does (without one it is sent none, and the first port gets them all).
  await vmOn(h1, 19999, undefined, scale.id);
  let remote = 0;
  report.perPort = [];
  for (const target of STEPS) {
    while (remote < target) {
      const batch = [];
      for (let k = 0; k < 100 && remote < target; k++, remote++) {
        batch.push(api.create('ports', 'port', { network_id: scale.id, device_owner: 'compute:nova', device_id: `n${remote}`, 'binding:host_id': `bs${lab.tag}-${(remote % simHosts) + 1}` }));
      }
      await Promise.all(batch);
    }
    const waitStart = performance.now();
    // Wait until host 1 holds them all.
    const want = 1 + target + STEPS.indexOf(target) * PROBE;
    for (let i = 0; i < 1200 && neighboursOnH1() < want; i++) await sleep(100);
    const held = neighboursOnH1();
    if (held < want) {
      // Name what host 1 lacks: a bench that waited in vain says why.
      const have = new Set(lab.in(h1.ns, 'sh', '-c', `ip neigh show dev brq${scale.id.slice(0, 11)} nud permanent | cut -d' ' -f1`).out.split('\n'));
      const ports = [];
      for (let marker; ;) {
        const r = await api.get(`/v2.0/ports?network_id=${scale.id}&limit=1000${marker ? `&marker=${marker}` : ''}`);
        ports.push(...r.body.ports);
        if (r.body.ports.length < 1000) break;
        marker = r.body.ports.at(-1).id;
      }
      const lacking = ports.filter((p) => !have.has(p.fixed_ips[0]?.ip_address));
      console.log(`host 1 holds ${held} of ${want}; lacking: ${lacking.slice(0, 5).map((p) => `${p.fixed_ips[0]?.ip_address} on ${p['binding:host_id']} (${p.status}, ${p['binding:vif_type']})`).join(', ')}`);
    }
    report.waitedMs = report.waitedMs ?? {};
    report.waitedMs[target] = Math.round(performance.now() - waitStart);
    let captured = '';
    const grab = (b) => { captured += b.toString(); };
    h1.agent.stdout.on('data', grab);
    for (let k = 0; k < PROBE; k++) {
      await vmOn(h1, 20000 + target + k, undefined, scale.id);
      await sleep(300);
    }
    h1.agent.stdout.off('data', grab);
    // A probe's own round: the one that plugged a tap that was there at the bind (nothing pending).
    const ms = [];
    for (const line of captured.split('\n')) {
      if (!line.startsWith('{') || !line.includes('"round programmed"')) continue;
      const o = JSON.parse(line);
      if (o.pending === 0 && o.failed === 0) ms.push(o.ms);
    }
    report.perPort.push({ neighbours: held, roundMs: { p50: pct(ms, 50), max: Math.max(...ms) }, rounds: ms.length });
    console.log(`one port bound with ${held} neighbour entries on host 1: agent round p50 ${pct(ms, 50).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms (${ms.length} rounds)`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
  if (values['agent-log']) writeFileSync(values['agent-log'], h1.log.join(''));
} finally {
  await sim?.stop();
  await lab.close();
  await t.close();
}
