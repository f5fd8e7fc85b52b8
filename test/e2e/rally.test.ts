/**
 * Real Rally (Debian's rally and rally-openstack) runs the report's task files, scaled down, against
 * a controller behind the real Keystone: its users context makes real projects and users, and not
 * one iteration may fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

const run = promisify(execFile);

async function rallyTask(task: string, extra: string[] = []): Promise<{ workloads: Array<{ iterations: number; failed: number; passSla: boolean; actions: Record<string, unknown>; contexts: Array<{ plugin: string; setupError: unknown; cleanupError: unknown }> }> }> {
  const args = [join(ROOT, 'scripts', 'rally.mjs'), join(ROOT, '..', 'shared', 'rally-tasks', task),
    '--times', '10', '--concurrency', '5', '--tenants', '2', '--out', tempDir('alcor-rally-'), ...extra];
  try {
    const { stdout } = await run(process.execPath, args, { timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1));
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`rally run of ${task} failed: ${e.message}\n${e.stdout?.slice(-4000) ?? ''}\n${e.stderr?.slice(-4000) ?? ''}`);
  }
}

describe('Rally', () => {
  for (const task of ['create_and_list_ports.json', 'create_and_list_subnets.json']) {
    it(`runs ${task} (times 10, concurrency 5, 2 tenants) with zero failures`, async () => {
      const summary = await rallyTask(task);
      assert.equal(summary.workloads.length, 1);
      const [w] = summary.workloads;
      assert.equal(w.iterations, 10);
      assert.equal(w.failed, 0);
      assert.equal(w.passSla, true);
      assert.ok(Object.keys(w.actions).some((a) => a.startsWith('neutron.create_')), JSON.stringify(w.actions));
    });
  }

  it('runs create_and_list_ports.json with Rally\'s quotas context for neutron (set at setup, deleted at teardown) with zero failures', async () => {
    // Limits the run stays under: a refused PUT, or an enforced limit the scenario crossed, would fail it.
    const summary = await rallyTask('create_and_list_ports.json', ['--neutron-quotas', JSON.stringify({ network: -1, subnet: -1, port: 2000 })]);
    const [w] = summary.workloads;
    assert.equal(w.iterations, 10);
    assert.equal(w.failed, 0);
    const quotas = w.contexts.find((c) => c.plugin.startsWith('quotas'));
    assert.ok(quotas, JSON.stringify(w.contexts));
    assert.equal(quotas.setupError, null);
    assert.equal(quotas.cleanupError, null);
  });
});
