/**
 * A connection carries one or more host sessions (one for a real agent, thousands for the
 * simulator). Frames for a connection are gathered during a round and leave as few chunks, so a
 * message shared by a thousand hosts costs a thousand string references, not a thousand encodings.
 */
import { frame } from '../protocol/codec.js';
import type { Channel } from '../protocol/transport.js';

/** Chunks stay well under the carrier's message limit. */
const CHUNK_BYTES = 1024 * 1024;

export class Connection {
  readonly sessions = new Map<number, Session>();
  private out: string[] = [];
  private outBytes = 0;
  private scheduled = false;

  constructor(readonly channel: Channel) {}

  queue(session: number, json: string): void {
    const f = frame(session, json);
    this.out.push(f);
    this.outBytes += f.length;
    if (this.outBytes >= CHUNK_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.out.length === 0) return;
    const chunk = this.out.join('');
    this.out = [];
    this.outBytes = 0;
    this.channel.send(chunk);
  }
}

export class Session {
  agentId = '';
  /** In sync: takes each round's deltas. False while a snapshot waits for admission. */
  synced = false;
  /** The last revision a sync told it; an ack past it is from the future. */
  sentRevision = 0;
  ackedRevision = 0;
  lastSeen = Date.now();
  beatPending = false;
  /**
   * The revision of each stream as this host has been sent it: its hello's cursors at first, then
   * each snapshot or delta; an unsub removes the stream. A host caught up later resumes from here.
   */
  readonly have: Map<string, number>;
  /** Syncs sent and not yet acked (their revisions, oldest first). */
  readonly inflight: number[] = [];
  /** Too far behind on acks: rounds skip it until it catches up from the history. */
  paused = false;

  constructor(
    readonly conn: Connection, readonly sid: number, readonly host: string,
    readonly agentType: string, cursors: Readonly<Record<string, number>>,
  ) {
    this.have = new Map(Object.entries(cursors));
  }

  send(json: string): void {
    this.conn.queue(this.sid, json);
  }
}
