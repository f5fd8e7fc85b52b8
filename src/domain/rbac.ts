/**
 * Neutron's RBAC policies on networks (the rbac-policies extension): `access_as_shared` lets the
 * target project (or every project, `*`) see the network, its subnets, and put ports on it;
 * `access_as_external` lets it see the network and use it as an external one (floating IPs, router
 * gateways). A network's `shared` column is its wildcard access_as_shared policy and its
 * `router:external` is true while it has any access_as_external policy, as in Neutron: the
 * columns and the table are changed together, in the same transaction. Address scopes
 * (rbac-address-scope) take `access_as_shared` only: its target sees the scope and puts pools in it.
 */
import type { RequestContext } from '../core/context.js';
import {
  DuplicateRbacPolicy, InvalidActionForType, InvalidInput, NeutronError, PolicyNotAuthorized,
  RbacPolicyInUse, RbacPolicyNotFound,
} from '../core/errors.js';
import { newId } from '../core/ids.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, WriteTx } from '../store/store.js';
import type { Attrs } from './attributes.js';
import type { ResourceHooks } from './collection.js';
import { writeRevision } from './collection.js';

export const SHARED = 'access_as_shared';
export const EXTERNAL = 'access_as_external';
const ACTIONS = [SHARED, EXTERNAL] as const;
/** What each object type accepts, and Neutron's tuple of them for InvalidActionForType. */
const TYPE_ACTIONS: Readonly<Record<string, { actions: readonly string[]; shown: string }>> = {
  network: { actions: ACTIONS, shown: `('${SHARED}', '${EXTERNAL}')` },
  address_scope: { actions: [SHARED], shown: `('${SHARED}',)` },
};
const GATEWAY = 'network:router_gateway';

/** A network's policies, by the (object_id, action, target_tenant) index. */
export async function networkPolicies(tx: ReadTx, networkId: string): Promise<Doc[]> {
  return tx.list(defs.rbacPolicy, { conditions: [{ attr: 'object_id', values: [networkId] }] });
}

/** Does a policy with one of these actions reach this project (by name or `*`)? */
export async function reaches(tx: ReadTx, networkId: string, projectId: string, actions: readonly string[] = ACTIONS): Promise<boolean> {
  const found = await tx.list(defs.rbacPolicy, {
    conditions: [
      { attr: 'object_id', values: [networkId] },
      { attr: 'target_tenant', values: [projectId, '*'] },
      { attr: 'action', values: actions },
    ],
    limit: 1,
  });
  return found.length > 0;
}

/** The ids of these networks shared (access_as_shared) to this project by name. */
export async function sharedTo(tx: ReadTx, networkIds: readonly string[], projectId: string): Promise<Set<string>> {
  if (networkIds.length === 0) return new Set();
  const found = await tx.list(defs.rbacPolicy, {
    conditions: [
      { attr: 'target_tenant', values: [projectId] },
      { attr: 'action', values: [SHARED] },
      { attr: 'object_id', values: networkIds },
    ],
  });
  return new Set(found.map((p) => p.object_id as string));
}

function policyDoc(id: string, projectId: string, objectId: string, action: string, target: string, objectType = 'network'): Doc {
  return { id, project_id: projectId, action, object_id: objectId, target_tenant: target, object_type: objectType, tenant_id: projectId };
}

/**
 * The object's own wildcard policy (a network's shared: true or router:external: true, an address
 * scope's shared: true), made if missing, owned by `owner` (the network's project; for a scope,
 * Neutron's caller's).
 */
export async function addWildcard(tx: WriteTx, object: Doc, action: string, objectType = 'network', owner = object.project_id as string): Promise<void> {
  const existing = await networkPolicies(tx, object.id);
  if (existing.some((p) => p.action === action && p.target_tenant === '*')) return;
  await tx.insert(defs.rbacPolicy, policyDoc(newId(), owner, object.id, action, '*', objectType));
}

export async function removePolicies(tx: WriteTx, networkId: string, keep: (p: Doc) => boolean = () => false): Promise<void> {
  for (const p of await networkPolicies(tx, networkId)) if (!keep(p)) await tx.delete(defs.rbacPolicy, p.id);
}

function inUse(networkId: string, details: string): NeutronError {
  return new RbacPolicyInUse(`RBAC policy on object ${networkId} cannot be removed because other objects depend on it.\nDetails: ${details}`);
}

const sharingInUse = (networkId: string) =>
  `Unable to reconfigure sharing settings for network ${networkId}. Multiple tenants are using it.`;

/**
 * Neutron's ensure_no_tenant_ports_on_network: may `target` (a project or `*`) lose access_as_shared
 * to the network, given the access_as_shared targets that stay? Ports of the network's owner, of
 * projects still reached, and the controller's own (project '') never hold it.
 */
export async function sharedLossAllowed(tx: ReadTx, network: Doc, target: string, remaining: readonly string[]): Promise<boolean> {
  if (target === network.project_id || remaining.includes('*')) return true;
  if (target !== '*' && remaining.includes(target)) return true;
  const ports = await tx.list(defs.port, { conditions: [{ attr: 'network_id', values: [network.id] }] });
  const allowed = new Set<unknown>([network.project_id, '', ...remaining]);
  return !ports.some((p) => !allowed.has(p.project_id) && (target === '*' || p.project_id === target));
}

/** Neutron's _validate_ext_not_in_use_by_tenant: routers whose gateway on the network needs this policy. */
async function externalLossAllowed(tx: ReadTx, network: Doc, target: string, remaining: readonly string[]): Promise<boolean> {
  if (remaining.includes('*')) return true;
  if (target !== '*' && remaining.includes(target)) return true;
  const gateways = await tx.list(defs.port, { conditions: [{ attr: 'network_id', values: [network.id] }, { attr: 'device_owner', values: [GATEWAY] }] });
  if (gateways.length === 0) return true;
  const routers = await tx.list(defs.router, { conditions: [{ attr: 'id', values: gateways.map((p) => p.device_id as string) }] });
  const allowed = new Set<unknown>([network.project_id, ...remaining]);
  return !routers.some((r) => !allowed.has(r.project_id) && (target === '*' || r.project_id === target));
}

/** Refuses to take `target`'s access away while it depends on it (a 409, as Neutron's). */
async function checkLoss(tx: ReadTx, network: Doc, policy: Doc, others: readonly Doc[], alsoRemaining?: string): Promise<void> {
  const action = policy.action as string;
  const remaining = others.filter((p) => p.action === action).map((p) => p.target_tenant as string);
  if (alsoRemaining !== undefined) remaining.push(alsoRemaining);
  const target = policy.target_tenant as string;
  if (action === SHARED && !(await sharedLossAllowed(tx, network, target, remaining))) {
    throw inUse(network.id, sharingInUse(network.id));
  }
  // Neutron's _validate_ext_not_in_use_by_tenant: the default external network stays everyone's.
  if (action === EXTERNAL && target === '*' && network.is_default === true && alsoRemaining !== '*') {
    throw inUse(network.id, 'Default external networks must be shared to everyone.');
  }
  if (action === EXTERNAL && !(await externalLossAllowed(tx, network, target, remaining))) {
    throw inUse(network.id, 'There are routers attached to this network that depend on this policy for access.');
  }
}

/** The network's `shared` and `router:external` after its policies changed; a new revision, as Neutron's. */
async function syncNetwork(tx: WriteTx, network: Doc, policies: readonly Doc[]): Promise<void> {
  const shared = policies.some((p) => p.action === SHARED && p.target_tenant === '*');
  const external = policies.some((p) => p.action === EXTERNAL);
  await writeRevision(defs.network, { ...network, shared, 'router:external': external }, tx);
}

function checkTarget(ctx: RequestContext, action: 'create' | 'update', target: unknown): void {
  if (target === '*' && !ctx.isAdmin) {
    throw new PolicyNotAuthorized(action === 'create'
      ? '((((rule:create_rbac_policy and rule:create_rbac_policy:object_type) and rule:create_rbac_policy:object_id) and rule:create_rbac_policy:target_tenant) and rule:create_rbac_policy:action) is disallowed by policy'
      : '(rule:update_rbac_policy and rule:update_rbac_policy:target_tenant) is disallowed by policy');
  }
}

/** The object a policy is on, if the caller may make policies on it (its owner or an admin). */
async function ownedObject(ctx: RequestContext, tx: ReadTx, objectType: string, objectId: string): Promise<Doc> {
  const object = await tx.get(objectType === 'network' ? defs.network : defs.addressScope, objectId);
  if (!object) {
    throw new InvalidInput(`Invalid input for operation: ${objectType === 'network' ? 'Network' : 'Address scope'} ${objectId} could not be found.`);
  }
  if (!ctx.isAdmin && object.project_id !== ctx.projectId) {
    throw new InvalidInput('Invalid input for operation: Only admins can manipulate policies on objects they do not own.');
  }
  return object;
}

/**
 * Neutron's _validate_rbac_policy_delete for an address scope: may `target` lose access_as_shared,
 * given the policies that stay? Not while it has pools in the scope (nor, for the wildcard, while
 * any project with pools there, the owner included, has no policy of its own).
 */
async function checkScopeLoss(tx: ReadTx, scope: Doc, target: string, remaining: readonly Doc[]): Promise<void> {
  if (target === scope.project_id) return;
  const targets = remaining.filter((p) => p.action === SHARED).map((p) => p.target_tenant as string);
  if (target !== '*' && targets.includes('*')) return;
  const pools = await tx.list(defs.subnetpool, { conditions: [{ attr: 'address_scope_id', values: [scope.id] }] });
  const bound = new Set(pools.map((p) => p.project_id as string));
  const lost = target === '*' ? [...bound].some((p) => !targets.includes(p)) : bound.has(target);
  if (lost) throw inUse(scope.id, `project_id=${target}`);
}

/** An address scope's `shared` is its wildcard policy. */
async function syncScope(tx: WriteTx, scope: Doc, policies: readonly Doc[]): Promise<void> {
  const shared = policies.some((p) => p.action === SHARED && p.target_tenant === '*');
  if (shared !== scope.shared) await writeRevision(defs.addressScope, { ...scope, shared }, tx);
}

/** Checks `policy` losing its target to the policies that stay, then syncs its object. */
async function changePolicies(tx: WriteTx, object: Doc, policy: Doc, remaining: Doc[], newTarget?: string): Promise<void> {
  if (policy.object_type === 'address_scope') {
    // As Neutron: a policy moved to '*' takes nothing away.
    if (newTarget !== '*') await checkScopeLoss(tx, object, policy.target_tenant as string, remaining);
    await syncScope(tx, object, newTarget === undefined ? remaining : [...remaining, { ...policy, target_tenant: newTarget }]);
    return;
  }
  await checkLoss(tx, object, policy, remaining, newTarget);
  await syncNetwork(tx, object, newTarget === undefined ? remaining : [...remaining, { ...policy, target_tenant: newTarget }]);
}

const duplicate = () => new DuplicateRbacPolicy('An RBAC policy already exists with those values.');

export function rbacPolicyHooks(): ResourceHooks {
  return {
    def: defs.rbacPolicy,
    notFound: (id) => new RbacPolicyNotFound(`RBAC policy of type unknown with ID ${id} not found`),

    async create(ctx, attrs: Attrs, base: Doc, tx: WriteTx) {
      const type = attrs.object_type as string;
      const allowedActions = Object.hasOwn(TYPE_ACTIONS, type) ? TYPE_ACTIONS[type] : undefined;
      if (!allowedActions) throw new InvalidInput(`Invalid input for operation: '${type}' is not a valid RBAC object type.`);
      const action = attrs.action as string;
      if (!allowedActions.actions.includes(action)) {
        throw new InvalidActionForType(`Invalid action '${action}' for object type '${type}'. Valid actions: ${allowedActions.shown}`);
      }
      checkTarget(ctx, 'create', attrs.target_tenant);
      const object = await ownedObject(ctx, tx, type, attrs.object_id as string);
      const existing = await networkPolicies(tx, object.id);
      if (existing.some((p) => p.action === action && p.target_tenant === attrs.target_tenant)) throw duplicate();
      const doc = policyDoc(base.id, base.project_id as string, object.id, action, attrs.target_tenant as string, type);
      if (type === 'network') await syncNetwork(tx, object, [...existing, doc]);
      else await syncScope(tx, object, [...existing, doc]);
      return doc;
    },

    async update(ctx, current, changes, tx) {
      if (!('target_tenant' in changes) || changes.target_tenant === current.target_tenant) return { ...current };
      checkTarget(ctx, 'update', changes.target_tenant);
      const object = await ownedObject(ctx, tx, current.object_type as string, current.object_id as string);
      const existing = await networkPolicies(tx, object.id);
      const others = existing.filter((p) => p.id !== current.id);
      if (others.some((p) => p.action === current.action && p.target_tenant === changes.target_tenant)) throw duplicate();
      await changePolicies(tx, object, current, others, changes.target_tenant as string);
      return { ...current, target_tenant: changes.target_tenant };
    },

    async delete(_ctx, current, tx) {
      const object = await tx.get(current.object_type === 'address_scope' ? defs.addressScope : defs.network, current.object_id as string);
      if (!object) return;
      const others = (await networkPolicies(tx, object.id)).filter((p) => p.id !== current.id);
      await changePolicies(tx, object, current, others);
    },
  };
}
