/**
 * One host's side of the protocol: hello with its cursors, snapshots and deltas into its local goal
 * state, a resync for a stream with a gap, and at each sync the data plane applies what changed and
 * the revision is acked (or nacked with the error). Messages are handled strictly in order; the data
 * plane never sees a half-received snapshot.
 */
import type { ControllerMessage, Delta, Hello } from '../protocol/messages.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import type { AgentMessage } from '../protocol/messages.js';
import type { DataPlane } from './dataplane/dataplane.js';
import { LocalGoalState } from './goal-state.js';
import type { Persisted } from './goal-state.js';

export interface HostIdentity {
  readonly host: string;
  readonly vtep: string;
  readonly agentType: string;
  readonly binary: string;
  readonly version: string;
  readonly vifType: 'tap' | 'bridge';
  readonly configurations?: Record<string, unknown>;
}

export interface AgentLog {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AgentCounters {
  snapshots: number;
  deltas: number;
  gaps: number;
  acks: number;
  nacks: number;
  errors: number;
  /** Hellos sent (one per connection or reconnect). */
  hellos: number;
}

export class HostAgent {
  readonly state = new LocalGoalState();
  readonly counters: AgentCounters = { snapshots: 0, deltas: 0, gaps: 0, acks: 0, nacks: 0, errors: 0, hellos: 0 };
  agentId?: string;
  heartbeatSeconds = 30;
  /** The revision last applied and acked. */
  applied = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly resyncing = new Set<string>();
  /** Stream numbers of this session (a new session numbers them anew). */
  private streamIds = new Map<number, string>();
  /** Set when the controller used a stream number this session never learned: say hello again. */
  onLost?: () => void;
  private readonly startedAt = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  /** Called after each applied sync (persistence hooks in). */
  onApplied?: () => void;

  constructor(
    readonly identity: HostIdentity, private readonly dataplane: DataPlane,
    private readonly send: (m: AgentMessage) => void, private readonly log: AgentLog,
  ) {
    dataplane.watch?.(() => {
      this.chain = this.chain.then(() => this.devices()).catch((err) => {
        this.counters.errors++;
        this.log.error({ err, host: this.identity.host }, 'agent failed to handle a device change');
      });
    });
  }

  /** A tap appeared or vanished: its port is reported up or down (only once in sync after a start). */
  private async devices(): Promise<void> {
    if (this.applied === 0 || !this.dataplane.devices) return;
    const r = await this.dataplane.devices();
    if (r.up.length) this.send({ t: 'up', ports: r.up });
    if (r.gone.length) this.send({ t: 'gone', ports: r.gone });
    if (r.failed.length) {
      const error = r.failed.map((f) => `${f.port}: ${f.error}`).join('; ');
      this.log.error({ host: this.identity.host, error }, 'data plane could not program a device that appeared');
      this.send({ t: 'nack', revision: this.applied, error, ports: r.failed.map((f) => f.port) });
    }
  }

  restore(p: Persisted & { applied?: number }): void {
    this.state.restore(p);
    this.applied = p.applied ?? 0;
  }

  hello(): Hello {
    this.counters.hellos++;
    this.resyncing.clear();
    this.streamIds = new Map();
    // A stream half-received when the connection broke is asked for again from scratch.
    for (const [name, s] of this.state.streams) if (!s.complete) this.state.streams.delete(name);
    const id = this.identity;
    return {
      t: 'hello', protocol: PROTOCOL_VERSION, host: id.host, agentType: id.agentType, binary: id.binary, version: id.version,
      vtep: id.vtep, startedAt: this.startedAt, capabilities: { vifType: id.vifType },
      configurations: { ...id.configurations, tunneling_ip: id.vtep, vif_type: id.vifType, tunnel_types: ['vxlan'] },
      cursors: this.state.cursors(),
    };
  }

  /** Syncs received and not yet handled: a sync with a later one queued behind it is skipped. */
  private queuedSyncs = 0;

  /** Queues a message; they are handled one after another. */
  receive(m: ControllerMessage): void {
    if (m.t === 'sync') this.queuedSyncs++;
    this.chain = this.chain.then(() => this.handle(m)).catch((err) => {
      this.counters.errors++;
      this.log.error({ err, host: this.identity.host }, 'agent failed to handle a controller message');
    });
  }

  /** Resolves when every message received so far is handled. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async handle(m: ControllerMessage): Promise<void> {
    switch (m.t) {
      case 'welcome':
        this.agentId = m.agentId;
        this.heartbeatSeconds = m.heartbeatSeconds;
        return;
      case 'snapshot':
        if (m.i !== undefined) this.streamIds.set(m.i, m.s);
        if (m.first) this.counters.snapshots++;
        this.resyncing.delete(m.s);
        this.state.snapshot(m);
        return;
      case 'delta': {
        if (m.s !== undefined && m.i !== undefined) this.streamIds.set(m.i, m.s);
        const name = m.s ?? this.streamIds.get(m.i!);
        if (name === undefined) {
          this.counters.gaps++;
          this.log.warn({ host: this.identity.host, stream: m.i }, 'a delta for a stream number never named: saying hello again');
          this.onLost?.();
          return;
        }
        this.delta(m, name);
        return;
      }
      case 'unsub':
        this.state.unsubscribe(m.s);
        return;
      case 'sync':
        // Behind? The later sync applies (and acks) this round's changes with its own.
        if (--this.queuedSyncs > 0) return;
        await this.apply(m.r);
        return;
      case 'error':
        this.counters.errors++;
        this.log.error({ host: this.identity.host, code: m.code, fatal: m.fatal }, `controller refused: ${m.message}`);
        return;
    }
  }

  private delta(m: Delta, stream: string): void {
    if (this.resyncing.has(stream)) return;
    if (this.state.delta(m, stream)) {
      this.counters.deltas++;
      return;
    }
    this.counters.gaps++;
    this.log.warn({ host: this.identity.host, stream, at: this.state.streams.get(stream)?.revision, prev: m.p, revision: m.r }, 'gap in a stream: asking for it again');
    this.state.invalidate(stream);
    this.resyncing.add(stream);
    this.send({ t: 'resync', streams: [stream] });
  }

  private async apply(revision: number): Promise<void> {
    if (this.resyncing.size > 0 || !this.state.consistent()) return;
    const { changes, removed } = this.state.take();
    let result;
    try {
      result = await this.dataplane.apply({ state: this.state, changes, removed, revision });
    } catch (err) {
      this.counters.nacks++;
      const error = err instanceof Error ? err.message : String(err);
      this.log.error({ host: this.identity.host, revision, error }, 'data plane refused the goal state');
      this.send({ t: 'nack', revision, error });
      return;
    }
    if (result.gone?.length) this.send({ t: 'gone', ports: result.gone });
    if (result.failed.length > 0) {
      this.counters.nacks++;
      const error = result.failed.map((f) => `${f.port}: ${f.error}`).join('; ');
      this.log.error({ host: this.identity.host, revision, error }, 'data plane could not program some ports');
      this.send({ t: 'nack', revision, error, ports: result.failed.map((f) => f.port) });
    }
    this.applied = revision;
    this.counters.acks++;
    this.send(result.pending?.length ? { t: 'ack', revision, pending: result.pending } : { t: 'ack', revision });
    this.onApplied?.();
  }
}
