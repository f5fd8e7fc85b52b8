/**
 * The southbound: serves agents over a carrier, brings each host in sync from its cursors (deltas
 * inside the history, else a snapshot, admitted at a bounded rate), hands every compiler round to
 * the hosts it concerns (each delta serialised once for all of them), and turns acks into port
 * status through readiness. Bad input from an agent is answered to that session alone.
 */
import { inactiveKey } from '../goalstate/rows.js';
import type { Compiler, Round } from '../goalstate/compiler.js';
import type { Follower } from '../goalstate/follower.js';
import type { Frame, ProtocolError } from '../protocol/codec.js';
import { checkAgentMessage, decode } from '../protocol/codec.js';
import type { AgentMessage, Hello, ProtocolErrorMessage, StreamKind } from '../protocol/messages.js';
import { hostStream, streamKind } from '../protocol/messages.js';
import type { Channel, ServerCarrier } from '../protocol/transport.js';
import type { ControllerPort, Log } from './controller-port.js';
import { Readiness, StatusWriter } from './readiness.js';
import { Connection, Session } from './sessions.js';
import { StreamLog, deltaJson } from './stream-log.js';

export interface SouthboundOptions {
  readonly heartbeatSeconds: number;
  /** Deltas kept per stream for resume. */
  readonly historyPerStream: number;
  readonly historySeconds: number;
  /** Sessions admitted to a snapshot per second (a reconnect storm waits its turn). */
  readonly snapshotsPerSecond: number;
  /** Keep what each host was sent until takeDeliveries() (tests); off, nothing is kept. */
  readonly recordDeliveries?: boolean;
}

/**
 * Rounds a host may leave unacked before it is paused: a slow or stuck agent is then not sent every
 * round (the carrier would buffer without bound); when it acks again it is caught up from the
 * history in one go, so the versions it skipped are never sent at all.
 */
const MAX_INFLIGHT = 16;

export const DEFAULT_SOUTHBOUND: SouthboundOptions = {
  heartbeatSeconds: 30,
  historyPerStream: 64,
  historySeconds: 300,
  snapshotsPerSecond: 2_000,
};

type Kind = StreamKind;
type Counter = Record<Kind, number>;
const zero = (): Counter => ({ host: 0, net: 0, sg: 0, sgm: 0, rt: 0 });

export interface SouthboundStats {
  bytes: { delta: Counter; snapshot: Counter };
  messages: { delta: Counter; snapshot: Counter };
  /** Items delivered (summed over receiving hosts). */
  items: { delta: Counter; snapshot: Counter };
  /** Neighbour entries (`e:`) delivered in deltas, summed over hosts, and those deltas' bytes. */
  neighbourUpdates: number;
  neighbourDeltaBytes: number;
  resumedByDelta: number;
  snapshotsOnHello: number;
  /** Hosts paused for lagging acks, and caught up again. */
  paused: number;
  portsActive: number;
  statusBatches: number;
  errors: number;
}

export class Southbound {
  private readonly sessionsByHost = new Map<string, Session>();
  private readonly log: StreamLog;
  readonly readiness = new Readiness();
  readonly statuses: StatusWriter;
  private readonly admission: Session[] = [];
  private admissionTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private bookmarkTimer?: NodeJS.Timeout;
  private snapshotCache = new Map<string, { r: number; frames: string[] }>();
  readonly stats: SouthboundStats = {
    bytes: { delta: zero(), snapshot: zero() },
    messages: { delta: zero(), snapshot: zero() },
    items: { delta: zero(), snapshot: zero() },
    neighbourUpdates: 0,
    neighbourDeltaBytes: 0,
    resumedByDelta: 0,
    snapshotsOnHello: 0,
    paused: 0,
    portsActive: 0,
    statusBatches: 0,
    errors: 0,
  };
  /** What each host was sent by rounds since the last take: stream -> item keys (tests assert on it). */
  private deliveries = new Map<string, Map<string, string[]>>();

  constructor(
    private readonly carrier: ServerCarrier, private readonly compiler: Compiler, private readonly follower: Follower,
    private readonly port: ControllerPort, private readonly logger: Log, private readonly options: SouthboundOptions = DEFAULT_SOUTHBOUND,
  ) {
    this.log = new StreamLog(compiler.revision, options.historyPerStream, options.historySeconds * 1000);
    this.statuses = new StatusWriter(
      (u) => port.setPortStatuses(u),
      (_id, trigger) => {
        this.stats.portsActive++;
        if (trigger !== undefined) this.readiness.bindToActive.add(Date.now() - trigger);
      },
      (err) => this.logger.error({ err }, 'port status write failed'),
      () => { this.stats.statusBatches++; },
    );
  }

  async listen(): Promise<{ host: string; port: number }> {
    // Ports bound but not ACTIVE when the controller starts wait for their host's next ack.
    const g = this.compiler.graph;
    for (const [host, ports] of g.bindings.hostPorts) {
      for (const p of ports) if (this.compiler.portStatus.get(p) !== 'ACTIVE') this.readiness.wait(host, p, this.compiler.revision);
    }
    const address = await this.carrier.listen((ch) => this.accept(ch));
    const beatMs = Math.max(500, Math.min(5_000, this.options.heartbeatSeconds * 500));
    this.heartbeatTimer = setInterval(() => this.flushHeartbeats(), beatMs);
    this.bookmarkTimer = setInterval(() => this.bookmarks(), Math.max(1_000, this.options.heartbeatSeconds * 1000));
    this.heartbeatTimer.unref();
    this.bookmarkTimer.unref();
    return address;
  }

  get sessions(): number {
    return this.sessionsByHost.size;
  }

  session(host: string): Session | undefined {
    return this.sessionsByHost.get(host);
  }

  private accept(channel: Channel): void {
    const conn = new Connection(channel);
    channel.onChunk((chunk) => {
      for (const f of decode(chunk, checkAgentMessage)) {
        if ('error' in f) this.refuse(conn, f.session < 0 ? 0 : f.session, f.error);
        else this.onFrame(conn, f);
      }
      conn.flush();
    });
    channel.onClose((err) => {
      for (const s of conn.sessions.values()) this.drop(s, err ? `connection lost: ${err.message}` : 'connection closed');
      conn.sessions.clear();
    });
  }

  private refuse(conn: Connection, sid: number, err: ProtocolError | { code: string; message: string }, fatal = false): void {
    this.stats.errors++;
    const session = conn.sessions.get(sid);
    this.logger.warn({ peer: conn.channel.peer, session: sid, host: session?.host, code: err.code, fatal }, `agent message refused: ${err.message}`);
    const msg: ProtocolErrorMessage = { t: 'error', code: err.code, message: err.message, fatal };
    conn.queue(sid, JSON.stringify(msg));
    if (fatal && session) {
      conn.sessions.delete(sid);
      this.drop(session, `refused: ${err.code}`);
    }
  }

  private drop(s: Session, why: string): void {
    if (this.sessionsByHost.get(s.host) !== s) return;
    this.sessionsByHost.delete(s.host);
    this.readiness.dropHost(s.host);
    this.logger.info({ host: s.host, why }, 'agent session ended');
  }

  private onFrame(conn: Connection, f: Frame<AgentMessage>): void {
    const m = f.message;
    if (m.t === 'hello') {
      void this.hello(conn, f.session, m);
      return;
    }
    const s = conn.sessions.get(f.session);
    if (!s) {
      this.refuse(conn, f.session, { code: 'no-hello', message: `session ${f.session} has not said hello` });
      return;
    }
    // Any message shows the agent alive, as a heartbeat does.
    s.lastSeen = Date.now();
    s.beatPending = true;
    switch (m.t) {
      case 'heartbeat':
        return;
      case 'ack':
        this.ack(s, m.revision, m.pending);
        return;
      case 'nack':
        this.nack(s, m.revision, m.error, m.ports);
        return;
      case 'gone':
      case 'up':
        for (const p of m.ports) {
          // The port's own host, or the host of one of its inactive bindings (a live migration's destination).
          const hosts = this.compiler.graph.bindings.portHost;
          if (hosts.get(p) !== s.host && hosts.get(inactiveKey(p, s.host)) !== s.host) {
            // A port that left the host (deleted, unbound, migrated away) is gone from it, as the
            // agent says: nothing to change, and nothing wrong. Only an `up` for it is a mistake.
            if (m.t === 'up') this.refuse(conn, s.sid, { code: 'not-your-port', message: `port ${p} is not bound to ${s.host}` });
            continue;
          }
          this.statuses.queue({ id: p, status: m.t === 'up' ? 'ACTIVE' : 'DOWN', host: s.host });
        }
        return;
      case 'resync':
        for (const stream of m.streams) {
          if (!this.subscribed(s.host, stream)) {
            this.refuse(conn, s.sid, { code: 'not-subscribed', message: `${s.host} does not subscribe to ${stream}` });
            continue;
          }
          this.snapshot(s, stream);
        }
        this.sync(s, this.compiler.revision);
        return;
    }
  }

  private subscribed(host: string, stream: string): boolean {
    return stream === hostStream(host) || (this.compiler.graph.subscriptions.subscribers.get(stream)?.has(host) ?? false);
  }

  private async hello(conn: Connection, sid: number, h: Hello): Promise<void> {
    const existing = this.sessionsByHost.get(h.host);
    if (existing && existing.conn.sessions.get(existing.sid) === existing && !(existing.conn === conn && existing.sid === sid)) {
      // Another live agent holds this host: the newcomer is refused, the holder is untouched.
      this.refuse(conn, sid, { code: 'host-in-use', message: `host ${h.host} is served by another live agent (${existing.conn.channel.peer})` }, true);
      conn.flush();
      return;
    }
    const s = new Session(conn, sid, h.host, h.agentType, h.cursors);
    if (existing && existing.conn === conn && existing.sid === sid) {
      // The same agent saying hello again: acks of what the old session sent may still come.
      s.sentRevision = existing.sentRevision;
      s.ackedRevision = existing.ackedRevision;
    }
    conn.sessions.set(sid, s);
    this.sessionsByHost.set(h.host, s);
    try {
      const agent = await this.port.registerAgent(h);
      s.agentId = agent.id;
    } catch (err) {
      this.logger.error({ err, host: h.host }, 'agent registration failed');
      conn.sessions.delete(sid);
      this.drop(s, 'registration failed');
      this.refuse(conn, sid, { code: 'registration-failed', message: `the controller could not register this agent: ${String((err as Error).message ?? err)}` }, true);
      conn.flush();
      return;
    }
    if (conn.sessions.get(sid) !== s) return;
    s.send(JSON.stringify({ t: 'welcome', agentId: s.agentId, heartbeatSeconds: this.options.heartbeatSeconds }));
    this.logger.info({ host: h.host, agentId: s.agentId, peer: conn.channel.peer, cursors: Object.keys(h.cursors).length }, 'agent session started');
    this.admit(s);
    conn.flush();
  }

  /** Brings a new session in sync: deltas where its cursors allow, snapshots (rate-bounded) where not. */
  private admit(s: Session): void {
    const needSnapshot = this.streamsFor(s.host).some((stream) => {
      const c = s.have.get(stream);
      return c === undefined ? this.compiler.graph.streams.has(stream) : !this.log.covers(stream, c);
    });
    if (!needSnapshot) {
      this.catchUp(s);
      return;
    }
    this.admission.push(s);
    if (!this.admissionTimer) this.admissionTimer = setTimeout(() => this.admitQueued(), 0);
  }

  private admitQueued(): void {
    this.admissionTimer = undefined;
    const tickMs = 100;
    const n = Math.max(1, Math.floor((this.options.snapshotsPerSecond * tickMs) / 1000));
    const batch = this.admission.splice(0, n);
    const conns = new Set<Connection>();
    for (const s of batch) {
      if (this.sessionsByHost.get(s.host) !== s) continue;
      this.catchUp(s);
      conns.add(s.conn);
    }
    for (const c of conns) c.flush();
    if (this.admission.length > 0) this.admissionTimer = setTimeout(() => this.admitQueued(), tickMs);
  }

  private streamsFor(host: string): string[] {
    return [hostStream(host), ...this.compiler.graph.subscriptions.streamsOf(host)];
  }

  /** Sends a session what brings it from what it has to now: deltas inside the history, else snapshots. */
  private catchUp(s: Session, onHello = true): void {
    const wanted = this.streamsFor(s.host);
    let resumed = 0;
    let snapshots = 0;
    for (const stream of wanted) {
      const c = s.have.get(stream);
      const deltas = c === undefined ? undefined : this.log.since(stream, c);
      if (deltas) {
        for (const d of deltas) this.sendDelta(s, stream, d, undefined);
        if (c !== this.log.revisionOf(stream)) resumed += deltas.length;
        s.have.set(stream, this.log.revisionOf(stream));
      } else if (c !== undefined || this.compiler.graph.streams.has(stream)) {
        this.snapshot(s, stream);
        snapshots++;
      } else {
        // Subscribed but empty so far: name its number now, or its first delta would be a mystery.
        s.send(deltaJson(stream, this.log.idOf(stream), true, this.log.revisionOf(stream), 0, [], []));
        s.have.set(stream, this.log.revisionOf(stream));
      }
    }
    const wantedSet = new Set(wanted);
    for (const stream of [...s.have.keys()]) {
      if (wantedSet.has(stream)) continue;
      s.have.delete(stream);
      s.send(JSON.stringify({ t: 'unsub', s: stream }));
    }
    if (onHello) {
      this.stats.resumedByDelta += resumed;
      this.stats.snapshotsOnHello += snapshots;
    }
    s.synced = true;
    s.paused = false;
    this.sync(s, this.compiler.revision);
  }

  private snapshot(s: Session, stream: string): void {
    const r = this.log.revisionOf(stream);
    let cached = this.snapshotCache.get(stream);
    if (!cached || cached.r !== r) {
      const slices = this.compiler.graph.streams.slices(stream);
      const chunks = slices.length ? slices : [[]];
      const name = JSON.stringify(stream);
      cached = {
        r,
        frames: chunks.map((items, i) =>
          `{"t":"snapshot","s":${name},"i":${this.log.idOf(stream)},"r":${r},"first":${i === 0},"complete":${i === chunks.length - 1},"items":[${items.join(',')}]}`),
      };
      this.snapshotCache.set(stream, cached);
    }
    const kind = streamKind(stream)!;
    for (const f of cached.frames) {
      s.send(f);
      this.stats.bytes.snapshot[kind] += f.length;
      this.stats.messages.snapshot[kind]++;
    }
    this.stats.items.snapshot[kind] += this.compiler.graph.streams.size(stream);
    s.have.set(stream, r);
  }

  private sendDelta(s: Session, stream: string, json: string, neighbours: number | undefined, items = 0): void {
    s.send(json);
    const kind = streamKind(stream)!;
    this.stats.bytes.delta[kind] += json.length;
    this.stats.messages.delta[kind]++;
    this.stats.items.delta[kind] += items;
    if (neighbours) {
      this.stats.neighbourUpdates += neighbours;
      this.stats.neighbourDeltaBytes += json.length;
    }
  }

  private sync(s: Session, r: number): void {
    s.sentRevision = Math.max(s.sentRevision, r);
    s.inflight.push(r);
    s.send(`{"t":"sync","r":${r}}`);
  }

  /** One compiler round to every host it concerns. */
  publish(round: Round): void {
    const r = round.revision;
    const subs = this.compiler.graph.subscriptions.subscribers;
    const touched = new Set<Session>();
    const record = this.options.recordDeliveries === true;
    const deliver = (host: string, stream: string, keys: string[]): void => {
      if (!record) return;
      let m = this.deliveries.get(host);
      if (!m) this.deliveries.set(host, (m = new Map()));
      m.set(stream, [...(m.get(stream) ?? []), ...keys]);
    };
    // Streams newly subscribed this round go out as snapshots at r, not as this round's delta.
    const live = (s: Session | undefined): s is Session => {
      if (s === undefined || !s.synced) return false;
      if (!s.paused && s.inflight.length >= MAX_INFLIGHT) {
        s.paused = true;
        this.stats.paused++;
      }
      return !s.paused;
    };
    const fresh = new Map<string, Set<string>>();
    for (const [host, ch] of round.subscriptions) {
      const s = this.sessionsByHost.get(host);
      if (!live(s)) continue;
      fresh.set(host, ch.added);
      for (const stream of ch.removed) {
        s.have.delete(stream);
        s.send(JSON.stringify({ t: 'unsub', s: stream }));
        deliver(host, stream, ['(unsub)']);
        touched.add(s);
      }
    }
    for (const [stream, ch] of round.streams) {
      const json = this.log.record(stream, r, ch.upserts, ch.deletes);
      const keys = record ? [...ch.upserts.keys(), ...[...ch.deletes].map((k) => `-${k}`)] : [];
      const items = ch.upserts.size + ch.deletes.size;
      let neighbours = 0;
      if (stream.startsWith('net/')) for (const k of ch.upserts.keys()) if (k.startsWith('e:')) neighbours++;
      const hosts: Iterable<string> = stream.startsWith('host/') ? [stream.slice(5)] : subs.get(stream) ?? [];
      const reached: string[] = [];
      for (const host of hosts) {
        const s = this.sessionsByHost.get(host);
        if (!s?.synced) continue;
        // A paused host hears of this round when it catches up, and its ack still counts.
        if (!live(s)) {
          reached.push(host);
          continue;
        }
        if (fresh.get(host)?.has(stream)) continue;
        this.sendDelta(s, stream, json, neighbours, items);
        s.have.set(stream, r);
        deliver(host, stream, keys);
        touched.add(s);
        reached.push(host);
      }
      const ports = round.entryPorts.get(stream);
      if (ports && reached.length > 0) this.readiness.converge(reached, r, this.triggerOf(ports, round));
    }
    for (const [host, added] of fresh) {
      const s = this.sessionsByHost.get(host)!;
      for (const stream of added) {
        this.snapshot(s, stream);
        deliver(host, stream, ['(snapshot)']);
        touched.add(s);
      }
    }
    // Readiness: each port written to its host waits for that host's ack of r.
    for (const [host, ports] of round.portsOut) {
      for (const p of ports) {
        if (this.compiler.portStatus.get(p) === 'ACTIVE') continue;
        const rev = round.portRevisions.get(p);
        this.readiness.wait(host, p, r, rev === undefined ? undefined : this.follower.commitTime(rev));
      }
    }
    const conns = new Set<Connection>();
    for (const s of touched) {
      this.sync(s, r);
      conns.add(s.conn);
    }
    for (const c of conns) c.flush();
  }

  /** host -> stream -> item keys sent since the last call (`-key` a delete; snapshots and unsubs named). */
  takeDeliveries(): Map<string, Map<string, string[]>> {
    const d = this.deliveries;
    this.deliveries = new Map();
    return d;
  }

  /** Every session has acked every sync it was sent and no status write is pending. */
  async quiet(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.follower.idle();
      const busy = [...this.sessionsByHost.values()].some((s) => !s.synced || s.paused || s.ackedRevision < s.sentRevision)
        || this.admission.length > 0 || this.compiler.revision < this.follower.notifiedRevision;
      if (!busy) {
        await this.statuses.drained();
        await this.follower.idle();
        if (![...this.sessionsByHost.values()].some((s) => s.ackedRevision < s.sentRevision)) return;
      }
      if (Date.now() > until) throw new Error('the southbound did not quiesce');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private triggerOf(ports: ReadonlySet<string>, round: Round): number | undefined {
    let t: number | undefined;
    for (const p of ports) {
      const rev = round.portRevisions.get(p);
      const at = rev === undefined ? undefined : this.follower.commitTime(rev);
      if (at !== undefined && (t === undefined || at < t)) t = at;
    }
    return t;
  }

  private ack(s: Session, revision: number, pending?: readonly string[]): void {
    if (revision > s.sentRevision) {
      this.refuse(s.conn, s.sid, { code: 'future-revision', message: `ack of revision ${revision}, but ${s.sentRevision} is the last sent` });
      return;
    }
    if (revision < s.ackedRevision) {
      this.refuse(s.conn, s.sid, { code: 'stale-revision', message: `ack of revision ${revision} after ${s.ackedRevision}` });
      return;
    }
    s.ackedRevision = revision;
    while (s.inflight.length > 0 && s.inflight[0] <= revision) s.inflight.shift();
    if (s.paused && s.inflight.length <= MAX_INFLIGHT / 2) {
      this.catchUp(s, false);
      s.conn.flush();
    }
    const bindings = this.compiler.graph.bindings;
    // A port whose device the host does not have yet stays DOWN until its `up`.
    const waiting = pending && pending.length > 0 ? new Set(pending) : undefined;
    for (const w of this.readiness.ack(s.host, revision)) {
      // A port that moved on since is no longer this host's to report.
      if (bindings.portHost.get(w.port) !== s.host) continue;
      if (waiting?.has(w.port)) this.statuses.queue({ id: w.port, status: 'DOWN', host: s.host });
      else this.statuses.queue({ id: w.port, status: 'ACTIVE', host: s.host }, w.trigger);
    }
  }

  private nack(s: Session, revision: number, error: string, ports?: readonly string[]): void {
    if (revision > s.sentRevision) {
      this.refuse(s.conn, s.sid, { code: 'future-revision', message: `nack of revision ${revision}, but ${s.sentRevision} is the last sent` });
      return;
    }
    const failed = new Set(this.readiness.fail(s.host, revision, ports).map((w) => w.port));
    // A port named by the host fails even when no round waits on it (a tap that appeared later).
    for (const p of ports ?? []) if (this.compiler.graph.bindings.portHost.get(p) === s.host) failed.add(p);
    this.logger.error({ host: s.host, revision, error, ports: [...failed] }, 'agent could not program goal state');
    for (const p of failed) this.statuses.queue({ id: p, status: 'ERROR', host: s.host });
  }

  private flushHeartbeats(): void {
    const beats: Array<{ host: string; agentType: string; at: number }> = [];
    for (const s of this.sessionsByHost.values()) {
      if (!s.beatPending) continue;
      s.beatPending = false;
      beats.push({ host: s.host, agentType: s.agentType, at: s.lastSeen });
    }
    this.log.prune();
    this.snapshotCache.clear();
    if (beats.length) this.port.heartbeats(beats).catch((err) => this.logger.error({ err }, 'heartbeat write failed'));
  }

  /** Idle hosts hear the current revision now and then (watch bookmarks). */
  private bookmarks(): void {
    const conns = new Set<Connection>();
    for (const s of this.sessionsByHost.values()) {
      if (!s.synced || s.sentRevision >= this.compiler.revision) continue;
      this.sync(s, this.compiler.revision);
      conns.add(s.conn);
    }
    for (const c of conns) c.flush();
  }

  /** Waits for queued status writes (tests and orderly shutdown). */
  drained(): Promise<void> {
    return this.statuses.drained();
  }

  async close(): Promise<void> {
    for (const t of [this.admissionTimer, this.heartbeatTimer, this.bookmarkTimer]) if (t) clearTimeout(t);
    this.statuses.close();
    await this.carrier.close();
  }
}

