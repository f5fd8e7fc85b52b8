/**
 * What an agent may send that it should not: garbage, messages out of protocol, acks from the
 * future or the past, someone else's port, a host name a live agent holds. Each gets a clear error
 * on that session alone; the controller keeps serving everyone else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeDataPlane } from '../../src/agent/dataplane/fake.js';
import type { RunningAgent } from '../../src/agent/agent.js';
import { checkControllerMessage, decode } from '../../src/protocol/codec.js';
import type { ControllerMessage } from '../../src/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { GrpcClientCarrier } from '../../src/protocol/grpc/carrier.js';
import type { Channel } from '../../src/protocol/transport.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';
import { agentOn, boundPort, network, portStatus, waitFor } from '../helpers/hosts.js';

class RawPeer {
  readonly carrier = new GrpcClientCarrier();
  readonly channel: Channel;
  readonly received: Array<{ session: number; message: ControllerMessage }> = [];
  constructor(url: string) {
    this.channel = this.carrier.connect(url);
    this.channel.onChunk((c) => {
      for (const f of decode(c, checkControllerMessage)) if (!('error' in f)) this.received.push(f);
    });
  }
  send(text: string): void {
    this.channel.send(text);
  }
  /** The next error frame on a session, after `from` frames. */
  async error(session: number, from: number): Promise<{ code: string; fatal: boolean }> {
    return waitFor('an error frame', async () => {
      const f = this.received.slice(from).find((x) => x.session === session && x.message.t === 'error');
      return f ? (f.message as { code: string; fatal: boolean }) : undefined;
    }, 5_000);
  }
  close(): void {
    this.channel.close();
    this.carrier.close();
  }
}

const hello = (host: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  t: 'hello', protocol: PROTOCOL_VERSION, host, agentType: 'Alcor agent', binary: 'alcor-agent', version: 'test',
  vtep: '198.18.0.66', startedAt: '2026-12-01 00:00:00', capabilities: { vifType: 'tap' }, cursors: {}, ...extra,
});

describe('bad input from agents', () => {
  let t: TestServer;
  let holder: RunningAgent;
  let peer: RawPeer;

  before(async () => {
    t = await startTestServer();
    holder = agentOn(t.server.controlPlane.url, 'holder-1', new FakeDataPlane());
    await waitFor('holder in sync', async () => t.server.controlPlane.southbound.session('holder-1')?.synced === true);
    peer = new RawPeer(t.server.controlPlane.url);
  });
  after(async () => {
    peer?.close();
    await holder?.stop();
    await t?.close();
  });

  const cases: Array<[string, string, number, string]> = [
    ['a line that is no frame', 'garbage without a session\n', 0, 'bad-frame'],
    ['a frame that is not JSON', '3 {not json\n', 3, 'bad-json'],
    ['an unknown message type', '4 {"t":"bogus"}\n', 4, 'unknown-type'],
    ['a message that is not an object', '4 [1,2,3]\n', 4, 'bad-message'],
    ['an ack before hello', '5 {"t":"ack","revision":1}\n', 5, 'no-hello'],
    ['another protocol version', `6 ${hello('v-1', { protocol: 99 })}\n`, 6, 'version'],
    ['a hello with a bad host name', `7 ${hello('bad host!')}\n`, 7, 'bad-message'],
    ['a hello without capabilities', `8 ${JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, host: 'x' })}\n`, 8, 'bad-message'],
    ['a negative revision', '9 {"t":"ack","revision":-4}\n', 9, 'bad-message'],
  ];
  for (const [what, text, session, code] of cases) {
    it(`${what}: error ${code} to that session`, async () => {
      const from = peer.received.length;
      peer.send(text);
      assert.equal((await peer.error(session, from)).code, code);
    });
  }

  it('acks from the future or the past, and someone else\'s port, are refused; the session goes on', async () => {
    let from = peer.received.length;
    peer.send(`20 ${hello('raw-1')}\n`);
    await waitFor('welcome', async () => peer.received.slice(from).some((f) => f.session === 20 && f.message.t === 'welcome'));
    const sync = await waitFor('sync', async () => peer.received.find((f) => f.session === 20 && f.message.t === 'sync'));
    const r = (sync.message as { r: number }).r;
    from = peer.received.length;
    peer.send(`20 {"t":"ack","revision":${r + 1_000_000}}\n`);
    assert.equal((await peer.error(20, from)).code, 'future-revision');
    peer.send(`20 {"t":"ack","revision":${r}}\n`);
    from = peer.received.length;
    peer.send(`20 {"t":"ack","revision":0}\n`);
    if (r > 0) assert.equal((await peer.error(20, from)).code, 'stale-revision');
    const net = await network(t.api, '10.4.0.0/24');
    const theirs = await boundPort(t.api, net.id, 'holder-1');
    await waitFor('theirs ACTIVE', async () => (await portStatus(t.api, theirs.id)) === 'ACTIVE');
    from = peer.received.length;
    // Its `gone` for another host's port changes nothing and is no error (a port that left a host is
    // gone from it); an `up` for it is refused.
    peer.send(`20 {"t":"gone","ports":["${theirs.id}"]}\n20 {"t":"up","ports":["${theirs.id}"]}\n20 {"t":"resync","streams":["host/holder-1"]}\n`);
    assert.equal((await peer.error(20, from)).code, 'not-your-port');
    await waitFor('a second error', async () => peer.received.slice(from).filter((f) => f.session === 20 && f.message.t === 'error').length >= 2);
    // This raw session acks nothing more, so the southbound never goes quiet: wait on the writes.
    await t.server.controlPlane.follower.idle();
    await t.server.controlPlane.southbound.drained();
    assert.equal(await portStatus(t.api, theirs.id), 'ACTIVE', 'another host\'s port is untouched');
  });

  it('a hello with the host of a live agent is refused; the holder keeps its host and its ports go ACTIVE', async () => {
    const from = peer.received.length;
    peer.send(`30 ${hello('holder-1')}\n`);
    const err = await peer.error(30, from);
    assert.equal(err.code, 'host-in-use');
    assert.equal(err.fatal, true);
    const sb = t.server.controlPlane.southbound;
    assert.equal(sb.session('holder-1')?.agentId, holder.agent.agentId);
    const net = await network(t.api, '10.3.0.0/24');
    const port = await boundPort(t.api, net.id, 'holder-1');
    await waitFor('ACTIVE', async () => (await portStatus(t.api, port.id)) === 'ACTIVE');
    assert.equal((await t.api.get('/v2.0/agents?host=holder-1')).body.agents.length, 1);
  });

  it('an oversized or torn chunk never takes the controller down', async () => {
    const from = peer.received.length;
    peer.send(`40 {"t":"heartbeat"`);
    peer.send(`\n41 ${'x'.repeat(100_000)}\n`);
    await peer.error(41, from);
    assert.equal((await t.api.get('/v2.0/networks')).status, 200);
    assert.ok(t.server.controlPlane.southbound.stats.errors > 0);
  });
});
