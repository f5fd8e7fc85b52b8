/** The little address arithmetic the data plane needs (prefixes, server addresses, EUI-64). */

export const isV6 = (a: string): boolean => a.includes(':');

function v4(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
const v4s = (n: number): string => [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) & 255).toString()).join('.');

function v6(a: string): bigint {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}
function v6s(n: bigint): string {
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The longest run of zero groups is written `::`, as everyone else writes it.
  let best = -1, len = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > len && j - i > 1) { best = i; len = j - i; }
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + len).join(':')}`;
}

export interface Cidr { readonly network: string; readonly length: number; readonly v6: boolean }

export function parseCidr(cidr: string): Cidr {
  const [a, l] = cidr.split('/');
  const length = Number(l);
  if (isV6(a)) {
    const mask = length === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - length)) - 1n);
    return { network: v6s(v6(a) & mask), length, v6: true };
  }
  const n = v4(a);
  const size = 2 ** (32 - length);
  return { network: v4s(n - (n % size)), length, v6: false };
}

export function netmask(length: number): string {
  return v4s(length === 0 ? 0 : 2 ** 32 - 2 ** (32 - length));
}

/** The last address of a prefix but one (v4: below broadcast): a server address when there is no gateway. */
export function lastUsable(cidr: string): string {
  const c = parseCidr(cidr);
  if (c.v6) return v6s(v6(c.network) + (1n << BigInt(128 - c.length)) - 2n);
  return v4s(v4(c.network) + 2 ** (32 - c.length) - 2);
}

/** The link-local address a MAC forms by EUI-64 (every VM has one; anti-spoofing lets it through). */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 2;
  const e = [b[0], b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  const groups = [0, 2, 4, 6].map((i) => ((e[i] << 8) | e[i + 1]).toString(16));
  return v6s(v6(`fe80::${groups.join(':')}`));
}

/** Whether `inner` (an address or a prefix) lies within the prefix `outer`, of the same family. */
export function within(inner: string, outer: string): boolean {
  if (!outer.includes('/') || isV6(inner) !== isV6(outer)) return false;
  const [ia, il] = inner.split('/');
  const o = parseCidr(outer);
  const len = il === undefined ? (isV6(ia) ? 128 : 32) : Number(il);
  if (len < o.length) return false;
  return parseCidr(`${ia}/${o.length}`).network === o.network;
}
