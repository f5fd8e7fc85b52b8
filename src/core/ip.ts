/**
 * IPv4/IPv6 address and prefix arithmetic on bigint, so both families share one code path.
 * Addresses are always handed out in their canonical text form (RFC 5952 for IPv6), because Neutron
 * clients compare them as strings.
 */
export type IpVersion = 4 | 6;

export interface Ip {
  readonly version: IpVersion;
  readonly value: bigint;
}

export interface Cidr {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefixlen: number;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function bits(version: IpVersion): number {
  return BITS[version];
}

function parseV4(text: string): bigint | undefined {
  const m = IPV4_RE.exec(text);
  if (!m) return undefined;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i];
    // Leading zeros are ambiguous (octal in some parsers), so Neutron's netaddr refuses them too.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  let body = text;
  if (body.includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) is rewritten as its two hex groups.
    const lastColon = body.lastIndexOf(':');
    const v4 = parseV4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    body = `${body.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt('0x' + g));
    }
    return out;
  };
  const head = toGroups(halves[0]);
  const rest = halves.length === 2 ? toGroups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - given).fill(0n), ...rest];
  } else {
    if (given !== 8) return undefined;
    groups = head;
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function parseIp(text: unknown): Ip | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseV4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (text.includes(':')) {
    const v6 = parseV6(text);
    if (v6 !== undefined) return { version: 6, value: v6 };
  }
  return undefined;
}

export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((value >> s) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip.version, ip.value);
}

function mask(version: IpVersion, prefixlen: number): bigint {
  const total = BigInt(BITS[version]);
  return ((1n << total) - 1n) ^ ((1n << (total - BigInt(prefixlen))) - 1n);
}

/** Parses "addr/len"; host bits are cleared, because Neutron stores the network address. */
export function parseCidr(text: unknown): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixlen = Number(lenText);
  if (prefixlen > BITS[ip.version]) return undefined;
  return { version: ip.version, network: ip.value & mask(ip.version, prefixlen), prefixlen };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.version, c.network)}/${c.prefixlen}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.version] - c.prefixlen);
}

export function cidrLast(c: Cidr): bigint {
  return c.network + cidrSize(c) - 1n;
}

export function cidrContains(c: Cidr, ip: Ip): boolean {
  return ip.version === c.version && ip.value >= c.network && ip.value <= cidrLast(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

/** Fixed-width hex, so that text order is numeric order in an index. */
export function ipKey(version: IpVersion, value: bigint): string {
  return value.toString(16).padStart(BITS[version] / 4, '0');
}

/** The EUI-64 interface identifier of a MAC under a /64 prefix (RFC 4291 appendix A). */
export function eui64(prefix: Cidr, mac: string): bigint {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  const iidValue = iid.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  return prefix.network | iidValue;
}
