/**
 * The agent's copy of its goal state: each stream's items and revision, as the controller sent
 * them, and what changed since the data plane last applied it. A delta that does not follow the
 * stream's revision is a gap: the stream is resynced instead of applied on a wrong base.
 */
import type { Delta, Snapshot } from '../protocol/messages.js';

export interface StreamState {
  revision: number;
  /** False while a snapshot is arriving in chunks or a resync is awaited. */
  complete: boolean;
  readonly items: Map<string, unknown>;
}

export interface StreamChanges {
  /** The stream was replaced (snapshot) or dropped: compare in full against what is programmed. */
  replaced: boolean;
  readonly upserts: Map<string, unknown>;
  readonly deletes: Set<string>;
}

export interface Persisted {
  readonly streams: Record<string, { revision: number; items: Array<[string, unknown]> }>;
}

export class LocalGoalState {
  readonly streams = new Map<string, StreamState>();
  private changes = new Map<string, StreamChanges>();
  private readonly removed = new Set<string>();

  private changesOf(stream: string): StreamChanges {
    let c = this.changes.get(stream);
    if (!c) this.changes.set(stream, (c = { replaced: false, upserts: new Map(), deletes: new Set() }));
    return c;
  }

  snapshot(m: Snapshot): void {
    let s = this.streams.get(m.s);
    if (m.first || !s) {
      s = { revision: m.r, complete: false, items: new Map() };
      this.streams.set(m.s, s);
      const c = this.changesOf(m.s);
      c.replaced = true;
      c.upserts.clear();
      c.deletes.clear();
      this.removed.delete(m.s);
    }
    for (const [k, v] of m.items) s.items.set(k, v);
    s.revision = m.r;
    if (m.complete) s.complete = true;
  }

  /** Applies a delta; false when it does not follow what this stream holds (a gap). */
  delta(m: Delta, stream: string): boolean {
    const s = this.streams.get(stream) ?? (m.p === 0 ? this.create(stream) : undefined);
    if (!s || !s.complete || s.revision !== m.p) return false;
    const c = this.changesOf(stream);
    for (const [k, v] of m.u) {
      s.items.set(k, v);
      c.deletes.delete(k);
      c.upserts.set(k, v);
    }
    for (const k of m.x) {
      s.items.delete(k);
      c.upserts.delete(k);
      c.deletes.add(k);
    }
    s.revision = m.r;
    return true;
  }

  private create(stream: string): StreamState {
    const s: StreamState = { revision: 0, complete: true, items: new Map() };
    this.streams.set(stream, s);
    return s;
  }

  /** A stream awaiting a resync: further deltas are dropped until its snapshot starts. */
  invalidate(stream: string): void {
    const s = this.streams.get(stream);
    if (s) s.complete = false;
  }

  unsubscribe(stream: string): void {
    if (!this.streams.delete(stream)) return;
    this.changes.delete(stream);
    this.removed.add(stream);
  }

  /** Every stream is whole: safe to program. */
  consistent(): boolean {
    for (const s of this.streams.values()) if (!s.complete) return false;
    return true;
  }

  cursors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, s] of this.streams) if (s.complete) out[name] = s.revision;
    return out;
  }

  /** What changed since the last call, and the streams dropped. */
  take(): { changes: Map<string, StreamChanges>; removed: Set<string> } {
    const out = { changes: this.changes, removed: new Set(this.removed) };
    this.changes = new Map();
    this.removed.clear();
    return out;
  }

  persisted(): Persisted {
    const streams: Persisted['streams'] = {};
    for (const [name, s] of this.streams) if (s.complete) streams[name] = { revision: s.revision, items: [...s.items] };
    return { streams };
  }

  restore(p: Persisted): void {
    for (const [name, s] of Object.entries(p.streams ?? {})) {
      this.streams.set(name, { revision: s.revision, complete: true, items: new Map(s.items) });
    }
  }
}
