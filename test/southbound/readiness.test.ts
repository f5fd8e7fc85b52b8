/**
 * Readiness by acknowledgement, against a real controller and real agents over gRPC: ACTIVE only
 * after the host acked, DOWN on unbind or a vanished device, ERROR on a nack, no flapping across a
 * controller restart, a dead agent's ports left as they are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../src/agent/agent.js';
import type { ApplyInput, ApplyResult, DataPlane } from '../../src/agent/dataplane/dataplane.js';
import { FakeDataPlane } from '../../src/agent/dataplane/fake.js';
import { freePort } from '../../src/cli/controller-process.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer, tempDir } from '../helpers/server.js';
import { agentOn, boundPort, network, portStatus, settle, waitFor } from '../helpers/hosts.js';

/** The fake, held at a gate (nothing is applied until released) and told which devices vanished. */
class TestDataPlane implements DataPlane {
  readonly name = 'test';
  readonly failing = new Set<string>();
  readonly fake = new FakeDataPlane(this.failing);
  private gate?: Promise<void>;
  private open?: () => void;
  gone: string[] = [];
  hold(): void {
    this.gate = new Promise((r) => { this.open = r; });
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  async apply(input: ApplyInput): Promise<ApplyResult> {
    await this.gate;
    const r = await this.fake.apply(input);
    const gone = this.gone;
    this.gone = [];
    return { ...r, gone };
  }
  async close(): Promise<void> {}
}

async function registered(t: TestServer, host: string): Promise<void> {
  await waitFor(`agent ${host}`, async () => (await t.api.get(`/v2.0/agents?host=${host}`)).body.agents.length === 1);
  await waitFor(`${host} in sync`, async () => t.server.controlPlane.southbound.session(host)?.synced === true);
}

describe('readiness by acknowledgement', () => {
  let t: TestServer;
  let net: Record<string, any>;
  const dp = new TestDataPlane();
  let agent: RunningAgent;

  before(async () => {
    t = await startTestServer();
    net = await network(t.api, '10.9.0.0/24');
    agent = agentOn(t.server.controlPlane.url, 'ready-1', dp);
    await registered(t, 'ready-1');
  });
  after(async () => {
    dp.release();
    await agent?.stop();
    await t?.close();
  });

  it('a port is ACTIVE only after its host acked the revision that carries it', async () => {
    dp.hold();
    const port = await boundPort(t.api, net.id, 'ready-1');
    assert.equal(port.status, 'DOWN');
    assert.equal(port['binding:vif_type'], 'tap');
    await t.server.controlPlane.follower.idle();
    // The host has it but has not applied it: three looks over a few hundred ms all say DOWN.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await portStatus(t.api, port.id), 'DOWN');
    }
    dp.release();
    await waitFor('ACTIVE', async () => (await portStatus(t.api, port.id)) === 'ACTIVE');
    const after = (await t.api.get(`/v2.0/ports/${port.id}`)).body.port;
    assert.equal(after.revision_number, port.revision_number + 1, 'the status change bumps the revision, once');
  });

  it('unbinding puts it back to DOWN; rebinding makes it ACTIVE again', async () => {
    const port = await boundPort(t.api, net.id, 'ready-1');
    await settle(t);
    assert.equal(await portStatus(t.api, port.id), 'ACTIVE');
    const unbound = await t.api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': '' } });
    assert.equal(unbound.body.port.status, 'DOWN');
    await settle(t);
    assert.equal(await portStatus(t.api, port.id), 'DOWN', 'an ack of the unbind round does not make it ACTIVE');
    await t.api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'ready-1' } });
    await waitFor('ACTIVE again', async () => (await portStatus(t.api, port.id)) === 'ACTIVE');
  });

  it('a nack puts the port in ERROR; a device the host reports gone goes DOWN', async () => {
    const bad = await t.api.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova' });
    dp.failing.add(bad.id);
    await t.api.put(`/v2.0/ports/${bad.id}`, { port: { 'binding:host_id': 'ready-1' } });
    await waitFor('ERROR', async () => (await portStatus(t.api, bad.id)) === 'ERROR');
    dp.failing.delete(bad.id);

    const good = await boundPort(t.api, net.id, 'ready-1');
    await waitFor('ACTIVE', async () => (await portStatus(t.api, good.id)) === 'ACTIVE');
    dp.gone = [good.id];
    // Any round makes the data plane report: a rename of another port is one.
    await t.api.put(`/v2.0/ports/${bad.id}`, { port: { description: 'nudge', name: 'x', admin_state_up: false } });
    await waitFor('DOWN', async () => (await portStatus(t.api, good.id)) === 'DOWN');
  });

  it('status changes are written in batches: 50 binds at once take far fewer status writes', async () => {
    const stats = t.server.controlPlane.southbound.stats;
    const before = stats.portsActive;
    const batches = stats.statusBatches;
    const res = await t.api.post('/v2.0/ports', { ports: Array.from({ length: 50 }, () => ({ network_id: net.id, device_owner: 'compute:nova', 'binding:host_id': 'ready-1' })) });
    assert.equal(res.status, 201);
    await waitFor('all ACTIVE', async () => (await t.api.get(`/v2.0/ports?network_id=${net.id}&status=ACTIVE`)).body.ports.length >= 50);
    assert.ok(stats.portsActive - before >= 50);
    assert.ok(stats.statusBatches - batches <= 10, `${stats.statusBatches - batches} status writes for 50 ports`);
  });
});

describe('a slow host', () => {
  it('is paused while it leaves rounds unacked, then caught up in one go, skipping what it no longer needs', async () => {
    const t = await startTestServer();
    const dp = new TestDataPlane();
    const slow = agentOn(t.server.controlPlane.url, 'slow-1', dp);
    const other = agentOn(t.server.controlPlane.url, 'busy-1', new FakeDataPlane());
    try {
      await registered(t, 'slow-1');
      await registered(t, 'busy-1');
      const net = await network(t.api, '10.10.0.0/24');
      const mine = await boundPort(t.api, net.id, 'slow-1');
      await waitFor('ACTIVE', async () => (await portStatus(t.api, mine.id)) === 'ACTIVE');
      dp.hold();
      const macs: string[] = [];
      for (let i = 0; i < 40; i++) {
        macs.push((await boundPort(t.api, net.id, 'busy-1')).mac_address);
        await t.server.controlPlane.follower.idle();
      }
      const sb = t.server.controlPlane.southbound;
      assert.ok(sb.stats.paused >= 1, 'the slow host was paused');
      const deltasWhileHeld = slow.agent.counters.deltas;
      dp.release();
      await settle(t);
      const items = slow.agent.state.streams.get(`net/${net.id}`)!.items;
      for (const m of macs) assert.ok(items.has(`e:${m}`));
      // Each round changed two of its streams (the network's neighbours, the group's members): 80
      // deltas unpaused; paused, the rounds it skipped came as one merged delta per stream.
      const got = slow.agent.counters.deltas - deltasWhileHeld;
      assert.ok(got < 50, `${got} deltas for 40 rounds of two streams`);
      assert.equal(sb.session('slow-1')!.paused, false);
    } finally {
      dp.release();
      await slow.stop();
      await other.stop();
      await t.close();
    }
  });
});

describe('restarts', () => {
  it('a controller restart: agents reconnect and converge, no port flaps to DOWN', async () => {
    const dataDir = tempDir();
    const ports = { listen: `127.0.0.1:${await freePort()}`, southboundListen: `127.0.0.1:${await freePort()}` };
    let t = await startTestServer({ dataDir, ...ports });
    const agent = agentOn(t.server.controlPlane.url, 'restart-1', new FakeDataPlane());
    try {
      await registered(t, 'restart-1');
      const net = await network(t.api, '10.8.0.0/24');
      const port = await boundPort(t.api, net.id, 'restart-1');
      await waitFor('ACTIVE', async () => (await portStatus(t.api, port.id)) === 'ACTIVE');
      const before = (await t.api.get(`/v2.0/ports/${port.id}`)).body.port;
      await t.close();
      t = await startTestServer({ dataDir, ...ports });
      await waitFor('the agent back', async () => t.server.controlPlane.southbound.session('restart-1')?.synced === true, 20_000);
      await settle(t);
      // A port bound while the controller was away from this agent still goes ACTIVE.
      const second = await boundPort(t.api, net.id, 'restart-1');
      await waitFor('second ACTIVE', async () => (await portStatus(t.api, second.id)) === 'ACTIVE');
      const now = (await t.api.get(`/v2.0/ports/${port.id}`)).body.port;
      assert.equal(now.status, 'ACTIVE');
      assert.equal(now.revision_number, before.revision_number, 'no status write happened: it never went DOWN');
    } finally {
      await agent.stop();
      await t.close();
    }
  });

  it('a running agent heartbeats at the interval the controller names and stays alive', async () => {
    // Heartbeats are stored to the second (as Neutron's): 3 s leaves room for a 1 s beat.
    const t = await startTestServer({ agentDownTime: '3' });
    const agent = agentOn(t.server.controlPlane.url, 'beating-1', new FakeDataPlane());
    try {
      await registered(t, 'beating-1');
      assert.equal(agent.agent.heartbeatSeconds, 1);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 1_000));
        assert.equal((await t.api.get('/v2.0/agents?host=beating-1')).body.agents[0].alive, true, `alive after ${i + 1} s`);
      }
    } finally {
      await agent.stop();
      await t.close();
    }
  });

  it('an agent that died is marked not alive; its ports stay as they are; new binds on it fail', async () => {
    const t = await startTestServer({ agentDownTime: '2' });
    const agent = agentOn(t.server.controlPlane.url, 'dying-1', new FakeDataPlane());
    try {
      await registered(t, 'dying-1');
      const net = await network(t.api, '10.7.0.0/24');
      const port = await boundPort(t.api, net.id, 'dying-1');
      await waitFor('ACTIVE', async () => (await portStatus(t.api, port.id)) === 'ACTIVE');
      await agent.stop();
      await waitFor('not alive', async () => (await t.api.get('/v2.0/agents?host=dying-1')).body.agents[0]?.alive === false, 10_000);
      assert.equal(await portStatus(t.api, port.id), 'ACTIVE', 'not flipped en masse');
      const late = await boundPort(t.api, net.id, 'dying-1');
      assert.equal(late['binding:vif_type'], 'binding_failed');
    } finally {
      await t.close();
    }
  });

  it('a stream subscribed while still empty is named at hello, so its first delta is understood', async () => {
    const t = await startTestServer();
    let agent = agentOn(t.server.controlPlane.url, 'empty-1', new FakeDataPlane());
    try {
      await registered(t, 'empty-1');
      const net = await network(t.api, '10.11.0.0/24');
      const target = await t.api.create('security-groups', 'security_group', { name: 'nobody-yet' });
      const client = await t.api.create('security-groups', 'security_group', { name: 'client' });
      await t.api.create('security-group-rules', 'security_group_rule', { security_group_id: client.id, direction: 'ingress', remote_group_id: target.id });
      await boundPort(t.api, net.id, 'empty-1', { security_groups: [client.id] });
      await settle(t);
      // A fresh agent process (no saved cursors) on the same host: sgm/<target> has no members.
      const old = t.server.controlPlane.southbound.session('empty-1');
      await agent.stop();
      agent = agentOn(t.server.controlPlane.url, 'empty-1', new FakeDataPlane());
      // The new process's own session: until its hello is in, the one found may be the old one's.
      await waitFor('back', async () => {
        const s = t.server.controlPlane.southbound.session('empty-1');
        return s !== undefined && s !== old && s.synced;
      });
      await settle(t);
      const member = await t.api.create('ports', 'port', { network_id: net.id, security_groups: [target.id] });
      await settle(t);
      assert.equal(agent.agent.counters.hellos, 1, 'no second hello');
      assert.ok(agent.agent.state.streams.get(`sgm/${target.id}`)!.items.has(`m:${member.fixed_ips[0].ip_address}`));
    } finally {
      await agent.stop();
      await t.close();
    }
  });

  it('an agent that fell behind the history gets a snapshot, and converges', async () => {
    const t = await startTestServer({}, { southbound: { historyPerStream: 2 } });
    const stateDir = tempDir();
    let agent = agentOn(t.server.controlPlane.url, 'behind-1', new FakeDataPlane(), stateDir);
    const other = agentOn(t.server.controlPlane.url, 'behind-2', new FakeDataPlane());
    try {
      await registered(t, 'behind-1');
      await registered(t, 'behind-2');
      const net = await network(t.api, '10.6.0.0/24');
      const port = await boundPort(t.api, net.id, 'behind-1');
      await waitFor('ACTIVE', async () => (await portStatus(t.api, port.id)) === 'ACTIVE');
      await agent.stop();
      const macs: string[] = [];
      // Four rounds, each its own delta of the network's stream: past a history of two.
      for (let i = 0; i < 4; i++) {
        macs.push((await boundPort(t.api, net.id, 'behind-2')).mac_address);
        await settle(t);
      }
      const snapshotsBefore = t.server.controlPlane.southbound.stats.snapshotsOnHello;
      agent = agentOn(t.server.controlPlane.url, 'behind-1', new FakeDataPlane(), stateDir);
      await waitFor('back in sync', async () => t.server.controlPlane.southbound.session('behind-1')?.synced === true);
      await settle(t);
      assert.ok(t.server.controlPlane.southbound.stats.snapshotsOnHello > snapshotsBefore, 'a snapshot, not deltas');
      const items = agent.agent.state.streams.get(`net/${net.id}`)!.items;
      for (const m of macs) assert.ok(items.has(`e:${m}`), `has the neighbour ${m}`);
    } finally {
      await agent.stop();
      await other.stop();
      await t.close();
    }
  });
});
