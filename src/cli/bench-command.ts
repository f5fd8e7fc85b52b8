/**
 * `alcor bench TASK.json`: checks the task file before any load, then runs it against --target, or
 * against a controller it starts for the run (its own process, a fresh data directory).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench } from '../bench/bench.js';
import { ensureKeystone, Keystone, KEYSTONE_URL, SERVICE_PASSWORD } from '../bench/keystone-admin.js';
import { parseTask } from '../bench/task.js';
import { KeystoneUsers } from '../bench/users.js';

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

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startController(withKeystone: boolean): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/alcor.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'alcor-bench-'));
  const port = await freePort();
  const auth = withKeystone ? ['--auth-strategy', 'keystone', '--keystone-url', KEYSTONE_URL] : [];
  const child: ChildProcess = spawn(process.execPath, [bin, 'start', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--log-level', 'warn', ...auth], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ALCOR_KEYSTONE_PASSWORD: process.env.ALCOR_KEYSTONE_PASSWORD ?? SERVICE_PASSWORD },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || i > 200) throw new Error('the controller for the bench did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

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
  const own = values.target === undefined ? await startController(keystone !== undefined) : undefined;
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
