#!/usr/bin/env node
// Port-create throughput against a freshly started controller process: autocannon in this process,
// the controller in another, both on this machine. Usage:
//   npm run bench:port-create -- [--connections 100] [--duration 10] [--synchronous FULL|NORMAL]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    synchronous: { type: 'string', default: 'FULL' },
    prof: { type: 'boolean', default: false },
  },
});

const freePort = () => new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'alcor-bench-'));
const nodeArgs = values.prof ? ['--cpu-prof', '--cpu-prof-dir', 'bench-results/profiles'] : [];
const child = spawn(process.execPath, [...nodeArgs, 'bin/alcor.js', 'start', '--listen', `127.0.0.1:${port}`, '--data', dataDir,
  '--log-level', 'warn', '--synchronous', values.synchronous, '--default-quotas', 'port=-1'], { stdio: ['ignore', 'inherit', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(url)).ok) break; } catch { /* not up yet */ }
  if (i > 100) throw new Error('controller did not start');
  await new Promise((r) => setTimeout(r, 100));
}

const post = async (path, body) => {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const { network } = await post('/v2.0/networks', { network: { name: 'bench' } });
await post('/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.0.0.0/12' } });

const result = await autocannon({
  url: `${url}/v2.0/ports`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ port: { network_id: network.id } }),
  connections: Number(values.connections),
  duration: Number(values.duration),
});
const listStart = performance.now();
const listed = await (await fetch(`${url}/v2.0/ports?network_id=${network.id}&fields=id`)).json();
const listMs = performance.now() - listStart;

console.log(JSON.stringify({
  connections: Number(values.connections),
  durationSeconds: Number(values.duration),
  synchronous: values.synchronous,
  requestsPerSecond: { mean: result.requests.average, stddev: result.requests.stddev },
  latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  non2xx: result.non2xx,
  errors: result.errors,
  portsStored: listed.ports.length,
  listAllPortsMs: Math.round(listMs),
}, null, 2));

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
