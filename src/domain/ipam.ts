/**
 * IP address management. A subnet's free addresses are never found by scanning ports: a few random
 * probes on the (subnet, address) index, then, when the subnet is nearly full, an ordered walk of
 * that subnet's allocations only. The primary key on (subnet, address) is the last word.
 */
import { IpAddressAlreadyAllocated } from '../core/errors.js';
import type { Cidr, IpVersion } from '../core/ip.js';
import { cidrLast, eui64, formatIp, ipKey, parseCidr, parseIp } from '../core/ip.js';
import type { Doc, ReadTx, WriteTx } from '../store/store.js';

export interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

export interface SubnetView {
  readonly id: string;
  readonly networkId: string;
  readonly version: IpVersion;
  readonly cidr: Cidr;
  readonly gateway: bigint | null;
  readonly pools: readonly Range[];
  readonly ipv6AddressMode: string | null;
}

export function subnetView(doc: Doc): SubnetView {
  const cidr = parseCidr(doc.cidr)!;
  const gw = doc.gateway_ip ? parseIp(doc.gateway_ip)!.value : null;
  const pools = (doc.allocation_pools as Array<{ start: string; end: string }>).map((p) => ({
    start: parseIp(p.start)!.value,
    end: parseIp(p.end)!.value,
  }));
  return {
    id: doc.id,
    networkId: doc.network_id as string,
    version: cidr.version,
    cidr,
    gateway: gw,
    pools,
    ipv6AddressMode: (doc.ipv6_address_mode as string | null) ?? null,
  };
}

/** SLAAC and DHCPv6-stateless subnets give every port its EUI-64 address instead of a pool pick. */
export function isAutoAddress(s: SubnetView): boolean {
  return s.version === 6 && (s.ipv6AddressMode === 'slaac' || s.ipv6AddressMode === 'dhcpv6-stateless');
}

/** Neutron's default pools: the cidr less its network address, IPv4 broadcast and the gateway. */
export function defaultPools(cidr: Cidr, gateway: bigint | null): Range[] {
  let first = cidr.network + 1n;
  let last = cidrLast(cidr);
  if (cidr.version === 4) {
    if (cidr.prefixlen >= 31) {
      first = cidr.network;
    } else {
      last -= 1n;
    }
  }
  const pools: Range[] = [];
  if (gateway !== null && gateway >= first && gateway <= last) {
    if (gateway > first) pools.push({ start: first, end: gateway - 1n });
    if (gateway < last) pools.push({ start: gateway + 1n, end: last });
  } else if (first <= last) {
    pools.push({ start: first, end: last });
  }
  return pools;
}

export function formatPools(version: IpVersion, pools: readonly Range[]): Array<{ start: string; end: string }> {
  return pools.map((p) => ({ start: formatIp(version, p.start), end: formatIp(version, p.end) }));
}

/** Whether an address may be held by a port at all: inside the cidr, not its network or broadcast. */
export function isUsableAddress(s: SubnetView, ip: bigint): boolean {
  const last = cidrLast(s.cidr);
  if (ip < s.cidr.network || ip > last) return false;
  if (s.version === 4 && s.cidr.prefixlen < 31) return ip !== s.cidr.network && ip !== last;
  return s.version === 6 ? ip !== s.cidr.network : true;
}

function randomBelow(n: bigint): bigint {
  if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return BigInt(Math.floor(Math.random() * Number(n)));
  const hi = BigInt(Math.floor(Math.random() * 2 ** 52));
  return (hi << 64n | BigInt(Math.floor(Math.random() * 2 ** 52))) % n;
}

const RANDOM_PROBES = 4;
const WALK_PAGE = 256;

async function firstFreeIn(tx: ReadTx, s: SubnetView, pool: Range): Promise<bigint | undefined> {
  let cursor = pool.start;
  while (cursor <= pool.end) {
    const keys = await tx.allocatedKeys(s.id, ipKey(s.version, cursor), ipKey(s.version, pool.end), WALK_PAGE);
    for (const key of keys) {
      const taken = BigInt('0x' + key);
      if (taken > cursor) return cursor;
      cursor = taken + 1n;
    }
    if (keys.length < WALK_PAGE) return cursor <= pool.end ? cursor : undefined;
  }
  return undefined;
}

/** Picks a free address from the subnet's pools, or undefined when they are exhausted. */
export async function pickFree(tx: ReadTx, s: SubnetView): Promise<bigint | undefined> {
  const sizes = s.pools.map((p) => p.end - p.start + 1n);
  const total = sizes.reduce((a, b) => a + b, 0n);
  if (total === 0n) return undefined;
  for (let i = 0; i < RANDOM_PROBES; i++) {
    let offset = randomBelow(total);
    let pool = 0;
    while (offset >= sizes[pool]) offset -= sizes[pool++];
    const candidate = s.pools[pool].start + offset;
    if ((await tx.ipHolder(s.id, ipKey(s.version, candidate))) === undefined) return candidate;
  }
  for (const pool of s.pools) {
    const free = await firstFreeIn(tx, s, pool);
    if (free !== undefined) return free;
  }
  return undefined;
}

export async function hold(tx: WriteTx, s: SubnetView, ip: bigint, portId: string): Promise<string> {
  const key = ipKey(s.version, ip);
  const address = formatIp(s.version, ip);
  if ((await tx.ipHolder(s.id, key)) !== undefined) {
    throw new IpAddressAlreadyAllocated(`IP address ${address} already allocated in subnet ${s.id}`);
  }
  await tx.addIp({ subnetId: s.id, networkId: s.networkId, portId, ipAddress: address, ipKey: key });
  return address;
}

export function eui64Address(s: SubnetView, mac: string): bigint {
  return eui64(s.cidr, mac);
}
