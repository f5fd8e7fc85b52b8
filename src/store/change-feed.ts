/**
 * The committed change log as the goal-state compiler reads it: a consistent snapshot to start
 * from, then every change after a revision, in order, each with its row as it is now (absent when
 * the row is gone). The compiler is level-triggered, so reading a row newer than its change is safe:
 * the later change finds nothing more to do. SQLite serves it from the `changes` table; PostgreSQL
 * will serve the same interface from its outbox read below an xid8 watermark.
 */
import type { Doc } from './store.js';

/** Resource kinds by their change-log name (a definition's `member`). */
export type ChangeKind = 'network' | 'subnet' | 'port' | 'security_group_rule' | 'agent' | 'router' | 'floatingip';

export const FED_KINDS: readonly ChangeKind[] = ['network', 'subnet', 'port', 'security_group_rule', 'agent', 'router', 'floatingip'];

export interface ChangedRow {
  readonly revision: number;
  readonly kind: string;
  readonly id: string;
  /** The row now; undefined when it no longer exists. */
  readonly doc?: Doc;
}

export interface FeedSnapshot {
  /** Every row of every fed kind as of this revision. */
  readonly revision: number;
  readonly rows: ReadonlyMap<ChangeKind, readonly Doc[]>;
}

export interface ChangeFeed {
  snapshot(): Promise<FeedSnapshot>;
  /** Changes with revision > `after`, oldest first, at most `limit`. */
  since(after: number, limit: number): Promise<ChangedRow[]>;
  close(): Promise<void>;
}
