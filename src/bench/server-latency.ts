/**
 * The server's own view of the run's latencies, where the target serves Prometheus' `/metrics`
 * with alcor's request histogram: two scrapes around the load phase, the difference per route, and
 * quantiles interpolated within buckets as Prometheus' histogram_quantile does. A real Neutron
 * serves no such page, and the bench then reports only what it measured itself.
 */
import type { NeutronClient } from './client.js';

const METRIC = 'alcor_http_request_duration_seconds_bucket';

/** method + ' ' + route -> upper bound (seconds) -> cumulative count, summed over statuses. */
export type Histograms = Map<string, Map<number, number>>;

export interface ServerLatency {
  readonly count: number;
  /** Seconds. */
  readonly p50: number;
  readonly p99: number;
}

export function parseHistograms(text: string): Histograms {
  const out: Histograms = new Map();
  const line = new RegExp(`^${METRIC}\\{([^}]*)\\} (\\S+)$`);
  for (const raw of text.split('\n')) {
    const m = line.exec(raw);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (!labels.status?.startsWith('2')) continue;
    const key = `${labels.method} ${labels.route}`;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    const buckets = out.get(key) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    out.set(key, buckets);
  }
  return out;
}

export async function scrape(client: NeutronClient): Promise<Histograms | undefined> {
  try {
    return parseHistograms(await client.text('/metrics'));
  } catch {
    return undefined;
  }
}

export function quantile(buckets: ReadonlyArray<readonly [number, number]>, q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerLe;
      return lowerLe + ((le - lowerLe) * (rank - lowerCount)) / Math.max(count - lowerCount, 1);
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/** The route an atomic action of Rally's naming calls: neutron.create_port -> POST /v2.0/ports. */
export function routeOf(action: string): string | undefined {
  const m = /^neutron\.(create|list|update|delete|show)_(\w+?)s?$/.exec(action);
  if (!m) return undefined;
  const collection = `/v2.0/${m[2].replace(/_/g, '-')}s`;
  switch (m[1]) {
    case 'create': return `POST ${collection}`;
    case 'list': return `GET ${collection}`;
    case 'update': return `PUT ${collection}/:id`;
    case 'delete': return `DELETE ${collection}/:id`;
    default: return `GET ${collection}/:id`;
  }
}

export function latencyBetween(before: Histograms, after: Histograms, action: string): ServerLatency | undefined {
  const route = routeOf(action);
  const now = route ? after.get(route) : undefined;
  if (!route || !now) return undefined;
  const then = before.get(route) ?? new Map<number, number>();
  const buckets = [...now.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => [le, c - (then.get(le) ?? 0)] as const);
  const count = buckets[buckets.length - 1]?.[1] ?? 0;
  if (count === 0) return undefined;
  return { count, p50: quantile(buckets, 0.5), p99: quantile(buckets, 0.99) };
}
