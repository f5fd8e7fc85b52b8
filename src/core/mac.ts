import { randomBytesFromPool } from './random.js';

const MAC_RE = /^([0-9a-fA-F]{2})([:-][0-9a-fA-F]{2}){5}$/;

/** Canonical lower-case, colon-separated, or undefined when it is not a unicast-capable MAC. */
export function canonicalMac(text: unknown): string | undefined {
  if (typeof text !== 'string' || !MAC_RE.test(text)) return undefined;
  return text.toLowerCase().replace(/-/g, ':');
}

export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/**
 * A random MAC under a base such as fa:16:3e:00:00:00: octets that are non-zero in the base are
 * kept, as Neutron's base_mac does, and the rest are random.
 */
export function randomMac(baseMac: string): string {
  const base = baseMac.split(':').map((h) => parseInt(h, 16));
  const rnd = randomBytesFromPool(6);
  let fixed = 0;
  while (fixed < 6 && base[fixed] !== 0) fixed++;
  return base
    .map((b, i) => (i < fixed ? b : rnd[i]).toString(16).padStart(2, '0'))
    .join(':');
}
