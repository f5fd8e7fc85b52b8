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

  count(kind: Kind): number {
    return this.created.get(kind)!.length;
  }

  async cleanup(client: NeutronClient, inFlight = 64): Promise<CleanupResult> {
    const started = performance.now();
    let deleted = 0;
    const errors: string[] = [];
    const run = async <T>(items: readonly T[], fn: (item: T) => Promise<void>) => {
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const item = items[next++];
          try {
            await fn(item);
            deleted++;
          } catch (err) {
            // Already gone is what cleanup wants.
            if (!(err instanceof NeutronHttpError && err.status === 404)) errors.push(String(err));
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
    };
    await run(this.created.get('ports')!, (c) => client.remove('ports', c.id, c.who));
    await run(this.interfaces, async (i) => { await client.action(`/v2.0/routers/${i.routerId}/remove_router_interface`, i.who, { subnet_id: i.subnetId }); });
    for (const kind of ORDER.slice(1)) await run(this.created.get(kind)!, (c) => client.remove(kind, c.id, c.who));
    // Each tenant's default security group appeared on first need; it goes too (as admin).
    const admin: Identity = {};
    const defaults: string[] = [];
    for (const project of this.projects) {
      const groups = await client.list('security-groups', admin, `?project_id=${encodeURIComponent(project)}&fields=id`);
      defaults.push(...groups.map((g) => g.id));
    }
    await run(defaults, (id) => client.remove('security-groups', id, admin));
    for (const list of this.created.values()) list.length = 0;
    this.interfaces.length = 0;
    this.projects.clear();
    return { seconds: (performance.now() - started) / 1000, deleted, failed: errors.length, errors: errors.slice(0, 10) };
  }
}
