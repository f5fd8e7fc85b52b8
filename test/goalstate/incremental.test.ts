/**
 * Incrementality in OVN's manner: one change at a time against a running controller with simulated
 * hosts, then which nodes ran (none from scratch), and exactly which hosts were sent what.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Simulator } from '../../src/agent/sim.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';
import { boundPort, network, settle, startSim } from '../helpers/hosts.js';

describe('goal-state incrementality', () => {
  let t: TestServer;
  let sim: Simulator;
  let n1: Record<string, any>;
  let n2: Record<string, any>;
  const cp = () => t.server.controlPlane;

  /** Runs a change, settles, and returns what ran and who got what. */
  async function change(fn: () => Promise<unknown>) {
    cp().compiler.takeReports();
    cp().southbound.takeDeliveries();
    await fn();
    await settle(t);
    const reports = cp().compiler.takeReports();
    const ran = new Set(reports.flatMap((r) => r.ran.map((x) => x.node)));
    const recomputed = reports.flatMap((r) => r.ran.filter((x) => x.how === 'recompute').map((x) => x.node));
    const got = cp().southbound.takeDeliveries();
    const delivered = (host: string) => Object.fromEntries(got.get(host) ?? []);
    return { ran, recomputed, got, delivered };
  }

  before(async () => {
    t = await startTestServer({}, { southbound: { recordDeliveries: true } });
    sim = await startSim(t, 3, 'inc');
    n1 = await network(t.api, '10.1.0.0/24');
    // Another project's network: its ports are in that project's default group, not admin's.
    n2 = await network(t.api, '10.2.0.0/24', { project_id: 'other' });
    // inc-2 holds a port on n1; inc-3 only on n2.
    await boundPort(t.api, n1.id, 'inc-2');
    await boundPort(t.api, n2.id, 'inc-3', { project_id: 'other' });
    await settle(t);
  });
  after(async () => {
    await sim?.stop();
    await t?.close();
  });

  it('a bind on host A of network N reaches A in full, the hosts of N as a neighbour entry, and nobody else', async () => {
    let port: Record<string, any> = {};
    const r = await change(async () => { port = await boundPort(t.api, n1.id, 'inc-1'); });
    assert.deepEqual(r.recomputed, []);
    for (const node of ['bindings', 'subscriptions', 'host-parts', 'neighbours', 'group-members']) assert.ok(r.ran.has(node), `${node} ran`);
    assert.ok(!r.ran.has('group-rules'), 'no rule changed, group-rules did not run');
    const a = r.delivered('inc-1');
    assert.deepEqual(a['host/inc-1'].filter((k: string) => k.startsWith('p:')), [`p:${port.id}`]);
    // A's first port on n1: it gets n1 (and the port's group) as snapshots.
    assert.deepEqual(a[`net/${n1.id}`], ['(snapshot)']);
    const b = r.delivered('inc-2');
    assert.deepEqual(Object.keys(b).sort(), [`net/${n1.id}`, `sgm/${port.security_groups[0]}`].sort());
    assert.deepEqual(b[`net/${n1.id}`], [`e:${port.mac_address}`]);
    assert.equal(r.got.has('inc-3'), false, 'a host without n1 (nor a port in the project\'s groups) gets nothing');
    assert.equal(await t.api.get(`/v2.0/ports/${port.id}`).then((x) => x.body.port.status), 'ACTIVE');
  });

  it('a second port on the same host and network touches one slice and no subscription', async () => {
    let port: Record<string, any> = {};
    const r = await change(async () => { port = await boundPort(t.api, n1.id, 'inc-1'); });
    assert.deepEqual(r.recomputed, []);
    const a = r.delivered('inc-1');
    assert.deepEqual(a['host/inc-1'], [`p:${port.id}`], 'only the port: the host part (subscriptions) is unchanged');
    assert.deepEqual(a[`net/${n1.id}`], [`e:${port.mac_address}`]);
    const slice = cp().compiler.graph.streams.sliceOf(`net/${n1.id}`, `e:${port.mac_address}`);
    assert.equal(slice, 0, 'a small network is one slice');
    assert.equal(r.got.has('inc-3'), false);
  });

  it('an unbind removes the port from its host and its neighbour entry from the hosts of N', async () => {
    const port = await boundPort(t.api, n1.id, 'inc-1');
    await settle(t);
    const r = await change(() => t.api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': '' } }));
    assert.deepEqual(r.recomputed, []);
    assert.ok(r.delivered('inc-1')['host/inc-1'].includes(`-p:${port.id}`));
    assert.deepEqual(r.delivered('inc-2')[`net/${n1.id}`], [`-e:${port.mac_address}`]);
    assert.equal(r.got.has('inc-3'), false);
    const res = await t.api.get(`/v2.0/ports/${port.id}`);
    assert.equal(res.body.port.status, 'DOWN');
    assert.equal(res.body.port['binding:vif_type'], 'unbound');
  });

  it('a new security-group rule reaches exactly the hosts with a port in the group', async () => {
    const sg = await t.api.create('security-groups', 'security_group', { name: 'web' });
    const member = await boundPort(t.api, n2.id, 'inc-3', { security_groups: [sg.id] });
    await settle(t);
    let rule: Record<string, any> = {};
    const r = await change(async () => {
      rule = await t.api.create('security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 });
    });
    assert.deepEqual(r.recomputed, []);
    for (const node of ['bindings', 'host-parts', 'neighbours', 'group-members']) assert.ok(!r.ran.has(node), `${node} did not run`);
    assert.ok(r.ran.has('group-rules'));
    assert.deepEqual([...r.got.keys()], ['inc-3']);
    assert.deepEqual(r.delivered('inc-3')[`sg/${sg.id}`], [`r:${rule.id}`]);
    assert.equal(member.status, 'DOWN');
  });

  it('a remote-group member joining reaches the hosts whose groups refer to it, as one member entry', async () => {
    const target = await t.api.create('security-groups', 'security_group', { name: 'db' });
    const client = await t.api.create('security-groups', 'security_group', { name: 'app' });
    await t.api.create('security-group-rules', 'security_group_rule', { security_group_id: client.id, direction: 'egress', remote_group_id: target.id });
    await boundPort(t.api, n2.id, 'inc-3', { security_groups: [client.id] });
    await settle(t);
    let member: Record<string, any> = {};
    const r = await change(async () => { member = await t.api.create('ports', 'port', { network_id: n1.id, security_groups: [target.id] }); });
    assert.deepEqual(r.recomputed, []);
    assert.deepEqual([...r.got.keys()], ['inc-3'], 'only the host holding a port whose group names the member\'s group');
    assert.deepEqual(r.delivered('inc-3')[`sgm/${target.id}`], [`m:${member.fixed_ips[0].ip_address}`]);
  });

  it('a subnet update reaches the hosts of its network only', async () => {
    const [subnet] = (await t.api.get(`/v2.0/subnets?network_id=${n2.id}`)).body.subnets;
    const r = await change(() => t.api.put(`/v2.0/subnets/${subnet.id}`, { subnet: { dns_nameservers: ['198.18.0.53'] } }));
    assert.deepEqual(r.recomputed, []);
    assert.deepEqual([...r.ran].sort(), ['neighbours']);
    assert.deepEqual([...r.got.keys()], ['inc-3']);
    assert.deepEqual(r.delivered('inc-3')[`net/${n2.id}`], [`s:${subnet.id}`]);
  });

  it('a port delete removes it from its host and its neighbours; the last port of a network unsubscribes the host', async () => {
    const n3 = await network(t.api, '10.3.0.0/24');
    const port = await boundPort(t.api, n3.id, 'inc-2');
    await settle(t);
    const r = await change(() => t.api.delete(`/v2.0/ports/${port.id}`));
    assert.deepEqual(r.recomputed, []);
    const b = r.delivered('inc-2');
    assert.ok(b['host/inc-2'].includes(`-p:${port.id}`));
    assert.deepEqual(b[`net/${n3.id}`], ['(unsub)']);
    // inc-1 only hears that the default group lost a member (its rules name the group itself).
    assert.deepEqual(Object.keys(r.delivered('inc-1')), [`sgm/${port.security_groups[0]}`]);
    assert.equal(r.got.has('inc-3'), false);
  });

  it('a status-only change (the ACTIVE write itself) sends nothing', async () => {
    const port = await t.api.create('ports', 'port', { network_id: n1.id });
    await settle(t);
    const r = await change(() => t.api.put(`/v2.0/ports/${port.id}`, { port: { name: 'renamed', description: 'no goal state in a name' } }));
    assert.equal(r.got.size, 0);
    assert.deepEqual(r.recomputed, []);
  });

  it('steady state has no full recompute, and the graph dumps as DOT with its counters', async () => {
    for (const c of cp().compiler.counters()) assert.equal(c.recomputes, 0, `${c.node} recomputed`);
    const res = await t.api.get('/goalstate/graph');
    assert.equal(res.status, 200);
    assert.match(String(res.body), /^digraph goalstate \{/);
    assert.match(String(res.body), /"bindings" -> "subscriptions"/);
    assert.match(String(res.body), /incremental \d+\\nrecomputes 0/);
    const member = await t.api.as('someone').get('/goalstate/graph');
    assert.equal(member.status, 403);
  });
});
