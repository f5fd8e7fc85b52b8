#!/usr/bin/env node
// Goal-state delivery at scale: a controller as its own process, N simulated hosts (src/agent/sim.ts)
// in a child process, P ports created and bound at a steady rate R, then a burst. Reports what the
// controller measured (GET /goalstate/stats) beside the targets. A benchmark: it never asserts timings.
//   npm run bench:hosts -- [--hosts 1000] [--ports 20000] [--rate 500] [--burst 10000]
//                          [--scale 100,1000,10000 [--ports 20000,20000,5000]] [--json FILE]
//                          [--put-binds 300] [--concurrency 64] [--cpu-prof DIR] [--seed 1] [--projects 10]
//
// Why the hosts live in a child process: the load generator (HTTP clients, open-loop schedule)
// and 10,000 agents' JSON parsing would share one event loop, so an ack would wait behind request
// bookkeeping and bind->ACTIVE would measure the bench, not the controller. Apart, the OS schedules
// them as it schedules the controller (2 cores for three processes: the figures say how much CPU each took).
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
// Tens of thousands of ports in a few projects: the controller it starts has no quotas (Neutron's defaults would refuse them).
process.env.ALCOR_DEFAULT_QUOTAS ??= 'network=-1,subnet=-1,port=-1,router=-1,floatingip=-1,security_group=-1,security_group_rule=-1';
const CLK_TCK = 100; // USER_HZ on Linux

// ---------------------------------------------------------------------------------------------
// Loaded into the controller (NODE_OPTIONS=--import this file) by --cpu-prof DIR: Node 20 refuses
// --cpu-prof in NODE_OPTIONS, so each thread profiles itself through the inspector and writes
// DIR/controller-<pid>-<thread>.cpuprofile when it exits.
const PROFILE_DIR = process.env.ALCOR_BENCH_PROFILE_DIR;
if (PROFILE_DIR) {
  const { Session } = await import('node:inspector');
  const { threadId } = await import('node:worker_threads');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session on its own thread answers synchronously.
    session.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(`${PROFILE_DIR}/controller-${process.pid}-${threadId}.cpuprofile`, JSON.stringify(r.profile));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The simulated hosts' process.
if (process.argv.includes('--sim-child')) {
  const { Simulator } = await import('../dist/src/agent/sim.js');
  const { GrpcClientCarrier } = await import('../dist/src/protocol/grpc/carrier.js');
  let errors = 0;
  const log = { info() {}, warn(o, m) { errors++; if (errors <= 5) console.error('sim warn', m, JSON.stringify(o).slice(0, 300)); }, error(o, m) { errors++; if (errors <= 5) console.error('sim error', m, JSON.stringify(o).slice(0, 300)); } };
  let sim;
  process.on('message', async (m) => {
    if (m.t === 'start') {
      sim = new Simulator({ hosts: m.hosts, controller: m.controller, prefix: m.prefix, perConnection: m.perConnection, carrier: () => new GrpcClientCarrier(), log });
      sim.start();
      process.send({ t: 'started', connections: sim.connections });
    } else if (m.t === 'status') {
      const c = sim.hosts.reduce((a, h) => { a.nacks += h.agent.counters.nacks; a.gaps += h.agent.counters.gaps; a.errors += h.agent.counters.errors; return a; }, { nacks: 0, gaps: 0, errors: 0 });
      process.send({ t: 'status', id: m.id, synced: sim.synced(), rss: process.memoryUsage().rss, logged: errors, ...c });
    } else if (m.t === 'stop') {
      try { await sim?.stop(); } finally { process.exit(0); }
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
async function main() {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '1000' },
      ports: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '500' },
      burst: { type: 'string', default: '10000' },
      'burst-bulk': { type: 'string', default: '500' },
      'burst-concurrency': { type: 'string', default: '4' },
      scale: { type: 'string' },
      json: { type: 'string' },
      'put-binds': { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '64' },
      'per-connection': { type: 'string', default: '500' },
      projects: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      'cpu-prof': { type: 'string' },
      'timeout-factor': { type: 'string', default: '1' },
    },
  });
  const { startControllerProcess } = await import('../dist/src/cli/controller-process.js');
  const { Pool } = await import('undici');
  const list = (s) => s.split(',').map((x) => Number(x.trim()));
  const hostCounts = values.scale ? list(values.scale) : [Number(values.hosts)];
  const pick = (arr, i) => arr[Math.min(i, arr.length - 1)];
  const portsList = list(values.ports);
  const burstList = list(values.burst);
  const tf = Number(values['timeout-factor']);

  const results = [];
  let current; // what to stop on error or signal
  const stopAll = async () => {
    const c = current;
    current = undefined;
    if (!c) return;
    await c.sim?.stop().catch(() => {});
    await c.pool?.close().catch(() => {});
    await c.ctrl?.stop().catch(() => {});
  };
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { console.error(`\n${sig}: stopping`); void stopAll().then(() => process.exit(130)); });

  try {
    for (let i = 0; i < hostCounts.length; i++) {
      const r = await runOne({
        hosts: hostCounts[i], ports: pick(portsList, i), burst: pick(burstList, i), rate: Number(values.rate),
        putBinds: Number(values['put-binds']), concurrency: Number(values.concurrency), perConnection: Number(values['per-connection']),
        projects: Number(values.projects), seed: Number(values.seed), burstBulk: Number(values['burst-bulk']),
        burstConcurrency: Number(values['burst-concurrency']), cpuProf: values['cpu-prof'], tf,
      }, startControllerProcess, Pool, (c) => { current = c; });
      await stopAll();
      results.push(r);
      printTable(results);
    }
  } catch (err) {
    console.error(`\nbench:hosts aborted: ${err.message}`);
    await stopAll();
    process.exitCode = 1;
  }
  if (values.json) {
    writeFileSync(values.json, JSON.stringify({ at: new Date().toISOString(), args: values, results }, null, 2));
    console.log(`wrote ${values.json}`);
  }
}

// ---------------------------------------------------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(values, q) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

/** utime+stime of a process (all threads) and of its main thread, seconds. */
function cpuOf(pid) {
  const read = (path) => {
    const text = readFileSync(path, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  };
  return { total: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

/** The controller's pid: startControllerProcess spawns it as our direct child, with its port in argv. */
function controllerPid(url) {
  const port = new URL(url).port;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('alcor.js')) && cmd.includes(`127.0.0.1:${port}`)) return Number(d);
    } catch { /* gone */ }
  }
  throw new Error(`could not find the controller process listening on ${port}`);
}

async function withTimeout(what, ms, fn) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`phase "${what}" did not finish within ${Math.round(ms / 1000)} s`)), ms); });
  try {
    return await Promise.race([fn(), t]);
  } finally {
    clearTimeout(timer);
  }
}

function startSim(o) {
  const child = fork(SELF, ['--sim-child'], {
    execArgv: ['--max-old-space-size=8192'],
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters = new Map();
  let seq = 0;
  const exited = new Promise((r) => child.once('exit', (code) => { for (const w of waiters.values()) w.rej(new Error(`the simulator exited (${code})`)); r(code); }));
  child.on('message', (m) => { const w = waiters.get(m.t === 'started' ? 'started' : m.id); if (w) { waiters.delete(m.t === 'started' ? 'started' : m.id); w.res(m); } });
  const ask = (key, msg) => new Promise((res, rej) => { waiters.set(key, { res, rej }); child.send(msg); });
  return {
    pid: child.pid,
    started: ask('started', { t: 'start', ...o }),
    status: () => { const id = ++seq; return ask(id, { t: 'status', id }); },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send({ t: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
async function runOne(o, startControllerProcess, Pool, setCurrent) {
  const rand = mulberry32(o.seed * 7919 + o.hosts);
  const prefix = 'bench';
  const hostName = (i) => `${prefix}-${i + 1}`;
  const out = { hosts: o.hosts, ports: o.ports, rate: o.rate, burst: o.burst };
  console.log(`\n=== ${o.hosts} hosts, ${o.ports} ports at ${o.rate}/s, burst ${o.burst}`);

  // 1. Controller and hosts.
  const savedOptions = process.env.NODE_OPTIONS;
  if (o.cpuProf) {
    mkdirSync(o.cpuProf, { recursive: true });
    process.env.NODE_OPTIONS = `${savedOptions ?? ''} --import ${SELF}`.trim();
    process.env.ALCOR_BENCH_PROFILE_DIR = resolve(o.cpuProf);
  }
  const cur = {};
  setCurrent(cur);
  try {
    cur.ctrl = await startControllerProcess({ quiet: true });
  } finally {
    if (o.cpuProf) {
      if (savedOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = savedOptions;
      delete process.env.ALCOR_BENCH_PROFILE_DIR;
    }
  }
  const ctrl = cur.ctrl;
  const pid = controllerPid(ctrl.url);
  const pool = (cur.pool = new Pool(ctrl.url, { connections: Math.max(o.concurrency, o.burstConcurrency), pipelining: 1 }));
  const call = async (method, path, body, expect) => {
    const res = await pool.request({ method, path, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.body.text();
    if (res.statusCode !== expect) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const stats = (reset = false) => call('GET', `/goalstate/stats${reset ? '?reset' : ''}`, undefined, 200);

  const t0 = performance.now();
  cur.sim = startSim({ hosts: o.hosts, controller: ctrl.southboundUrl, prefix, perConnection: o.perConnection });
  const sim = cur.sim;
  const { connections } = await sim.started;
  await withTimeout('hosts sync', (60_000 + o.hosts * 20) * o.tf, async () => {
    for (;;) {
      const s = await sim.status();
      if (s.synced === o.hosts) return;
      await sleep(200);
    }
  });
  await withTimeout('agents listed', 60_000 * o.tf, async () => {
    for (;;) {
      const { agents } = await call('GET', '/v2.0/agents?fields=host&fields=alive', undefined, 200);
      if (agents.filter((a) => a.alive).length >= o.hosts) return;
      await sleep(250);
    }
  });
  out.syncSeconds = +((performance.now() - t0) / 1000).toFixed(2);
  out.connections = connections;
  console.log(`  ${o.hosts} hosts synced over ${connections} connections in ${out.syncSeconds} s`);

  // 2. Networks: sizes 10-200 from the seeded PRNG until they hold every port (steady + put + burst).
  const total = o.ports + o.burst;
  const nets = [];
  let capacity = 0;
  while (capacity < total) {
    const size = 10 + Math.floor(rand() * 191);
    nets.push({ size, project: `project-${nets.length % o.projects}`, used: 0 });
    capacity += size;
  }
  await withTimeout('networks', 300_000 * o.tf, async () => {
    let next = 0;
    const worker = async () => {
      while (next < nets.length) {
        const i = next++;
        const n = nets[i];
        const { network } = await call('POST', '/v2.0/networks', { network: { name: `bench-${i}`, project_id: n.project } }, 201);
        n.id = network.id;
        await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, project_id: n.project, ip_version: 4, cidr: `10.${i >> 4}.${(i & 15) << 4}.0/20` } }, 201);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  });
  // Each port: a network with room left (weighted by room, so networks fill), a random host.
  const slots = [];
  for (let i = 0; i < nets.length; i++) for (let k = 0; k < nets[i].size; k++) slots.push(i);
  for (let i = slots.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [slots[i], slots[j]] = [slots[j], slots[i]]; }
  let slot = 0;
  const portBody = (bound = true) => {
    const n = nets[slots[slot++]];
    const p = { network_id: n.id, project_id: n.project, device_owner: 'compute:nova', device_id: `vm-${slot}` };
    if (bound) p['binding:host_id'] = hostName(Math.floor(rand() * o.hosts));
    return p;
  };
  const putCount = Math.min(o.putBinds, o.ports);
  const postCount = o.ports - putCount;
  // Ports Nova would create first and bind later.
  const unbound = [];
  for (let i = 0; i < putCount; i += 100) {
    const { ports } = await call('POST', '/v2.0/ports', { ports: Array.from({ length: Math.min(100, putCount - i) }, () => portBody(false)) }, 201);
    unbound.push(...ports.map((p) => p.id));
  }
  console.log(`  ${nets.length} networks (${o.projects} projects), ${putCount} unbound ports for PUT binds`);

  const waitActive = async (what, base, expected, ms) => withTimeout(what, ms, async () => {
    for (;;) {
      const s = await stats();
      if (s.southbound.portsActive - base >= expected) return;
      await sleep(100);
    }
  });

  /** Open-loop: op i is due at start + i/rate; at most `concurrency` in flight (a late op is sent when a slot frees, its lag counted). */
  const openLoop = async (count, rate, concurrency, op) => {
    const lat = [];
    let lagMax = 0;
    let inFlight = 0;
    let failed = 0;
    let firstError;
    const start = performance.now();
    const done = [];
    let freed;
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight >= concurrency) await new Promise((r) => { freed = r; });
      lagMax = Math.max(lagMax, performance.now() - due);
      inFlight++;
      const s = performance.now();
      done.push(op(i).then(() => lat.push(performance.now() - s), (err) => { failed++; firstError ??= err; })
        .finally(() => { inFlight--; const f = freed; freed = undefined; f?.(); }));
    }
    await Promise.all(done);
    if (failed) throw new Error(`${failed} of ${count} requests failed, first: ${firstError.message}`);
    const seconds = (performance.now() - start) / 1000;
    return { seconds: +seconds.toFixed(2), achievedRate: Math.round(count / seconds), latencyMs: { p50: r1(pct(lat, 0.5)), p99: r1(pct(lat, 0.99)) }, scheduleLagMaxMs: Math.round(lagMax) };
  };

  // The controller's CPU with nothing to do but heartbeats and bookmarks: the floor under every figure.
  const idle0 = cpuOf(pid);
  await sleep(3_000);
  out.idleControllerCpuPercent = Math.round(((cpuOf(pid).total - idle0.total) / 3) * 100);

  // 3. Steady binds: creates with binding:host_id, as Nova does on boot with a port it makes.
  await stats(true);
  const s0 = await stats();
  const cpu0 = cpuOf(pid);
  const simCpu0 = cpuOf(sim.pid);
  const steadyMs = ((postCount / o.rate) * 1000 * 2 + 120_000) * o.tf;
  const load = await withTimeout('steady binds', steadyMs, () => openLoop(postCount, o.rate, o.concurrency, () => call('POST', '/v2.0/ports', { port: portBody() }, 201)));
  const tSent = performance.now();
  await waitActive('steady binds ACTIVE', s0.southbound.portsActive, postCount, 120_000 * o.tf);
  out.lastActiveAfterSendMs = Math.round(performance.now() - tSent);
  const s1 = await stats();
  const cpu1 = cpuOf(pid);
  const simCpu1 = cpuOf(sim.pid);
  const binds = postCount;
  const d = (f) => f(s1) - f(s0);
  const ownHostBytes = d((s) => s.southbound.bytes.delta.host + s.southbound.bytes.snapshot.host);
  const neighbourUpdates = d((s) => s.southbound.neighbourUpdates);
  const neighbourBytes = d((s) => s.southbound.neighbourDeltaBytes);
  const recomputes = (s) => s.nodes.reduce((a, n) => a + n.recomputes, 0);
  out.steady = {
    binds, load,
    bindToActiveMs: s1.bindToActiveMs,
    convergenceMs: s1.convergenceMs,
    stagesMs: s1.stagesMs,
    ownHostBytesPerPort: Math.round(ownHostBytes / binds),
    neighbourUpdates,
    bytesPerNeighbourUpdate: neighbourUpdates ? +(neighbourBytes / neighbourUpdates).toFixed(1) : null,
    controllerCpuUsPerBind: Math.round(((cpu1.total - cpu0.total) * 1e6) / binds),
    controllerMainThreadCpuUsPerBind: Math.round(((cpu1.main - cpu0.main) * 1e6) / binds),
    goalStateUsPerBind: Math.round(((d((s) => s.compileMs + s.publishMs)) * 1000) / binds),
    compileUsPerBind: Math.round((d((s) => s.compileMs) * 1000) / binds),
    publishUsPerBind: Math.round((d((s) => s.publishMs) * 1000) / binds),
    simCpuUsPerBind: Math.round(((simCpu1.total - simCpu0.total) * 1e6) / binds),
    rounds: d((s) => s.rounds),
    fullRecomputes: recomputes(s1) - recomputes(s0),
    fullRecomputesTotal: recomputes(s1),
    itemsSerialised: d((s) => s.itemsSerialised),
    deltaMessages: Object.values(s1.southbound.messages.delta).reduce((a, b) => a + b, 0) - Object.values(s0.southbound.messages.delta).reduce((a, b) => a + b, 0),
    deltaBytes: Object.fromEntries(Object.keys(s1.southbound.bytes.delta).map((k) => [k, s1.southbound.bytes.delta[k] - s0.southbound.bytes.delta[k]])),
    paused: d((s) => s.southbound.paused),
    statusBatches: d((s) => s.southbound.statusBatches),
  };
  console.log(`  steady: ${binds} binds in ${load.seconds} s (${load.achievedRate}/s), all ACTIVE ${out.lastActiveAfterSendMs} ms after the last`);

  // PUT binds: existing unbound ports given a host, Nova's way.
  if (putCount > 0) {
    await stats(true);
    const p0 = await stats();
    const put = await withTimeout('PUT binds', ((putCount / o.rate) * 2000 + 60_000) * o.tf,
      () => openLoop(putCount, o.rate, o.concurrency, (i) => call('PUT', `/v2.0/ports/${unbound[i]}`, { port: { 'binding:host_id': hostName(Math.floor(rand() * o.hosts)) } }, 200)));
    await waitActive('PUT binds ACTIVE', p0.southbound.portsActive, putCount, 60_000 * o.tf);
    const p1 = await stats();
    out.putBinds = { binds: putCount, load: put, bindToActiveMs: p1.bindToActiveMs, convergenceMs: p1.convergenceMs };
  }

  // 4. Burst: bulk creates of `burstBulk` bound ports, a few in flight.
  if (o.burst > 0) {
    await stats(true);
    const b0 = await stats();
    const bc0 = cpuOf(pid);
    const bodies = [];
    for (let i = 0; i < o.burst; i += o.burstBulk) bodies.push(Array.from({ length: Math.min(o.burstBulk, o.burst - i) }, () => portBody()));
    const tb = performance.now();
    let next = 0;
    await withTimeout('burst', 120_000 * o.tf, () => Promise.all(Array.from({ length: o.burstConcurrency }, async () => {
      while (next < bodies.length) await call('POST', '/v2.0/ports', { ports: bodies[next++] }, 201);
    })));
    const submitMs = performance.now() - tb;
    await waitActive('burst ACTIVE', b0.southbound.portsActive, o.burst, 180_000 * o.tf);
    const allActiveMs = performance.now() - tb;
    const b1 = await stats();
    const bc1 = cpuOf(pid);
    out.burstResult = {
      binds: o.burst, bulk: o.burstBulk, submitMs: Math.round(submitMs), allActiveMs: Math.round(allActiveMs),
      bindToActiveMs: b1.bindToActiveMs, convergenceMs: b1.convergenceMs,
      controllerCpuUsPerBind: Math.round(((bc1.total - bc0.total) * 1e6) / o.burst),
      fullRecomputes: recomputes(b1) - recomputes(b0), rounds: b1.rounds - b0.rounds, paused: b1.southbound.paused - b0.southbound.paused,
    };
    console.log(`  burst: ${o.burst} binds submitted in ${out.burstResult.submitMs} ms, all ACTIVE after ${out.burstResult.allActiveMs} ms`);
  }

  // Final check from the API: no compute port left DOWN or unbound.
  const { ports: down } = await call('GET', '/v2.0/ports?status=DOWN&device_owner=compute:nova&fields=id', undefined, 200);
  const { ports: failed } = await call('GET', '/v2.0/ports?binding:vif_type=binding_failed&fields=id', undefined, 200);
  const st = await sim.status();
  out.check = { down: down.length, bindingFailed: failed.length, simNacks: st.nacks, simGaps: st.gaps, simErrors: st.errors, simRssMB: Math.round(st.rss / 2 ** 20) };
  const final = await stats();
  out.controller = { rounds: final.rounds, fullRecomputesTotal: recomputes(final), sessions: final.southbound.sessions, snapshotsOnHello: final.southbound.snapshotsOnHello, errors: final.southbound.errors };
  if (down.length || failed.length) console.log(`  WARNING: ${down.length} ports DOWN, ${failed.length} binding_failed at the end`);
  return out;
}

const r1 = (x) => (x == null ? null : +x.toFixed(1));

// ---------------------------------------------------------------------------------------------
function printTable(results) {
  const kb = (b) => (b == null ? '-' : `${b} B`);
  const ms = (x) => (x == null ? '-' : `${Math.round(x)} ms`);
  const rows = [
    ['bind->ACTIVE p50 (steady)', '', (r) => ms(r.steady.bindToActiveMs.p50)],
    ['bind->ACTIVE p99 (steady)', '< 100 ms', (r) => ms(r.steady.bindToActiveMs.p99)],
    ['bind->ACTIVE p99 (PUT binds)', '< 100 ms', (r) => ms(r.putBinds?.bindToActiveMs.p99)],
    ['convergence p50', '', (r) => ms(r.steady.convergenceMs.p50)],
    ['convergence p99', '< 300 ms', (r) => ms(r.steady.convergenceMs.p99)],
    ['own-host bytes / port', '<= 1 KB', (r) => kb(r.steady.ownHostBytesPerPort)],
    ['bytes / neighbour update / host', '<= 100 B', (r) => kb(r.steady.bytesPerNeighbourUpdate)],
    ['controller CPU / bind', '<= 200 us', (r) => `${r.steady.controllerCpuUsPerBind} us`],
    ['  of it main thread', '', (r) => `${r.steady.controllerMainThreadCpuUsPerBind} us`],
    ['  of it goal state (compile+publish)', '', (r) => `${r.steady.goalStateUsPerBind} us (${r.steady.compileUsPerBind}+${r.steady.publishUsPerBind})`],
    ['full recomputes', '0', (r) => String(r.steady.fullRecomputes)],
    ['items serialised', '', (r) => String(r.steady.itemsSerialised)],
    ['neighbour updates delivered', '', (r) => String(r.steady.neighbourUpdates)],
    ['achieved bind rate', '', (r) => `${r.steady.load.achievedRate}/s`],
    ['POST latency p50 / p99 (client)', '', (r) => `${ms(r.steady.load.latencyMs.p50)} / ${ms(r.steady.load.latencyMs.p99)}`],
    ['sim CPU / bind', '', (r) => `${r.steady.simCpuUsPerBind} us`],
    ['burst bind->ACTIVE p99', '< 2 s', (r) => ms(r.burstResult?.bindToActiveMs.p99)],
    ['burst submitted / all ACTIVE', '', (r) => (r.burstResult ? `${r.burstResult.submitMs} / ${r.burstResult.allActiveMs} ms` : '-')],
    ['burst full recomputes', '0', (r) => String(r.burstResult?.fullRecomputes ?? '-')],
    ['hosts synced in', '', (r) => `${r.syncSeconds} s`],
    ['controller CPU when idle', '', (r) => `${r.idleControllerCpuPercent} %`],
    ['left DOWN / binding_failed', '0 / 0', (r) => `${r.check.down} / ${r.check.bindingFailed}`],
  ];
  const head = ['', 'target', ...results.map((r) => `${r.hosts} hosts, ${r.ports} ports`)];
  const body = rows.map(([name, target, f]) => [name, target, ...results.map((r) => { try { return f(r); } catch { return '-'; } })]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${line(head)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${body.map(line).join('\n')}`);
}

if (!process.argv.includes('--sim-child') && !PROFILE_DIR) await main();
