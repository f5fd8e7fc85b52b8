#!/usr/bin/env node
// The torture suite at full size, bounded in time: a seeded fuzzer over every route (10,000
// requests by default; the seed is printed, `--seed N` replays a run), SIGKILL of the controller
// under concurrent creates (10 times on one data directory, then every acknowledged create checked,
// addresses unique, the whole pool allocatable again), a full disk (a tmpfs in a mount namespace of
// its own), thousands of idle and slow connections beside ordinary clients, and agents under fire
// (malformed southbound frames, the controller and the agent SIGKILLed mid-stream). Exits 1 on any
// failure. `npm test` runs the same parts smaller (test/torture/).
//   npm run torture [-- --seed N] [--requests N] [--kills N] [--idle N] [--slow N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../dist/src/cli/controller-process.js';
import { agentsUnderFire, diskFull, diskFullMissing, fuzz, killUnderLoad, slowClients, startController } from '../dist/test/helpers/torture.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' }, requests: { type: 'string', default: '10000' }, kills: { type: 'string', default: '10' },
    idle: { type: 'string', default: '2000' }, slow: { type: 'string', default: '1000' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const t0 = performance.now();
const secs = (t) => ((performance.now() - t) / 1000).toFixed(1);
let failed = false;
const report = {};
console.log(`seed ${seed} (npm run torture -- --seed ${seed} replays the fuzz)`);

const dataDir = mkdtempSync(join(tmpdir(), 'alcor-torture-'));
const c = await startController(dataDir, await freePort());
try {
  let t = performance.now();
  const f = await fuzz(c.url, seed, Number(values.requests));
  report.fuzz = { ...f, seconds: Number(secs(t)) };
  console.log(`fuzz: ${f.requests} requests in ${secs(t)} s, answers by status ${JSON.stringify(f.statuses)}, ${f.failures.length} failures`);
  for (const x of f.failures) console.log(`  FAIL ${x}`);
  if (f.failures.length) failed = true;

  t = performance.now();
  const s = await slowClients(c.url, Number(values.idle), Number(values.slow), 1000);
  report.slow = { ...s, seconds: Number(secs(t)) };
  console.log(`slow clients: ${s.idle} idle and ${s.slow} slow connections held; ${s.answered} of ${s.requests} ordinary requests answered, p99 ${s.p99Ms} ms (${secs(t)} s)`);
  if (s.answered !== s.requests) failed = true;
} finally {
  c.child.kill('SIGTERM');
  await c.exited;
  rmSync(dataDir, { recursive: true, force: true });
}

let t = performance.now();
const k = await killUnderLoad(Number(values.kills), seed);
report.kills = { ...k, seconds: Number(secs(t)) };
console.log(`SIGKILL: ${k.kills} kills survived; ${k.acknowledged} acknowledged creates, ${k.present} present with their address, `
  + `${k.duplicateAddresses} addresses held twice; after deleting all, ${k.reallocated} of the pool's ${k.poolSize} allocatable (${secs(t)} s)`);
for (const x of k.lost) console.log(`  LOST ${x}`);
if (k.lost.length || k.duplicateAddresses || k.reallocated !== k.poolSize) failed = true;

t = performance.now();
const a = await agentsUnderFire(seed, 10_000);
report.agents = { ...a, seconds: Number(secs(t)) };
console.log(`agents: ${a.garbageFrames} malformed southbound frames, ${a.controllerKills} controller SIGKILL while streaming, ${a.agentKills} agent SIGKILL while programming; `
  + `${a.active} of ${a.bound} bound ports ACTIVE (${secs(t)} s)`);
if (a.active !== a.bound) failed = true;

const missing = diskFullMissing();
if (missing) console.log(`full disk: skipped (${missing})`);
else {
  t = performance.now();
  const d = await diskFull();
  report.diskFull = { ...d, seconds: Number(secs(t)) };
  console.log(`full disk: write ${d.writeWhileFull.status} ${d.writeWhileFull.type}, read ${d.readWhileFull}, alcor_store_writable ${d.writableGaugeWhileFull}, `
    + `${d.errorLines} error line; space back: write ${d.writeAfter}, alcor_store_writable ${d.writableGaugeAfter} (${secs(t)} s)`);
  if (d.writeWhileFull.status !== 503 || d.readWhileFull !== 200 || d.writeAfter !== 201 || d.errorLines !== 1) failed = true;
}
console.log(`torture: ${failed ? 'FAILED' : 'passed'} in ${secs(t0)} s`);
console.log(JSON.stringify({ seed, failed, seconds: Number(secs(t0)), ...report }));
process.exit(failed ? 1 : 0);
