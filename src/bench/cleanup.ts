/**
 * Everything a run creates is recorded here, and deleted afterwards with many requests in flight,
 * in dependency order: ports, router interfaces, routers, subnets, networks, security groups.
 * Rally deleted one by one and turned a 5-minute test into 50 minutes; this takes seconds.
 */
import type { Identity, NeutronClient } from './client.js';
import { NeutronHttpError } from './client.js';

type Kind = 'ports' | 'routers' | 'subnets' | 'networks' | 'security-groups';

interface Created {
  readonly id: string;
  readonly who: Identity;
}

export interface CleanupResult {
  readonly seconds: number;
  readonly deleted: number;
  readonly failed: number;
  readonly errors: readonly string[];
  /** Resources of the run's projects still there afterwards, by kind (none, when all went well). */
  readonly remaining: Readonly<Record<string, number>>;
}

const ORDER: readonly Kind[] = ['ports', 'routers', 'subnets', 'networks', 'security-groups'];

export class Tracker {
  private readonly created = new Map<Kind, Created[]>(ORDER.map((k) => [k, []]));
  private readonly interfaces: Array<{ routerId: string; subnetId: string; who: Identity }> = [];
  readonly projects = new Set<string>();

  add(kind: Kind, id: string, who: Identity): void {
    this.created.get(kind)!.push({ id, who });
  }

  addInterface(routerId: string, subnetId: string, who: Identity): void {
    this.interfaces.push({ routerId, subnetId, who });
  }

  /** What an iteration deleted itself (the scenarios that clean up as they go) is not deleted again. */
  forget(kind: Kind, id: string): void {
    const list = this.created.get(kind)!;
    const i = list.findIndex((c) => c.id === id);
    if (i >= 0) list.splice(i, 1);
  }

  forgetInterface(routerId: string, subnetId: string): void {
    const i = this.interfaces.findIndex((x) => x.routerId === routerId && x.subnetId === subnetId);
    if (i >= 0) this.interfaces.splice(i, 1);
  }

  count(kind: Kind): number {
    return this.created.get(kind)!.length;
  }

  async cleanup(client: NeutronClient, inFlight = 64): Promise<CleanupResult> {
    const started = performance.now();
    let deleted = 0;
    const errors: string[] = [];
    const gone = (err: unknown) => err instanceof NeutronHttpError && err.status === 404;
    const run = async <T>(items: readonly T[], fn: (item: T) => Promise<number>, width = inFlight) => {
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const item = items[next++];
          try {
            // Awaited first: `deleted += await ...` would read `deleted` before the wait and lose
            // the other workers' counts.
            const n = await fn(item);
            deleted += n;
          } catch (err) {
            // Already gone is what cleanup wants.
            if (!gone(err)) errors.push(String(err));
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
    };
    const one = (kind: Kind) => async (c: Created) => {
      await client.remove(kind, c.id, c.who);
      return 1;
    };
    // Where the server offers bulk delete, a few hundred rows go per request and per commit.
    const bulk = await client.hasExtension('bulk-delete');
    const removeAll = async (kind: Kind, items: readonly Created[]) => {
      if (!bulk) return run(items, one(kind));
      await run(batches(items), async (batch) => {
        try {
          await client.removeMany(kind, batch.ids, batch.who);
          return batch.ids.length;
        } catch (err) {
          if (!gone(err)) throw err;
          // One of them was gone already: the batch changed nothing, so go one by one.
          let n = 0;
          await run(batch.ids.map((id) => ({ id, who: batch.who })), async (c) => {
            const removed = await one(kind)(c);
            n += removed;
            return 0;
          });
          return n;
        }
      }, BULK_IN_FLIGHT);
    };
    await removeAll('ports', this.created.get('ports')!);
    await run(this.interfaces, async (i) => {
      await client.action(`/v2.0/routers/${i.routerId}/remove_router_interface`, i.who, { subnet_id: i.subnetId });
      return 1;
    });
    for (const kind of ORDER.slice(1)) await removeAll(kind, this.created.get(kind)!);
    // Each tenant's default security group appeared on first need; it goes too (as admin).
    const admin: Identity = {};
    const defaults: Created[] = [];
    for (const project of this.projects) {
      const groups = await client.list('security-groups', admin, `?project_id=${encodeURIComponent(project)}&fields=id`);
      defaults.push(...groups.map((g) => ({ id: g.id, who: admin })));
    }
    await removeAll('security-groups', defaults);
    const seconds = (performance.now() - started) / 1000;
    // Checked, not assumed: what a project of the run still holds (the ports Neutron made on its
    // own, DHCP's and routers', included).
    const remaining: Record<string, number> = {};
    for (const kind of ORDER) {
      let n = 0;
      for (const project of this.projects) n += (await client.list(kind, admin, `?project_id=${encodeURIComponent(project)}&fields=id`)).length;
      if (n > 0) remaining[kind] = n;
    }
    for (const list of this.created.values()) list.length = 0;
    this.interfaces.length = 0;
    this.projects.clear();
    return { seconds, deleted, failed: errors.length, errors: errors.slice(0, 10), remaining };
  }
}

/** Ids per bulk request: well under the server's limit and Node's 16 KiB request line. */
const BULK_SIZE = 250;
/** Bulk requests in flight: each is a whole transaction, so a few keep the writer busy. */
const BULK_IN_FLIGHT = 4;

/**
 * Chunks of BULK_SIZE ids, deleted as the cloud admin: the bench is the operator here, and one
 * owner's handful of rows per request would waste the bulk call (500 tenants of 2 users made
 * batches of 10).
 */
function batches(items: readonly Created[]): Array<{ who: Identity; ids: string[] }> {
  const admin: Identity = {};
  const out: Array<{ who: Identity; ids: string[] }> = [];
  for (let i = 0; i < items.length; i += BULK_SIZE) {
    out.push({ who: admin, ids: items.slice(i, i + BULK_SIZE).map((item) => item.id) });
  }
  return out;
}
