/**
 * `alcor bench TASK.json`: checks the task file before any load, then runs it against --target, or
 * against a controller it starts for the run (its own process, a fresh data directory).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../bench/bench.js';
import { ensureKeystone, Keystone } from '../bench/keystone-admin.js';
import { parseTask } from '../bench/task.js';
import { KeystoneUsers } from '../bench/users.js';
import { startControllerProcess } from './controller-process.js';

export const BENCH_USAGE = `Usage: alcor bench TASK.json [--target URL] [--out DIR] [--repeat N] [--no-cleanup]

Runs a Rally task file (NeutronNetworks.* scenarios; runners constant and constant_for_duration;
contexts users, network, quotas; SLA failure_rate) against a Neutron API endpoint.
  --target URL   endpoint to load (default: start a fresh controller for the run)
  --out DIR      where results.json and report.html go (default bench-results/<task name>)
  --repeat N     run the task N times without cleanup in between (default 1)
  --no-cleanup   leave everything the run created in place
  --keystone     users are real Keystone projects and users (Keystone at ALCOR_KEYSTONE_URL, default
                 http://127.0.0.1:5000/v3, started by scripts/keystone.sh if need be); the
                 controller started for the run checks tokens against it`;

function progressBar(): ((done: number, total: number | undefined) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    const width = 40;
    const filled = total ? Math.round((done / total) * width) : done % width;
    process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}${total ? `/${total}` : ''} iterations`);
    if (done === total) process.stderr.write('\n');
  };
}

export async function bench(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      out: { type: 'string' },
      repeat: { type: 'string' },
      'no-cleanup': { type: 'boolean' },
      keystone: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) throw new Error(`expected one task file\n${BENCH_USAGE}`);
  const file = positionals[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read task file ${file}: ${(err as Error).message}`);
  }
  const task = parseTask(text, file);
  const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${values.repeat}`);
  let keystone: Keystone | undefined;
  if (values.keystone) {
    await ensureKeystone();
    keystone = await Keystone.admin();
  }
  const own = values.target === undefined ? await startControllerProcess({ keystone: keystone !== undefined }) : undefined;
  try {
    const result = await runBench(task, {
      users: keystone ? new KeystoneUsers(keystone) : undefined,
      adminToken: keystone?.token,
      target: values.target ?? own!.url,
      repeat,
      cleanup: !values['no-cleanup'],
      outDir: values.out ?? join('bench-results', basename(file).replace(/\.json$/, '')),
      log: (line) => process.stdout.write(`${line}\n`),
      progress: progressBar(),
    });
    if (result.runs.some((r) => !r.slaPassed)) process.exitCode = 3;
  } finally {
    await own?.stop();
  }
}
