/**
 * Every change the API can ask for, as plain data in and plain data out, so that the one writer of
 * the store can live in another thread: the request thread parses, authenticates, reads and
 * renders; the writer thread validates, allocates and commits. `localWrites` is the writer itself.
 */
import type { RequestContext } from '../core/context.js';
import type { Doc, Store } from '../store/store.js';
import type { AutoAllocatedTopologyView, AutoAllocation } from './auto-allocation.js';
import type { BindingView, PortBindings } from './port-bindings.js';
import type { AgentHeartbeat, AgentReport, Agents, PortStatusApplied, PortStatusUpdate } from './agents.js';
import type { Collection, IfMatch } from './collection.js';
import type { RouterInterfaceInfo, Routers } from './routers.js';
import type { QuotaSet, Quotas } from './quotas.js';
import type { SecurityGroups } from './security-groups.js';
import type { PrefixAction } from './subnetpools.js';
import { changePoolPrefixes } from './subnetpools.js';

/** A tag-list change as data (the tags API's four writes). */
export type TagChange =
  | { readonly set: readonly string[] }
  | { readonly add: string }
  | { readonly remove: string };

export interface Writes {
  create(collection: string, ctx: RequestContext, bodies: readonly unknown[]): Promise<Doc[]>;
  update(collection: string, ctx: RequestContext, id: string, body: unknown, ifMatch: IfMatch): Promise<Doc>;
  remove(collection: string, ctx: RequestContext, id: string, ifMatch: IfMatch): Promise<void>;
  removeMany(collection: string, ctx: RequestContext, ids: readonly string[]): Promise<void>;
  changeTags(collection: string, ctx: RequestContext, id: string, change: TagChange): Promise<string[]>;
  addRouterInterface(ctx: RequestContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo>;
  removeRouterInterface(ctx: RequestContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo>;
  /** The project's default security group, made if it is missing (a list may need it). */
  ensureDefaultSecurityGroup(projectId: string): Promise<void>;
  /** An agent's state report: its row made or refreshed (the southbound calls it on connect). */
  registerAgent(report: AgentReport): Promise<Doc>;
  /** Agents heard from; no change-log rows. */
  agentHeartbeats(beats: readonly AgentHeartbeat[]): Promise<void>;
  /** Port statuses agents report; only ports still bound to the reporting host change. */
  setPortStatuses(updates: readonly PortStatusUpdate[]): Promise<PortStatusApplied[]>;
  /** PUT /subnetpools/{id}/add_prefixes (the pool's prefixes after it) or remove_prefixes (null). */
  subnetpoolPrefixes(ctx: RequestContext, id: string, action: PrefixAction, body: unknown): Promise<{ prefixes: string[] }>;
  /** PUT /quotas/{project}: the project's limits after the change. */
  updateQuota(ctx: RequestContext, projectId: string, body: unknown): Promise<QuotaSet>;
  /** DELETE /quotas/{project}: back to the defaults. */
  resetQuota(ctx: RequestContext, projectId: string): Promise<void>;
  /** GET /auto-allocated-topology/{project}: a write, as the first one builds the topology. */
  autoAllocateTopology(ctx: RequestContext, projectId: string, dryRun: boolean): Promise<AutoAllocatedTopologyView>;
  deleteAutoAllocatedTopology(ctx: RequestContext, projectId: string): Promise<void>;
  /** binding-extended: /ports/{id}/bindings[/{host}[/activate]]. */
  createPortBinding(ctx: RequestContext, portId: string, body: unknown): Promise<BindingView>;
  updatePortBinding(ctx: RequestContext, portId: string, host: string, body: unknown): Promise<BindingView>;
  activatePortBinding(ctx: RequestContext, portId: string, host: string): Promise<BindingView>;
  deletePortBinding(ctx: RequestContext, portId: string, host: string): Promise<void>;
}

/** The names a writer thread accepts: nothing else is callable across the boundary. */
export const WRITE_METHODS: ReadonlyArray<keyof Writes> = [
  'create', 'update', 'remove', 'removeMany', 'changeTags', 'addRouterInterface', 'removeRouterInterface',
  'ensureDefaultSecurityGroup', 'registerAgent', 'agentHeartbeats', 'setPortStatuses', 'updateQuota', 'resetQuota',
  'autoAllocateTopology', 'deleteAutoAllocatedTopology',
  'createPortBinding', 'updatePortBinding', 'activatePortBinding', 'deletePortBinding',
  'subnetpoolPrefixes',
];

export function applyTagChange(tags: string[], change: TagChange): string[] {
  if ('set' in change) return [...change.set];
  if ('add' in change) return tags.includes(change.add) ? tags : [...tags, change.add];
  return tags.filter((t) => t !== change.remove);
}

export function localWrites(
  store: Store, collections: ReadonlyMap<string, Collection>, routers: Routers, securityGroups: SecurityGroups, agents: Agents, quotas: Quotas,
  autoAllocation: AutoAllocation, portBindings: PortBindings,
): Writes {
  const of = (name: string): Collection => {
    const c = collections.get(name);
    if (!c) throw new Error(`no collection ${name}`);
    return c;
  };
  return {
    create: (name, ctx, bodies) => of(name).create(ctx, bodies),
    update: (name, ctx, id, body, ifMatch) => of(name).update(ctx, id, body, ifMatch),
    remove: (name, ctx, id, ifMatch) => of(name).remove(ctx, id, ifMatch),
    removeMany: (name, ctx, ids) => of(name).removeMany(ctx, ids),
    changeTags: (name, ctx, id, change) => of(name).changeTags(ctx, id, (tags) => applyTagChange(tags, change)),
    addRouterInterface: (ctx, id, body) => routers.addInterface(ctx, id, body),
    removeRouterInterface: (ctx, id, body) => routers.removeInterface(ctx, id, body),
    ensureDefaultSecurityGroup: (projectId) => securityGroups.ensureDefaultOutside(projectId),
    registerAgent: (report) => agents.register(report),
    agentHeartbeats: (beats) => agents.heartbeats(beats),
    setPortStatuses: (updates) => agents.setPortStatuses(updates),
    updateQuota: (ctx, projectId, body) => quotas.update(ctx, projectId, body),
    resetQuota: (ctx, projectId) => quotas.reset(ctx, projectId),
    autoAllocateTopology: (ctx, projectId, dryRun) => autoAllocation.get(ctx, projectId, dryRun),
    deleteAutoAllocatedTopology: (ctx, projectId) => autoAllocation.remove(ctx, projectId),
    createPortBinding: (ctx, portId, body) => portBindings.create(ctx, portId, body),
    updatePortBinding: (ctx, portId, host, body) => portBindings.update(ctx, portId, host, body),
    activatePortBinding: (ctx, portId, host) => portBindings.activate(ctx, portId, host),
    deletePortBinding: (ctx, portId, host) => portBindings.remove(ctx, portId, host),
    subnetpoolPrefixes: (ctx, id, action, body) => changePoolPrefixes(store, of('subnetpools'), ctx, id, action, body),
  };
}
