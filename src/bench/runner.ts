/**
 * Rally's runners: `constant` (times iterations, concurrency at once) and `constant_for_duration`
 * (iterations for a duration). Each iteration runs the scenario as the next user in turn, and its
 * atomic actions and its own duration are recorded; an iteration past `timeout` counts as failed.
 */
import type { Identity, NeutronClient } from './client.js';
import type { Tracker } from './cleanup.js';
import type { CidrGenerator, Tenant } from './contexts.js';
import type { Servers, VmSample } from './nova.js';
import type { IterationContext } from './scenarios.js';
import { SCENARIO_IMPLEMENTATIONS } from './scenarios.js';
import type { AtomicSample, IterationSample } from './stats.js';
import type { Task } from './task.js';

export interface LoadResult {
  readonly wallSeconds: number;
  readonly iterations: IterationSample[];
  readonly atomics: AtomicSample[];
  readonly vms: VmSample[];
}

export interface LoadOptions {
  readonly client: NeutronClient;
  readonly tracker: Tracker;
  readonly tenants: readonly Tenant[];
  readonly cidr: (start: string) => CidrGenerator;
  readonly nova?: Servers;
  readonly onProgress?: (done: number, total: number | undefined) => void;
}

let nameCounter = 0;
const randomName = (): string => `s_rally_${(nameCounter++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

export async function runLoad(task: Task, opts: LoadOptions): Promise<LoadResult> {
  const scenario = SCENARIO_IMPLEMENTATIONS[task.scenario];
  const users: Array<{ tenant: Tenant; user: Identity }> = opts.tenants.flatMap((tenant) => tenant.users.map((user) => ({ tenant, user })));
  if (users.length === 0) users.push({ tenant: { projectId: 'admin', users: [{}], networks: [] }, user: {} });
  const iterations: IterationSample[] = [];
  const atomics: AtomicSample[] = [];
  const vms: VmSample[] = [];
  const runner = task.runner;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const total = runner.type === 'constant' ? runner.times : undefined;
  let issued = 0;
  let done = 0;

  const nextIteration = (): number | undefined => {
    if (runner.type === 'constant') return issued < runner.times ? issued++ : undefined;
    return elapsed() < runner.duration ? issued++ : undefined;
  };

  const runOne = async (iteration: number): Promise<void> => {
    const { tenant, user } = users[iteration % users.length];
    const counts = new Map<string, number>();
    const it: IterationContext = {
      client: opts.client,
      tracker: opts.tracker,
      tenant,
      user,
      iteration,
      nova: opts.nova,
      recordVm: (s) => { vms.push(s); },
      args: task.args,
      cidr: opts.cidr,
      randomName,
      async atomic(action, fn) {
        const index = counts.get(action) ?? 0;
        counts.set(action, index + 1);
        const startedAt = elapsed();
        const t0 = performance.now();
        try {
          const value = await fn();
          atomics.push({ action, iteration, index, startedAt, duration: (performance.now() - t0) / 1000, ok: true });
          return value;
        } catch (err) {
          atomics.push({ action, iteration, index, startedAt, duration: (performance.now() - t0) / 1000, ok: false });
          throw err;
        }
      },
    };
    const startedAt = elapsed();
    const t0 = performance.now();
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = scenario(it);
      if (runner.timeout !== undefined) {
        const limit = runner.timeout;
        await Promise.race([work, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`iteration timed out after ${limit} s`)), limit * 1000); })]);
      } else {
        await work;
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      if (timer) clearTimeout(timer);
    }
    iterations.push({ iteration, startedAt, duration: (performance.now() - t0) / 1000, error });
    opts.onProgress?.(++done, total);
  };

  const worker = async () => {
    for (let i = nextIteration(); i !== undefined; i = nextIteration()) await runOne(i);
  };
  await Promise.all(Array.from({ length: runner.concurrency }, worker));
  return { wallSeconds: elapsed(), iterations, atomics, vms };
}
