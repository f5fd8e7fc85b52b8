/**
 * Subnet pools: their prefixes (one IP version, merged as Neutron's IPSet compacts them), prefix
 * length bounds with Neutron's defaults and checks in its order, one default pool per IP version,
 * updates that may only grow the pool (remove_prefixes alone shrinks it, never under a subnet), and
 * their address scope (address-scopes.ts). Shared pools are every project's. Subnets are allocated
 * from them in subnet-allocation.ts.
 */
import type { RequestContext } from '../core/context.js';
import {
  AddrFormatError, BadRequest, EmptySubnetPoolPrefixList, IllegalSubnetPoolPrefixBounds, IllegalSubnetPoolPrefixUpdate,
  InvalidInput, PolicyNotAuthorized, PrefixVersionMismatch, SubnetPoolInUse, SubnetPoolNotFound,
} from '../core/errors.js';
import type { Cidr } from '../core/ip.js';
import { formatCidr, parseCidr } from '../core/ip.js';
import { difference, ipSet, isSubset, mergeCidrs, overlaps, setCidrs } from '../core/ip-set.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, Store, WriteTx } from '../store/store.js';
import { checkPoolScope, checkScopedPoolUpdate } from './address-scopes.js';
import type { Attrs } from './attributes.js';
import type { Collection, ResourceHooks } from './collection.js';
import { writeRevision } from './collection.js';
import { allowed } from './policy.js';
import { withRetry } from './retry.js';

/** Neutron's bounds when none are given: /8 to /32 for IPv4, /64 to /128 for IPv6. */
const BOUNDS = { 4: { min: 8, max: 32 }, 6: { min: 64, max: 128 } } as const;

const cidrsOf = (prefixes: unknown): Cidr[] => (prefixes as string[]).map((p) => parseCidr(p)!);

/** Neutron's SubnetPoolReader._read_prefix_info: one family, merged. */
function prefixesOf(value: unknown): Cidr[] {
  const cidrs = cidrsOf(value);
  if (cidrs.length === 0) throw new EmptySubnetPoolPrefixList('Empty subnet pool prefix list.');
  if (new Set(cidrs.map((c) => c.version)).size > 1) throw new PrefixVersionMismatch('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
  return mergeCidrs(cidrs);
}

const bounds = (type: string, len: number, base: string, baseLen: number) =>
  new IllegalSubnetPoolPrefixBounds(`Illegal prefix bounds: ${type}=${len}, ${base}=${baseLen}.`);

/** Neutron's SubnetPoolHelper checks, in its order. */
function checkBounds(version: 4 | 6, min: number, max: number, def: number): void {
  if (min > max) throw bounds('min_prefixlen', min, 'max_prefixlen', max);
  if (max > BOUNDS[version].max) throw bounds('max_prefixlen', max, 'ip_version_max', BOUNDS[version].max);
  if (def < min) throw bounds('default_prefixlen', def, 'min_prefixlen', min);
  if (def > max) throw bounds('default_prefixlen', def, 'max_prefixlen', max);
}

/** The pool as it will be stored, bounds checked; `current` when updating (Neutron merges the two first). */
function settle(attrs: Attrs, current?: Doc): Attrs {
  const merged = { ...current, ...attrs };
  const prefixes = prefixesOf(merged.prefixes);
  const version = prefixes[0].version;
  if (current && attrs.prefixes !== undefined && !isSubset(ipSet(cidrsOf(current.prefixes)), ipSet(prefixes))) {
    throw new IllegalSubnetPoolPrefixUpdate('Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.');
  }
  const given = (v: unknown) => (v === undefined ? undefined : Number(v));
  const min = given(merged.min_prefixlen) ?? BOUNDS[version].min;
  const max = given(merged.max_prefixlen) ?? BOUNDS[version].max;
  const def = given(merged.default_prefixlen) ?? min;
  checkBounds(version, min, max, def);
  return {
    ...attrs,
    prefixes: prefixes.map(formatCidr),
    ip_version: version,
    // Neutron answers prefix lengths of pools as strings ("28"), and clients compare them so.
    min_prefixlen: String(min),
    max_prefixlen: String(max),
    default_prefixlen: String(def),
  };
}

/** Neutron's _check_default_subnetpool_exists: one default pool per IP version, whoever owns it. */
async function checkOneDefault(tx: ReadTx, version: unknown, self?: string): Promise<void> {
  const found = await tx.list(defs.subnetpool, {
    conditions: [{ attr: 'is_default', values: [true] }, { attr: 'ip_version', values: [version] }], limit: 2,
  });
  if (found.some((p) => p.id !== self)) {
    throw new InvalidInput('Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.');
  }
}

/** The scope checks of a pool about to be stored as `next`. */
async function checkScope(ctx: RequestContext, scopes: Collection, next: Doc, tx: ReadTx): Promise<void> {
  await checkPoolScope(ctx, scopes, {
    id: next.id, addressScopeId: (next.address_scope_id as string | null) ?? null,
    prefixes: cidrsOf(next.prefixes), version: next.ip_version as number,
  }, tx);
}

export function subnetpoolHooks(scopes: () => Collection): ResourceHooks {
  return {
    def: defs.subnetpool,
    notFound: (id) => new SubnetPoolNotFound(`Subnet pool ${id} could not be found.`),
    // A shared pool is every project's to allocate from (and to see).
    sharedScope: 'shared-row',
    async sharedVisible(doc) {
      return doc.shared === true;
    },

    async create(ctx, attrs, base, tx) {
      const doc = { ...base, ...settle(attrs) };
      if (doc.is_default === true) await checkOneDefault(tx, doc.ip_version);
      await checkScope(ctx, scopes(), doc, tx);
      return doc;
    },

    async update(ctx, current, changes, tx) {
      const next = { ...current, ...settle(changes, current) };
      if (next.is_default === true && current.is_default !== true) await checkOneDefault(tx, next.ip_version, current.id);
      await checkScopedPoolUpdate(ctx, scopes(), current, tx);
      await checkScope(ctx, scopes(), next, tx);
      return next;
    },

    async delete(_ctx, current, tx) {
      const used = await tx.list(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: [current.id] }], limit: 1 });
      if (used.length) {
        throw new SubnetPoolInUse(`Unable to complete operation on subnet pool ${current.id}. Subnet pool has existing allocations.`);
      }
    },
  };
}

export type PrefixAction = 'add_prefixes' | 'remove_prefixes';

/**
 * The rule as Neutron's policy engine builds it for an action on a pool: the action's own rule and
 * one per attribute it enforces that the pool sets to other than its default, nested left to right.
 */
function actionRule(action: PrefixAction, pool: Doc): string {
  let rule = `rule:${action}`;
  for (const attr of ['is_default', 'shared']) if (pool[attr] === true) rule = `(${rule} and rule:${action}:${attr})`;
  return rule;
}

/** Neutron's get_operation_request_body, then each prefix as netaddr reads it. */
function givenPrefixes(body: unknown): Cidr[] {
  const prefixes = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { prefixes?: unknown }).prefixes : undefined;
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw new BadRequest('Request body contains invalid data');
  return prefixes.map((p) => {
    const c = parseCidr(p);
    if (!c) throw new AddrFormatError(`invalid IPNetwork ${String(p)}`);
    return c;
  });
}

/**
 * The subnetpool-prefix-ops actions: add_prefixes is an update of the prefixes to the merged union
 * (every update check, the address scope's overlap included), answered with the prefixes after it;
 * remove_prefixes takes the given space out, refused while a subnet of the pool lies in it, a no-op
 * when none of it is the pool's, and answers the prefixes after it, as Neutron's API reference and
 * Tempest's test_add_remove_prefix expect (Zed's plugin method returns nothing: a null body).
 */
export async function changePoolPrefixes(
  store: Store, pools: Collection, ctx: RequestContext, id: string, action: PrefixAction, body: unknown,
): Promise<{ prefixes: string[] }> {
  return withRetry(() => store.write(async (tx: WriteTx) => {
    const current = await pools.find(ctx, id, tx);
    if (!allowed(ctx, action, current)) throw new PolicyNotAuthorized(`${actionRule(action, current)} is disallowed by policy`);
    const given = givenPrefixes(body);
    if (action === 'add_prefixes') {
      const next = await pools.hooks.update!(ctx, current, { prefixes: [...(current.prefixes as string[]), ...given.map(formatCidr)] }, tx);
      await writeRevision(pools.def, next, tx);
      return { prefixes: next.prefixes as string[] };
    }
    const all = ipSet(cidrsOf(current.prefixes));
    const removal = ipSet(given);
    if (!overlaps(all, removal)) return { prefixes: current.prefixes as string[] };
    const subnets = await tx.list(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: [current.id] }] });
    if (overlaps(ipSet(subnets.map((s) => parseCidr(s.cidr)!)), removal)) {
      // Neutron's message ends in its own full stop and the template's.
      throw new IllegalSubnetPoolPrefixUpdate('Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..');
    }
    const prefixes = setCidrs(difference(all, removal)).map(formatCidr);
    await writeRevision(pools.def, { ...current, prefixes }, tx);
    return { prefixes };
  }));
}
