/**
 * Neutron's agents API and ML2-style port binding, against a real controller over HTTP. Agents are
 * registered as the southbound registers them: through the request thread's domain.writes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentReport } from '../../src/domain/index.js';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const AGENT_FIELDS = [
  'id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'created_at', 'started_at',
  'heartbeat_timestamp', 'description', 'resources_synced', 'availability_zone', 'alive', 'configurations',
].sort();
const AGENT_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

function report(host: string, extra: Partial<AgentReport> = {}): AgentReport {
  return {
    host,
    agentType: 'Alcor agent',
    binary: 'alcor-agent',
    topic: 'N/A',
    configurations: { devices: 0 },
    startedAt: new Date().toISOString(),
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('agents API', () => {
  let t: TestServer;
  let api: Api;
  before(async () => { t = await startTestServer(); api = t.api; });
  after(async () => { await t.close(); });
  const register = (r: AgentReport) => t.server.domain.writes.registerAgent(r);

  it('lists and shows a registered agent with Neutron\'s fields and formats', async () => {
    const registered = await register(report('fields-1', { availabilityZone: 'nova', startedAt: '2026-01-02 03:04:05' }));
    assert.equal(registered.alive, true);
    const shown = (await api.get(`/v2.0/agents/${registered.id}`)).body.agent;
    assert.deepEqual(Object.keys(shown).sort(), AGENT_FIELDS);
    assert.equal(shown.host, 'fields-1');
    assert.equal(shown.agent_type, 'Alcor agent');
    assert.equal(shown.binary, 'alcor-agent');
    assert.equal(shown.topic, 'N/A');
    assert.equal(shown.admin_state_up, true);
    assert.equal(shown.alive, true);
    assert.equal(shown.description, null);
    assert.equal(shown.availability_zone, 'nova');
    assert.equal(shown.resources_synced, null);
    assert.deepEqual(shown.configurations, { devices: 0 });
    assert.equal(shown.started_at, '2026-01-02 03:04:05');
    for (const k of ['created_at', 'heartbeat_timestamp']) assert.match(shown[k], AGENT_TIME, k);
    const listed = (await api.get('/v2.0/agents?host=fields-1')).body.agents;
    assert.deepEqual(listed, [shown]);
    const narrowed = await api.get(`/v2.0/agents/${registered.id}?fields=alive&fields=host`);
    assert.deepEqual(narrowed.body.agent, { alive: true, host: 'fields-1' });
  });

  it('a second report from the same (type, host) keeps the row and takes what it reports', async () => {
    const first = await register(report('again-1', { configurations: { a: 1 } }));
    await api.put(`/v2.0/agents/${first.id}`, { agent: { admin_state_up: false, description: 'kept' } });
    const second = await register(report('again-1', { configurations: { a: 2 }, binary: 'alcor-agent-2', resourcesSynced: true }));
    assert.equal(second.id, first.id);
    assert.equal(second.created_at, first.created_at);
    assert.equal(second.admin_state_up, false);
    assert.equal(second.description, 'kept');
    assert.deepEqual(second.configurations, { a: 2 });
    assert.equal(second.binary, 'alcor-agent-2');
    assert.equal(second.resources_synced, true);
    const other = await register(report('again-1', { agentType: 'DHCP agent' }));
    assert.notEqual(other.id, first.id);
    assert.equal((await api.get('/v2.0/agents?host=again-1')).body.agents.length, 2);
  });

  it('is admin only: a member lists nothing and finds nothing', async () => {
    const a = await register(report('member-1'));
    const member = api.as('p-member');
    const list = await member.get('/v2.0/agents');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.agents, []);
    assert.deepEqual((await member.get('/v2.0/agents?host=member-1')).body.agents, []);
    // As Neutron: an agent the policy hides is a bare 404; one that does not exist is AgentNotFound.
    await expectError(member.get(`/v2.0/agents/${a.id}`), 404, 'HTTPNotFound');
    await expectError(member.put(`/v2.0/agents/${a.id}`, { agent: { description: 'x' } }), 404, 'HTTPNotFound');
    await expectError(member.delete(`/v2.0/agents/${a.id}`), 404, 'HTTPNotFound');
    const missing = '01a21100-0000-7000-8000-00000000a9e7';
    const r = await expectError(member.get(`/v2.0/agents/${missing}`), 404, 'AgentNotFound');
    assert.equal(r.body.NeutronError.message, `Agent ${missing} could not be found.`);
    assert.equal((await api.get(`/v2.0/agents/${a.id}`)).body.agent.description, null);
  });

  it('PUT takes admin_state_up and description only; POST is Neutron\'s 400', async () => {
    const a = await register(report('put-1'));
    const up = await api.put(`/v2.0/agents/${a.id}`, { agent: { admin_state_up: false, description: 'maintenance' } });
    assert.equal(up.status, 200);
    assert.equal(up.body.agent.admin_state_up, false);
    assert.equal(up.body.agent.description, 'maintenance');
    assert.equal(up.body.agent.alive, true);
    assert.deepEqual(Object.keys(up.body.agent).sort(), AGENT_FIELDS);
    assert.equal((await api.put(`/v2.0/agents/${a.id}`, { agent: { description: null } })).body.agent.description, null);
    const ro = await expectError(api.put(`/v2.0/agents/${a.id}`, { agent: { host: 'elsewhere' } }), 400, 'HTTPBadRequest');
    assert.equal(ro.body.NeutronError.message, 'Cannot update read-only attribute host');
    await expectError(api.put(`/v2.0/agents/${a.id}`, { agent: { alive: false } }), 400);
    await expectError(api.put(`/v2.0/agents/${a.id}`, { agent: { foo: 1 } }), 400);
    await expectError(api.put(`/v2.0/agents/${a.id}`, { agent: { description: 5 } }), 400);
    // A member's read-only attribute is refused before the policy hides the row, as in Neutron.
    await expectError(api.as('p-member').put(`/v2.0/agents/${a.id}`, { agent: { host: 'x' } }), 400);
    const post = await expectError(api.post('/v2.0/agents', { agent: { host: 'h' } }), 400, 'HTTPBadRequest');
    assert.equal(post.body.NeutronError.message, "Unrecognized attribute(s) 'tenant_id, project_id'");
    const foo = await expectError(api.post('/v2.0/agents', { agent: { foo: 1 } }), 400);
    assert.equal(foo.body.NeutronError.message, "Unrecognized attribute(s) 'tenant_id, project_id, foo'");
    const bulk = await expectError(api.post('/v2.0/agents', { agents: [{}] }), 400);
    assert.equal(bulk.body.NeutronError.message, 'Bulk operation not supported');
    // Agents have no standard attributes: no revision appears and none is bumped.
    const after = (await api.get(`/v2.0/agents/${a.id}`)).body.agent;
    for (const k of ['revision_number', 'updated_at', 'project_id', 'tenant_id', 'name', 'tags']) assert.ok(!(k in after), k);
  });

  it('filters, fields, sorting and pagination', async () => {
    for (const h of ['list-c', 'list-a', 'list-b']) await register(report(h, { topic: 'list-topic' }));
    const down = await register(report('list-d', { topic: 'list-topic' }));
    await api.put(`/v2.0/agents/${down.id}`, { agent: { admin_state_up: false } });
    const hosts = async (q: string) => (await api.get(`/v2.0/agents?topic=list-topic&${q}`)).body.agents.map((a: { host: string }) => a.host);
    assert.deepEqual(await hosts('sort_key=host&sort_dir=asc&fields=host'), ['list-a', 'list-b', 'list-c', 'list-d']);
    assert.deepEqual(await hosts('sort_key=host&sort_dir=desc&fields=host'), ['list-d', 'list-c', 'list-b', 'list-a']);
    assert.deepEqual(await hosts('admin_state_up=false'), ['list-d']);
    assert.deepEqual((await hosts('alive=true')).length, 4);
    assert.deepEqual(await hosts('alive=false'), []);
    assert.deepEqual((await hosts('alive=true&alive=false')).length, 4);
    assert.deepEqual(await hosts('host=list-b&agent_type=Alcor%20agent&binary=alcor-agent'), ['list-b']);
    const page = await api.get('/v2.0/agents?topic=list-topic&sort_key=host&sort_dir=asc&limit=2');
    assert.deepEqual(page.body.agents.map((a: { host: string }) => a.host), ['list-a', 'list-b']);
    const next = page.body.agents_links.find((l: { rel: string }) => l.rel === 'next');
    assert.ok(next, JSON.stringify(page.body.agents_links));
    const rest = await api.get(new URL(next.href).pathname + new URL(next.href).search);
    assert.deepEqual(rest.body.agents.map((a: { host: string }) => a.host), ['list-c', 'list-d']);
    await expectError(api.get('/v2.0/agents?configurations=x'), 400);
    await expectError(api.get('/v2.0/agents?project_id=x'), 400);
    await expectError(api.get('/v2.0/agents?alive=maybe'), 400);
  });

  it('DELETE removes any agent', async () => {
    const a = await register(report('delete-1'));
    assert.equal((await api.delete(`/v2.0/agents/${a.id}`)).status, 204);
    await expectError(api.get(`/v2.0/agents/${a.id}`), 404, 'AgentNotFound');
    await expectError(api.delete(`/v2.0/agents/${a.id}`), 404, 'AgentNotFound');
    const again = await register(report('delete-1'));
    assert.notEqual(again.id, a.id);
  });

  it('registering, updating and deleting agents are changes; heartbeats are not', async () => {
    const before = await t.server.store.revision();
    const a = await register(report('beat-1'));
    const registered = await t.server.store.revision();
    assert.equal(registered, before + 1);
    const shownBefore = (await api.get(`/v2.0/agents/${a.id}`)).body.agent;
    await sleep(1100);
    await t.server.domain.writes.agentHeartbeats([
      { host: 'beat-1', agentType: 'Alcor agent', at: Date.now() },
      { host: 'no-such-host', agentType: 'Alcor agent', at: Date.now() },
    ]);
    assert.equal(await t.server.store.revision(), registered);
    const shownAfter = (await api.get(`/v2.0/agents/${a.id}`)).body.agent;
    assert.ok(shownAfter.heartbeat_timestamp > shownBefore.heartbeat_timestamp, `${shownAfter.heartbeat_timestamp} after ${shownBefore.heartbeat_timestamp}`);
    assert.equal(shownAfter.alive, true);
    // An older heartbeat does not move it back.
    await t.server.domain.writes.agentHeartbeats([{ host: 'beat-1', agentType: 'Alcor agent', at: Date.now() - 60_000 }]);
    assert.equal((await api.get(`/v2.0/agents/${a.id}`)).body.agent.heartbeat_timestamp, shownAfter.heartbeat_timestamp);
    await api.put(`/v2.0/agents/${a.id}`, { agent: { description: 'd' } });
    assert.equal(await t.server.store.revision(), registered + 1);
    await api.delete(`/v2.0/agents/${a.id}`);
    assert.equal(await t.server.store.revision(), registered + 2);
  });

  it('onCommitted hears of each commit that wrote changes, before its answer', async () => {
    const heard: number[] = [];
    t.server.onCommitted((revision, at) => {
      assert.ok(Math.abs(Date.now() - at) < 5000);
      heard.push(revision);
    });
    await register(report('commit-1'));
    const revision = await t.server.store.revision();
    assert.equal(heard.at(-1), revision);
    const count = heard.length;
    await t.server.domain.writes.agentHeartbeats([{ host: 'commit-1', agentType: 'Alcor agent', at: Date.now() }]);
    await api.get('/v2.0/agents');
    assert.equal(heard.length, count);
  });
});

describe('port binding through agents (ML2)', () => {
  let t: TestServer;
  let api: Api;
  let networkId: string;
  before(async () => {
    t = await startTestServer();
    api = t.api;
    const n = await api.create('networks', 'network', { name: 'bind' });
    await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.60.0.0/24' });
    networkId = n.id;
  });
  after(async () => { await t.close(); });
  const register = (r: AgentReport) => t.server.domain.writes.registerAgent(r);
  const port = (attrs: Record<string, unknown> = {}) => api.create('ports', 'port', { network_id: networkId, ...attrs });

  it('a live agent binds with its VIF type: tap by default', async () => {
    await register(report('bind-tap'));
    const p = await port({ 'binding:host_id': 'bind-tap' });
    assert.equal(p['binding:vif_type'], 'tap');
    assert.deepEqual(p['binding:vif_details'], { port_filter: true, connectivity: 'l2' });
    assert.equal(p.status, 'DOWN');
  });

  it('an agent announcing bridge binds a bridge named after the network', async () => {
    await register(report('bind-bridge', { configurations: { vif_type: 'bridge' } }));
    const p = await port({ 'binding:host_id': 'bind-bridge' });
    assert.equal(p['binding:vif_type'], 'bridge');
    assert.deepEqual(p['binding:vif_details'], { port_filter: true, connectivity: 'l2', bridge_name: `brq${networkId.slice(0, 11)}` });
  });

  it('no agent on the host, or one administratively down: binding_failed', async () => {
    const none = await port({ 'binding:host_id': 'bind-nobody' });
    assert.equal(none['binding:vif_type'], 'binding_failed');
    assert.deepEqual(none['binding:vif_details'], {});
    const a = await register(report('bind-off'));
    await api.put(`/v2.0/agents/${a.id}`, { agent: { admin_state_up: false } });
    const off = await port({ 'binding:host_id': 'bind-off' });
    assert.equal(off['binding:vif_type'], 'binding_failed');
    // Any later update retries the binding, as ML2 does: the agent is up again now.
    await api.put(`/v2.0/agents/${a.id}`, { agent: { admin_state_up: true } });
    const retried = (await api.put(`/v2.0/ports/${off.id}`, { port: { name: 'retry' } })).body.port;
    assert.equal(retried['binding:vif_type'], 'tap');
    assert.deepEqual(retried['binding:vif_details'], { port_filter: true, connectivity: 'l2' });
  });

  it('unbind, rebind elsewhere, and the port goes DOWN on each host change', async () => {
    await register(report('move-a'));
    await register(report('move-b', { configurations: { vif_type: 'bridge' } }));
    const p = await port({ 'binding:host_id': 'move-a' });
    const [applied] = await t.server.domain.writes.setPortStatuses([{ id: p.id, status: 'ACTIVE', host: 'move-a' }]);
    assert.equal(applied.revision, p.revision_number + 1);
    const moved = (await api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'move-b' } })).body.port;
    assert.equal(moved.status, 'DOWN');
    assert.equal(moved['binding:vif_type'], 'bridge');
    await t.server.domain.writes.setPortStatuses([{ id: p.id, status: 'ACTIVE', host: 'move-b' }]);
    const unbound = (await api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': '' } })).body.port;
    assert.equal(unbound.status, 'DOWN');
    assert.equal(unbound['binding:vif_type'], 'unbound');
    assert.deepEqual(unbound['binding:vif_details'], {});
    const rebound = (await api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'move-a' } })).body.port;
    assert.equal(rebound['binding:vif_type'], 'tap');
    // The same host again is no host change: the status stays.
    await t.server.domain.writes.setPortStatuses([{ id: p.id, status: 'ACTIVE', host: 'move-a' }]);
    const same = (await api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'move-a' } })).body.port;
    assert.equal(same.status, 'ACTIVE');
  });

  it('setPortStatuses bumps the revision and skips ports bound elsewhere, unchanged or gone', async () => {
    await register(report('status-a'));
    const p = await port({ 'binding:host_id': 'status-a' });
    const other = await port({ 'binding:host_id': 'status-a' });
    const gone = await port({ 'binding:host_id': 'status-a' });
    await api.delete(`/v2.0/ports/${gone.id}`);
    const applied = await t.server.domain.writes.setPortStatuses([
      { id: p.id, status: 'ACTIVE', host: 'status-a' },
      { id: other.id, status: 'ACTIVE', host: 'status-b' },
      { id: other.id, status: 'DOWN', host: 'status-a' },
      { id: gone.id, status: 'ACTIVE', host: 'status-a' },
    ]);
    assert.deepEqual(applied, [{ id: p.id, status: 'ACTIVE', revision: p.revision_number + 1 }]);
    const shown = (await api.get(`/v2.0/ports/${p.id}`)).body.port;
    assert.equal(shown.status, 'ACTIVE');
    assert.equal(shown.revision_number, p.revision_number + 1);
    assert.equal((await api.get(`/v2.0/ports/${other.id}`)).body.port.revision_number, other.revision_number);
    await assert.rejects(t.server.domain.writes.setPortStatuses([{ id: p.id, status: 'BUILD' as 'ACTIVE', host: 'status-a' }]));
  });
});

describe('agents with a short agent_down_time', () => {
  let t: TestServer;
  let api: Api;
  // 2 s, not 1: heartbeats are stored in whole seconds (as Neutron's), so a beat can read up to
  // 999 ms older than it was, and 1 s made a fresh agent dead on a loaded machine.
  before(async () => { t = await startTestServer({ agentDownTime: '2' }); api = t.api; });
  after(async () => { await t.close(); });
  const register = (r: AgentReport) => t.server.domain.writes.registerAgent(r);

  it('an agent not heard from is dead, cannot bind ports, and a heartbeat revives it', async () => {
    const n = await api.create('networks', 'network', { name: 'dead' });
    const a = await register(report('dead-1'));
    assert.equal((await api.get(`/v2.0/agents/${a.id}`)).body.agent.alive, true);
    const bound = await api.create('ports', 'port', { network_id: n.id, 'binding:host_id': 'dead-1' });
    assert.equal(bound['binding:vif_type'], 'tap');
    await sleep(3200);
    assert.equal((await api.get(`/v2.0/agents/${a.id}`)).body.agent.alive, false);
    assert.deepEqual((await api.get('/v2.0/agents?alive=false&fields=id')).body.agents, [{ id: a.id }]);
    assert.deepEqual((await api.get('/v2.0/agents?alive=true')).body.agents, []);
    const failed = await api.create('ports', 'port', { network_id: n.id, 'binding:host_id': 'dead-1' });
    assert.equal(failed['binding:vif_type'], 'binding_failed');
    assert.deepEqual(failed['binding:vif_details'], {});
    // A bound port stays bound while its agent is away, as in Neutron.
    assert.equal((await api.get(`/v2.0/ports/${bound.id}`)).body.port['binding:vif_type'], 'tap');
    const revision = await t.server.store.revision();
    await t.server.domain.writes.agentHeartbeats([{ host: 'dead-1', agentType: 'Alcor agent', at: Date.now() }]);
    assert.equal(await t.server.store.revision(), revision);
    assert.equal((await api.get(`/v2.0/agents/${a.id}`)).body.agent.alive, true);
    assert.deepEqual((await api.get('/v2.0/agents?alive=true&fields=host')).body.agents, [{ host: 'dead-1' }]);
  });
});
