/**
 * The fake data plane's plug delay (`alcor agent --dataplane fake --plug-delay-ms`): a bound port
 * stays DOWN until its "tap" is plugged that long after, then goes ACTIVE, as with a hypervisor
 * that plugs after Nova bound the port (what makes Nova wait for network-vif-plugged).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../src/agent/agent.js';
import { FakeDataPlane } from '../../src/agent/dataplane/fake.js';
import { agentOn, waitFor } from '../helpers/hosts.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

const SERVER = '6a0e9f0e-54c1-4c1e-9d6b-1b2a3c4d5e6f';
let t: TestServer;
let agent: RunningAgent;
before(async () => {
  t = await startTestServer();
  agent = agentOn(t.server.controlPlane.url, 'plug-h1', new FakeDataPlane(new Set(), true, 700));
  await waitFor('the agent', async () => (await t.api.get('/v2.0/agents?host=plug-h1')).body.agents.length === 1);
});
after(async () => {
  await agent.stop();
  await t.close();
});

describe('fake data plane: plug delay', () => {
  it('a port bound to the host is DOWN until plugged, then ACTIVE, every time', async () => {
    const net = await t.api.create('networks', 'network', { name: 'plug' });
    await t.api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.66.0.0/24', ip_version: 4 });
    for (let i = 0; i < 5; i++) {
      const p = await t.api.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: SERVER });
      const t0 = Date.now();
      await t.api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'plug-h1' } });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await t.api.get(`/v2.0/ports/${p.id}`)).body.port.status, 'DOWN', 'not plugged yet');
      await waitFor('ACTIVE once plugged', async () => (await t.api.get(`/v2.0/ports/${p.id}`)).body.port.status === 'ACTIVE', 10_000);
      assert.ok(Date.now() - t0 >= 700);
    }
  });
});
