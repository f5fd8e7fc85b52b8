/**
 * The report's end-to-end tasks, as they are in ../shared/rally-tasks and scaled down by the
 * command line (2 iterations of 2 at once, 2 networks, 2 VMs each, 2 extra ports), run by
 * `alcor bench` as a user runs it: its own controller and 2 namespaced hosts with real linux agents.
 * Every VM must get its lease and ping its gateway, the per-VM figures must be in the report, and
 * nothing may be left: no namespace, no process, no resource. Then once more with --target, on a
 * controller and hosts the test made, whose agents the bench must find and use.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bench } from '../../src/cli/bench-command.js';
import { startControllerProcess } from '../../src/cli/controller-process.js';
import { Lab, labMissing, sh } from '../helpers/netns.js';
import { Api, tempDir } from '../helpers/server.js';
import { waitFor } from '../helpers/hosts.js';

const missing = labMissing();
const TASKS = '/work/shared/rally-tasks';
const tasksHere = existsSync(join(TASKS, 'alcor_port_scalability.json'));
const out = tempDir('alcor-bench-vm-');
after(() => rmSync(out, { recursive: true, force: true }));

const SCALE = ['--times', '2', '--concurrency', '2', '--set', 'number_of_networks=2', '--set', 'instances_per_network=2'];
const mine = `abv${process.pid.toString(36)}-`;

/** What of the bench's labs is still on the machine: namespaces, processes naming its folders, our children. */
function leftovers(): string[] {
  const ns = sh('ip', ['netns', 'list']).out.split('\n').filter((l) => l.startsWith(mine));
  const procs = sh('pgrep', ['-af', `/tmp/${mine}`]).out.split('\n').filter(Boolean);
  const children = sh('pgrep', ['-P', String(process.pid)]).out.split('\n').filter(Boolean)
    .filter((pid) => !sh('ps', ['-o', 'args=', '-p', pid]).out.includes('pgrep'));
  return [...ns.map((n) => `namespace ${n}`), ...procs.map((p) => `process ${p}`), ...children.map((p) => `child ${p}: ${sh('ps', ['-o', 'args=', '-p', p]).out.trim()}`)];
}

interface Results {
  runs: Array<{ failureRate: number; errors: string[]; actions: Record<string, { summary: { count: number; failures: number }; qps: number }>;
    vms: { count: number; failed: number; bindToActive: { summary: { count: number; p99: number } }; bindToLease: { summary: { count: number } }; bindToPing: { summary: { count: number; median: number } } } }>;
  cleanup: { failed: number; remaining: Record<string, number> };
}

async function runTask(file: string, extra: string[]): Promise<Results> {
  const dir = join(out, file.replace('.json', ''));
  await bench([join(TASKS, file), ...SCALE, '--out', dir, ...extra]);
  assert.notEqual(process.exitCode, 3, 'SLA passed');
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /VM: bind -&gt; first ping/);
  assert.match(html, /aria-label="per VM: bind to ACTIVE, DHCP lease, first ping"/);
  return results;
}

function assertAllUp(r: Results, vms: number): void {
  const run = r.runs[0];
  assert.deepEqual(run.errors, []);
  assert.equal(run.failureRate, 0);
  assert.equal(run.vms.count, vms);
  assert.equal(run.vms.failed, 0);
  // Every VM has all three figures, in order: ACTIVE, then its lease, then the gateway's answer.
  assert.equal(run.vms.bindToActive.summary.count, vms);
  assert.equal(run.vms.bindToLease.summary.count, vms);
  assert.equal(run.vms.bindToPing.summary.count, vms);
  assert.ok(run.vms.bindToPing.summary.median > 0);
  assert.equal(run.actions['nova.boot_server'].summary.count, vms);
  assert.ok(run.actions['nova.boot_server'].qps > 0);
  assert.equal(r.cleanup.failed, 0);
  assert.deepEqual(r.cleanup.remaining, {}, 'nothing of the run left on the controller');
}

describe('alcor bench: the end-to-end VM tasks on namespaced hosts', { skip: missing ?? (tasksHere ? undefined : `no task files in ${TASKS}`), timeout: 600_000 }, () => {
  it('network_scalability (small and big VPC): every VM leased and pinged, each iteration deletes what it made, nothing left', async () => {
    for (const file of ['network_scalability_small_vpc.json', 'network_scalability_big_vpc.json']) {
      const r = await runTask(file, ['--hosts', '2']);
      assertAllUp(r, 2 * 2 * 2);
      const run = r.runs[0];
      for (const a of ['neutron.create_network', 'neutron.create_subnet', 'nova.delete_server', 'neutron.delete_network']) {
        assert.equal(run.actions[a].summary.failures, 0, a);
      }
      assert.equal(run.actions['nova.delete_server'].summary.count, 8, 'the plugin deletes its servers');
      assert.equal(run.actions['neutron.delete_network'].summary.count, 4, 'and its networks');
      assert.deepEqual(leftovers(), []);
    }
  });

  it('alcor_port_scalability: extra ports created and attached to every VM, every VM leased and pinged, nothing left', async () => {
    const r = await runTask('alcor_port_scalability.json', ['--hosts', '2', '--set', 'ports_per_instance=2']);
    assertAllUp(r, 8);
    assert.equal(r.runs[0].actions['nova.attach_interface'].summary.count, 16);
    assert.equal(r.runs[0].actions['nova.attach_interface'].summary.failures, 0);
    assert.equal(r.runs[0].actions['nova.delete_server'], undefined, 'this plugin keeps its servers until the cleanup');
    assert.deepEqual(leftovers(), []);
  });

  it('with --target: the live agents there are used, and their hosts and controller are left as they were', async () => {
    const lab = new Lab(2);
    const ctl = await startControllerProcess({ quiet: true, southboundListen: `unix:${lab.socket}` });
    try {
      await lab.startRelay();
      for (const h of lab.hosts) lab.startAgent(h);
      const api = new Api(ctl.url);
      await waitFor('agents alive', async () => ((await api.get('/v2.0/agents')).body.agents as Array<{ alive: boolean }>).filter((a) => a.alive).length === 2, 30_000);
      const r = await runTask('network_scalability_small_vpc.json', ['--target', ctl.url]);
      assertAllUp(r, 8);
      const ports = (await api.get('/v2.0/ports')).body.ports as unknown[];
      assert.equal(ports.length, 0);
      // The hosts were the test's: they are still there, agents alive.
      assert.equal(((await api.get('/v2.0/agents')).body.agents as Array<{ alive: boolean }>).filter((a) => a.alive).length, 2);
      assert.ok(sh('ip', ['netns', 'list']).out.includes(lab.hosts[0].ns));
      assert.deepEqual(leftovers().filter((l) => !l.startsWith('child')), []);
    } finally {
      await lab.close();
      await ctl.stop();
    }
  });
});
