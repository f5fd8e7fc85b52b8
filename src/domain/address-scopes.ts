/**
 * Neutron's address scopes (the address-scope extension): a named IPv4 or IPv6 space that subnet
 * pools join; the pools of one scope never overlap, and a network's subnets of one family are in
 * the scope of their pool (its ipv4_address_scope / ipv6_address_scope). Only an admin shares one
 * with all, and a shared scope is not unshared again (Neutron's AddressScopeUpdateError); its owner
 * shares it with one project by an RBAC policy (rbac.ts, rbac-address-scope).
 */
import type { RequestContext } from '../core/context.js';
import {
  AddressScopeInUse, AddressScopeNotFound, AddressScopePrefixConflict, AddressScopeUpdateError,
  IllegalSubnetPoolIpVersionAssociationToAddressScope, IllegalSubnetPoolUpdate, NetworkAddressScopeAffinityError,
} from '../core/errors.js';
import type { Cidr } from '../core/ip.js';
import { parseCidr } from '../core/ip.js';
import { ipSet, overlaps } from '../core/ip-set.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx } from '../store/store.js';
import type { Collection, ResourceHooks } from './collection.js';
import { SHARED, addWildcard, reaches, removePolicies, sharedTo } from './rbac.js';

export function addressScopeHooks(): ResourceHooks {
  return {
    def: defs.addressScope,
    notFound: (id) => new AddressScopeNotFound(`Address scope ${id} could not be found.`),
    // Shared to all (the column, and its wildcard policy) or by a policy to this project; a
    // member's list is the networks' one: its own rows or an RBAC policy's.
    sharedScope: 'network',
    async sharedVisible(doc, tx, ctx) {
      return doc.shared === true || reaches(tx, doc.id, ctx.projectId, [SHARED]);
    },

    async create(ctx, attrs, base, tx) {
      // As Neutron's attach_rbac: the wildcard policy is the caller's.
      if (attrs.shared === true) await addWildcard(tx, base, SHARED, 'address_scope', ctx.projectId);
      return {
        id: base.id, project_id: base.project_id, name: attrs.name, shared: attrs.shared,
        ip_version: attrs.ip_version, tenant_id: base.project_id,
      };
    },

    async update(ctx, current, changes, tx) {
      if (current.shared === true && changes.shared === false) {
        throw new AddressScopeUpdateError(`Unable to update address scope ${current.id} : Shared address scope can't be unshared.`);
      }
      if (changes.shared === true) await addWildcard(tx, current, SHARED, 'address_scope', ctx.projectId);
      return { ...current, ...changes };
    },

    // Any pool in the scope holds it, whoever owns the pool (Neutron counts only the pools the
    // caller sees, and would leave another project's pool naming a deleted scope).
    async delete(_ctx, current, tx) {
      if ((await scopePools(tx, current.id, 1)).length) {
        throw new AddressScopeInUse(
          `Unable to complete operation on address scope ${current.id}. There are one or more subnet pools in use on the address scope.`,
        );
      }
      await removePolicies(tx, current.id);
    },

    // `shared` as this caller sees it: true too where a policy shares the scope with its project.
    async expand(docs, tx, ctx) {
      if (!ctx || ctx.isAdmin) return;
      const others = docs.filter((d) => d.shared !== true && d.project_id !== ctx.projectId).map((d) => d.id);
      const shared = await sharedTo(tx, others, ctx.projectId);
      for (const d of docs) if (shared.has(d.id)) d.shared = true;
    },
  };
}

function scopePools(tx: ReadTx, scopeId: string, limit?: number): Promise<Doc[]> {
  return tx.list(defs.subnetpool, { conditions: [{ attr: 'address_scope_id', values: [scopeId] }], limit });
}

/** The pool as it will be, for the scope checks. */
export interface ScopedPool {
  readonly id: string;
  readonly addressScopeId: string | null;
  readonly prefixes: readonly Cidr[];
  readonly version: number;
}

/**
 * Neutron's _check_subnetpool_update_allowed: a pool in a scope another project owns (a shared
 * one) is changed only by an admin or the scope's owner.
 */
export async function checkScopedPoolUpdate(ctx: RequestContext, scopes: Collection, current: Doc, tx: ReadTx): Promise<void> {
  const scopeId = current.address_scope_id as string | null;
  if (scopeId === null || scopeId === undefined) return;
  const scope = await scopes.find(ctx, scopeId, tx);
  if (!ctx.isAdmin && scope.project_id !== ctx.projectId) {
    throw new IllegalSubnetPoolUpdate(
      `Illegal subnetpool update : subnetpool ${current.id} cannot be updated when associated with shared address scope ${scopeId}.`,
    );
  }
}

/**
 * Neutron's _validate_address_scope_id: the scope is one the caller sees (else 404) of the pool's
 * IP version; re-scoping leaves no network with subnets of this family in two scopes; and no other
 * pool of the scope overlaps this one's prefixes.
 */
export async function checkPoolScope(ctx: RequestContext, scopes: Collection, pool: ScopedPool, tx: ReadTx): Promise<void> {
  if (pool.addressScopeId === null) return;
  const scope = await scopes.find(ctx, pool.addressScopeId, tx);
  if (scope.ip_version !== pool.version) {
    throw new IllegalSubnetPoolIpVersionAssociationToAddressScope(
      `Illegal subnetpool association: subnetpool ${pool.id} cannot associate with address scope ${scope.id} because subnetpool ip_version is not ${String(scope.ip_version)}.`,
    );
  }
  await checkNetworkAffinity(pool, tx);
  const mine = ipSet(pool.prefixes);
  for (const other of await scopePools(tx, scope.id)) {
    if (other.id === pool.id) continue;
    if (overlaps(mine, ipSet((other.prefixes as string[]).map((p) => parseCidr(p)!)))) {
      throw new AddressScopePrefixConflict('Failed to associate address scope: subnetpools within an address scope must have unique prefixes.');
    }
  }
}

/** Every subnet of this family on the networks of the pool's subnets must come from the pool. */
async function checkNetworkAffinity(pool: ScopedPool, tx: ReadTx): Promise<void> {
  const own = await tx.list(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: [pool.id] }] });
  if (own.length === 0) return;
  const networks = [...new Set(own.map((s) => s.network_id as string))];
  const all = await tx.list(defs.subnet, {
    conditions: [{ attr: 'network_id', values: networks }, { attr: 'ip_version', values: [pool.version] }],
  });
  if (all.some((s) => s.subnetpool_id !== pool.id)) {
    throw new NetworkAddressScopeAffinityError('Subnets of the same address family hosted on the same network must all participate in the same address scope.');
  }
}

/**
 * A network's ipv4_address_scope and ipv6_address_scope: the scope of the pool its subnets of that
 * family come from (one pool per family and network), or null. One query for the page's pools.
 */
export async function fillNetworkScopes(networks: Doc[], subnets: readonly Doc[], tx: ReadTx): Promise<void> {
  const poolIds = [...new Set(subnets.map((s) => s.subnetpool_id).filter((p): p is string => typeof p === 'string'))];
  const pools = poolIds.length === 0 ? [] : await tx.list(defs.subnetpool, { conditions: [{ attr: 'id', values: poolIds }] });
  const byPool = new Map(pools.map((p) => [p.id, p]));
  const scopes = new Map<string, { 4: unknown; 6: unknown }>(networks.map((n) => [n.id, { 4: null, 6: null }]));
  for (const s of subnets) {
    const pool = byPool.get(s.subnetpool_id as string);
    const entry = scopes.get(s.network_id as string);
    if (pool && entry && pool.address_scope_id) entry[pool.ip_version as 4 | 6] = pool.address_scope_id;
  }
  for (const n of networks) {
    const entry = scopes.get(n.id)!;
    n.ipv4_address_scope = entry[4];
    n.ipv6_address_scope = entry[6];
  }
}
