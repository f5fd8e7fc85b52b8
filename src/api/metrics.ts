/**
 * `GET /metrics` in Prometheus' text format: the process's own gauges (resident memory, event loop
 * lag, GC) and a histogram of every answered request's time inside the server, by method, route
 * pattern and status. A load generator on the same cores sees queueing in its own event loop too;
 * this histogram is the server's side of the same requests (`alcor bench` reads it where served).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const REQUEST_DURATION_METRIC = 'alcor_http_request_duration_seconds';

/** Fine where the targets are (a 20 ms list p99), coarse beyond a second. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The store's state as the writer reports it (src/cli/server.ts keeps it). */
export interface StoreHealth {
  readonly writable: boolean;
  readonly faults: number;
}

export function metricsRoutes(app: FastifyInstance, store?: StoreHealth): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (store) {
    // What to alert on: 0 while writes are refused for a full, read-only or failing disk.
    new Gauge({
      name: 'alcor_store_writable', help: '1 while the store can write, 0 while writes are answered 503 (disk full, read-only, I/O errors).',
      registers: [registry], collect() { this.set(store.writable ? 1 : 0); },
    });
    let seen = 0;
    new Counter({
      name: 'alcor_store_write_faults_total', help: 'Times the store stopped being able to write.',
      registers: [registry], collect() { this.inc(store.faults - seen); seen = store.faults; },
    });
  }
  const duration = new Histogram({
    name: REQUEST_DURATION_METRIC,
    help: 'Time from request received to response sent, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  app.addHook('onResponse', (req, reply, done) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', async (_req, reply) => {
    void reply.type(registry.contentType);
    return registry.metrics();
  });
}

/** Served without a token, as `GET /` is: scrapers carry none, and it names no tenant's data. */
export function isOpenPath(method: string, url: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (url === '/' || url === '/metrics');
}
