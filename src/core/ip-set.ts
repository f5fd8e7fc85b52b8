/**
 * Sets of addresses as sorted, disjoint, non-adjacent ranges, for what Neutron does with netaddr's
 * IPSet on subnet pool prefixes: merging (cidr_merge: overlapping and adjacent prefixes become the
 * fewest CIDRs), subset and overlap tests, and difference.
 */
import type { Cidr, IpVersion } from './ip.js';
import { bits, cidrLast } from './ip.js';

interface Range {
  readonly version: IpVersion;
  readonly first: bigint;
  readonly last: bigint;
}

export type IpSet = readonly Range[];

const byStart = (a: Range, b: Range): number =>
  a.version !== b.version ? a.version - b.version : a.first < b.first ? -1 : a.first > b.first ? 1 : 0;

/** The set these CIDRs cover. */
export function ipSet(cidrs: readonly Cidr[]): IpSet {
  const ranges = cidrs.map((c) => ({ version: c.version, first: c.network, last: cidrLast(c) })).sort(byStart);
  const out: Range[] = [];
  for (const r of ranges) {
    const prev = out[out.length - 1];
    if (prev && prev.version === r.version && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = { ...prev, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** The fewest CIDRs covering the set, lowest first (netaddr's iter_cidrs after compact). */
export function setCidrs(set: IpSet): Cidr[] {
  const out: Cidr[] = [];
  for (const r of set) {
    const width = bits(r.version);
    let at = r.first;
    while (at <= r.last) {
      // The largest block aligned at `at` that does not pass the range's end.
      let len = width;
      while (len > 0) {
        const size = 1n << BigInt(width - len + 1);
        if (at % size !== 0n || at + size - 1n > r.last) break;
        len--;
      }
      out.push({ version: r.version, network: at, prefixlen: len });
      at += 1n << BigInt(width - len);
    }
  }
  return out;
}

/** Neutron's compacted prefix list: overlapping and adjacent prefixes merged. */
export function mergeCidrs(cidrs: readonly Cidr[]): Cidr[] {
  return setCidrs(ipSet(cidrs));
}

export function overlaps(a: IpSet, b: IpSet): boolean {
  return a.some((x) => b.some((y) => x.version === y.version && x.first <= y.last && y.first <= x.last));
}

/** Every address of `inner` is in `outer`. */
export function isSubset(inner: IpSet, outer: IpSet): boolean {
  return inner.every((x) => outer.some((y) => x.version === y.version && y.first <= x.first && x.last <= y.last));
}

/** The addresses of `a` not in `b`. */
export function difference(a: IpSet, b: IpSet): IpSet {
  let out: Range[] = [...a];
  for (const cut of b) {
    const next: Range[] = [];
    for (const r of out) {
      if (r.version !== cut.version || cut.last < r.first || r.last < cut.first) {
        next.push(r);
        continue;
      }
      if (r.first < cut.first) next.push({ ...r, last: cut.first - 1n });
      if (cut.last < r.last) next.push({ ...r, first: cut.last + 1n });
    }
    out = next;
  }
  return out;
}
