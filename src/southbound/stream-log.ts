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
}

export class StreamLog {
  private readonly revisions = new Map<string, number>();
  private readonly history = new Map<string, Entry[]>();

  constructor(
    /** Revision of every stream built by the first compile (it has no history before). */
    private base: number,
    private readonly maxPerStream: number,
    private readonly maxAgeMs: number,
  ) {}

  revisionOf(stream: string): number {
    return this.revisions.get(stream) ?? this.base;
  }

  record(stream: string, r: number, json: string): void {
    const p = this.revisionOf(stream);
    this.revisions.set(stream, r);
    let h = this.history.get(stream);
    if (!h) this.history.set(stream, (h = []));
    h.push({ r, p, json, at: Date.now() });
    if (h.length > this.maxPerStream) h.splice(0, h.length - this.maxPerStream);
  }

  /** The deltas that bring a holder of `cursor` to the current revision, or undefined if out of history. */
  since(stream: string, cursor: number): string[] | undefined {
    const current = this.revisionOf(stream);
    if (cursor === current) return [];
    if (cursor > current) return undefined;
    const h = this.history.get(stream);
    if (!h) return undefined;
    const oldest = Date.now() - this.maxAgeMs;
    const i = h.findIndex((e) => e.p === cursor);
    if (i < 0 || h[i].at < oldest) return undefined;
    return h.slice(i).map((e) => e.json);
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
