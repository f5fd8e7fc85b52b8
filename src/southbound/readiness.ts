/**
 * Ready means acknowledged (OVN's Port_Binding.up, Neutron's provisioning blocks): a port waits on
 * its host for the revision that carried it, and an ack at or past it releases it, oldest first,
 * without scanning. Status changes leave in batches through the controller's port, never one write
 * per port per ack. Remote convergence (every host of a network has a new neighbour entry) is
 * measured the same way, apart, and never gates ACTIVE.
 */

export interface StatusUpdate {
  readonly id: string;
  readonly status: 'ACTIVE' | 'DOWN' | 'ERROR';
  readonly host: string;
}

interface Waiting {
  readonly revision: number;
  readonly port: string;
  readonly trigger?: number;
  /** When the round carrying it was sent. */
  readonly sentAt: number;
}

interface Convergence {
  remaining: number;
  readonly trigger?: number;
}

/** A bounded sample of latencies, ms: enough for exact percentiles of a benchmark run. */
export class Samples {
  private values: number[] = [];
  constructor(private readonly max = 500_000) {}
  add(ms: number): void {
    if (this.values.length >= this.max) this.values.shift();
    this.values.push(ms);
  }
  take(): number[] {
    return this.values;
  }
  reset(): void {
    this.values = [];
  }
}

export class Readiness {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly converging = new Map<string, Array<{ revision: number; c: Convergence }>>();
  readonly bindToActive = new Samples();
  readonly convergence = new Samples();
  /** The stages of bind -> ACTIVE, ms: commit to sent, sent to acked, acked to status committed. */
  readonly stages = { sent: new Samples(), acked: new Samples(), written: new Samples() };

  wait(host: string, port: string, revision: number, trigger?: number): void {
    let q = this.waiting.get(host);
    if (!q) this.waiting.set(host, (q = []));
    const sentAt = Date.now();
    if (trigger !== undefined) this.stages.sent.add(sentAt - trigger);
    q.push({ revision, port, trigger, sentAt });
  }

  /** Ports of `host` released by an ack of `revision` (with the time each was triggered). */
  ack(host: string, revision: number): Waiting[] {
    const q = this.waiting.get(host);
    const out: Waiting[] = [];
    if (q) {
      let n = 0;
      while (n < q.length && q[n].revision <= revision) n++;
      out.push(...q.splice(0, n));
      if (q.length === 0) this.waiting.delete(host);
      const now = Date.now();
      for (const w of out) this.stages.acked.add(now - w.sentAt);
    }
    const cq = this.converging.get(host);
    if (cq) {
      let n = 0;
      const now = Date.now();
      while (n < cq.length && cq[n].revision <= revision) {
        const c = cq[n].c;
        if (--c.remaining === 0 && c.trigger !== undefined) this.convergence.add(now - c.trigger);
        n++;
      }
      cq.splice(0, n);
      if (cq.length === 0) this.converging.delete(host);
    }
    return out;
  }

  /** Ports of `host` waiting on `revision` or before, which a nack fails. */
  fail(host: string, revision: number, ports?: readonly string[]): Waiting[] {
    const q = this.waiting.get(host) ?? [];
    const named = ports ? new Set(ports) : undefined;
    const failed = q.filter((w) => w.revision <= revision && (!named || named.has(w.port)));
    const rest = q.filter((w) => !failed.includes(w));
    if (rest.length) this.waiting.set(host, rest);
    else this.waiting.delete(host);
    return failed;
  }

  /** One neighbour change sent to these hosts at `revision`. */
  converge(hosts: readonly string[], revision: number, trigger?: number): void {
    if (hosts.length === 0) return;
    const c: Convergence = { remaining: hosts.length, trigger };
    for (const h of hosts) {
      let q = this.converging.get(h);
      if (!q) this.converging.set(h, (q = []));
      q.push({ revision, c });
    }
  }

  /** A host that went away is no longer waited on for convergence (it resyncs when back). */
  dropHost(host: string): void {
    for (const { c } of this.converging.get(host) ?? []) c.remaining--;
    this.converging.delete(host);
  }
}

/**
 * Coalesces status changes and writes them in batches, one batch in flight at a time: a burst of
 * acks costs a few store transactions, not one per port.
 */
export class StatusWriter {
  private queued = new Map<string, StatusUpdate & { trigger?: number; at: number }>();
  /** Queued to committed, ms. */
  readonly latency = new Samples();
  private inFlight = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (updates: StatusUpdate[]) => Promise<Array<{ id: string; status: string }>>,
    private readonly onActive: (id: string, trigger?: number) => void,
    private readonly onError: (err: unknown) => void,
    private readonly onBatch: () => void = () => {},
    private readonly delayMs = 2,
  ) {}

  queue(update: StatusUpdate, trigger?: number): void {
    this.queued.set(update.id, { ...update, trigger, at: Date.now() });
    if (!this.inFlight && !this.timer) this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.inFlight || this.queued.size === 0) return;
    const batch = [...this.queued.values()];
    this.queued = new Map();
    this.inFlight = true;
    try {
      const applied = await this.write(batch.map(({ id, status, host }) => ({ id, status, host })));
      this.onBatch();
      const byId = new Map(batch.map((u) => [u.id, u]));
      const now = Date.now();
      for (const u of batch) this.latency.add(now - u.at);
      for (const a of applied) if (a.status === 'ACTIVE') this.onActive(a.id, byId.get(a.id)?.trigger);
    } catch (err) {
      this.onError(err);
    } finally {
      this.inFlight = false;
      if (this.queued.size > 0) void this.flush();
    }
  }

  async drained(): Promise<void> {
    while (this.inFlight || this.queued.size > 0 || this.timer) await new Promise((r) => setTimeout(r, 2));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
