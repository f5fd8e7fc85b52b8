#!/usr/bin/env node
// Runs the reference report's Rally task files, as they are, each against a freshly started
// controller, and writes bench-results/<task>/{results.json,report.html}. The end-to-end tasks
// boot their VMs on 3 namespaced hosts the bench starts (root). Not part of `npm test`.
//   npm run bench [-- --only create_and_list_ports]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTask } from '../dist/src/bench/task.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '../shared/rally-tasks' }, only: { type: 'string' } } });
// The report ran these repeatedly without cleanup, to watch throughput as the database grows.
const REPEATS = { create_and_list_subnets: 6, create_and_list_ports_bigdb: 6 };

for (const file of readdirSync(values.tasks).filter((f) => f.endsWith('.json')).sort()) {
  const name = file.replace(/\.json$/, '');
  if (values.only && !name.includes(values.only)) continue;
  const path = join(values.tasks, file);
  try {
    parseTask(readFileSync(path, 'utf8'), path);
  } catch (err) {
    console.log(`skipped ${name}: ${err.message}`);
    continue;
  }
  console.log(`\n=== ${name}`);
  const args = ['bin/alcor.js', 'bench', path, '--out', join('bench-results', name)];
  if (REPEATS[name]) args.push('--repeat', String(REPEATS[name]));
  const res = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (res.status !== 0) console.log(`${name}: exited with ${res.status}`);
}
