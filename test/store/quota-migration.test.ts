/**
 * The quota schema: a database made before it upgrades in place, its usage backfilled from the
 * rows already stored, then kept by every insert and delete (a rolled-back write leaves it as it was).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import * as defs from '../../src/model/definitions.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** The migration that brought quotas: every one before it makes the old database. */
const QUOTAS = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE quota_usages'));

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-quotas-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('schema: quota usage and limits', () => {
  it('an old database upgrades with its usage counted from its rows, then kept by inserts and deletes', () => withDir(async (dir) => {
    assert.ok(QUOTAS > 0);
    const old = new Database(join(dir, 'alcor.db'));
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (let v = 0; v < QUOTAS; v++) {
      old.exec(MIGRATIONS[v]);
      old.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
    }
    const doc = (id: string, project: string) => JSON.stringify({ id, project_id: project, tenant_id: project });
    const net = old.prepare("INSERT INTO networks (id, project_id, name, shared, external, doc) VALUES (?, ?, '', 0, 0, ?)");
    const port = old.prepare("INSERT INTO ports (id, project_id, name, network_id, device_id, device_owner, mac_address, host_id, doc) VALUES (?, ?, '', ?, '', '', ?, '', ?)");
    const group = old.prepare("INSERT INTO security_groups (id, project_id, name, doc) VALUES (?, ?, 'default', ?)");
    const rule = old.prepare('INSERT INTO security_group_rules (id, project_id, security_group_id, doc) VALUES (?, ?, ?, ?)');
    net.run('n1', 'a', doc('n1', 'a'));
    net.run('n2', 'a', doc('n2', 'a'));
    net.run('n3', 'b', doc('n3', 'b'));
    for (let i = 0; i < 5; i++) port.run(`pa${i}`, 'a', 'n1', `fa:16:3e:00:00:0${i}`, doc(`pa${i}`, 'a'));
    port.run('pb0', 'b', 'n3', 'fa:16:3e:00:01:00', doc('pb0', 'b'));
    group.run('sa', 'a', doc('sa', 'a'));
    for (let i = 0; i < 4; i++) rule.run(`ra${i}`, 'a', 'sa', doc(`ra${i}`, 'a'));
    old.close();

    const store = new SqliteStore({ dataDir: dir });
    try {
      const raw = new Database(join(dir, 'alcor.db'), { readonly: true });
      assert.equal(raw.prepare('SELECT max(version) FROM schema_version').pluck().get(), MIGRATIONS.length);
      raw.close();
      await store.read(async (tx) => {
        assert.deepEqual(await tx.quotaUsage('a'), { network: 2, port: 5, security_group: 1, security_group_rule: 4 });
        assert.deepEqual(await tx.quotaUsage('b'), { network: 1, port: 1 });
        assert.deepEqual(await tx.quotaUsage('c'), {});
        assert.deepEqual(await tx.quotaState('a', 'port'), { used: 5 });
        assert.deepEqual(await tx.quotaLimits(), new Map());
      });
      await store.write(async (tx) => {
        await tx.delete(defs.port, 'pa0');
        await tx.delete(defs.port, 'pa1');
        await tx.delete(defs.network, 'n3');
        await tx.insert(defs.router, { id: 'r1', project_id: 'c', tenant_id: 'c', name: 'r' });
        await tx.setQuotaLimit('a', 'port', 7);
      });
      // A write that fails leaves usage as it was.
      await assert.rejects(store.write(async (tx) => {
        await tx.insert(defs.router, { id: 'r2', project_id: 'c', tenant_id: 'c', name: 'r' });
        throw new Error('rolled back');
      }));
      await store.read(async (tx) => {
        assert.deepEqual(await tx.quotaUsage('a'), { network: 2, port: 3, security_group: 1, security_group_rule: 4 });
        assert.deepEqual(await tx.quotaUsage('b'), { network: 0, port: 1 });
        assert.deepEqual(await tx.quotaUsage('c'), { router: 1 });
        assert.deepEqual(await tx.quotaState('a', 'port'), { used: 3, limit: 7 });
        assert.deepEqual(await tx.quotaLimits('a'), new Map([['a', { port: 7 }]]));
      });
    } finally {
      await store.close();
    }
  }));
});
