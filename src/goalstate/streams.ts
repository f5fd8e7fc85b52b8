/**
 * The compiler's output: every stream's items, each serialised once when it changes, grouped in
 * slices of bounded size (EndpointSlices' lesson: a change re-touches one slice, a snapshot goes
 * out one slice per message). Nodes write here; the southbound reads each round's changes and
 * sends the same bytes to every subscriber.
 */

export const SLICE_SIZE = 100;

export interface StreamRound {
  /** Item JSON (`["key",value]`) by key. */
  readonly upserts: Map<string, string>;
  readonly deletes: Set<string>;
}

interface Stream {
  readonly items: Map<string, string>;
  readonly sliceOf: Map<string, number>;
  readonly slices: Array<Set<string>>;
  /** Slices with room, lowest first when filling. */
  readonly open: Set<number>;
}

export class StreamStore {
  private readonly streams = new Map<string, Stream>();
  private round = new Map<string, StreamRound>();
  /** Items serialised since start (each changed item once, whatever its subscribers). */
  serialised = 0;

  private stream(name: string): Stream {
    let s = this.streams.get(name);
    if (!s) {
      s = { items: new Map(), sliceOf: new Map(), slices: [], open: new Set() };
      this.streams.set(name, s);
    }
    return s;
  }

  private changes(name: string): StreamRound {
    let r = this.round.get(name);
    if (!r) {
      r = { upserts: new Map(), deletes: new Set() };
      this.round.set(name, r);
    }
    return r;
  }

  /** Sets an item; false when its bytes are what the stream already holds (nothing to send). */
  upsert(name: string, key: string, value: unknown): boolean {
    const json = `[${JSON.stringify(key)},${JSON.stringify(value)}]`;
    const s = this.stream(name);
    if (s.items.get(key) === json) return false;
    this.serialised++;
    if (!s.items.has(key)) this.place(s, key);
    s.items.set(key, json);
    const r = this.changes(name);
    r.deletes.delete(key);
    r.upserts.set(key, json);
    return true;
  }

  remove(name: string, key: string): boolean {
    const s = this.streams.get(name);
    if (!s || !s.items.has(key)) return false;
    s.items.delete(key);
    const slice = s.sliceOf.get(key)!;
    s.sliceOf.delete(key);
    s.slices[slice].delete(key);
    s.open.add(slice);
    const r = this.changes(name);
    r.upserts.delete(key);
    r.deletes.add(key);
    if (s.items.size === 0) this.streams.delete(name);
    return true;
  }

  private place(s: Stream, key: string): void {
    let slice = -1;
    for (const i of s.open) {
      slice = i;
      break;
    }
    if (slice < 0) {
      slice = s.slices.length;
      s.slices.push(new Set());
      s.open.add(slice);
    }
    s.slices[slice].add(key);
    s.sliceOf.set(key, slice);
    if (s.slices[slice].size >= SLICE_SIZE) s.open.delete(slice);
  }

  has(name: string): boolean {
    return this.streams.has(name);
  }

  size(name: string): number {
    return this.streams.get(name)?.items.size ?? 0;
  }

  /** The slice a key sits in (tests assert that a bind touches one). */
  sliceOf(name: string, key: string): number | undefined {
    return this.streams.get(name)?.sliceOf.get(key);
  }

  item(name: string, key: string): unknown {
    const json = this.streams.get(name)?.items.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as [string, unknown])[1];
  }

  /** The stream in full, one list of item JSON per non-empty slice. */
  slices(name: string): string[][] {
    const s = this.streams.get(name);
    if (!s) return [];
    return s.slices.filter((k) => k.size > 0).map((keys) => [...keys].map((k) => s.items.get(k)!));
  }

  streamNames(): IterableIterator<string> {
    return this.streams.keys();
  }

  /** This round's changes, handed over once; the next round starts empty. */
  takeRound(): Map<string, StreamRound> {
    const r = this.round;
    this.round = new Map();
    for (const [name, ch] of r) if (ch.upserts.size === 0 && ch.deletes.size === 0) r.delete(name);
    return r;
  }
}
