#!/usr/bin/env node
// Real Rally (Debian's rally + rally-openstack) against the controller through Keystone: its users
// context makes real projects and users, its scenarios speak the Neutron API as Rally does.
//   npm run rally -- TASK.json [--times N] [--concurrency C] [--tenants T] [--neutron-quotas JSON] [--target URL] [--out DIR]
// Without --target a controller is started (auth_strategy keystone, fresh data directory) and
// stopped afterwards. The task file is run as given except for the scaling flags. Exit code 0 only
// when every iteration passed and the SLA held; a JSON summary is printed last.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ensureKeystone, Keystone, KEYSTONE_URL } from '../dist/src/bench/keystone-admin.js';
import { startControllerProcess } from '../dist/src/cli/controller-process.js';

const run = promisify(execFile);
const root = resolve(new URL('..', import.meta.url).pathname);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    times: { type: 'string' }, concurrency: { type: 'string' }, tenants: { type: 'string' }, 'neutron-quotas': { type: 'string' },
    target: { type: 'string' }, out: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: npm run rally -- TASK.json [--times N] [--concurrency C] [--tenants T] [--neutron-quotas JSON] [--target URL] [--out DIR]');
  process.exit(2);
}
const taskPath = resolve(positionals[0]);
const out = resolve(values.out ?? join(root, 'bench-results', `rally-${basename(taskPath, '.json')}`));
mkdirSync(out, { recursive: true });

/** The report's files are one Rally v2 subtask each; Rally wants them inside a v2 task. */
function scaledTask() {
  const task = JSON.parse(readFileSync(taskPath, 'utf8'));
  const subtasks = task.subtasks ?? [task];
  for (const sub of subtasks) {
    const runner = Object.values(sub.runner ?? {})[0];
    if (values.times && runner) runner.times = Number(values.times);
    if (values.concurrency && runner) runner.concurrency = Number(values.concurrency);
    if (values.tenants && sub.contexts?.users) sub.contexts.users.tenants = Number(values.tenants);
    // Rally's quotas context sets them per tenant at setup and deletes them at teardown.
    if (values['neutron-quotas']) sub.contexts = { ...sub.contexts, quotas: { ...sub.contexts?.quotas, neutron: JSON.parse(values['neutron-quotas']) } };
  }
  return task.subtasks ? task : { version: 2, title: task.title ?? basename(taskPath), subtasks };
}

const rallyDir = join(root, '.rally');
mkdirSync(rallyDir, { recursive: true });
const rallyConf = join(rallyDir, 'rally.conf');
writeFileSync(rallyConf, `[database]\nconnection = sqlite:///${join(rallyDir, 'rally.db')}\n`);
const rally = (...args) => run('rally', ['--config-file', rallyConf, ...args], {
  maxBuffer: 256 * 1024 * 1024,
  env: {
    ...process.env,
    OS_AUTH_URL: KEYSTONE_URL, OS_IDENTITY_API_VERSION: '3', OS_USERNAME: 'admin',
    OS_PASSWORD: process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin', OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
  },
});

await ensureKeystone();
const controller = values.target ? { url: values.target, stop: async () => {} } : await startControllerProcess({ keystone: true, quiet: true });
try {
  // Rally finds the controller through the catalog, as every OpenStack client does.
  await (await Keystone.admin()).setNetworkEndpoint(controller.url);
  await rally('db', 'ensure');
  await rally('deployment', 'destroy', 'alcor').catch(() => undefined);
  await rally('deployment', 'create', '--fromenv', '--name', 'alcor');

  const scaledPath = join(out, 'task.json');
  writeFileSync(scaledPath, JSON.stringify(scaledTask(), null, 2));
  const started = Date.now();
  const { stdout } = await rally('task', 'start', scaledPath).catch((err) => err);
  writeFileSync(join(out, 'rally-task.log'), stdout ?? '');
  const uuid = /Task\s+([0-9a-f-]{36}): started/.exec(stdout ?? '')?.[1];
  if (!uuid) throw new Error(`rally did not start the task; see ${join(out, 'rally-task.log')}`);
  await rally('task', 'report', uuid, '--json', '--out', join(out, 'rally.json'));
  await rally('task', 'report', uuid, '--out', join(out, 'rally.html'));

  const report = JSON.parse(readFileSync(join(out, 'rally.json'), 'utf8'));
  const workloads = report.tasks.flatMap((t) => t.subtasks.flatMap((s) => s.workloads));
  const summary = {
    task: basename(taskPath),
    uuid,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    workloads: workloads.map((w) => ({
      scenario: Object.keys(w.scenario)[0],
      iterations: w.total_iteration_count,
      failed: w.failed_iteration_count,
      passSla: w.pass_sla,
      loadSeconds: w.load_duration,
      fullSeconds: w.full_duration,
      // Each context's setup and cleanup, and what went wrong in them (Rally runs on past a cleanup error).
      contexts: (w.contexts_results ?? []).map((c) => ({ plugin: c.plugin_name, setupError: c.setup?.error ?? null, cleanupError: c.cleanup?.error ?? null })),
      actions: Object.fromEntries((w.statistics?.durations?.atomics ?? []).map((a) => [a.display_name ?? a.name, {
        count: a.count_per_iteration * w.total_iteration_count,
        medianSeconds: a.data?.median, p90Seconds: a.data?.['90%ile'], success: a.data?.success,
      }])),
    })),
    report: join(out, 'rally.html'),
  };
  console.log(JSON.stringify(summary, null, 2));
  const ok = workloads.length > 0 && workloads.every((w) => w.failed_iteration_count === 0 && w.pass_sla);
  process.exitCode = ok ? 0 : 1;
} finally {
  await controller.stop();
}
