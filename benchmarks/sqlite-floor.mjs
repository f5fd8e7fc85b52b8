#!/usr/bin/env node
// What SQLite alone costs per port-sized row on this machine, whatever the controller does around
// it: a 1 KB JSON document inserted in groups (WAL, synchronous FULL), with 0, 2 or 4 indexes whose
// keys are random (as project and network are under many tenants), so each index's price shows.
//   node benchmarks/sqlite-floor.mjs [--rows 20000] [--group 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, group: { type: 'string', default: '200' } } });
const rows = Number(values.rows);
const group = Number(values.group);
const doc = JSON.stringify({ padding: 'x'.repeat(850) });
const INDEXES = ['project_id, id', 'network_id, mac', 'device_id, id', 'name, id'];

function run(randomIndexes) {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-sqlite-floor-'));
  const db = new Database(join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -65536');
    db.exec('CREATE TABLE ports (id TEXT PRIMARY KEY, project_id TEXT, network_id TEXT, mac TEXT, device_id TEXT, name TEXT, doc TEXT)');
    INDEXES.slice(0, randomIndexes).forEach((cols, i) => db.exec(`CREATE INDEX i${i} ON ports(${cols})`));
    const insert = db.prepare('INSERT INTO ports VALUES (?, ?, ?, ?, ?, ?, ?)');
    const projects = Array.from({ length: 500 }, () => randomUUID());
    let seq = 0;
    let commitMs = 0;
    const started = performance.now();
    for (let done = 0; done < rows; done += group) {
      db.exec('BEGIN');
      for (let i = 0; i < group; i++) {
        const project = projects[Math.floor(Math.random() * projects.length)];
        // Time-ordered ids, as the controller's UUIDv7: the primary key appends.
        const id = `${Date.now().toString(16)}${(seq++).toString(16).padStart(10, '0')}`;
        insert.run(id, project, project, randomBytes(6).toString('hex'), randomUUID(), `port-${Math.random()}`, doc);
      }
      const c = performance.now();
      db.exec('COMMIT');
      commitMs += performance.now() - c;
    }
    const us = ((performance.now() - started) * 1000) / rows;
    console.log(`${randomIndexes} random indexes: ${us.toFixed(1)} us per row, of which commit ${((commitMs * 1000) / rows).toFixed(1)} us`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const n of [0, 2, 4]) run(n);
