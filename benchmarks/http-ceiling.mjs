#!/usr/bin/env node
// The ceiling this machine puts on any Node controller: a bare Fastify server that parses a port
// create body and answers a port-sized JSON document, with no domain and no store, driven by
// autocannon on the same cores. What a real create costs above this figure is ours to cut; what
// lies below it is the machine's. Usage: node benchmarks/http-ceiling.mjs [--connections 500] [--duration 8]
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify from 'fastify';

if (process.argv[2] === '--serve') {
  const app = Fastify({ logger: false });
  const template = {
    admin_state_up: true, allowed_address_pairs: [], binding_host_id: '', 'binding:profile': {},
    'binding:vif_details': {}, 'binding:vif_type': 'unbound', 'binding:vnic_type': 'normal',
    created_at: '', description: '', device_id: '', device_owner: '', extra_dhcp_opts: [],
    fixed_ips: [{ subnet_id: randomUUID(), ip_address: '10.0.0.2' }], mac_address: 'fa:16:3e:00:00:01',
    name: '', network_id: '', port_security_enabled: true, project_id: 'p', revision_number: 1,
    security_groups: [randomUUID()], status: 'DOWN', tags: [], tenant_id: 'p', updated_at: '',
  };
  app.post('/v2.0/ports', async (req, reply) => {
    const now = new Date().toISOString().slice(0, 19) + 'Z';
    const port = { ...template, ...req.body.port, id: randomUUID(), created_at: now, updated_at: now };
    reply.code(201).header('content-type', 'application/json');
    return JSON.stringify({ port });
  });
  await app.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
  process.send(app.server.address().port);
} else {
  const { values } = parseArgs({ options: { connections: { type: 'string', default: '500' }, duration: { type: 'string', default: '8' } } });
  const child = fork(new URL(import.meta.url).pathname, ['--serve']);
  const port = await new Promise((res) => child.once('message', res));
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v2.0/ports`, method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ port: { network_id: randomUUID() } }),
    connections: Number(values.connections), duration: Number(values.duration),
  });
  child.kill();
  console.log(JSON.stringify({ connections: Number(values.connections), requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 }, errors: result.errors, non2xx: result.non2xx }));
}
