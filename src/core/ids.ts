import { randomBytesFromPool } from './random.js';

/** Milliseconds before this are not in any id's prefix (40 bits of ms from here last 34 years). */
const EPOCH_MS = Date.UTC(2024, 0, 1);
const PREFIX_MAX = 2 ** 40;
let lastPrefix = 0;

/**
 * An id whose first 40 bits (the first 11 characters with the dash, which Nova's tap name `tap` +
 * 11 and the data plane's bridge name `brq` + 11 are made of) never repeat: a counter that starts
 * at the clock's milliseconds and goes up by one per id. So ids are still in creation order (new
 * rows land at the end of every index ending with id, which keeps a commit's dirty pages few: about
 * twice the creates per second of random ids here), yet two made in the same millisecond differ
 * in those characters, as a UUIDv7's would not. The rest is random; the version nibble says 8
 * (RFC 9562's custom layout).
 */
export function newId(): string {
  const prefix = Math.max(lastPrefix + 1, Date.now() - EPOCH_MS);
  lastPrefix = prefix;
  const b = randomBytesFromPool(16);
  for (let i = 0; i < 5; i++) b[i] = Math.floor(prefix / 2 ** (8 * (4 - i))) & 0xff;
  b[6] = 0x80 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Tells the generator of an id already stored: a burst runs the counter ahead of the clock, so after
 * a restart it must start past the largest prefix in use, not at the clock. Ids from elsewhere
 * (random ones) whose prefix lies beyond the clock are ignored: they are not this counter's.
 */
export function seenId(id: string): void {
  const prefix = parseInt(id.slice(0, 8) + id.slice(9, 11), 16);
  if (Number.isFinite(prefix) && prefix > lastPrefix && prefix < Math.min(PREFIX_MAX, Date.now() - EPOCH_MS + 86_400_000)) lastPrefix = prefix;
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
