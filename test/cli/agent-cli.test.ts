/**
 * The agent commands as an operator runs them: `alcor agent` and `alcor sim` against a controller
 * process, `alcor goalstate graph`, and clear refusals for what cannot run.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BIN, spawnController } from '../helpers/process.js';
import type { ControllerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { waitFor } from '../helpers/hosts.js';

const run = promisify(execFile);

describe('alcor agent, sim and goalstate', () => {
  let ctl: ControllerProcess;
  before(async () => {
    ctl = await spawnController(tempDir());
  });
  after(async () => {
    await ctl?.stop();
  });

  it('agent --dataplane linux without a VTEP, or a missing flag, is refused by name', async () => {
    await assert.rejects(run(process.execPath, [BIN, 'agent', '--host', 'x', '--controller', ctl.southboundUrl, '--dataplane', 'linux']),
      (e: { stderr: string }) => /--vtep IP is required with --dataplane linux/.test(e.stderr));
    await assert.rejects(run(process.execPath, [BIN, 'agent', '--host', 'x', '--controller', ctl.southboundUrl, '--dataplane', 'linux', '--vtep', 'nope']),
      (e: { stderr: string }) => /--vtep IP is required/.test(e.stderr));
    await assert.rejects(run(process.execPath, [BIN, 'agent', '--host', 'x', '--dataplane', 'fake']),
      (e: { stderr: string }) => /--controller is required/.test(e.stderr));
  });

  it('agent --physical-network PHYSNET=IFACE reports bridge_mappings; a malformed one is refused by name', async () => {
    await assert.rejects(run(process.execPath, [BIN, 'agent', '--host', 'x', '--controller', ctl.southboundUrl, '--dataplane', 'fake', '--physical-network', 'public']),
      (e: { stderr: string }) => /--physical-network must be PHYSNET=IFACE/.test(e.stderr));
    await assert.rejects(run(process.execPath, [BIN, 'agent', '--host', 'x', '--controller', ctl.southboundUrl, '--dataplane', 'fake',
      '--physical-network', 'public=eth1', '--physical-network', 'public=eth2']), (e: { stderr: string }) => /given twice/.test(e.stderr));
    const child = spawn(process.execPath, [BIN, 'agent', '--host', 'cli-physnet', '--controller', ctl.southboundUrl, '--dataplane', 'fake',
      '--physical-network', 'public=eth1', '--physical-network', 'physnet2=bond0.20'], { stdio: 'ignore' });
    try {
      const agent = await waitFor('the agent', async () => {
        const res = await fetch(`${ctl.url}/v2.0/agents?host=cli-physnet`);
        const body = await res.json() as { agents: Array<{ configurations: Record<string, unknown> }> };
        return body.agents[0];
      }, 20_000);
      assert.deepEqual(agent.configurations.bridge_mappings, { public: 'eth1', physnet2: 'bond0.20' });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('sim runs N hosts over few connections; each registers as an agent; SIGTERM stops it', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', '--hosts', '120', '--per-connection', '50', '--prefix', 'clisim', '--controller', ctl.southboundUrl], { stdio: 'ignore' });
    try {
      const agents = await waitFor('120 agents', async () => {
        const res = await fetch(`${ctl.url}/v2.0/agents?fields=host&fields=alive&limit=1000`);
        const body = await res.json() as { agents: Array<{ host: string; alive: boolean }> };
        const sims = body.agents.filter((a) => a.host.startsWith('clisim-'));
        return sims.length === 120 ? sims : undefined;
      }, 20_000);
      assert.ok(agents.every((a) => a.alive));
      assert.ok(agents.some((a) => a.host === 'clisim-120'));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    assert.equal(child.exitCode, 0);
  });

  it('goalstate graph prints the running controller\'s graph in DOT', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'goalstate', 'graph', '--url', ctl.url]);
    assert.match(stdout, /^digraph goalstate/);
    for (const node of ['bindings', 'subscriptions', 'host-parts', 'neighbours', 'group-rules', 'group-members']) assert.match(stdout, new RegExp(`"${node}"`));
  });
});
