/**
 * The one codec of the protocol, validating at the boundary and nowhere else. A carrier moves
 * opaque chunks; a chunk holds one or more frames, one per line: `<session> <json>`. The session
 * number lets one connection carry many hosts (the simulator's thousands of hosts on a few sockets)
 * and lets the controller send one message's bytes, serialised once, to every host that needs it.
 */
import type { AgentMessage, ControllerMessage, Item } from './messages.js';
import { PROTOCOL_VERSION } from './messages.js';

export class ProtocolError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface Frame<M> {
  readonly session: number;
  readonly message: M;
}

/** Largest chunk a receiver accepts: a bound on what one bad peer can make us buffer. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_SESSION = 0xffffffff;

/** A frame's bytes: the session prefix and the message's JSON, which callers may share between frames. */
export function frame(session: number, json: string): string {
  return `${session} ${json}\n`;
}

export function encode(session: number, message: AgentMessage | ControllerMessage): string {
  return frame(session, JSON.stringify(message));
}

function lines(chunk: Buffer | string): string[] {
  const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  if (text.length > MAX_CHUNK_BYTES) throw new ProtocolError('too-large', `a chunk of ${text.length} bytes is over the limit`);
  return text.split('\n').filter((l) => l.length > 0);
}

function sessionOf(line: string): number {
  const space = line.indexOf(' ');
  const session = space > 0 ? Number(line.slice(0, space)) : NaN;
  if (!Number.isInteger(session) || session < 0 || session > MAX_SESSION) {
    throw new ProtocolError('bad-frame', 'a frame must start with a session number and a space');
  }
  return session;
}

function bodyOf(line: string, session: number): unknown {
  try {
    return JSON.parse(line.slice(line.indexOf(' ') + 1));
  } catch {
    throw new ProtocolError('bad-json', `session ${session}: the message is not JSON`);
  }
}

type Obj = Record<string, unknown>;

function object(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError('bad-message', `${what} must be an object`);
  return v as Obj;
}
function str(o: Obj, k: string, max = 255): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max) throw new ProtocolError('bad-message', `${String(o.t)}.${k} must be a string of at most ${max} characters`);
  return v;
}
function revision(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ProtocolError('bad-message', `${String(o.t)}.${k} must be a revision (an integer >= 0)`);
  return v;
}
function strings(o: Obj, k: string, max = 100_000): string[] {
  const v = o[k];
  if (!Array.isArray(v) || v.length > max || v.some((s) => typeof s !== 'string' || s.length > 255)) {
    throw new ProtocolError('bad-message', `${String(o.t)}.${k} must be a list of strings`);
  }
  return v as string[];
}

/** Checks one message from an agent; anything out of protocol is a ProtocolError naming it. */
export function checkAgentMessage(body: unknown): AgentMessage {
  const o = object(body, 'a message');
  switch (o.t) {
    case 'hello': {
      if (o.protocol !== PROTOCOL_VERSION) {
        throw new ProtocolError('version', `protocol version ${String(o.protocol)} is not served (this controller speaks ${PROTOCOL_VERSION})`);
      }
      const host = str(o, 'host');
      if (host === '' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host)) throw new ProtocolError('bad-message', `hello.host ${JSON.stringify(host)} is not a host name`);
      const caps = object(o.capabilities, 'hello.capabilities');
      if (caps.vifType !== 'tap' && caps.vifType !== 'bridge') throw new ProtocolError('bad-message', 'hello.capabilities.vifType must be tap or bridge');
      const cursors = object(o.cursors, 'hello.cursors');
      for (const [k, v] of Object.entries(cursors)) {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || k.length > 300) throw new ProtocolError('bad-message', `hello.cursors.${k} must be a revision`);
      }
      if (o.configurations !== undefined) object(o.configurations, 'hello.configurations');
      return {
        t: 'hello', protocol: PROTOCOL_VERSION, host, agentType: str(o, 'agentType'), binary: str(o, 'binary'),
        version: str(o, 'version'), vtep: str(o, 'vtep', 64), startedAt: str(o, 'startedAt', 64),
        capabilities: { vifType: caps.vifType }, configurations: o.configurations as Obj | undefined,
        cursors: cursors as Record<string, number>,
      };
    }
    case 'ack':
      return { t: 'ack', revision: revision(o, 'revision'), pending: o.pending === undefined ? undefined : strings(o, 'pending') };
    case 'nack':
      return { t: 'nack', revision: revision(o, 'revision'), error: str(o, 'error', 4096), ports: o.ports === undefined ? undefined : strings(o, 'ports') };
    case 'gone':
      return { t: 'gone', ports: strings(o, 'ports') };
    case 'up':
      return { t: 'up', ports: strings(o, 'ports') };
    case 'heartbeat':
      return { t: 'heartbeat' };
    case 'resync':
      return { t: 'resync', streams: strings(o, 'streams') };
    default:
      throw new ProtocolError('unknown-type', `unknown message type ${JSON.stringify(o.t)}`);
  }
}

function items(o: Obj, k: string): Item[] {
  const v = o[k];
  if (!Array.isArray(v) || v.some((i) => !Array.isArray(i) || i.length !== 2 || typeof i[0] !== 'string')) {
    throw new ProtocolError('bad-message', `${String(o.t)}.${k} must be a list of [key, value] items`);
  }
  return v as Item[];
}

/** Checks one message from the controller (the agent's side of the boundary). */
export function checkControllerMessage(body: unknown): ControllerMessage {
  const o = object(body, 'a message');
  switch (o.t) {
    case 'welcome':
      return { t: 'welcome', agentId: str(o, 'agentId'), heartbeatSeconds: revision(o, 'heartbeatSeconds') };
    case 'snapshot':
      return {
        t: 'snapshot', s: str(o, 's', 300), i: o.i === undefined ? undefined : revision(o, 'i'), r: revision(o, 'r'),
        first: o.first === true, complete: o.complete === true, items: items(o, 'items'),
      };
    case 'delta':
      if (o.s === undefined && o.i === undefined) throw new ProtocolError('bad-message', 'delta needs s or i');
      // Empty lists are left out on the wire: most deltas only add or only remove.
      return {
        t: 'delta', s: o.s === undefined ? undefined : str(o, 's', 300), i: o.i === undefined ? undefined : revision(o, 'i'),
        r: revision(o, 'r'), p: revision(o, 'p'),
        u: o.u === undefined ? [] : items(o, 'u'), x: o.x === undefined ? [] : strings(o, 'x'),
      };
    case 'unsub':
      return { t: 'unsub', s: str(o, 's', 300) };
    case 'sync':
      return { t: 'sync', r: revision(o, 'r') };
    case 'error':
      return { t: 'error', code: str(o, 'code'), message: str(o, 'message', 4096), fatal: o.fatal === true };
    default:
      throw new ProtocolError('unknown-type', `unknown message type ${JSON.stringify(o.t)}`);
  }
}

/**
 * Frames of a chunk, each checked. A frame that fails is returned as its error, so the receiver can
 * answer that session and go on with the others. A chunk holds whole frames: senders never cut one.
 */
export function decode<M>(chunk: Buffer | string, check: (body: unknown) => M): Array<Frame<M> | { session: number; error: ProtocolError }> {
  // The controller sends one message's bytes to every session that needs it: within a chunk the same
  // body is parsed and checked once (receivers treat messages as read-only).
  const seen = new Map<string, M>();
  return lines(chunk).map((line) => {
    let session = -1;
    try {
      session = sessionOf(line);
      const body = line.slice(line.indexOf(' ') + 1);
      let message = seen.get(body);
      if (message === undefined) {
        message = check(bodyOf(line, session));
        if (body.length < 4096) seen.set(body, message);
      }
      return { session, message };
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError('bad-message', String(err));
      return { session, error: e };
    }
  });
}
