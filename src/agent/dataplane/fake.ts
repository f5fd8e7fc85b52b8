/**
 * The fake data plane: programs nothing and records what it would have programmed, per kind, so
 * tests and the simulator can say exactly what each host was told. A port whose name is listed in
 * `failPorts` fails, as a kernel refusal would.
 */
import type { ApplyInput, ApplyResult, DataPlane } from './dataplane.js';

export interface FakeRecord {
  rounds: number;
  /** Streams replaced by a snapshot, and deltas applied, as the data plane saw them. */
  replaced: number;
  deltas: number;
  /** Items written and removed, by stream kind (host, net, sg, sgm). */
  readonly upserts: Record<string, number>;
  readonly deletes: Record<string, number>;
  lastRevision: number;
}

export class FakeDataPlane implements DataPlane {
  readonly name = 'fake';
  readonly record: FakeRecord = { rounds: 0, replaced: 0, deltas: 0, upserts: {}, deletes: {}, lastRevision: 0 };
  /** Every item key it was told, per stream, in the last round (tests assert on it). */
  lastRound = new Map<string, string[]>();

  constructor(
    private readonly failPorts: ReadonlySet<string> = new Set(),
    /** Keep `lastRound` (tests read it); thousands of simulated hosts only count. */
    private readonly keepLastRound = true,
  ) {}

  async apply(input: ApplyInput): Promise<ApplyResult> {
    const r = this.record;
    r.rounds++;
    r.lastRevision = input.revision;
    if (this.keepLastRound) this.lastRound = new Map();
    const failed: Array<{ port: string; error: string }> = [];
    for (const [stream, ch] of input.changes) {
      const kind = stream.slice(0, stream.indexOf('/'));
      if (ch.replaced) r.replaced++;
      else r.deltas++;
      const items = ch.replaced ? input.state.streams.get(stream)?.items.keys() ?? [] : ch.upserts.keys();
      const keys = this.keepLastRound ? [] as string[] : undefined;
      let n = 0;
      for (const k of items) {
        n++;
        keys?.push(k);
        if (k.startsWith('p:') && this.failPorts.has(k.slice(2))) failed.push({ port: k.slice(2), error: `fake refusal for port ${k.slice(2)}` });
      }
      r.upserts[kind] = (r.upserts[kind] ?? 0) + n;
      r.deletes[kind] = (r.deletes[kind] ?? 0) + ch.deletes.size;
      if (keys) this.lastRound.set(stream, [...keys, ...[...ch.deletes].map((k) => `-${k}`)]);
    }
    if (this.keepLastRound) for (const stream of input.removed) this.lastRound.set(stream, ['(unsubscribed)']);
    return { failed };
  }

  async close(): Promise<void> {}
}
