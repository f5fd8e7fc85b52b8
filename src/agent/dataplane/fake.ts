/**
 * The fake data plane: programs nothing and records what it would have programmed, per kind, so
 * tests and the simulator can say exactly what each host was told. A port whose name is listed in
 * `failPorts` fails, as a kernel refusal would. With `plugDelayMs`, a port is plugged that long
 * after it first comes (pending until then, then reported up), as a hypervisor plugs a VM's tap
 * some time after Nova bound its port: what makes Nova wait for network-vif-plugged.
 */
import type { ApplyInput, ApplyResult, DataPlane, DeviceChanges } from './dataplane.js';

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

  /** Ports not plugged yet, and when they will be (epoch ms); and those plugged. */
  private readonly unplugged = new Map<string, number>();
  private readonly plugged = new Set<string>();
  private onDevices?: () => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly failPorts: ReadonlySet<string> = new Set(),
    /** Keep `lastRound` (tests read it); thousands of simulated hosts only count. */
    private readonly keepLastRound = true,
    private readonly plugDelayMs = 0,
  ) {}

  watch(onChange: () => void): void {
    this.onDevices = onChange;
  }

  async devices(): Promise<DeviceChanges> {
    const now = Date.now();
    const up: string[] = [];
    let next = Infinity;
    for (const [id, at] of this.unplugged) {
      if (at > now) { next = Math.min(next, at); continue; }
      this.unplugged.delete(id);
      this.plugged.add(id);
      up.push(id);
    }
    // A timer may fire a millisecond before Date.now() reaches its port's time: look again then.
    if (next !== Infinity) this.later(next - now + 1);
    return { up, gone: [], failed: [] };
  }

  private later(ms: number): void {
    const timer = setTimeout(() => { this.timers.delete(timer); this.onDevices?.(); }, ms);
    this.timers.add(timer);
  }

  /** A port of this round: plugged at once, or later with a plug delay. */
  private port(id: string, pending: string[]): void {
    if (this.plugDelayMs <= 0 || this.plugged.has(id)) return;
    if (!this.unplugged.has(id)) {
      this.unplugged.set(id, Date.now() + this.plugDelayMs);
      this.later(this.plugDelayMs);
    }
    pending.push(id);
  }

  async apply(input: ApplyInput): Promise<ApplyResult> {
    const r = this.record;
    r.rounds++;
    r.lastRevision = input.revision;
    if (this.keepLastRound) this.lastRound = new Map();
    const failed: Array<{ port: string; error: string }> = [];
    const pending: string[] = [];
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
        else if (k.startsWith('p:') && kind === 'host') this.port(k.slice(2), pending);
      }
      r.upserts[kind] = (r.upserts[kind] ?? 0) + n;
      r.deletes[kind] = (r.deletes[kind] ?? 0) + ch.deletes.size;
      for (const k of ch.deletes) {
        if (!k.startsWith('p:')) continue;
        this.unplugged.delete(k.slice(2));
        this.plugged.delete(k.slice(2));
      }
      if (keys) this.lastRound.set(stream, [...keys, ...[...ch.deletes].map((k) => `-${k}`)]);
    }
    if (this.keepLastRound) for (const stream of input.removed) this.lastRound.set(stream, ['(unsubscribed)']);
    return pending.length ? { failed, pending } : { failed };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
