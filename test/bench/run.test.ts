/**
 * A short real run against a controller: the scenarios make the calls Rally makes, the numbers
 * come out, the report is written, and cleanup leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runBench } from '../../src/bench/bench.js';
import { parseTask } from '../../src/bench/task.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer, tempDir } from '../helpers/server.js';

let t: TestServer;
const out = tempDir('alcor-bench-test-');
before(async () => { t = await startTestServer(); });
after(async () => { await t.close(); rmSync(out, { recursive: true, force: true }); });

const task = (scenario: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseTask(JSON.stringify({
  scenario: { [scenario]: args },
  contexts: { users: { tenants: 3, users_per_tenant: 2 }, network: { start_cidr: '10.2.0.0/24' } },
  runner: { constant: { times: 12, concurrency: 4 } },
  sla: { failure_rate: { max: 0 } },
  ...extra,
}));

async function everything(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const c of ['networks', 'subnets', 'ports', 'routers', 'security-groups']) {
    counts[c] = (await t.api.get(`/v2.0/${c}`)).body[c.replace('-', '_')].length;
  }
  return counts;
}

describe('alcor bench against a controller', () => {
  it('create_and_list_ports: calls, numbers, report, and a cleanup that leaves nothing', async () => {
    const before = await everything();
    const result = await runBench(task('NeutronNetworks.create_and_list_ports', { network_create_args: {}, port_create_args: {}, ports_per_network: 3 }),
      { target: t.server.url, outDir: out });
    const run = result.runs[0];
    assert.equal(run.iterations.length, 12);
    // The controller serves /metrics, so the server's side of the same calls is there too.
    assert.equal(run.actions['neutron.create_port'].server?.count, 36);
    assert.ok(run.actions['neutron.list_ports'].server!.p99 > 0);
    assert.equal(run.failureRate, 0);
    assert.equal(run.slaPassed, true);
    assert.equal(run.actions['neutron.create_port'].summary.count, 36);
    assert.equal(run.actions['neutron.list_ports'].summary.count, 12);
    assert.equal(run.actions['neutron.create_network'], undefined, "the context's network is used, as Rally does");
    assert.ok(run.actions['neutron.create_port'].qps > 0);
    assert.ok(run.actions['neutron.create_port'].throughput > 0);
    const json = JSON.parse(readFileSync(`${out}/results.json`, 'utf8'));
    assert.equal(json.runs[0].actions['neutron.create_port'].summary.count, 36);
    const html = readFileSync(`${out}/report.html`, 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /neutron\.create_port/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
    // 3 tenants: networks, subnets, routers, 36 ports, default groups; all gone again.
    assert.ok(result.cleanup && result.cleanup.deleted >= 36 + 9 + 3 && result.cleanup.failed === 0, JSON.stringify(result.cleanup));
    assert.deepEqual(await everything(), before);
  });

  it('the other scenarios run with no failures, repeat without cleanup, then clean up', async () => {
    const before = await everything();
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['NeutronNetworks.create_and_list_networks', { network_create_args: {} }, ['neutron.create_network', 'neutron.list_networks']],
      ['NeutronNetworks.create_and_list_subnets', { network_create_args: {}, subnet_create_args: {}, subnet_cidr_start: '1.1.0.0/16', subnets_per_network: 2 }, ['neutron.create_subnet', 'neutron.list_subnets']],
      ['NeutronNetworks.create_and_delete_ports', { ports_per_network: 2 }, ['neutron.create_port', 'neutron.delete_port']],
      ['NeutronNetworks.create_and_update_ports', { ports_per_network: 2, port_update_args: { admin_state_up: false } }, ['neutron.create_port', 'neutron.update_port']],
      ['NeutronNetworks.create_and_list_security_groups', { security_group_create_args: {} }, ['neutron.create_security_group', 'neutron.list_security_groups']],
    ];
    for (const [scenario, args, actions] of cases) {
      const result = await runBench(task(scenario, args), { target: t.server.url, repeat: 2 });
      assert.equal(result.runs.length, 2);
      for (const run of result.runs) {
        assert.deepEqual(run.errors, [], scenario);
        assert.equal(run.failureRate, 0, scenario);
        assert.deepEqual(Object.keys(run.actions).sort(), [...actions].sort(), scenario);
      }
      assert.ok(result.runs[1].rowsAfter > result.runs[0].rowsAfter || scenario.includes('delete'), scenario);
      assert.equal(result.cleanup?.failed, 0, JSON.stringify(result.cleanup));
    }
    assert.deepEqual(await everything(), before);
  });

  it('each repeated run counts CIDRs from the start again, as a new Rally run does', async () => {
    // Carried over, run 2's counter would reach 10.2.1.0/24, the subnet its tenant's context
    // network already has, and the create would be refused as an overlap.
    const subnets = task('NeutronNetworks.create_and_list_subnets', { network_create_args: {}, subnet_cidr_start: '10.1.254.0/24', subnets_per_network: 2 }, {
      contexts: { users: { tenants: 1, users_per_tenant: 1 }, network: { start_cidr: '10.2.0.0/24' } },
      runner: { constant: { times: 1, concurrency: 1 } },
    });
    const result = await runBench(subnets, { target: t.server.url, repeat: 2 });
    assert.deepEqual(result.runs.map((r) => r.failureRate), [0, 0], JSON.stringify(result.runs.map((r) => r.errors)));
  });

  it('an SLA that is broken is reported as failed', async () => {
    const broken = task('NeutronNetworks.create_and_list_ports', { port_create_args: { mac_address: 'fa:16:3e:00:00:01' }, ports_per_network: 1 });
    const result = await runBench(broken, { target: t.server.url });
    assert.equal(result.runs[0].slaPassed, false);
    assert.ok(result.runs[0].failureRate > 0);
    assert.ok(result.runs[0].errors.some((e) => /MacAddressInUse/.test(e)), result.runs[0].errors.join('\n'));
    assert.ok(!existsSync(`${out}/nothing`));
  });

  it('the quotas context sets its neutron limits on every tenant\'s project, and the controller holds them', async () => {
    const result = await runBench(task('NeutronNetworks.create_and_list_ports', { network_create_args: {}, port_create_args: {}, ports_per_network: 3 },
      { contexts: { users: { tenants: 3, users_per_tenant: 1 }, network: { start_cidr: '10.4.0.0/24' }, quotas: { neutron: { port: 5 }, nova: { ram: -1 } } } }),
    { target: t.server.url });
    const limited = ((await t.api.get('/v2.0/quotas')).body.quotas as Array<{ port: number }>).filter((q) => q.port === 5);
    assert.equal(limited.length, 3);
    // 12 iterations of 3 ports over 3 projects of 5 ports each: some creates are refused.
    assert.ok(result.runs[0].failureRate > 0);
    assert.ok(result.runs[0].errors.some((e) => /Quota exceeded for resources: \['port'\]/.test(e)), result.runs[0].errors.join('\n'));
    assert.ok(result.cleanup && result.cleanup.failed === 0, JSON.stringify(result.cleanup));
  });
});
