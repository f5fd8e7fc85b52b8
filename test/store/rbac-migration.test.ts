/**
 * The RBAC schema: a database made before it upgrades in place, every shared or external network
 * getting its wildcard policy (owned by the network's project, counted in its quota usage).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import * as defs from '../../src/model/definitions.js';
import { isUuid } from '../../src/core/ids.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { buildList } from '../../src/store/sqlite/list-query.js';

const RBAC = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE rbac_policies'));

describe('schema: rbac_policies', () => {
  it('an old database upgrades with a wildcard policy per shared or external network', async () => {
    assert.ok(RBAC > 0);
    const dir = mkdtempSync(join(tmpdir(), 'alcor-rbac-'));
    try {
      const old = new Database(join(dir, 'alcor.db'));
      old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      for (let v = 0; v < RBAC; v++) {
        old.exec(MIGRATIONS[v]);
        old.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
      }
      const net = old.prepare("INSERT INTO networks (id, project_id, name, shared, external, doc) VALUES (?, ?, '', ?, ?, ?)");
      const doc = (id: string, project: string) => JSON.stringify({ id, project_id: project, tenant_id: project });
      net.run('n-private', 'a', 0, 0, doc('n-private', 'a'));
      net.run('n-shared', 'a', 1, 0, doc('n-shared', 'a'));
      net.run('n-both', 'b', 1, 1, doc('n-both', 'b'));
      old.close();

      const store = new SqliteStore({ dataDir: dir });
      try {
        await store.read(async (tx) => {
          const all = await tx.list(defs.rbacPolicy, { sort: [{ attr: 'object_id', dir: 'asc' }, { attr: 'action', dir: 'asc' }] });
          assert.deepEqual(all.map((p) => [p.object_id, p.action, p.target_tenant, p.project_id, p.tenant_id, p.object_type]), [
            ['n-both', 'access_as_external', '*', 'b', 'b', 'network'],
            ['n-both', 'access_as_shared', '*', 'b', 'b', 'network'],
            ['n-shared', 'access_as_shared', '*', 'a', 'a', 'network'],
          ]);
          for (const p of all) {
            assert.ok(isUuid(p.id), p.id);
            assert.deepEqual(Object.keys(p), ['id', 'project_id', 'action', 'object_id', 'target_tenant', 'object_type', 'tenant_id']);
          }
          assert.equal(new Set(all.map((p) => p.id)).size, 3);
          assert.equal((await tx.quotaUsage('a')).rbac_policy, 1);
          assert.equal((await tx.quotaUsage('b')).rbac_policy, 2);
        });
        const raw = new Database(join(dir, 'alcor.db'), { readonly: true });
        const plan = raw.prepare("EXPLAIN QUERY PLAN SELECT object_id FROM rbac_policies WHERE target_tenant IN ('x', '*')").all() as Array<{ detail: string }>;
        assert.match(plan.map((r) => r.detail).join('\n'), /USING COVERING INDEX rbac_policies_target/);
        // A member's network list: its own by networks_project, the rest by rbac_policies_target, never a scan.
        for (const [def, alsoShared] of [[defs.network, 'network'], [defs.subnet, 'network-of-row']] as const) {
          const sql = buildList(def, { scope: { projectId: 'x', alsoShared }, limit: 100 });
          const steps = (raw.prepare(`EXPLAIN QUERY PLAN ${sql.text}`).all(...sql.params) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
          assert.match(steps, /MULTI-INDEX OR/, steps);
          assert.match(steps, /rbac_policies_target/, steps);
          assert.doesNotMatch(steps, /^SCAN/m, steps);
        }
        raw.close();
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
