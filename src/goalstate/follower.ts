/**
 * Follows the committed change log: told of each commit (never from inside a request's
 * transaction), it reads what is new and runs one compiler round per batch, coalescing commits
 * that arrive while a round is running. It keeps each commit's time, so readiness can measure from
 * the moment a bind committed.
 */
import type { ChangeFeed, ChangedRow, FeedSnapshot } from '../store/change-feed.js';
import type { Compiler, Round } from './compiler.js';

const BATCH = 5_000;
/**
 * Rounds start at most this often under load (Typha batches ~10 ms): a round costs every host it
 * touches a sync and an ack, so a burst of commits must make few rounds, not one each. After a
 * quiet spell the first commit is compiled at once.
 */
export const ROUND_INTERVAL_MS = 10;
const KEPT_COMMITS = 200_000;

/** Another reader of the same rows (Nova's notifier): given the snapshot, then every batch after the compiler. */
export interface FeedObserver {
  load(snapshot: FeedSnapshot): void;
  apply(rows: readonly ChangedRow[]): void;
}

export class Follower {
  private readonly observers: FeedObserver[] = [];
  private notified = 0;
  private running = false;
  private closed = false;
  private readonly commitRevisions: number[] = [];
  private readonly commitTimes: number[] = [];
  private idleWaiters: Array<() => void> = [];
  private lastRound = 0;
  /** Time in compiler rounds and in handing them out, ms: both are synchronous, so this is their CPU. */
  compileMs = 0;
  publishMs = 0;

  constructor(
    private readonly feed: ChangeFeed, readonly compiler: Compiler,
    private readonly onRound: (round: Round) => void, private readonly onError: (err: unknown) => void,
    private readonly intervalMs = ROUND_INTERVAL_MS,
  ) {}

  /** Before start(): observers see the snapshot the compiler starts from. */
  observe(observer: FeedObserver): void {
    this.observers.push(observer);
  }

  async start(): Promise<void> {
    const snapshot = await this.feed.snapshot();
    this.compiler.load(snapshot);
    for (const o of this.observers) o.load(snapshot);
    this.notified = this.compiler.revision;
  }

  /** A commit reached the log up to `revision` at time `at` (epoch ms). */
  committed(revision: number, at: number): void {
    if (revision <= this.notified) return;
    this.notified = revision;
    this.commitRevisions.push(revision);
    this.commitTimes.push(at);
    if (this.commitRevisions.length > KEPT_COMMITS * 1.5) {
      this.commitRevisions.splice(0, this.commitRevisions.length - KEPT_COMMITS);
      this.commitTimes.splice(0, this.commitTimes.length - KEPT_COMMITS);
    }
    if (!this.running) void this.drain();
  }

  get notifiedRevision(): number {
    return this.notified;
  }

  /** When the commit holding change `revision` happened (the first commit at or past it). */
  commitTime(revision: number): number | undefined {
    const a = this.commitRevisions;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length ? this.commitTimes[lo] : undefined;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      // Yield once so that commits landing together make one round.
      await new Promise((r) => setImmediate(r));
      while (!this.closed && this.compiler.revision < this.notified) {
        const wait = this.lastRound + this.intervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.lastRound = performance.now();
        // Only what has been notified: a row the writer committed a moment ago, whose notice is
        // still on its way, has no commit time yet (its round comes with that notice).
        const rows = (await this.feed.since(this.compiler.revision, BATCH)).filter((r) => r.revision <= this.notified);
        if (rows.length === 0) break;
        const t0 = performance.now();
        const round = this.compiler.apply(rows);
        const t1 = performance.now();
        this.onRound(round);
        for (const o of this.observers) {
          // An observer's failure is its own: goal state goes on.
          try {
            o.apply(rows);
          } catch (err) {
            this.onError(err);
          }
        }
        this.compileMs += t1 - t0;
        this.publishMs += performance.now() - t1;
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
      if (!this.closed && this.compiler.revision < this.notified) void this.drain();
      else for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once every notified commit has been compiled (tests wait on it). */
  idle(): Promise<void> {
    if (!this.running && this.compiler.revision >= this.notified) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.feed.close();
  }
}
