/**
 * One bench: contexts, load, statistics, repeated N times without cleanup in between, then one
 * fast cleanup of everything the runs created. Speaks only the public Neutron API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NeutronClient } from './client.js';
import type { CleanupResult } from './cleanup.js';
import { Tracker } from './cleanup.js';
import { CidrGenerator, applyQuotas, setUpTenants } from './contexts.js';
import { htmlReport, repeatTable, textSummary } from './report.js';
import { runLoad } from './runner.js';
import type { Histograms, ServerLatency } from './server-latency.js';
import { latencyBetween, scrape } from './server-latency.js';
import type { AtomicSample, IterationSample, Summary } from './stats.js';
import { failureRate, percentile, reportQps, summarize, throughput } from './stats.js';
import type { Task } from './task.js';
import type { Servers, VmSample } from './nova.js';
import type { UserSource } from './users.js';
import { NoauthUsers } from './users.js';

/** Durations of one kind, in seconds: the summary and the box's quartiles. */
export interface Distribution {
  readonly summary: Summary;
  readonly p25: number;
  readonly p75: number;
}

export interface ActionResult extends Distribution {
  readonly qps: number;
  readonly throughput: number;
  /** The same calls timed inside the server, where it serves alcor's /metrics. */
  readonly server?: ServerLatency;
}

export interface RunResult {
  readonly title: string;
  readonly scenario: string;
  readonly run: number;
  readonly concurrency: number;
  readonly wallSeconds: number;
  readonly iterations: IterationSample[];
  readonly iteration: Summary;
  readonly iterationsPerSecond: number;
  readonly actions: Record<string, ActionResult>;
  readonly failureRate: number;
  readonly slaPassed: boolean;
  /** Resources the bench has created on the target so far (none deleted yet). */
  readonly rowsAfter: number;
  readonly errors: readonly string[];
  /** The VM scenarios': per VM, from the start of its port's bind. */
  readonly vms?: VmFigures;
}

export interface VmFigures {
  readonly count: number;
  readonly failed: number;
  readonly bindToActive: Distribution;
  readonly bindToLease: Distribution;
  readonly bindToPing: Distribution;
  /** Through a real Nova (--nova): POST /servers -> server ACTIVE, Nova's whole boot. */
  readonly bootToActive?: Distribution;
  readonly errors: readonly string[];
}

export interface BenchOptions {
  readonly target: string;
  readonly repeat?: number;
  readonly cleanup?: boolean;
  readonly outDir?: string;
  readonly log?: (line: string) => void;
  readonly progress?: (done: number, total: number | undefined) => void;
  /** Where the users context's projects and users come from (default: noauth headers). */
  readonly users?: UserSource;
  /** With Keystone: the token the bench acts with as the cloud admin. */
  readonly adminToken?: string;
  /** Where the VM scenarios boot their VMs. */
  readonly nova?: Servers;
}

export interface BenchResult {
  readonly runs: RunResult[];
  readonly cleanup?: CleanupResult;
}

function distribution(values: readonly number[], failures: number): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { summary: summarize(sorted, failures), p25: percentile(sorted, 0.25), p75: percentile(sorted, 0.75) };
}

function vmFigures(vms: readonly VmSample[]): VmFigures | undefined {
  if (vms.length === 0) return undefined;
  const of = (key: 'bindToActive' | 'bindToLease' | 'bindToPing' | 'bootToActive') => {
    const ok = vms.map((v) => v[key]).filter((x): x is number => x !== undefined);
    return distribution(ok, vms.length - ok.length);
  };
  const failed = vms.filter((v) => v.error);
  const boot = vms.some((v) => v.bootToActive !== undefined) ? { bootToActive: of('bootToActive') } : {};
  return { count: vms.length, failed: failed.length, bindToActive: of('bindToActive'), bindToLease: of('bindToLease'), bindToPing: of('bindToPing'), ...boot, errors: [...new Set(failed.map((v) => v.error!))].slice(0, 10) };
}

function analyse(
  task: Task, run: number, load: Awaited<ReturnType<typeof runLoad>>, rowsAfter: number,
  metrics: { before?: Histograms; after?: Histograms },
): RunResult {
  const byAction = new Map<string, AtomicSample[]>();
  for (const s of load.atomics) {
    const list = byAction.get(s.action) ?? [];
    list.push(s);
    byAction.set(s.action, list);
  }
  const actions: Record<string, ActionResult> = {};
  for (const [action, samples] of byAction) {
    const ok = samples.filter((s) => s.ok).map((s) => s.duration);
    actions[action] = {
      ...distribution(ok, samples.length - ok.length),
      qps: reportQps(samples, task.runner.concurrency),
      throughput: throughput(samples, load.wallSeconds),
      server: metrics.before && metrics.after ? latencyBetween(metrics.before, metrics.after, action) : undefined,
    };
  }
  const okIterations = load.iterations.filter((i) => i.error === undefined);
  const rate = failureRate(load.iterations);
  const errors = [...new Set(load.iterations.filter((i) => i.error).map((i) => i.error!))].slice(0, 10);
  return {
    title: task.title,
    scenario: task.scenario,
    run,
    concurrency: task.runner.concurrency,
    wallSeconds: load.wallSeconds,
    iterations: load.iterations.sort((a, b) => a.startedAt - b.startedAt),
    iteration: summarize(okIterations.map((i) => i.duration), load.iterations.length - okIterations.length),
    iterationsPerSecond: okIterations.length / load.wallSeconds,
    actions,
    failureRate: rate,
    slaPassed: task.sla.failureRateMax === undefined || rate <= task.sla.failureRateMax,
    rowsAfter,
    errors,
    vms: vmFigures(load.vms),
  };
}

export async function runBench(task: Task, opts: BenchOptions): Promise<BenchResult> {
  const log = opts.log ?? (() => undefined);
  const client = new NeutronClient(opts.target, Math.max(task.runner.concurrency, 32) + 8);
  client.adminToken = opts.adminToken;
  const source = opts.users ?? new NoauthUsers();
  const tracker = new Tracker();
  const runs: RunResult[] = [];
  const runTag = Date.now().toString(36);
  try {
    for (let run = 1; run <= (opts.repeat ?? 1); run++) {
      // Each run counts CIDRs from the task's start again, as each Rally run of the task does: a
      // counter carried across runs walks a /16 generator into the network context's 10.2.0.0 range
      // by the second run, and Neutron rightly refuses the overlapping subnet.
      const cidrs = new Map<string, CidrGenerator>();
      const cidr = (start: string): CidrGenerator => {
        let g = cidrs.get(start);
        if (!g) cidrs.set(start, (g = new CidrGenerator(start)));
        return g;
      };
      const users = task.contexts.users ?? { tenants: 1, usersPerTenant: 1 };
      const tenants = await setUpTenants(client, tracker, `${runTag}-r${run}`, users, task.contexts.network, cidrs, source);
      await applyQuotas(client, tenants, task.contexts.quotas);
      await opts.nova?.prepareTenants?.(tenants.map((t) => t.projectId), task.contexts.quotas);
      const before = await scrape(client);
      const load = await runLoad(task, { client, tracker, tenants, cidr, nova: opts.nova, onProgress: opts.progress });
      const after = before ? await scrape(client) : undefined;
      const rows = (['ports', 'routers', 'subnets', 'networks', 'security-groups'] as const).reduce((a, k) => a + tracker.count(k), 0);
      const result = analyse(task, run, load, rows, { before, after });
      runs.push(result);
      log(textSummary(result));
      for (const e of result.errors) log(`  error: ${e}`);
    }
    let cleanup: CleanupResult | undefined;
    if (opts.cleanup !== false) {
      await opts.nova?.cleanup();
      cleanup = await tracker.cleanup(client);
      await source.cleanup();
      log(`cleanup: ${cleanup.deleted} deletions in ${cleanup.seconds.toFixed(2)} s${cleanup.failed ? `, ${cleanup.failed} failed: ${cleanup.errors.join('; ')}` : ''}${Object.keys(cleanup.remaining).length ? `; left behind: ${JSON.stringify(cleanup.remaining)}` : ''}`);
    }
    const names = Object.keys(runs[0]?.actions ?? {});
    const main = names.find((a) => a === 'nova.boot_server') ?? names.find((a) => a.startsWith('neutron.create_') && a !== 'neutron.create_network') ?? names[0];
    const list = Object.keys(runs[0]?.actions ?? {}).find((a) => a.startsWith('neutron.list_'));
    const repeat = runs.length > 1 && main ? repeatTable(runs, main, list) : undefined;
    if (repeat) log(repeat);
    if (opts.outDir) {
      mkdirSync(opts.outDir, { recursive: true });
      writeFileSync(join(opts.outDir, 'results.json'), JSON.stringify({ task, target: opts.target, runs, cleanup }, null, 1));
      writeFileSync(join(opts.outDir, 'report.html'), htmlReport(runs, { cleanupSeconds: cleanup?.seconds, repeat }));
      log(`wrote ${join(opts.outDir, 'results.json')} and ${join(opts.outDir, 'report.html')}`);
    }
    return { runs, cleanup };
  } finally {
    await client.close();
  }
}
