#!/usr/bin/env node
// Nova's external events from the controller, measured against the real Nova of scripts/nova.sh:
// a burst of compute ports bound to fake-data-plane hosts goes ACTIVE, and the notifier sends
// network-vif-plugged for each; for each batching window, how many requests that took (events per
// request), and from the burst's start the time to every port ACTIVE (polled) and to Nova's last
// answer. A benchmark: it asserts nothing.
//   npm run bench:nova-events -- [--ports 200] [--windows 0,50,200,2000] [--concurrency 20]
// The servers named are made up: Nova answers 404 (or 207) for them, after the same lookups a
// real server costs, which is the cost measured.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FakeDataPlane } from '../dist/src/agent/dataplane/fake.js';
import { ensureKeystone, Keystone, KEYSTONE_URL, SERVICE_PASSWORD } from '../dist/src/bench/keystone-admin.js';
import { agentOn, waitFor } from '../dist/test/helpers/hosts.js';
import { Api, startTestServer } from '../dist/test/helpers/server.js';

const { values } = parseArgs({ options: {
  ports: { type: 'string', default: '200' }, windows: { type: 'string', default: '0,50,200,2000' }, concurrency: { type: 'string', default: '20' },
} });
const PORTS = Number(values.ports), CONC = Number(values.concurrency);
const root = new URL('..', import.meta.url).pathname;
const HOSTS = ['alcor-compute-1', 'alcor-compute-2'];

await ensureKeystone();
const admin = await Keystone.admin();
console.log('starting Nova (scripts/nova.sh start)...');
execFileSync('bash', [join(root, 'scripts/nova.sh'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NOVA_COMPUTES: '2' } });
const rows = [];
try {
  for (const w of values.windows.split(',').map(Number)) {
    const t = await startTestServer({
      authStrategy: 'keystone', keystoneUrl: KEYSTONE_URL, keystonePassword: SERVICE_PASSWORD, novaPassword: SERVICE_PASSWORD,
      sendEventsIntervalMs: String(w), defaultQuotas: 'port=-1',
    });
    const agents = HOSTS.map((h) => agentOn(t.server.controlPlane.url, h, new FakeDataPlane(new Set(), false)));
    try {
      const api = new Api(t.server.url, { 'x-auth-token': admin.token });
      const net = await api.create('networks', 'network', { name: 'events' });
      await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.90.0.0/20', ip_version: 4 });
      const ports = [];
      for (let i = 0; i < PORTS; i += 100) {
        const r = await api.post('/v2.0/ports', { ports: Array.from({ length: Math.min(100, PORTS - i) }, () => ({ network_id: net.id, device_owner: 'compute:nova', device_id: randomUUID() })) });
        ports.push(...r.body.ports);
      }
      await t.server.nova.notifier.flush();
      const s0 = { ...t.server.nova.notifier.stats };
      // The burst: every port bound, CONC at a time, as many Nova computes binding at once.
      const t0 = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: CONC }, async () => {
        while (next < ports.length) {
          const p = ports[next++];
          await api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': HOSTS[next % HOSTS.length] } });
        }
      }));
      await waitFor('all ACTIVE', async () => (await api.get(`/v2.0/ports?network_id=${net.id}&status=ACTIVE&fields=id`)).body.ports.length === ports.length, 120_000);
      const activeMs = Math.round(performance.now() - t0);
      await waitFor('all events sent', async () => t.server.nova.notifier.stats.events - s0.events >= ports.length, 60_000);
      await t.server.nova.notifier.flush();
      const s = t.server.nova.notifier.stats;
      const batches = s.batches - s0.batches, events = s.events - s0.events;
      rows.push({ windowMs: w, ports: ports.length, requests: batches, eventsPerRequest: +(events / batches).toFixed(1), allActiveMs: activeMs, lastAnsweredMs: Math.round(s.lastAnsweredAt - t0), failed: s.failed - s0.failed });
      console.log(JSON.stringify(rows.at(-1)));
    } finally {
      for (const a of agents) await a.stop();
      await t.close();
    }
  }
} finally {
  execFileSync('bash', [join(root, 'scripts/nova.sh'), 'stop'], { stdio: 'ignore' });
}
console.table(rows);
