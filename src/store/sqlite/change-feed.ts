/**
 * The change feed over SQLite: its own read-only connection (WAL: it sees every commit without
 * blocking the writer), one query per batch joining each change to its row.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ChangeFeed, ChangeKind, ChangedRow, FeedSnapshot } from '../change-feed.js';
import { FED_KINDS } from '../change-feed.js';
import type { Doc } from '../store.js';

const TABLE: Record<ChangeKind, string> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  security_group_rule: 'security_group_rules',
  agent: 'agents',
  router: 'routers',
  floatingip: 'floatingips',
};

export class SqliteChangeFeed implements ChangeFeed {
  private readonly db: Database.Database;
  private readonly sinceStmt: Database.Statement;

  constructor(dataDir: string) {
    this.db = new Database(join(dataDir, 'alcor.db'), { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    const joins = FED_KINDS.map((k, i) => `LEFT JOIN ${TABLE[k]} t${i} ON c.kind = '${k}' AND t${i}.id = c.resource_id`).join(' ');
    const doc = `coalesce(${FED_KINDS.map((_, i) => `t${i}.doc`).join(', ')})`;
    this.sinceStmt = this.db.prepare(
      `SELECT c.revision AS revision, c.kind AS kind, c.resource_id AS id, ${doc} AS doc
       FROM changes c ${joins} WHERE c.revision > ? ORDER BY c.revision LIMIT ?`,
    );
  }

  async snapshot(): Promise<FeedSnapshot> {
    // One read transaction: the rows and the revision are of the same commit.
    return this.db.transaction(() => {
      const revision = this.db.prepare('SELECT coalesce(max(revision), 0) FROM changes').pluck().get() as number;
      const rows = new Map<ChangeKind, Doc[]>();
      for (const kind of FED_KINDS) {
        const docs = this.db.prepare(`SELECT doc FROM ${TABLE[kind]}`).pluck().all() as string[];
        rows.set(kind, docs.map((d) => JSON.parse(d) as Doc));
      }
      return { revision, rows };
    }).deferred();
  }

  async since(after: number, limit: number): Promise<ChangedRow[]> {
    const rows = this.sinceStmt.all(after, limit) as Array<{ revision: number; kind: string; id: string; doc: string | null }>;
    return rows.map((r) => ({ revision: r.revision, kind: r.kind, id: r.id, doc: r.doc === null ? undefined : (JSON.parse(r.doc) as Doc) }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
