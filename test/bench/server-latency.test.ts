import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyBetween, parseHistograms, quantile, routeOf } from '../../src/bench/server-latency.js';

const page = (counts: Record<string, number>, route = '/v2.0/ports', method = 'GET') => Object.entries(counts)
  .map(([le, c]) => `alcor_http_request_duration_seconds_bucket{le="${le}",method="${method}",route="${route}",status="200"} ${c}`)
  .join('\n');

describe("the server's own latency, from its /metrics", () => {
  it('maps Rally action names to the routes they call', () => {
    assert.equal(routeOf('neutron.create_port'), 'POST /v2.0/ports');
    assert.equal(routeOf('neutron.list_ports'), 'GET /v2.0/ports');
    assert.equal(routeOf('neutron.list_security_groups'), 'GET /v2.0/security-groups');
    assert.equal(routeOf('neutron.update_port'), 'PUT /v2.0/ports/:id');
    assert.equal(routeOf('neutron.delete_port'), 'DELETE /v2.0/ports/:id');
    assert.equal(routeOf('nova.boot_server'), undefined);
  });

  it('interpolates quantiles within buckets as histogram_quantile does', () => {
    // 100 requests: 50 under 1 ms, 40 more under 10 ms, 10 more under 20 ms.
    const buckets = [[0.001, 50], [0.01, 90], [0.02, 100], [Infinity, 100]] as const;
    assert.equal(quantile(buckets, 0.5), 0.001);
    assert.ok(Math.abs(quantile(buckets, 0.99) - 0.019) < 1e-12);
    assert.ok(Number.isNaN(quantile([[Infinity, 0]], 0.5)));
  });

  it('takes the difference of two scrapes, so earlier traffic does not count', () => {
    const before = parseHistograms(page({ '0.001': 1000, '0.01': 1000, '0.02': 1000, '+Inf': 1000 }));
    const after = parseHistograms(page({ '0.001': 1000, '0.01': 1050, '0.02': 1100, '+Inf': 1100 }));
    const l = latencyBetween(before, after, 'neutron.list_ports');
    assert.equal(l?.count, 100);
    // Of the 100 new answers 50 took (1 ms, 10 ms] and 50 took (10 ms, 20 ms].
    assert.ok(Math.abs(l!.p50 - 0.01) < 1e-12, `p50 ${l!.p50}`);
    assert.ok(Math.abs(l!.p99 - 0.0198) < 1e-12, `p99 ${l!.p99}`);
    assert.equal(latencyBetween(before, after, 'neutron.create_port'), undefined, 'no such route scraped');
  });

  it('counts only successful answers, summed over their statuses', () => {
    const text = [
      page({ '0.01': 3, '+Inf': 3 }, '/v2.0/ports', 'POST').replaceAll('status="200"', 'status="201"'),
      page({ '0.01': 7, '+Inf': 7 }, '/v2.0/ports', 'POST').replaceAll('status="200"', 'status="409"'),
    ].join('\n');
    assert.equal(parseHistograms(text).get('POST /v2.0/ports')?.get(Infinity), 3);
  });
});
