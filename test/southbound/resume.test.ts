/**
 * An agent process killed with SIGKILL, the network changed meanwhile, the agent started again: it
 * resumes from the cursors in its state directory and converges on deltas alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StateFileContent } from '../../src/agent/state-file.js';
import type { Simulator } from '../../src/agent/sim.js';
import { BIN } from '../helpers/process.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer, tempDir } from '../helpers/server.js';
import { boundPort, network, portStatus, settle, startSim, waitFor } from '../helpers/hosts.js';

function startAgent(url: string, host: string, stateDir: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'agent', '--host', host, '--controller', url, '--dataplane', 'fake', '--vtep', '198.18.0.77', '--state-dir', stateDir, '--log-level', 'warn'], { stdio: 'ignore' });
}

function saved(stateDir: string, host: string): StateFileContent | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, `${host}.json`), 'utf8')) as StateFileContent;
  } catch {
    return undefined;
  }
}

describe('agent resume after SIGKILL', () => {
  let t: TestServer;
  let sim: Simulator;
  const children: ChildProcess[] = [];

  before(async () => {
    t = await startTestServer();
    sim = await startSim(t, 1, 'peer');
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sim?.stop();
    await t?.close();
  });

  it('resumes from its cursors with deltas only, no snapshot, and converges', async () => {
    const stateDir = tempDir('alcor-agent-state-');
    const url = t.server.controlPlane.url;
    let child = startAgent(url, 'kill-1', stateDir);
    children.push(child);
    const net = await network(t.api, '10.5.0.0/24');
    await waitFor('agent registered', async () => t.server.controlPlane.southbound.session('kill-1')?.synced === true);
    const first = await boundPort(t.api, net.id, 'kill-1');
    await waitFor('ACTIVE', async () => (await portStatus(t.api, first.id)) === 'ACTIVE');
    await settle(t);
    const revision = t.server.controlPlane.southbound.session('kill-1')!.ackedRevision;
    const before = await waitFor('state saved', async () => {
      const s = saved(stateDir, 'kill-1');
      return s && s.applied >= revision ? s : undefined;
    });

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await waitFor('session gone', async () => t.server.controlPlane.southbound.session('kill-1') === undefined);
    // Meanwhile: a neighbour appears on its network, and a port is bound to it.
    const neighbour = await boundPort(t.api, net.id, 'peer-1');
    const second = await boundPort(t.api, net.id, 'kill-1');
    assert.equal(second['binding:vif_type'], 'tap', 'the agent is still alive by its last heartbeat');
    await settle(t);
    const stats = t.server.controlPlane.southbound.stats;
    const snapshotsBefore = stats.snapshotsOnHello;
    const resumedBefore = stats.resumedByDelta;

    child = startAgent(url, 'kill-1', stateDir);
    children.push(child);
    await waitFor('second ACTIVE', async () => (await portStatus(t.api, second.id)) === 'ACTIVE');
    await settle(t);
    assert.equal(stats.snapshotsOnHello, snapshotsBefore, 'no snapshot was sent');
    assert.ok(stats.resumedByDelta > resumedBefore, 'deltas were');
    const now = await waitFor('state saved again', async () => {
      const s = saved(stateDir, 'kill-1');
      return s && s.applied > before.applied ? s : undefined;
    });
    assert.equal(now.counters.snapshots, before.counters.snapshots, 'the agent received no snapshot');
    assert.ok(now.counters.deltas > before.counters.deltas);
    const items = new Map(now.streams[`net/${net.id}`].items);
    assert.ok(items.has(`e:${neighbour.mac_address}`), 'it has the neighbour that came while it was dead');
    assert.ok(new Map(now.streams['host/kill-1'].items).has(`p:${second.id}`));
    child.kill('SIGTERM');
  });
});
