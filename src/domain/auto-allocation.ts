/**
 * `auto-allocated-topology` (Nova's `--nic auto`): a project's own network, a subnet from each
 * default subnet pool, and a router out through the default external network, as Neutron's
 * auto_allocate service builds them (same names, same errors). Neutron builds step by step and
 * cleans up after a failure or after losing a race to a concurrent first call; here the whole
 * topology is one transaction, so a failure leaves nothing and the project's row in
 * auto_allocated_topologies (one per project, inside the same transaction) makes two first calls
 * build one topology.
 */
import type { RequestContext } from '../core/context.js';
import { AutoAllocationFailure, NeutronError, NotAuthorized } from '../core/errors.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, Store, WriteTx } from '../store/store.js';
import { defaultPool } from './subnet-allocation.js';
import { validateCreate } from './attributes.js';
import type { Collection } from './collection.js';
import { withRetry } from './retry.js';
import type { Routers } from './routers.js';

export interface AutoAllocatedTopologyView {
  readonly id: string;
  readonly tenant_id: string;
}

export class AutoAllocation {
  constructor(
    private readonly store: Store,
    private readonly routers: Routers,
    private readonly collection: (name: string) => Collection,
  ) {}

  /** Neutron's _validate: 'None' means the caller's own project; only an admin names another. */
  static project(ctx: RequestContext, id: string): string {
    const p = id === 'None' ? ctx.projectId : id;
    if (!ctx.isAdmin && p !== ctx.projectId) throw new NotAuthorized('Not authorized.');
    return p;
  }

  /** GET: the project's topology, built on first call; with dryRun only what it needs is checked. */
  async get(ctx: RequestContext, projectParam: string, dryRun: boolean): Promise<AutoAllocatedTopologyView> {
    const project = AutoAllocation.project(ctx, projectParam);
    if (dryRun) {
      return this.store.read(async (tx) => {
        await this.defaultExternal(tx);
        if ((await this.defaultPools(tx)).length === 0) throw new AutoAllocationFailure('Deployment error: No default subnetpools defined.');
        return { id: 'dry-run=pass', tenant_id: project };
      });
    }
    return withRetry(() => this.store.write(async (tx) => {
      const existing = await this.current(tx, project);
      if (existing) return { id: existing.networkId, tenant_id: project };
      const external = await this.defaultExternal(tx);
      // As the project, whoever asks: the admin's call builds what the project would have built.
      const as: RequestContext = { ...ctx, projectId: project };
      const pools = await this.defaultPools(tx);
      if (pools.length === 0) throw new AutoAllocationFailure('Deployment error: Unable to provide tenant private network.');
      const network = await this.create('networks', as, { name: 'auto_allocated_network', admin_state_up: true, shared: false, project_id: project }, tx);
      const subnets: Doc[] = [];
      for (const pool of pools) {
        subnets.push(await this.failingAs('Unable to provide tenant private network', () => this.create('subnets', as, {
          name: `auto_allocated_subnet_v${String(pool.ip_version)}`, network_id: network.id, ip_version: pool.ip_version, subnetpool_id: pool.id, project_id: project,
        }, tx)));
      }
      const router = await this.failingAs('Unable to provide external connectivity', async () => {
        const r = await this.create('routers', as, { name: 'auto_allocated_router', admin_state_up: true, external_gateway_info: { network_id: external }, project_id: project }, tx);
        for (const s of subnets) await this.routers.addInterfaceIn(as, r.id, { subnet_id: s.id }, tx);
        return r;
      });
      await tx.setAutoAllocatedTopology(project, { networkId: network.id, routerId: router.id });
      return { id: network.id, tenant_id: project };
    }));
  }

  /** DELETE: the router's interfaces, the router, the network (with its subnets); 204 if none was built. */
  async remove(ctx: RequestContext, projectParam: string): Promise<void> {
    const project = AutoAllocation.project(ctx, projectParam);
    await this.store.write(async (tx) => {
      const topology = await this.current(tx, project);
      if (!topology) return;
      const as: RequestContext = { ...ctx, projectId: project, isAdmin: true };
      const network = await tx.get(defs.network, topology.networkId);
      const router = topology.routerId ? await tx.get(defs.router, topology.routerId) : undefined;
      if (router) {
        const subnets = network ? await tx.list(defs.subnet, { conditions: [{ attr: 'network_id', values: [network.id] }] }) : [];
        for (const s of subnets) await ignoreNotFound(() => this.routers.removeInterfaceIn(as, router.id, { subnet_id: s.id }, tx));
        await this.collection('routers').removeIn(as, router, tx);
      }
      // A VM still on the network makes this Neutron's 409 NetworkInUse, and nothing above happened.
      if (network) await this.collection('networks').removeIn(as, network, tx);
      await tx.setAutoAllocatedTopology(project, null);
    });
  }

  /** The recorded topology, unless its network has gone since (then it is forgotten and rebuilt). */
  private async current(tx: WriteTx, project: string) {
    const t = await tx.autoAllocatedTopology(project);
    if (t && !(await tx.get(defs.network, t.networkId))) {
      await tx.setAutoAllocatedTopology(project, null);
      return undefined;
    }
    return t;
  }

  private async defaultExternal(tx: ReadTx): Promise<string> {
    const [net] = await tx.list(defs.network, {
      conditions: [{ attr: 'router:external', values: [true] }, { attr: 'is_default', values: [true] }], limit: 1,
    });
    if (!net) throw new AutoAllocationFailure('Deployment error: No default router:external network.');
    return net.id;
  }

  private async defaultPools(tx: ReadTx): Promise<Doc[]> {
    const pools = await Promise.all([4, 6].map((version) => defaultPool(tx, version)));
    return pools.filter((p): p is Doc => p !== undefined);
  }

  private create(name: string, ctx: RequestContext, body: Record<string, unknown>, tx: WriteTx) {
    const c = this.collection(name);
    return c.createIn(ctx, validateCreate(c.def, { ...ctx, isAdmin: true }, body), tx);
  }

  /** Neutron's answer when a step fails for want of something (a full pool, a bad gateway): its 409 with the step's reason. */
  private async failingAs<T>(reason: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof NeutronError && err.status >= 400 && err.status < 500) {
        throw new AutoAllocationFailure(`Deployment error: ${reason}.`);
      }
      throw err;
    }
  }
}

async function ignoreNotFound(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (!(err instanceof NeutronError && err.status === 404)) throw err;
  }
}

