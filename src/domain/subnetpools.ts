/**
 * Subnet pools: their prefixes (one IP version, normalised), prefix length bounds with Neutron's
 * defaults, and updates that may only grow the pool; shared pools are every project's. Subnets are
 * allocated from them in subnet-allocation.ts.
 */
import { IllegalSubnetPoolPrefixBounds, IllegalSubnetPoolPrefixUpdate, InvalidInput, SubnetPoolInUse, SubnetPoolNotFound } from '../core/errors.js';
import type { Cidr } from '../core/ip.js';
import { cidrLast, parseCidr } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import type { Doc } from '../store/store.js';
import type { Attrs } from './attributes.js';
import type { ResourceHooks } from './collection.js';

/** Neutron's bounds when none are given: /8 to /32 for IPv4, /64 to /128 for IPv6. */
const BOUNDS = { 4: { min: 8, max: 32 }, 6: { min: 64, max: 128 } } as const;

function prefixesOf(value: unknown): Cidr[] {
  const cidrs = (value as string[]).map((p) => parseCidr(p)!);
  if (cidrs.length === 0) throw new InvalidInput('Invalid input for operation: a subnet pool needs at least one prefix.');
  if (new Set(cidrs.map((c) => c.version)).size > 1) {
    throw new InvalidInput('Invalid input for operation: prefixes of one subnet pool must all be IPv4 or all IPv6.');
  }
  return cidrs;
}

function covers(outer: readonly Cidr[], inner: Cidr): boolean {
  return outer.some((o) => o.version === inner.version && o.network <= inner.network && cidrLast(inner) <= cidrLast(o));
}

/** The pool as it will be stored, bounds checked; `current` when updating. */
function settle(attrs: Attrs, current?: Doc): Attrs {
  const merged = { ...current, ...attrs };
  const prefixes = prefixesOf(merged.prefixes);
  const version = prefixes[0].version;
  if (current && attrs.prefixes !== undefined) {
    const lost = prefixesOf(current.prefixes).find((old) => !covers(prefixes, old));
    if (lost) throw new IllegalSubnetPoolPrefixUpdate(`Illegal update to prefixes: ${(current.prefixes as string[]).join(', ')} are not all kept by the new prefixes.`);
  }
  const bounds = BOUNDS[version];
  const given = (v: unknown) => (v === undefined ? undefined : Number(v));
  const min = given(merged.min_prefixlen) ?? bounds.min;
  const max = given(merged.max_prefixlen) ?? bounds.max;
  const def = given(attrs.default_prefixlen) ?? (current && attrs.min_prefixlen === undefined ? given(current.default_prefixlen) : undefined) ?? min;
  if (min > max || def < min || def > max || max > bounds.max) {
    throw new IllegalSubnetPoolPrefixBounds(
      `Illegal prefix bounds: prefix_type=ipv${version}, min_prefixlen=${min}, default_prefixlen=${def}, max_prefixlen=${max}: min <= default <= max <= ${bounds.max} is required.`,
    );
  }
  return {
    ...attrs,
    prefixes: merged.prefixes,
    ip_version: version,
    // Neutron answers prefix lengths of pools as strings ("28"), and clients compare them so.
    min_prefixlen: String(min),
    max_prefixlen: String(max),
    default_prefixlen: String(def),
  };
}

export function subnetpoolHooks(): ResourceHooks {
  return {
    def: defs.subnetpool,
    notFound: (id) => new SubnetPoolNotFound(`Subnet pool ${id} could not be found.`),
    // A shared pool is every project's to allocate from (and to see).
    sharedScope: 'shared-row',
    async sharedVisible(doc) {
      return doc.shared === true;
    },

    async create(_ctx, attrs, base) {
      return { ...base, ...settle(attrs) };
    },

    async update(_ctx, current, changes) {
      return { ...current, ...settle(changes, current) };
    },

    async delete(_ctx, current, tx) {
      const used = await tx.list(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: [current.id] }], limit: 1 });
      if (used.length) {
        throw new SubnetPoolInUse(`Unable to complete operation on subnet pool ${current.id}. Subnet pool has existing allocations.`);
      }
    },
  };
}
