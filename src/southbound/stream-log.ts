/**
 * Each stream's current revision and a bounded history of its deltas (bytes as sent), so that a
 * host coming back with a cursor inside the history gets the deltas since, and one further behind
 * gets a snapshot (OVSDB's monitor_cond_since, a Kubernetes watch's 410 Gone).
 */

interface Entry {
  readonly r: number;
  readonly p: number;
  readonly json: string;
  readonly at: number;
  /** Item JSON by key, and deleted keys: what a merge of several deltas needs. */
  readonly upserts: ReadonlyMap<string, string>;
  readonly deletes: ReadonlySet<string>;
}

/** One delta's bytes: the stream by number (`named` adds its name, for a receiver that may not know the number). */
export function deltaJson(
  stream: string, id: number, named: boolean, r: number, p: number, upserts: Iterable<string>, deletes: Iterable<string>,
): string {
  const u = [...upserts];
  const x = [...deletes];
  const name = named ? `"s":${JSON.stringify(stream)},` : '';
  return `{"t":"delta",${name}"i":${id},"r":${r},"p":${p}${u.length ? `,"u":[${u.join(',')}]` : ''}${x.length ? `,"x":${JSON.stringify(x)}` : ''}}`;
}

export class StreamLog {
  private readonly revisions = new Map<string, number>();
  private readonly history = new Map<string, Entry[]>();
  private readonly ids = new Map<string, number>();

  /** The stream's number in this controller's run (deltas name streams by it). */
  idOf(stream: string): number {
    let id = this.ids.get(stream);
    if (id === undefined) this.ids.set(stream, (id = this.ids.size + 1));
    return id;
  }

  constructor(
    /** Revision of every stream built by the first compile (it has no history before). */
    private base: number,
    private readonly maxPerStream: number,
    private readonly maxAgeMs: number,
  ) {}

  revisionOf(stream: string): number {
    return this.revisions.get(stream) ?? this.base;
  }

  /** Records this round's delta of a stream and returns its bytes. */
  record(stream: string, r: number, upserts: ReadonlyMap<string, string>, deletes: ReadonlySet<string>): string {
    const p = this.revisionOf(stream);
    const json = deltaJson(stream, this.idOf(stream), false, r, p, upserts.values(), deletes);
    this.revisions.set(stream, r);
    let h = this.history.get(stream);
    if (!h) this.history.set(stream, (h = []));
    h.push({ r, p, json, at: Date.now(), upserts, deletes });
    if (h.length > this.maxPerStream) h.splice(0, h.length - this.maxPerStream);
    return json;
  }

  /** Whether the history can bring a holder of `cursor` to the current revision without a snapshot. */
  covers(stream: string, cursor: number): boolean {
    const current = this.revisionOf(stream);
    if (cursor === current) return true;
    if (cursor > current) return false;
    const h = this.history.get(stream);
    const e = h?.find((x) => x.p === cursor);
    return e !== undefined && e.at >= Date.now() - this.maxAgeMs;
  }

  /**
   * What brings a holder of `cursor` to the current revision, as one delta merging every delta since
   * (an item changed five times is sent once, as it is now); [] when current; undefined when the
   * cursor is outside the history.
   */
  since(stream: string, cursor: number): string[] | undefined {
    if (!this.covers(stream, cursor)) return undefined;
    const current = this.revisionOf(stream);
    // Current already: one empty delta names the stream's number for this session.
    if (cursor === current) return [deltaJson(stream, this.idOf(stream), true, current, current, [], [])];
    const h = this.history.get(stream)!;
    const i = h.findIndex((e) => e.p === cursor);
    const upserts = new Map<string, string>();
    const deletes = new Set<string>();
    for (const e of h.slice(i)) {
      for (const [k, v] of e.upserts) {
        deletes.delete(k);
        upserts.set(k, v);
      }
      for (const k of e.deletes) {
        upserts.delete(k);
        deletes.add(k);
      }
    }
    return [deltaJson(stream, this.idOf(stream), true, current, cursor, upserts.values(), deletes)];
  }

  /** Forgets a stream's history that is too old to serve (memory stays bounded by time as well). */
  prune(): void {
    const oldest = Date.now() - this.maxAgeMs;
    for (const [s, h] of this.history) {
      let n = 0;
      while (n < h.length && h[n].at < oldest) n++;
      if (n === h.length) this.history.delete(s);
      else if (n > 0) h.splice(0, n);
    }
  }
}
