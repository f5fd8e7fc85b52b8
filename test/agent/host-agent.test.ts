/**
 * The agent's side of the protocol on its own: snapshots in chunks, deltas on the right base, a
 * gap detected by the previous revision and healed by a resync, and nothing applied (or acked)
 * while a stream is incomplete.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeDataPlane } from '../../src/agent/dataplane/fake.js';
import { HostAgent } from '../../src/agent/host-agent.js';
import type { AgentMessage, ControllerMessage } from '../../src/protocol/messages.js';
import { quietLog } from '../helpers/hosts.js';

function agent() {
  const sent: AgentMessage[] = [];
  const dp = new FakeDataPlane();
  const a = new HostAgent({ host: 'unit-1', vtep: '198.18.0.1', agentType: 'Alcor agent', binary: 'alcor-agent', version: 't', vifType: 'tap' }, dp, (m) => sent.push(m), quietLog);
  const feed = async (...ms: ControllerMessage[]) => {
    for (const m of ms) a.receive(m);
    await a.settled();
  };
  return { a, dp, sent, feed };
}

describe('host agent', () => {
  it('says hello with its cursors and the capabilities the controller binds by', () => {
    const { a } = agent();
    const h = a.hello();
    assert.equal(h.host, 'unit-1');
    assert.deepEqual(h.cursors, {});
    assert.equal(h.capabilities.vifType, 'tap');
    assert.equal(h.configurations?.tunneling_ip, '198.18.0.1');
  });

  it('applies a chunked snapshot only once complete, then acks the sync', async () => {
    const { a, dp, sent, feed } = agent();
    await feed(
      { t: 'snapshot', s: 'net/n', r: 5, first: true, complete: false, items: [['e:aa', ['198.18.0.2', '10.0.0.2']]] },
      { t: 'sync', r: 5 },
    );
    assert.equal(dp.record.rounds, 0, 'half a snapshot is never programmed');
    assert.deepEqual(sent, []);
    await feed(
      { t: 'snapshot', s: 'net/n', r: 5, first: false, complete: true, items: [['e:bb', ['198.18.0.3', '10.0.0.3']]] },
      { t: 'sync', r: 5 },
    );
    assert.equal(dp.record.rounds, 1);
    assert.deepEqual(dp.lastRound.get('net/n')!.sort(), ['e:aa', 'e:bb']);
    assert.deepEqual(sent, [{ t: 'ack', revision: 5 }]);
    assert.deepEqual(a.hello().cursors, { 'net/n': 5 });
  });

  it('a delta on the right base applies; one with a gap asks for a resync and holds the ack', async () => {
    const { a, dp, sent, feed } = agent();
    await feed({ t: 'snapshot', s: 'net/n', r: 5, first: true, complete: true, items: [] }, { t: 'sync', r: 5 });
    await feed({ t: 'delta', s: 'net/n', r: 7, p: 5, u: [['e:cc', ['198.18.0.4', '10.0.0.4']]], x: [] }, { t: 'sync', r: 7 });
    assert.deepEqual(dp.lastRound.get('net/n'), ['e:cc']);
    sent.length = 0;
    // Revision 8 was lost: 9 claims 8 as its base.
    await feed({ t: 'delta', s: 'net/n', r: 9, p: 8, u: [['e:dd', ['198.18.0.5']]], x: [] }, { t: 'sync', r: 9 });
    assert.deepEqual(sent, [{ t: 'resync', streams: ['net/n'] }]);
    assert.equal(a.counters.gaps, 1);
    // The resync's snapshot heals it; the next sync is applied and acked.
    await feed(
      { t: 'snapshot', s: 'net/n', r: 9, first: true, complete: true, items: [['e:cc', ['198.18.0.4', '10.0.0.4']], ['e:dd', ['198.18.0.5']]] },
      { t: 'sync', r: 9 },
    );
    assert.deepEqual(sent.at(-1), { t: 'ack', revision: 9 });
    assert.deepEqual([...a.state.streams.get('net/n')!.items.keys()].sort(), ['e:cc', 'e:dd']);
  });

  it('round deltas name their stream by the number its snapshot gave; an unknown number makes it say hello again', async () => {
    const { a, dp, feed } = agent();
    let lost = 0;
    a.onLost = () => { lost++; };
    await feed({ t: 'snapshot', s: 'net/n', i: 7, r: 5, first: true, complete: true, items: [] }, { t: 'sync', r: 5 });
    await feed({ t: 'delta', i: 7, r: 6, p: 5, u: [['e:ee', ['198.18.0.6']]], x: [] }, { t: 'sync', r: 6 });
    assert.deepEqual(dp.lastRound.get('net/n'), ['e:ee']);
    await feed({ t: 'delta', i: 99, r: 7, p: 6, u: [], x: [] });
    assert.equal(lost, 1);
  });

  it('unsubscribed streams are dropped; a data plane refusal is a nack naming the ports', async () => {
    const sent: AgentMessage[] = [];
    const dp = new FakeDataPlane(new Set(['p1']));
    const a = new HostAgent({ host: 'unit-2', vtep: '198.18.0.1', agentType: 'Alcor agent', binary: 'alcor-agent', version: 't', vifType: 'tap' }, dp, (m) => sent.push(m), quietLog);
    for (const m of [
      { t: 'snapshot', s: 'host/unit-2', r: 3, first: true, complete: true, items: [['p:p1', { id: 'p1' }]] },
      { t: 'snapshot', s: 'net/x', r: 3, first: true, complete: true, items: [] },
      { t: 'sync', r: 3 },
      { t: 'unsub', s: 'net/x' },
      { t: 'sync', r: 4 },
    ] as ControllerMessage[]) a.receive(m);
    await a.settled();
    // Sync 3 had sync 4 queued behind it: one apply, one nack and one ack, for 4.
    assert.deepEqual(sent, [{ t: 'nack', revision: 4, error: 'p1: fake refusal for port p1', ports: ['p1'] }, { t: 'ack', revision: 4 }]);
    assert.equal(dp.record.rounds, 1);
    assert.equal(a.state.streams.has('net/x'), false);
    assert.deepEqual(dp.lastRound.get('net/x'), ['(unsubscribed)']);
  });
});
