/**
 * The embedded backend: SQLite in WAL mode. One writer connection runs group commit (every write
 * queued while a transaction is being built joins it, each in its own savepoint so one failure
 * rolls back only its own writes), and a second connection serves reads from the last commit, so
 * readers never see a group that has not committed yet.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { seenId } from '../../core/ids.js';
import type { ResourceDef } from '../../model/resource.js';
import type {
  AutoAllocatedTopology, Condition, Doc, IpAllocation, ListQuery, RawDoc, ReadTx, Segment, SegmentPool, Store, StoreStats, WriteTx,
} from '../store.js';
import { UniqueViolation, networkSegment } from '../store.js';
import { bindable, buildList, sqlLimit, whereConditions } from './list-query.js';
import { MIGRATIONS } from './schema.js';
import { keyId, poolKey, segmentKey } from './segment-key.js';
import { WriterCache } from './writer-cache.js';
import { publicJson, storedJson } from './stored-json.js';

export interface SqliteOptions {
  /** Directory for alcor.db; ':memory:' is not supported because reads use a second connection. */
  readonly dataDir: string;
  /** FULL survives power loss; NORMAL survives a crash of the process. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * Reads only, from a database another connection (the writer thread's) has created and migrated:
   * WAL lets it read the last commit while that writer works.
   */
  readonly readOnly?: boolean;
  /**
   * Called after every group commit that wrote change-log rows, with the highest revision it
   * wrote: the goal-state feed learns what to read without polling.
   */
  readonly onCommit?: (lastRevision: number) => void;
}

type Db = Database.Database;
type Statement = Database.Statement;

/**
 * Jobs per commit. Larger groups share more index pages per commit, but a group is answered only
 * when it commits: capped, replies flow while the next group is built, so the request thread and
 * the writer thread work at the same time instead of in turns (measured with create_and_list_ports:
 * 64 and unlimited both did worse than 256).
 */
const MAX_GROUP = 256;

const TABLES = ['networks', 'subnets', 'ports', 'security_groups', 'security_group_rules', 'routers', 'subnetpools', 'floatingips', 'agents', 'address_scopes'];

class Statements {
  private readonly cache = new Map<string, Statement>();
  constructor(private readonly db: Db, private readonly stats: StoreStats) {}

  prepare(sql: string): Statement {
    this.stats.statements++;
    let stmt = this.cache.get(sql);
    if (!stmt) {
      // Lists with many IN values make distinct texts; keep the cache bounded.
      if (this.cache.size > 1000) this.cache.clear();
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

function columnValues(def: ResourceDef, doc: Doc, publicLength: number | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [attr, column] of Object.entries(def.columns)) out[column] = bindable(doc[attr]);
  if (def.collection === 'networks') {
    out.segmentation_id = doc['provider:segmentation_id'] ?? null;
    const segment = networkSegment(doc);
    out.segment = segment === undefined ? null : segmentKey(segment);
  }
  if (def.adminRead) out.public_len = publicLength;
  return out;
}

function translate(err: unknown): never {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    throw new UniqueViolation(e.message ?? 'unique');
  }
  throw err;
}

/** Change-log rows written; `last` is the highest revision written in the group being built (0: none). */
interface ChangeCounter {
  count: number;
  last: number;
}

class SqliteTx implements WriteTx {
  /** `cache` only on the writer's connection: nothing else writes, so nothing can make it stale. */
  constructor(private readonly st: Statements, private readonly changes: ChangeCounter, private readonly cache?: WriterCache) {}

  async get(def: ResourceDef, id: string): Promise<Doc | undefined> {
    const cacheable = this.cache !== undefined && WriterCache.caches(def);
    let json = cacheable ? this.cache!.getDoc(def, id) : undefined;
    if (json === undefined) {
      json = this.st.prepare(`SELECT doc FROM ${def.collection} WHERE id = ?`).pluck().get(id) as string | undefined;
      if (json !== undefined && cacheable) this.cache!.putDoc(def, id, json);
    }
    return json === undefined ? undefined : (JSON.parse(json) as Doc);
  }

  async list(def: ResourceDef, query: ListQuery): Promise<Doc[]> {
    const key = this.cache ? WriterCache.listKey(def, query) : undefined;
    let rows = key === undefined ? undefined : this.cache!.getList(def, key);
    if (rows === undefined) {
      const sql = buildList(def, query);
      rows = this.st.prepare(sql.text).pluck().all(...sql.params) as string[];
      if (key !== undefined) this.cache!.putList(def, key, rows);
    }
    return rows.map((d) => JSON.parse(d) as Doc);
  }

  async listRaw(def: ResourceDef, query: ListQuery, omit: readonly string[] = []): Promise<RawDoc[]> {
    if (omit.length === 0) {
      const sql = buildList(def, query, 'id, doc AS json');
      return this.st.prepare(sql.text).all(...sql.params) as RawDoc[];
    }
    // json_remove runs in SQLite's C, and keeps the order of the remaining keys.
    const removed = `json_remove(doc, ${omit.map((a) => `'$."${a.replace(/["'\\]/g, '')}"'`).join(', ')})`;
    const cuttable = def.adminRead !== undefined && omit.every((a) => def.adminRead!.includes(a));
    if (!cuttable) {
      const sql = buildList(def, query, `id, ${removed} AS json`);
      return this.st.prepare(sql.text).all(...sql.params) as RawDoc[];
    }
    // Rows written before schema v5 have no public_len: those take json_remove.
    const sql = buildList(def, query, `id, doc, public_len, CASE WHEN public_len IS NULL THEN ${removed} END AS legacy`);
    const rows = this.st.prepare(sql.text).all(...sql.params) as Array<{ id: string; doc: string; public_len: number | null; legacy: string | null }>;
    return rows.map((r) => ({ id: r.id, json: r.legacy ?? publicJson(r.doc, r.public_len!) }));
  }

  async count(def: ResourceDef, conditions: readonly Condition[]): Promise<number> {
    const params: unknown[] = [];
    const where = whereConditions(def, conditions, params);
    const text = `SELECT count(*) FROM ${def.collection}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    return this.st.prepare(text).pluck().get(...params) as number;
  }

  async ipHolder(subnetId: string, ipKey: string): Promise<string | undefined> {
    return this.st.prepare('SELECT port_id FROM ip_allocations WHERE subnet_id = ? AND ip_key = ?')
      .pluck().get(subnetId, ipKey) as string | undefined;
  }

  async allocatedKeys(subnetId: string, fromKey: string, toKey: string, limit: number): Promise<string[]> {
    return this.st.prepare(
      `SELECT ip_key FROM ip_allocations WHERE subnet_id = ? AND ip_key >= ? AND ip_key <= ? ORDER BY ip_key LIMIT ${sqlLimit(limit)}`,
    ).pluck().all(subnetId, fromKey, toKey) as string[];
  }

  async countIps(subnetId: string): Promise<number> {
    return this.st.prepare('SELECT count(*) FROM ip_allocations WHERE subnet_id = ?').pluck().get(subnetId) as number;
  }

  async countIpsBySubnet(subnetIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (subnetIds.length === 0) return out;
    // One statement whatever the count (json_each), each subnet a range of the primary key.
    const rows = this.st.prepare(
      'SELECT subnet_id AS id, count(*) AS n FROM ip_allocations WHERE subnet_id IN (SELECT value FROM json_each(?)) GROUP BY subnet_id',
    ).all(JSON.stringify(subnetIds)) as Array<{ id: string; n: number }>;
    for (const r of rows) out.set(r.id, r.n);
    return out;
  }

  async networkZones(networkIds: readonly string[]): Promise<Array<{ networkId: string; zone: string }>> {
    return (await this.portZones('network_id', networkIds)).map(({ id, zone }) => ({ networkId: id, zone }));
  }

  async deviceZones(deviceIds: readonly string[]): Promise<Array<{ deviceId: string; zone: string }>> {
    return (await this.portZones('device_id', deviceIds)).map(({ id, zone }) => ({ deviceId: id, zone }));
  }

  /** The distinct (key, zone) pairs of bound ports whose `column` is one of `ids`: their agents' zones. */
  private async portZones(column: 'network_id' | 'device_id', ids: readonly string[]): Promise<Array<{ id: string; zone: string }>> {
    if (ids.length === 0) return [];
    return this.st.prepare(
      `SELECT DISTINCT p.${column} AS id, json_extract(a.doc, '$.availability_zone') AS zone
         FROM ports p JOIN agents a ON a.host = p.host_id
        WHERE p.${column} IN (SELECT value FROM json_each(?)) AND p.host_id != ''
          AND json_extract(a.doc, '$.availability_zone') IS NOT NULL
          AND json_extract(a.doc, '$.availability_zone') != ''
        ORDER BY 1, 2`,
    ).all(JSON.stringify(ids)) as Array<{ id: string; zone: string }>;
  }

  async macInUse(networkId: string, mac: string): Promise<boolean> {
    return this.st.prepare('SELECT 1 FROM ports WHERE network_id = ? AND mac_address = ?').get(networkId, mac) !== undefined;
  }

  async segmentInUse(segment: Segment): Promise<boolean> {
    return this.st.prepare('SELECT 1 FROM networks WHERE segment = ?').get(segmentKey(segment)) !== undefined;
  }

  async usedSegments(pool: SegmentPool, from: number, to: number, limit: number): Promise<number[]> {
    // A range of the unique index; the length check drops keys of a physical network whose name
    // continues this one's (vlan:a:0150:0007 sorts inside vlan:a:0100 .. vlan:a:0199).
    const keys = this.st.prepare(
      `SELECT segment FROM networks WHERE segment BETWEEN @from AND @to AND length(segment) = length(@from) ORDER BY segment LIMIT ${sqlLimit(limit)}`,
    ).pluck().all({ from: poolKey(pool, from), to: poolKey(pool, to) }) as string[];
    return keys.map(keyId);
  }

  async portsUsingSecurityGroup(securityGroupId: string): Promise<number> {
    return this.st.prepare('SELECT count(*) FROM port_security_groups WHERE security_group_id = ?')
      .pluck().get(securityGroupId) as number;
  }

  async defaultSecurityGroup(projectId: string): Promise<string | undefined> {
    return this.st.prepare('SELECT security_group_id FROM default_security_groups WHERE project_id = ?')
      .pluck().get(projectId) as string | undefined;
  }

  async autoAllocatedTopology(projectId: string): Promise<AutoAllocatedTopology | undefined> {
    const row = this.st.prepare('SELECT network_id, router_id FROM auto_allocated_topologies WHERE project_id = ?')
      .get(projectId) as { network_id: string; router_id: string | null } | undefined;
    return row && { networkId: row.network_id, routerId: row.router_id };
  }

  async quotaUsage(projectId: string): Promise<Record<string, number>> {
    const rows = this.st.prepare('SELECT resource, in_use FROM quota_usages WHERE project_id = ?').all(projectId) as Array<{ resource: string; in_use: number }>;
    return Object.fromEntries(rows.map((r) => [r.resource, r.in_use]));
  }

  async quotaState(projectId: string, resource: string): Promise<{ used: number; limit?: number }> {
    const row = this.st.prepare(
      `SELECT (SELECT in_use FROM quota_usages WHERE project_id = @p AND resource = @r) AS used,
              (SELECT "limit" FROM quota_limits WHERE project_id = @p AND resource = @r) AS lim`,
    ).get({ p: projectId, r: resource }) as { used: number | null; lim: number | null };
    return row.lim === null ? { used: row.used ?? 0 } : { used: row.used ?? 0, limit: row.lim };
  }

  async quotaLimits(projectId?: string): Promise<Map<string, Record<string, number>>> {
    const rows = (projectId === undefined
      ? this.st.prepare('SELECT project_id, resource, "limit" AS lim FROM quota_limits ORDER BY project_id').all()
      : this.st.prepare('SELECT project_id, resource, "limit" AS lim FROM quota_limits WHERE project_id = ?').all(projectId)
    ) as Array<{ project_id: string; resource: string; lim: number }>;
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) {
      let limits = out.get(r.project_id);
      if (!limits) out.set(r.project_id, (limits = {}));
      limits[r.resource] = r.lim;
    }
    return out;
  }

  async setQuotaLimit(projectId: string, resource: string, limit: number): Promise<void> {
    this.st.prepare(
      'INSERT INTO quota_limits (project_id, resource, "limit") VALUES (?, ?, ?) ON CONFLICT (project_id, resource) DO UPDATE SET "limit" = excluded."limit"',
    ).run(projectId, resource, limit);
  }

  async deleteQuotaLimits(projectId: string): Promise<number> {
    return this.st.prepare('DELETE FROM quota_limits WHERE project_id = ?').run(projectId).changes;
  }

  /** Usage of a project-owned kind moves with its rows, in the same transaction. */
  private countUsage(def: ResourceDef, projectId: unknown, delta: 1 | -1): void {
    if (def.standardAttributes === false || typeof projectId !== 'string') return;
    this.st.prepare(
      'INSERT INTO quota_usages (project_id, resource, in_use) VALUES (?, ?, ?) ON CONFLICT (project_id, resource) DO UPDATE SET in_use = in_use + excluded.in_use',
    ).run(projectId, def.member, delta);
  }

  private logChange(def: ResourceDef, id: string, op: string, projectId: unknown): void {
    const { lastInsertRowid } = this.st.prepare('INSERT INTO changes (kind, resource_id, op, project_id) VALUES (?, ?, ?, ?)')
      .run(def.member, id, op, typeof projectId === 'string' ? projectId : null);
    this.changes.count++;
    this.changes.last = Math.max(this.changes.last, Number(lastInsertRowid));
  }

  async insert(def: ResourceDef, doc: Doc): Promise<void> {
    const { json, publicLength } = storedJson(def, doc);
    const cols = columnValues(def, doc, publicLength);
    const names = Object.keys(cols);
    const unique = [...new Set(names)];
    const text = `INSERT INTO ${def.collection} (${unique.join(', ')}, doc) VALUES (${unique.map(() => '?').join(', ')}, ?)`;
    try {
      this.st.prepare(text).run(...unique.map((n) => cols[n]), json);
    } catch (err) {
      translate(err);
    }
    this.cache?.written(def, doc.id, json);
    this.countUsage(def, doc.project_id, 1);
    this.logChange(def, doc.id, 'create', doc.project_id);
  }

  async update(def: ResourceDef, doc: Doc): Promise<void> {
    const { json, publicLength } = storedJson(def, doc);
    const cols = columnValues(def, doc, publicLength);
    const names = [...new Set(Object.keys(cols))].filter((n) => n !== 'id');
    const text = `UPDATE ${def.collection} SET ${names.map((n) => `${n} = ?`).join(', ')}, doc = ? WHERE id = ?`;
    try {
      this.st.prepare(text).run(...names.map((n) => cols[n]), json, doc.id);
    } catch (err) {
      translate(err);
    }
    this.cache?.written(def, doc.id, json);
    this.logChange(def, doc.id, 'update', doc.project_id);
  }

  async delete(def: ResourceDef, id: string): Promise<void> {
    // A table without projects (agents) returns NULL for a deleted row, nothing for a missing one.
    const project = def.standardAttributes === false ? 'NULL' : 'project_id';
    const projectId = this.st.prepare(`DELETE FROM ${def.collection} WHERE id = ? RETURNING ${project}`).pluck().get(id);
    this.cache?.written(def, id, undefined);
    if (projectId !== undefined) {
      this.countUsage(def, projectId, -1);
      this.logChange(def, id, 'delete', projectId);
    }
  }

  async addIp(a: IpAllocation): Promise<void> {
    try {
      this.st.prepare(
        'INSERT INTO ip_allocations (subnet_id, ip_key, ip_address, port_id, network_id) VALUES (?, ?, ?, ?, ?)',
      ).run(a.subnetId, a.ipKey, a.ipAddress, a.portId, a.networkId);
    } catch (err) {
      translate(err);
    }
  }

  async removeIps(portId: string): Promise<void> {
    this.st.prepare('DELETE FROM ip_allocations WHERE port_id = ?').run(portId);
  }

  async setPortSecurityGroups(portId: string, securityGroupIds: readonly string[]): Promise<void> {
    this.st.prepare('DELETE FROM port_security_groups WHERE port_id = ?').run(portId);
    const ins = this.st.prepare('INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)');
    for (const sg of securityGroupIds) ins.run(portId, sg);
  }

  async setDefaultSecurityGroup(projectId: string, securityGroupId: string | null): Promise<void> {
    if (securityGroupId === null) {
      this.st.prepare('DELETE FROM default_security_groups WHERE project_id = ?').run(projectId);
      return;
    }
    try {
      this.st.prepare('INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)')
        .run(projectId, securityGroupId);
    } catch (err) {
      translate(err);
    }
  }

  async setAutoAllocatedTopology(projectId: string, topology: AutoAllocatedTopology | null): Promise<void> {
    if (topology === null) {
      this.st.prepare('DELETE FROM auto_allocated_topologies WHERE project_id = ?').run(projectId);
      return;
    }
    try {
      this.st.prepare('INSERT INTO auto_allocated_topologies (project_id, network_id, router_id) VALUES (?, ?, ?)')
        .run(projectId, topology.networkId, topology.routerId);
    } catch (err) {
      translate(err);
    }
  }

  async touchAgent(agentType: string, host: string, heartbeat: string): Promise<boolean> {
    const found = this.st.prepare('SELECT 1 FROM agents WHERE agent_type = ? AND host = ?').get(agentType, host) !== undefined;
    if (found) {
      this.st.prepare(
        `UPDATE agents SET doc = json_set(doc, '$.heartbeat_timestamp', ?)
         WHERE agent_type = ? AND host = ? AND json_extract(doc, '$.heartbeat_timestamp') < ?`,
      ).run(heartbeat, agentType, host, heartbeat);
    }
    return found;
  }
}

interface Job {
  fn: (tx: WriteTx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

function open(path: string, synchronous: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}

export class SqliteStore implements Store {
  readonly stats: StoreStats = { statements: 0, transactions: 0, commits: 0 };
  private readonly writer?: Db;
  private readonly reader: Db;
  private readonly writeTx?: SqliteTx;
  private readonly readTx: SqliteTx;
  private queue: Job[] = [];
  private flushing = false;
  private closed = false;
  private readonly changes: ChangeCounter = { count: 0, last: 0 };
  private readonly onCommit?: (lastRevision: number) => void;
  private readonly cache = new WriterCache();
  private readonly txControl?: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit', Statement>;

  constructor(opts: SqliteOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.onCommit = opts.onCommit;
    const path = join(opts.dataDir, 'alcor.db');
    if (!opts.readOnly) {
      this.writer = open(path, opts.synchronous ?? 'FULL');
      migrate(this.writer);
      // The id counter goes on from the largest id in use (see core/ids.ts).
      for (const table of TABLES) {
        const row = this.writer.prepare(`SELECT max(id) AS id FROM ${table}`).get() as { id: string | null } | undefined;
        if (row?.id) seenId(row.id);
      }
      this.writeTx = new SqliteTx(new Statements(this.writer, this.stats), this.changes, this.cache);
      this.txControl = {
        begin: this.writer.prepare('BEGIN IMMEDIATE'),
        savepoint: this.writer.prepare('SAVEPOINT job'),
        release: this.writer.prepare('RELEASE job'),
        rollbackTo: this.writer.prepare('ROLLBACK TO job'),
        commit: this.writer.prepare('COMMIT'),
      };
    }
    this.reader = open(path, opts.synchronous ?? 'FULL');
    this.readTx = new SqliteTx(new Statements(this.reader, this.stats), this.changes);
  }

  async read<T>(fn: (tx: ReadTx) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    return fn(this.readTx);
  }

  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (!this.writer) return Promise.reject(new Error('this store was opened read-only; its writer is another thread'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Yield to I/O once so that requests arriving together share one commit.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const writer = this.writer!;
    const writeTx = this.writeTx!;
    while (this.queue.length > 0) {
      const jobs = this.queue.splice(0, MAX_GROUP);
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      const c = this.txControl!;
      c.begin.run();
      this.changes.last = 0;
      for (const job of jobs) {
        this.stats.transactions++;
        c.savepoint.run();
        // A rolled-back job's change rows are gone (and their revisions free again).
        const lastBefore = this.changes.last;
        try {
          const value = await job.fn(writeTx);
          c.release.run();
          outcomes.push({ ok: true, value });
        } catch (err) {
          c.rollbackTo.run();
          c.release.run();
          this.cache.clear();
          this.changes.last = lastBefore;
          outcomes.push({ ok: false, value: err });
        }
      }
      try {
        c.commit.run();
        this.stats.commits++;
      } catch (err) {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        this.cache.clear();
        for (const job of jobs) job.reject(err);
        continue;
      }
      // Before the answers: whoever hears of a write's reply may already rely on the feed knowing it.
      if (this.changes.last > 0 && this.onCommit) {
        try {
          this.onCommit(this.changes.last);
        } catch {
          // A listener's failure is the listener's: the group has committed.
        }
      }
      jobs.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].value) : job.reject(outcomes[i].value)));
    }
    this.flushing = false;
  }

  async revision(): Promise<number> {
    return (this.reader.prepare('SELECT coalesce(max(revision), 0) FROM changes').pluck().get() as number);
  }

  async rowCount(): Promise<number> {
    let total = 0;
    for (const t of TABLES) total += this.reader.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    return total;
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
    this.reader.close();
    this.writer?.close();
  }
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const current = (db.prepare('SELECT max(version) FROM schema_version').pluck().get() as number | null) ?? 0;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
    })();
  }
}
