/**
 * Schema v7: networks' segments unique per kind (VNI, VLAN id on a physical network, flat physical
 * network). A database made by the schema before it upgrades in place: its VNIs are backfilled
 * into the new index, still taken, and still found by the gap search.
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
import { UniqueViolation } from '../../src/store/store.js';
import type { Doc } from '../../src/store/store.js';

/** The schema version before segments were keyed per kind. */
const BEFORE = 6;

function network(id: string, provider: Record<string, unknown>): Doc {
  return {
    id, project_id: 'p', tenant_id: 'p', name: id, shared: false, 'router:external': false, admin_state_up: true,
    status: 'ACTIVE', mtu: 1450, 'provider:network_type': 'vxlan', 'provider:physical_network': null, ...provider,
  };
}

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-segments-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('schema v7: segments unique per kind', () => {
  it('a database of the schema before upgrades: its VNIs are backfilled and stay taken', () => withDir(async (dir) => {
    assert.ok(MIGRATIONS.length > BEFORE);
    const old = new Database(join(dir, 'alcor.db'));
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (let v = 0; v < BEFORE; v++) {
      old.exec(MIGRATIONS[v]);
      old.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
    }
    // Rows as the old store wrote them: the VNI in segmentation_id, no segment column.
    const insert = old.prepare('INSERT INTO networks (id, project_id, name, shared, external, segmentation_id, doc) VALUES (?, ?, ?, 0, 0, ?, ?)');
    for (const [id, vni] of [['n1', 100], ['n2', 101], ['n3', 7000]] as const) {
      insert.run(id, 'p', id, vni, JSON.stringify(network(id, { 'provider:segmentation_id': vni })));
    }
    assert.throws(() => insert.run('dup', 'p', 'dup', 100, '{}'), /UNIQUE/);
    old.close();

    const store = new SqliteStore({ dataDir: dir });
    try {
      const raw = new Database(join(dir, 'alcor.db'), { readonly: true });
      assert.equal(raw.prepare('SELECT max(version) FROM schema_version').pluck().get(), MIGRATIONS.length);
      assert.deepEqual(raw.prepare('SELECT id, segment FROM networks ORDER BY id').all(), [
        { id: 'n1', segment: 'vxlan:00000100' },
        { id: 'n2', segment: 'vxlan:00000101' },
        { id: 'n3', segment: 'vxlan:00007000' },
      ]);
      const plan = raw.prepare("EXPLAIN QUERY PLAN SELECT 1 FROM networks WHERE segment = 'vxlan:00000100'").all() as Array<{ detail: string }>;
      assert.ok(plan.some((p) => /USING (COVERING )?INDEX networks_segment/.test(p.detail)), JSON.stringify(plan));
      raw.close();

      await store.read(async (tx) => {
        assert.equal(await tx.segmentInUse({ type: 'vxlan', id: 100 }), true);
        assert.equal(await tx.segmentInUse({ type: 'vxlan', id: 102 }), false);
        assert.equal(await tx.segmentInUse({ type: 'vlan', physnet: 'physnet1', id: 100 }), false);
        assert.deepEqual(await tx.usedSegments({ type: 'vxlan' }, 1, 65535, 10), [100, 101, 7000]);
        assert.deepEqual(await tx.usedSegments({ type: 'vxlan' }, 101, 6999, 10), [101]);
      });
      // The same VNI again is refused by the index; VLAN 100 and a flat network are other segments.
      await assert.rejects(store.write((tx) => tx.insert(defs.network, network('dup', { 'provider:segmentation_id': 100 }))), UniqueViolation);
      await store.write(async (tx) => {
        await tx.insert(defs.network, network('v1', { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 }));
        await tx.insert(defs.network, network('v2', { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 100 }));
        await tx.insert(defs.network, network('f1', { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': null }));
      });
      await assert.rejects(store.write((tx) => tx.insert(defs.network, network('v3', {
        'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100,
      }))), UniqueViolation);
      await assert.rejects(store.write((tx) => tx.insert(defs.network, network('f2', {
        'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': null,
      }))), UniqueViolation);
      await store.read(async (tx) => {
        assert.equal(await tx.segmentInUse({ type: 'flat', physnet: 'physnet1' }), true);
        assert.equal(await tx.segmentInUse({ type: 'flat', physnet: 'physnet2' }), false);
        assert.deepEqual(await tx.usedSegments({ type: 'vlan', physnet: 'physnet1' }, 1, 4094, 10), [100]);
        assert.deepEqual(await tx.usedSegments({ type: 'vxlan' }, 1, 65535, 10), [100, 101, 7000]);
      });
      // A deleted network's segment is free again.
      await store.write((tx) => tx.delete(defs.network, 'n1'));
      assert.equal(await store.read((tx) => tx.segmentInUse({ type: 'vxlan', id: 100 })), false);
    } finally {
      await store.close();
    }
  }));

  it('a VLAN pool\'s gap search sees only its own physical network, whatever the others are named', () => withDir(async (dir) => {
    const store = new SqliteStore({ dataDir: dir });
    try {
      const vlan = (id: string, physnet: string, vid: number) =>
        network(id, { 'provider:network_type': 'vlan', 'provider:physical_network': physnet, 'provider:segmentation_id': vid });
      await store.write(async (tx) => {
        await tx.insert(defs.network, vlan('a1', 'a', 150));
        // Keys vlan:a:0150:0007 and vlan:a0:0160 sort near vlan:a's, but belong to other networks.
        await tx.insert(defs.network, vlan('b1', 'a:0150', 7));
        await tx.insert(defs.network, vlan('c1', 'a0', 160));
        await tx.insert(defs.network, network('x1', { 'provider:segmentation_id': 155 }));
      });
      await store.read(async (tx) => {
        assert.deepEqual(await tx.usedSegments({ type: 'vlan', physnet: 'a' }, 100, 199, 10), [150]);
        assert.deepEqual(await tx.usedSegments({ type: 'vlan', physnet: 'a0' }, 1, 4094, 10), [160]);
        assert.deepEqual(await tx.usedSegments({ type: 'vxlan' }, 1, 16777215, 10), [155]);
      });
    } finally {
      await store.close();
    }
  }));
});
