import { randomBytesFromPool } from './random.js';

/**
 * A random UUID (v4), as Neutron's. Not time-ordered on purpose: Nova names a port's tap
 * `tap` + its first 11 characters and the data plane a network's bridge `brq` + 11, so those
 * characters must differ between resources made in the same instant (a UUIDv7's are its clock).
 */
export function newId(): string {
  const b = randomBytesFromPool(16);
  b[6] = 0x40 | (b[6] & 0x0f);
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
