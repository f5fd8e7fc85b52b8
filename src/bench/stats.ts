/**
 * The arithmetic of a run: duration percentiles, the reference report's QPS (concurrency divided
 * by the mean duration of an action, leaving out the first call of each kind in an iteration) and
 * plain throughput (successful calls per second of the load phase).
 */
export interface AtomicSample {
  readonly action: string;
  readonly iteration: number;
  /** Position of this call among the same action's calls in its iteration (0 = first). */
  readonly index: number;
  /** Seconds since the load phase started. */
  readonly startedAt: number;
  readonly duration: number;
  readonly ok: boolean;
}

export interface IterationSample {
  readonly iteration: number;
  readonly startedAt: number;
  readonly duration: number;
  readonly error?: string;
}

export interface Summary {
  readonly count: number;
  readonly failures: number;
  readonly min: number;
  readonly median: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Linear interpolation between closest ranks, as Rally's percentile does. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function summarize(durations: readonly number[], failures: number): Summary {
  const sorted = [...durations].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
  return {
    count: durations.length + failures,
    failures,
    min: sorted[0] ?? NaN,
    median: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean,
  };
}

/**
 * The report's QPS for one action: concurrency / mean duration of its successful calls. The first
 * call of the action in each iteration is left out (the report's warm-up rule) whenever the action
 * runs more than once per iteration; an action that runs once per iteration keeps all its calls.
 */
export function reportQps(samples: readonly AtomicSample[], concurrency: number): number {
  const ok = samples.filter((s) => s.ok);
  const repeated = ok.some((s) => s.index > 0);
  const counted = repeated ? ok.filter((s) => s.index > 0) : ok;
  if (counted.length === 0) return NaN;
  const mean = counted.reduce((a, s) => a + s.duration, 0) / counted.length;
  return concurrency / mean;
}

export function throughput(samples: readonly AtomicSample[], wallSeconds: number): number {
  return samples.filter((s) => s.ok).length / wallSeconds;
}

export function failureRate(iterations: readonly IterationSample[]): number {
  if (iterations.length === 0) return 0;
  return (100 * iterations.filter((i) => i.error !== undefined).length) / iterations.length;
}
