/**
 * The address scope schema: pools stored before it get their scope and shared flag as columns and
 * subnets their pool; a member's lists of scopes (its own or an RBAC policy's) and pools (its own
 * or shared ones), a scope's pools and a pool's subnets use indexes.
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
import { buildList } from '../../src/store/sqlite/list-query.js';

const SCOPES = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE address_scopes'));

describe('schema: address_scopes', () => {
  it('an old database upgrades with its pools\' scope and shared columns; lists are index-driven', async () => {
    assert.ok(SCOPES > 0);
    const dir = mkdtempSync(join(tmpdir(), 'alcor-scopes-'));
    try {
      const old = new Database(join(dir, 'alcor.db'));
      old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      for (let v = 0; v < SCOPES; v++) {
        old.exec(MIGRATIONS[v]);
        old.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
      }
      const pool = old.prepare("INSERT INTO subnetpools (id, project_id, name, doc) VALUES (?, 'a', ?, ?)");
      pool.run('p-private', 'private', JSON.stringify({ id: 'p-private', project_id: 'a', shared: false, address_scope_id: null }));
      pool.run('p-shared', 'shared', JSON.stringify({ id: 'p-shared', project_id: 'a', shared: true, address_scope_id: 's1' }));
      old.prepare("INSERT INTO subnets (id, project_id, name, network_id, cidr, ip_version, doc) VALUES ('s-pooled', 'a', '', 'n', '10.0.0.0/24', 4, ?)")
        .run(JSON.stringify({ id: 's-pooled', subnetpool_id: 'p-shared' }));
      old.close();

      const store = new SqliteStore({ dataDir: dir });
      try {
        await store.read(async (tx) => {
          const inScope = await tx.list(defs.subnetpool, { conditions: [{ attr: 'address_scope_id', values: ['s1'] }] });
          assert.deepEqual(inScope.map((p) => p.id), ['p-shared']);
          const pooled = await tx.list(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: ['p-shared'] }] });
          assert.deepEqual(pooled.map((x) => x.id), ['s-pooled']);
          const seen = await tx.list(defs.subnetpool, { scope: { projectId: 'b', alsoShared: 'shared-row' } });
          assert.deepEqual(seen.map((p) => p.id), ['p-shared']);
        });
        const raw = new Database(join(dir, 'alcor.db'), { readonly: true });
        const plan = (sql: { text: string; params: unknown[] }) =>
          (raw.prepare(`EXPLAIN QUERY PLAN ${sql.text}`).all(...sql.params) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
        // A member's scopes: its own or an RBAC policy's (as its networks); its pools: its own or shared ones.
        for (const [def, alsoShared] of [[defs.addressScope, 'network'], [defs.subnetpool, 'shared-row']] as const) {
          const steps = plan(buildList(def, { scope: { projectId: 'x', alsoShared }, limit: 100 }));
          assert.match(steps, /MULTI-INDEX OR/, steps);
          assert.doesNotMatch(steps, /^SCAN/m, steps);
        }
        const steps = plan(buildList(defs.subnetpool, { conditions: [{ attr: 'address_scope_id', values: ['s1'] }], limit: 1 }));
        assert.match(steps, /subnetpools_scope/, steps);
        const poolSteps = plan(buildList(defs.subnet, { conditions: [{ attr: 'subnetpool_id', values: ['p-shared'] }] }));
        assert.match(poolSteps, /subnets_pool/, poolSteps);
        raw.close();
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
