/**
 * IP address management. A subnet's free addresses are never found by scanning ports: a walk of
 * that subnet's allocations in the (subnet, address) index, from where the last allocation ended.
 * The primary key on (subnet, address) is the last word.
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
  /** The device owners this subnet serves (subnet-service-types); empty serves every port. */
  readonly serviceTypes: readonly string[];
  readonly dhcp: boolean;
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
    serviceTypes: (doc.service_types as string[] | undefined) ?? [],
    dhcp: doc.enable_dhcp !== false,
  };
}

/**
 * The subnets a port of this device owner takes addresses from, in Neutron's order: a subnet that
 * names the owner in its service types first, then those serving everyone; DHCP ports also go on
 * any subnet with DHCP on, whatever it serves (Neutron's query_filter_service_subnets).
 */
export function serviceSubnets(subnets: readonly SubnetView[], deviceOwner: string): SubnetView[] {
  const eligible = subnets.filter((s) => s.serviceTypes.length === 0 || s.serviceTypes.includes(deviceOwner)
    || (deviceOwner === 'network:dhcp' && s.dhcp));
  // A stable sort: within each group the store's order (creation) stays.
  return [...eligible.filter((s) => s.serviceTypes.length > 0), ...eligible.filter((s) => s.serviceTypes.length === 0)];
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

/** neutron-lib's ROUTER_PORT_OWNERS and the DHCP port: they may hold an IPv6 subnet's network address. */
const ANYCAST_OWNERS = new Set([
  'network:router_interface', 'network:router_gateway', 'network:ha_router_replicated_interface',
  'network:router_interface_distributed', 'network:router_centralized_snat', 'network:dhcp',
]);

/**
 * Whether an address may be held by a port at all (Neutron's check_subnet_ip): inside the cidr, not
 * its network or broadcast; on IPv6 the network address (the Subnet-Router anycast address, an
 * IPv6 subnet's default gateway) is a router's or the DHCP port's only.
 */
export function isUsableAddress(s: SubnetView, ip: bigint, owner = ''): boolean {
  const last = cidrLast(s.cidr);
  if (ip < s.cidr.network || ip > last) return false;
  if (s.version === 4 && s.cidr.prefixlen < 31) return ip !== s.cidr.network && ip !== last;
  return s.version === 6 ? ip !== s.cidr.network || ANYCAST_OWNERS.has(owner) : true;
}

function randomBelow(n: bigint): bigint {
  if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return BigInt(Math.floor(Math.random() * Number(n)));
  const hi = BigInt(Math.floor(Math.random() * 2 ** 52));
  return ((hi << 64n) | BigInt(Math.floor(Math.random() * 2 ** 52))) % n;
}

const WALK_PAGE = 256;

/** The first address at or after `from` in [from, end] that no port holds: one query per 256 taken. */
async function firstFreeFrom(tx: ReadTx, s: SubnetView, from: bigint, end: bigint): Promise<bigint | undefined> {
  let cursor = from;
  while (cursor <= end) {
    const keys = await tx.allocatedKeys(s.id, ipKey(s.version, cursor), ipKey(s.version, end), WALK_PAGE);
    for (const key of keys) {
      const taken = BigInt('0x' + key);
      if (taken > cursor) return cursor;
      cursor = taken + 1n;
    }
    if (keys.length < WALK_PAGE) return cursor <= end ? cursor : undefined;
  }
  return undefined;
}

/**
 * Picks free addresses for subnets. Each subnet has a hint, the address after the last one handed
 * out here, and the search walks forward from it (wrapping once), so consecutive allocations are
 * neighbours in the (subnet, address) index and a commit touches few pages. The hint is only where
 * to start looking: the index says what is free, and the primary key has the last word. A subnet
 * without a hint (after a restart) starts at a random point, never at a scan from the bottom.
 */
export class AddressPicker {
  private readonly hints = new Map<string, bigint>();

  async pickFree(tx: ReadTx, s: SubnetView): Promise<bigint | undefined> {
    if (s.pools.length === 0) return undefined;
    const start = this.hints.get(s.id) ?? this.randomStart(s);
    const ordered = [...s.pools].sort((a, b) => (a.start < b.start ? -1 : 1));
    const at = ordered.findIndex((p) => start >= p.start && start <= p.end);
    const first = at < 0 ? 0 : at;
    // From the hint to the end of its pool, the later pools, the earlier ones, then the hint's own
    // pool below the hint: every address once.
    const spans: Range[] = [];
    const from = at < 0 ? ordered[0].start : start;
    spans.push({ start: from, end: ordered[first].end });
    for (let i = 1; i < ordered.length; i++) spans.push(ordered[(first + i) % ordered.length]);
    if (from > ordered[first].start) spans.push({ start: ordered[first].start, end: from - 1n });
    for (const span of spans) {
      const free = await firstFreeFrom(tx, s, span.start, span.end);
      if (free !== undefined) return free;
    }
    return undefined;
  }

  /** Called once an address is held, so the next search starts just past it. */
  advance(s: SubnetView, ip: bigint): void {
    if (this.hints.size > 100_000) this.hints.clear();
    this.hints.set(s.id, ip + 1n);
  }

  private randomStart(s: SubnetView): bigint {
    const sizes = s.pools.map((p) => p.end - p.start + 1n);
    let offset = randomBelow(sizes.reduce((a, b) => a + b, 0n));
    let i = 0;
    while (offset >= sizes[i]) offset -= sizes[i++];
    return s.pools[i].start + offset;
  }
}

/** Records the address as the port's; `knownFree` when this transaction just found it unheld. */
export async function hold(tx: WriteTx, s: SubnetView, ip: bigint, portId: string, knownFree = false): Promise<string> {
  const key = ipKey(s.version, ip);
  const address = formatIp(s.version, ip);
  if (!knownFree && (await tx.ipHolder(s.id, key)) !== undefined) {
    throw new IpAddressAlreadyAllocated(`IP address ${address} already allocated in subnet ${s.id}`);
  }
  await tx.addIp({ subnetId: s.id, networkId: s.networkId, portId, ipAddress: address, ipKey: key });
  return address;
}

export function eui64Address(s: SubnetView, mac: string): bigint {
  return eui64(s.cidr, mac);
}
