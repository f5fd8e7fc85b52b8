/**
 * `alcor bench --keystone`: the users context makes real Keystone projects and users, every call
 * carries the user's own token, and cleanup removes the resources and then the projects and users.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBench } from '../../src/bench/bench.js';
import { ensureKeystone, Keystone, KEYSTONE_URL, SERVICE_PASSWORD } from '../../src/bench/keystone-admin.js';
import { parseTask } from '../../src/bench/task.js';
import { KeystoneUsers } from '../../src/bench/users.js';
import type { TestServer } from '../helpers/server.js';
import { Api, startTestServer } from '../helpers/server.js';

describe('alcor bench with Keystone users', () => {
  let t: TestServer;
  let keystone: Keystone;
  before(async () => {
    await ensureKeystone();
    keystone = await Keystone.admin();
    t = await startTestServer({ authStrategy: 'keystone', keystoneUrl: KEYSTONE_URL, keystonePassword: SERVICE_PASSWORD });
  });
  after(async () => { await t?.close(); });

  it('runs create_and_list_ports as real projects and users, then removes them', async () => {
    const task = parseTask(JSON.stringify({
      scenario: { 'NeutronNetworks.create_and_list_ports': { network_create_args: {}, port_create_args: {}, ports_per_network: 2 } },
      contexts: { users: { tenants: 2, users_per_tenant: 2 }, network: { start_cidr: '10.3.0.0/24' } },
      runner: { constant: { times: 6, concurrency: 3 } },
      sla: { failure_rate: { max: 0 } },
    }));
    const users = new KeystoneUsers(keystone);
    const result = await runBench(task, { target: t.server.url, users, adminToken: keystone.token });
    const run = result.runs[0];
    assert.equal(run.failureRate, 0, JSON.stringify(run.errors));
    assert.equal(run.actions['neutron.create_port'].summary.count, 12);
    assert.equal(users.madeProjects.length, 2);
    assert.equal(result.cleanup?.failed, 0);
    for (const project of users.madeProjects) assert.equal(await keystone.projectExists(project), false);
    const admin = new Api(t.server.url, { 'x-auth-token': keystone.token });
    for (const c of ['ports', 'networks', 'subnets', 'routers']) {
      const rows = (await admin.get(`/v2.0/${c}`)).body[c] as Array<{ project_id: string }>;
      assert.equal(rows.filter((r) => users.madeProjects.includes(r.project_id)).length, 0, c);
    }
  });
});
