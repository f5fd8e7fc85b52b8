/**
 * The agent's connection to the controller: one carrier channel shared by one or more host
 * sessions, a heartbeat per session, and reconnection with jittered exponential backoff (a
 * controller restart must not bring every host back in the same millisecond). After a reconnect
 * every session says hello again with its cursors and resumes.
 */
import type { Frame } from '../protocol/codec.js';
import { checkControllerMessage, decode, encode } from '../protocol/codec.js';
import type { AgentMessage, ControllerMessage } from '../protocol/messages.js';
import type { Channel, ClientCarrier } from '../protocol/transport.js';
import type { AgentLog, HostAgent } from './host-agent.js';

export interface LinkOptions {
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export class Link {
  private channel?: Channel;
  private readonly agents = new Map<number, HostAgent>();
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private attempt = 0;
  private beatMs = 0;
  private closed = false;
  private out: string[] = [];
  private scheduled = false;
  connects = 0;
  connected = false;

  constructor(
    private readonly carrier: ClientCarrier, private readonly url: string, private readonly log: AgentLog,
    private readonly options: LinkOptions = {},
  ) {}

  /** The sending side a host agent is built with. */
  sender(sid: number): (m: AgentMessage) => void {
    return (m) => this.queue(sid, m);
  }

  add(sid: number, agent: HostAgent): void {
    this.agents.set(sid, agent);
    agent.onLost = () => { if (this.connected) this.queue(sid, agent.hello()); };
    if (this.connected) this.queue(sid, agent.hello());
  }

  start(): void {
    this.connect();
  }

  private queue(sid: number, m: AgentMessage): void {
    this.out.push(encode(sid, m));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.channel || this.out.length === 0) return;
    const chunk = this.out.join('');
    this.out = [];
    this.channel.send(chunk);
  }

  private connect(): void {
    if (this.closed) return;
    const channel = this.carrier.connect(this.url);
    this.channel = channel;
    this.connects++;
    let heard = false;
    channel.onChunk((chunk) => {
      if (!heard) {
        heard = true;
        this.attempt = 0;
      }
      this.onChunk(chunk);
    });
    channel.onClose((err) => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.connected = false;
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      if (this.closed) return;
      const delay = this.backoff();
      this.log.warn({ controller: this.url, err: err?.message, retryMs: delay }, 'controller connection lost');
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
    this.connected = true;
    this.out = [];
    for (const [sid, agent] of this.agents) this.out.push(encode(sid, agent.hello()));
    this.flush();
    this.beatMs = this.heartbeatMs(Math.min(...[...this.agents.values()].map((a) => a.heartbeatSeconds), 30));
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.beatMs);
  }

  private heartbeatMs(seconds: number): number {
    return Math.max(200, seconds * 1000);
  }

  private heartbeat(): void {
    for (const sid of this.agents.keys()) this.queue(sid, { t: 'heartbeat' });
  }

  /** A welcome names the interval: beat at the shortest any session was told. */
  private retime(seconds: number): void {
    const ms = Math.min(this.beatMs, this.heartbeatMs(seconds));
    if (!this.heartbeatTimer || ms === this.beatMs) return;
    clearInterval(this.heartbeatTimer);
    this.beatMs = ms;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), ms);
  }

  /** Jittered exponential backoff: full jitter over [min, min * 2^attempt], capped. */
  private backoff(): number {
    const min = this.options.minBackoffMs ?? 250;
    const max = this.options.maxBackoffMs ?? 10_000;
    const ceiling = Math.min(max, min * 2 ** this.attempt++);
    return Math.round(min + Math.random() * (ceiling - min));
  }

  private rehello(sid: number): void {
    const delay = 1_000 + Math.random() * 4_000;
    setTimeout(() => {
      const agent = this.agents.get(sid);
      if (agent && this.connected && !this.closed) this.queue(sid, agent.hello());
    }, delay).unref();
  }

  private onChunk(chunk: Buffer): void {
    for (const f of decode<ControllerMessage>(chunk, checkControllerMessage)) {
      if ('error' in f) {
        this.log.error({ controller: this.url, session: f.session, err: f.error.message }, 'bad message from the controller');
        continue;
      }
      const agent = this.agents.get((f as Frame<ControllerMessage>).session);
      if (!agent) continue;
      agent.receive(f.message);
      // Refused (another live agent holds the host, say): try again later, jittered.
      if (f.message.t === 'error' && f.message.fatal) this.rehello(f.session);
      // A welcome tells the heartbeat interval: beat at once, then at that interval.
      if (f.message.t === 'welcome') {
        this.queue(f.session, { t: 'heartbeat' });
        this.retime(f.message.heartbeatSeconds);
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.flush();
    this.channel?.close();
    this.channel = undefined;
  }
}
