import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import * as defs from '../../src/model/definitions.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { publicJson, storedJson } from '../../src/store/sqlite/stored-json.js';

const HIDDEN = defs.port.adminRead!;
const withoutHidden = (doc: Record<string, unknown>) => Object.fromEntries(Object.entries(doc).filter(([k]) => !HIDDEN.includes(k)));

describe('stored JSON: admin-only attributes last, cut off for members', () => {
  const docs: Array<Record<string, unknown> & { id: string }> = [
    { id: 'a', name: 'plain', 'binding:host_id': 'h1', fixed_ips: [], 'binding:profile': { nested: { 'binding:host_id': 'x' } }, status: 'DOWN' },
    { id: 'b', name: 'no hidden keys at all' },
    { id: 'c', 'binding:vif_type': 'unbound' },
    { id: 'd', name: 'emoji 😀 and "quotes" and \\ backslashes ,"binding:host_id":', 'binding:vif_details': {}, description: 'ünïcode' },
  ];

  for (const doc of docs) {
    it(`keeps every attribute and cuts exactly the hidden ones (${doc.id})`, () => {
      const { json, publicLength } = storedJson(defs.port, doc);
      assert.deepEqual(JSON.parse(json), doc);
      assert.deepEqual(JSON.parse(publicJson(json, publicLength!)), withoutHidden(doc));
    });
  }

  it('a member list of rows written before the column existed still hides them (json_remove)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'alcor-stored-json-'));
    try {
      const store = new SqliteStore({ dataDir });
      const base = { project_id: 'p', tenant_id: 'p', name: '', network_id: 'n', device_id: '', device_owner: '', mac_address: 'fa:16:3e:00:00:01' };
      await store.write(async (tx) => {
        await tx.insert(defs.port, { id: '01', ...base, 'binding:host_id': 'h', 'binding:profile': {} });
        await tx.insert(defs.port, { id: '02', ...base, mac_address: 'fa:16:3e:00:00:02', 'binding:host_id': 'h', 'binding:profile': {} });
      });
      const raw = new Database(join(dataDir, 'alcor.db'));
      raw.prepare("UPDATE ports SET public_len = NULL WHERE id = '01'").run();
      raw.close();
      const rows = await store.read((tx) => tx.listRaw(defs.port, {}, HIDDEN));
      assert.deepEqual(rows.map((r) => r.id), ['01', '02']);
      for (const r of rows) {
        const seen = JSON.parse(r.json) as Record<string, unknown>;
        assert.equal(seen['binding:host_id'], undefined, `row ${r.id}`);
        assert.equal(seen.mac_address !== undefined, true);
      }
      const admin = await store.read((tx) => tx.listRaw(defs.port, {}));
      assert.ok(admin.every((r) => (JSON.parse(r.json) as Record<string, unknown>)['binding:host_id'] === 'h'));
      await store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
