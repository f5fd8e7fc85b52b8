#!/usr/bin/env node
// The same scaled-down task against a real Neutron (Debian's neutron-server, noauth, ML2/VXLAN,
// MariaDB) and against a fresh Alcor, one after the other, and one report with both columns.
//   npm run bench:compare -- [--times 60] [--concurrency 10] [--tenants 10] [--task FILE]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../dist/src/bench/bench.js';
import { compareHtml, compareTable } from '../dist/src/bench/report.js';
import { freePort, startControllerProcess } from '../dist/src/cli/controller-process.js';
import { parseTask } from '../dist/src/bench/task.js';

const { values } = parseArgs({ options: {
  task: { type: 'string', default: '../shared/rally-tasks/create_and_list_ports.json' },
  times: { type: 'string', default: '60' },
  concurrency: { type: 'string', default: '10' },
  tenants: { type: 'string', default: '10' },
  out: { type: 'string', default: 'bench-results/compare' },
} });

const raw = JSON.parse(readFileSync(values.task, 'utf8'));
raw.runner = { constant: { times: Number(values.times), concurrency: Number(values.concurrency) } };
raw.contexts = { ...raw.contexts, users: { tenants: Number(values.tenants), users_per_tenant: 2 } };
const task = parseTask(JSON.stringify(raw), values.task);
console.log(`task: ${task.scenario}, times ${values.times}, concurrency ${values.concurrency}, tenants ${values.tenants}`);

const log = (line) => console.log(line);
mkdirSync(values.out, { recursive: true });

const neutronPort = await freePort();
execFileSync('bash', ['scripts/neutron-server.sh', 'start', String(neutronPort)], { stdio: 'inherit' });
let neutron;
try {
  console.log('--- real Neutron');
  neutron = await runBench(task, { target: `http://127.0.0.1:${neutronPort}`, log, outDir: join(values.out, 'neutron') });
} finally {
  execFileSync('bash', ['scripts/neutron-server.sh', 'stop'], { stdio: 'inherit' });
}

console.log('--- Alcor');
const server = await startControllerProcess();
let ours;
try {
  ours = await runBench(task, { target: server.url, log, outDir: join(values.out, 'alcor') });
} finally {
  await server.stop();
}

const a = { name: 'alcor', run: ours.runs[0] };
const b = { name: 'neutron', run: neutron.runs[0] };
const text = compareTable(a, b);
console.log(`\n${text}`);
console.log(`cleanup: alcor ${ours.cleanup?.seconds.toFixed(2)} s, neutron ${neutron.cleanup?.seconds.toFixed(2)} s`);
writeFileSync(join(values.out, 'compare.txt'), `${text}\n`);
writeFileSync(join(values.out, 'report.html'), compareHtml(a, b, { alcor: ours.cleanup?.seconds, neutron: neutron.cleanup?.seconds }));
writeFileSync(join(values.out, 'results.json'), JSON.stringify({ task, alcor: ours, neutron }, null, 1));
console.log(`wrote ${join(values.out, 'report.html')}`);
