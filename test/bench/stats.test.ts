import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AtomicSample } from '../../src/bench/stats.js';
import { failureRate, percentile, reportQps, summarize, throughput } from '../../src/bench/stats.js';

const sample = (iteration: number, index: number, duration: number, ok = true): AtomicSample =>
  ({ action: 'neutron.create_port', iteration, index, startedAt: 0, duration, ok });

describe('bench arithmetic', () => {
  it("QPS is concurrency over the mean duration, the first call of each iteration left out", () => {
    // Two iterations of three creates: the first of each (1 s, warm-up) is left out; the rest
    // average 0.1 s, so with concurrency 500 the report's formula gives 5000.
    const samples = [sample(0, 0, 1), sample(0, 1, 0.1), sample(0, 2, 0.1), sample(1, 0, 1), sample(1, 1, 0.05), sample(1, 2, 0.15)];
    assert.equal(reportQps(samples, 500), 5000);
  });

  it('an action that runs once per iteration keeps every call, and failures do not count', () => {
    const lists = [sample(0, 0, 0.2), sample(1, 0, 0.3), sample(2, 0, 0.1, false)];
    assert.equal(reportQps(lists, 10), 10 / 0.25);
    assert.ok(Number.isNaN(reportQps([sample(0, 0, 1, false)], 10)));
  });

  it('throughput is successful calls over the wall time', () => {
    assert.equal(throughput([sample(0, 0, 1), sample(0, 1, 1), sample(0, 2, 1, false)], 4), 0.5);
  });

  it('percentiles interpolate between ranks; summaries count failures', () => {
    const d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(d, 0.5), 5.5);
    assert.equal(percentile(d, 0.9), 9.1);
    assert.equal(percentile(d, 0), 1);
    assert.equal(percentile(d, 1), 10);
    const s = summarize([0.3, 0.1, 0.2], 2);
    assert.deepEqual({ ...s, mean: Number(s.mean.toFixed(6)) }, { count: 5, failures: 2, min: 0.1, median: 0.2, p90: 0.28, p95: 0.29, p99: 0.298, max: 0.3, mean: 0.2 });
  });

  it('SLA failure rate is the percentage of failed iterations', () => {
    const it = (error?: string) => ({ iteration: 0, startedAt: 0, duration: 1, error });
    assert.equal(failureRate([it(), it('x'), it(), it()]), 25);
    assert.equal(failureRate([]), 0);
  });
});
