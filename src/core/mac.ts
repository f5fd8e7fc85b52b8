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
  const { octets, fixed } = parsedBase(baseMac);
  const rnd = randomBytesFromPool(6);
  let out = '';
  for (let i = 0; i < 6; i++) {
    const b = i < fixed ? octets[i] : rnd[i];
    out += (i === 0 ? '' : ':') + HEX[b];
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let lastBase: { text: string; octets: number[]; fixed: number } | undefined;

/** One base MAC per controller: parsed once, not on every port create. */
function parsedBase(baseMac: string): { octets: number[]; fixed: number } {
  if (lastBase?.text !== baseMac) {
    const octets = baseMac.split(':').map((h) => parseInt(h, 16));
    let fixed = 0;
    while (fixed < 6 && octets[fixed] !== 0) fixed++;
    lastBase = { text: baseMac, octets, fixed };
  }
  return lastBase;
}
