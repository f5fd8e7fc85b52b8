import { randomFillSync } from 'node:crypto';

/** Cryptographic random bytes drawn from a pooled buffer: one syscall per 64 KiB, not per id. */
const POOL = Buffer.alloc(64 * 1024);
let offset = POOL.length;

export function randomBytesFromPool(n: number): Buffer {
  if (offset + n > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const out = Buffer.from(POOL.subarray(offset, offset + n));
  offset += n;
  return out;
}
