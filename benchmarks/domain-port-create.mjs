#!/usr/bin/env node
// Port creates, then bulk deletes (250 ids per transaction, as the bench's cleanup sends them),
// through the domain and store only (no HTTP), to split the hot path's cost from the HTTP layer's.
// --timings wraps every store call with a timer (a diagnostic: it adds overhead).
//   npm run build && node benchmarks/domain-port-create.mjs [--ports 20000] [--batch 100] [--timings]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DOMAIN_CONFIG } from '../dist/src/core/config.js';
import { createDomain } from '../dist/src/domain/index.js';
import { SqliteStore } from '../dist/src/store/sqlite/sqlite-store.js';

const { values } = parseArgs({ options: {
  ports: { type: 'string', default: '20000' },
  batch: { type: 'string', default: '100' },
  synchronous: { type: 'string', default: 'FULL' },
  timings: { type: 'boolean', default: false },
} });
const total = Number(values.ports);
const batch = Number(values.batch);
const dataDir = mkdtempSync(join(tmpdir(), 'alcor-domain-bench-'));
const store = new SqliteStore({ dataDir, synchronous: values.synchronous });

const timings = new Map();
function timed(name, fn) {
  return function (...args) {
    const start = process.hrtime.bigint();
    try { return fn.apply(this, args); } finally {
      const entry = timings.get(name) ?? { ns: 0, calls: 0 };
      entry.ns += Number(process.hrtime.bigint() - start);
      entry.calls++;
      timings.set(name, entry);
    }
  };
}
if (values.timings) {
  // Reaches into the SQLite backend's private parts on purpose: this is a diagnostic.
  const proto = Object.getPrototypeOf(store.writeTx);
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name !== 'constructor' && typeof proto[name] === 'function') proto[name] = timed(name, proto[name]);
  }
  for (const [name, stmt] of Object.entries(store.txControl)) stmt.run = timed(`transaction ${name}`, stmt.run.bind(stmt));
}

// Far more ports than Neutron's default quota of 500 lets one project have.
const domain = createDomain(store, { ...DEFAULT_DOMAIN_CONFIG, defaultQuotas: { port: -1 } });
const ctx = { projectId: 'bench', roles: ['admin'], isAdmin: true, readOnly: false };
const [network] = await domain.collections.get('networks').create(ctx, [{ name: 'bench' }]);
await domain.collections.get('subnets').create(ctx, [{ network_id: network.id, ip_version: 4, cidr: '10.0.0.0/12' }]);
const ports = domain.collections.get('ports');
timings.clear();
const statementsBefore = store.stats.statements;
const commitsBefore = store.stats.commits;
const started = performance.now();
for (let done = 0; done < total; done += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, total - done) }, () => ports.create(ctx, [{ network_id: network.id }])));
}
const ms = performance.now() - started;
console.log(JSON.stringify({
  ports: total,
  inFlight: batch,
  synchronous: values.synchronous,
  createsPerSecond: Math.round(total / ms * 1000),
  microsecondsPerCreate: Math.round(ms * 1000 / total),
  statementsPerCreate: Number(((store.stats.statements - statementsBefore) / total).toFixed(1)),
  commits: store.stats.commits - commitsBefore,
}, null, 2));
if (values.timings) {
  for (const [name, { ns, calls }] of [...timings].sort((a, b) => b[1].ns - a[1].ns)) {
    console.log(`${name.padEnd(26)} ${(ns / total / 1000).toFixed(1).padStart(6)} us per port create  (${calls} calls)`);
  }
}

const ids = (await store.read((tx) => tx.listRaw(ports.def, {}))).map((r) => r.id);
timings.clear();
const deleteStarted = performance.now();
const chunks = [];
for (let i = 0; i < ids.length; i += 250) chunks.push(ids.slice(i, i + 250));
for (let i = 0; i < chunks.length; i += 4) await Promise.all(chunks.slice(i, i + 4).map((c) => ports.removeMany(ctx, c)));
const deleteMs = performance.now() - deleteStarted;
console.log(JSON.stringify({ deleted: ids.length, deletesPerSecond: Math.round(ids.length / deleteMs * 1000), secondsPer100k: Number((deleteMs / ids.length * 100).toFixed(1)) }));
if (values.timings) {
  for (const [name, { ns, calls }] of [...timings].sort((a, b) => b[1].ns - a[1].ns)) {
    console.log(`${name.padEnd(26)} ${(ns / ids.length / 1000).toFixed(1).padStart(6)} us per port delete  (${calls} calls)`);
  }
}
await store.close();
rmSync(dataDir, { recursive: true, force: true });
