import { randomBytesFromPool } from './random.js';

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7: time-ordered, so new rows land at the end of every index that ends with id instead of
 * on a random page, which keeps a commit's dirty pages few; and id order is creation order.
 */
export function newId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else {
    sequence++;
  }
  const b = randomBytesFromPool(16);
  const ms = BigInt(lastMs);
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  // 12 bits of sequence keep ids from one millisecond in order (RFC 9562, method 1).
  b[6] = 0x70 | ((sequence >> 8) & 0x0f);
  b[7] = sequence & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** Neutron timestamps: second precision, UTC, ISO 8601 with a trailing Z. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Neutron's agent timestamps (created_at, started_at, heartbeat_timestamp): the database's DATETIME
 * as Python prints it, "YYYY-MM-DD HH:MM:SS", UTC, without T or Z. Text order is time order.
 */
export function agentTimestamp(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
