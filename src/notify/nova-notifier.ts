/**
 * Sends Nova its external events (POST /os-server-external-events) in batches, as Neutron's
 * BatchNotifier does: the first event of a quiet spell opens a window, and everything queued by its
 * end goes in one request. Neutron's window is 2 s (send_events_interval); ours is shorter by
 * default, measured in docs/performance.md. Sending never blocks a request (events come from the
 * change log after commit); Nova's refusals are logged, never retried forever, never thrown.
 */
import type { Logger } from 'pino';
import { request } from 'undici';
import type { ServiceSession } from '../identity/service-session.js';
import type { NovaEvent } from './nova-events.js';

export interface NovaNotifierOptions {
  readonly session: ServiceSession;
  /** The catalog's interface and region to find Nova at. */
  readonly interface: string;
  readonly region?: string;
  readonly windowMs: number;
  readonly logger: Logger;
  readonly timeoutMs?: number;
}

export interface NovaNotifierStats {
  batches: number;
  events: number;
  /** Events Nova answered with a code other than 200 (no such server, no such instance action...). */
  refused: number;
  /** Batches that did not reach Nova or that it refused whole. */
  failed: number;
  /** When Nova last answered (performance.now()), for measuring. */
  lastAnsweredAt: number;
}

export class NovaNotifier {
  private queue: NovaEvent[] = [];
  private timer?: NodeJS.Timeout;
  private sending = Promise.resolve();
  private closed = false;
  readonly stats: NovaNotifierStats = { batches: 0, events: 0, refused: 0, failed: 0, lastAnsweredAt: 0 };

  constructor(private readonly o: NovaNotifierOptions) {}

  queueEvents(events: readonly NovaEvent[]): void {
    if (this.closed || events.length === 0) return;
    this.queue.push(...events);
    this.timer ??= setTimeout(() => this.flush(), this.o.windowMs);
  }

  /** Sends what is queued now (the window's end, or a close). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = dedupe(this.queue.splice(0));
    if (batch.length === 0) return this.sending;
    // One request at a time, in order: a port's plugged event never overtakes its unplugged one.
    this.sending = this.sending.then(() => this.send(batch));
    return this.sending;
  }

  private async send(events: NovaEvent[], retried = false): Promise<void> {
    const log = this.o.logger;
    this.stats.batches++;
    this.stats.events += events.length;
    try {
      const url = `${await this.o.session.endpoint('compute', this.o.interface, this.o.region)}/os-server-external-events`;
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-auth-token': await this.o.session.token() },
        body: JSON.stringify({ events }),
        headersTimeout: this.o.timeoutMs ?? 10_000,
        bodyTimeout: this.o.timeoutMs ?? 10_000,
      });
      const text = await res.body.text();
      this.stats.lastAnsweredAt = performance.now();
      if (res.statusCode === 401 && !retried) {
        this.o.session.invalidate();
        this.stats.batches--;
        this.stats.events -= events.length;
        return this.send(events, true);
      }
      if (res.statusCode === 404) {
        // Nova's answer when none of the servers exist (deleted meanwhile): nothing to do.
        this.stats.refused += events.length;
        log.debug({ events }, 'Nova has none of these servers');
        return;
      }
      if (res.statusCode !== 200 && res.statusCode !== 207) {
        this.stats.failed++;
        log.error({ status: res.statusCode, body: text.slice(0, 500), events }, 'Nova refused the events');
        return;
      }
      const answered = (JSON.parse(text) as { events?: Array<NovaEvent & { code?: number }> }).events ?? [];
      for (const e of answered) {
        if (e.code === 200) log.info({ event: e }, 'Nova event');
        else {
          this.stats.refused++;
          log.warn({ event: e }, 'Nova event returned with a failed status');
        }
      }
    } catch (err) {
      this.stats.failed++;
      log.error({ err, events }, 'could not send Nova its events');
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}

/**
 * An event repeating the last one of its port in the batch is dropped (a port updated twice in the
 * window); a plugged after an unplugged is kept, so the batch still ends where the port is.
 */
function dedupe(events: NovaEvent[]): NovaEvent[] {
  const last = new Map<string, string>();
  return events.filter((e) => {
    const k = `${e.name}|${e.server_uuid}|${e.status ?? ''}`;
    if (last.get(e.tag) === k) return false;
    last.set(e.tag, k);
    return true;
  });
}
