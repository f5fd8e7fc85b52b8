/**
 * Subnet allocation from a pool, as Neutron's subnet_alloc does: a specific CIDR must lie in the
 * pool's free space; otherwise the first free block of the asked (or default) prefix length, lowest
 * address first. The free space is the pool's prefixes less every subnet allocated from it, in any
 * network. The pool's `default_quota` caps its owner's allocations (addresses for IPv4, /64s for
 * IPv6). One writer takes writes one at a time, so two allocations never race for a block.
 */
import type { RequestContext } from '../core/context.js';
import {
  AddrFormatError, BadResourceRequest, MaxPrefixSubnetAllocationError, MinPrefixSubnetAllocationError, SubnetAllocationError, SubnetPoolQuotaExceeded,
} from '../core/errors.js';
import type { Cidr, IpVersion } from '../core/ip.js';
import { cidrLast, cidrsOverlap, formatCidr, parseCidr } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, WriteTx } from '../store/store.js';
import type { Collection } from './collection.js';

export interface PoolRequest {
  readonly poolId?: string | null;
  readonly useDefault: boolean;
  readonly version: IpVersion;
  readonly cidr?: string;
  readonly prefixlen?: number;
}

/** The default subnet pool of an IP version, if there is one. */
export async function defaultPool(tx: ReadTx, version: number): Promise<Doc | undefined> {
  const [pool] = await tx.list(defs.subnetpool, {
    conditions: [{ attr: 'is_default', values: [true] }, { attr: 'ip_version', values: [version] }], limit: 1,
  });
  return pool;
}

/** The pool a subnet create names (or the default pool of its version), or undefined for none. */
export async function requestedPool(ctx: RequestContext, req: PoolRequest, pools: Collection, tx: WriteTx): Promise<Doc | undefined> {
  if (req.poolId != null && req.useDefault) {
    throw new BadResourceRequest('Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.');
  }
  if (req.poolId != null) return pools.find(ctx, req.poolId, tx);
  if (!req.useDefault) return undefined;
  const pool = await defaultPool(tx, req.version);
  if (!pool) throw new BadResourceRequest(`Bad subnets request: No default subnetpool found for IPv${req.version}.`);
  return pool;
}

/** The CIDR the subnet gets from `pool`. */
export async function allocateFromPool(pool: Doc, req: PoolRequest, tx: WriteTx): Promise<string> {
  if (pool.ip_version !== req.version) {
    throw new BadResourceRequest(`Bad subnets request: Cannot allocate IPv${req.version} subnet from IPv${String(pool.ip_version)} subnet pool.`);
  }
  const bits = req.version === 4 ? 32 : 128;
  const given = req.cidr === undefined ? undefined : parseCidr(req.cidr)!;
  const prefixlen = given?.prefixlen ?? req.prefixlen ?? Number(pool.default_prefixlen);
  // Neutron makes the request's wildcard prefix before any bound is checked; netaddr refuses it.
  if (prefixlen > bits) throw new AddrFormatError(`invalid IPNetwork ${req.version === 4 ? '0.0.0.0' : '::'}/${prefixlen}`);
  const min = Number(pool.min_prefixlen), max = Number(pool.max_prefixlen);
  if (prefixlen > max) throw new MaxPrefixSubnetAllocationError(`Unable to allocate subnet with prefix length ${prefixlen}, maximum allowed prefix is ${max}.`);
  if (prefixlen < min) throw new MinPrefixSubnetAllocationError(`Unable to allocate subnet with prefix length ${prefixlen}, minimum allowed prefix is ${min}.`);
  const allocated = (await tx.list(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: [pool.id] }] }));
  const quota = pool.default_quota as number | null;
  if (quota) {
    // Neutron's unit: an address for IPv4, a /64 for IPv6.
    const unit = req.version === 4 ? 32 : 64;
    const units = (p: number): bigint => (p >= unit ? 1n : 1n << BigInt(unit - p));
    const used = allocated.filter((s) => s.project_id === pool.project_id).reduce((n, s) => n + units(parseCidr(s.cidr)!.prefixlen), 0n);
    if (used + units(prefixlen) > BigInt(quota)) throw new SubnetPoolQuotaExceeded('Per-tenant subnet pool prefix quota exceeded.');
  }
  const taken = allocated.map((s) => parseCidr(s.cidr)!).sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0));
  const prefixes = (pool.prefixes as string[]).map((p) => parseCidr(p)!).sort((a, b) => (a.network < b.network ? -1 : 1));
  if (given) {
    const inPool = prefixes.some((p) => p.prefixlen <= given.prefixlen && given.network >= p.network && cidrLast(given) <= cidrLast(p));
    if (!inPool || taken.some((t) => cidrsOverlap(t, given))) {
      throw new SubnetAllocationError('Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.');
    }
    return formatCidr(given);
  }
  const size = 1n << BigInt(bits - prefixlen);
  for (const p of prefixes) {
    if (p.prefixlen > prefixlen) continue;
    let at = p.network;
    const last = cidrLast(p);
    for (const t of taken) {
      if (at + size - 1n > last) break;
      if (cidrLast(t) < at) continue;
      if (t.network > at + size - 1n) break;
      // Past this allocation, aligned to the block size.
      at = ((cidrLast(t) + 1n + size - 1n) / size) * size;
    }
    if (at + size - 1n <= last) return formatCidr({ version: req.version, network: at, prefixlen } satisfies Cidr);
  }
  throw new SubnetAllocationError(`Failed to allocate subnet: Insufficient prefix space to allocate subnet size /${prefixlen}.`);
}
