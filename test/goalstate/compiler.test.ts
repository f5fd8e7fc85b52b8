/**
 * The compiler alone, on synthetic rows: a bind's work does not grow with the region, neighbour
 * entries are cut in bounded slices, and a first build equals what incremental rounds reach.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compiler } from '../../src/goalstate/compiler.js';
import { SLICE_SIZE } from '../../src/goalstate/streams.js';
import type { ChangeKind } from '../../src/store/change-feed.js';
import type { Doc } from '../../src/store/store.js';

const agent = (host: string, i: number): Doc => ({ id: `agent-${host}`, host, configurations: { tunneling_ip: `198.18.1.${i}` } });
const net = (id: string): Doc => ({ id, 'provider:network_type': 'vxlan', 'provider:segmentation_id': 7, mtu: 1450, admin_state_up: true });
const mac = (i: number) => `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const port = (i: number, network: string, host: string): Doc => ({
  id: `port-${i}`, network_id: network, mac_address: mac(i), status: 'DOWN', admin_state_up: true, device_owner: 'compute:nova',
  fixed_ips: [{ subnet_id: 's', ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }], security_groups: ['g'],
  allowed_address_pairs: [], port_security_enabled: true, extra_dhcp_opts: [],
  'binding:host_id': host, 'binding:vif_type': host ? 'tap' : 'unbound',
});

function region(ports: number, hosts: number): Compiler {
  const c = new Compiler();
  const rows = new Map<ChangeKind, Doc[]>([
    ['agent', Array.from({ length: hosts }, (_, i) => agent(`h${i}`, i))],
    ['network', [net('n'), net('small')]],
    ['subnet', []],
    ['security_group_rule', [{ id: 'r', security_group_id: 'g', direction: 'ingress', ethertype: 'IPv4', remote_group_id: 'g' }]],
    ['port', Array.from({ length: ports }, (_, i) => port(i, 'n', `h${i % hosts}`))],
  ]);
  c.load({ revision: 1, rows });
  return c;
}

/** One bind's round: the total of objects every node touched. */
function bindCost(c: Compiler, network: string): number {
  const round = c.apply([{ revision: c.revision + 1, kind: 'port', id: 'new', doc: port(999_999, network, 'h1') }]);
  assert.ok(round.report.ran.every((r) => r.how === 'incremental'));
  return c.graph.engine.nodes.reduce((a, n) => a + n.counters.lastTouched, 0);
}

describe('goal-state compiler', () => {
  it('cuts a network\'s neighbour entries into slices of bounded size', () => {
    const c = region(250, 10);
    assert.equal(c.graph.streams.slices('net/n').length, Math.ceil((250 + 1) / SLICE_SIZE));
    assert.ok(c.graph.streams.slices('net/n').every((s) => s.length <= SLICE_SIZE));
  });

  it('a bind touches the same number of objects in a region of 100 ports as in one of 20,000', () => {
    const small = bindCost(region(100, 10), 'n');
    const large = bindCost(region(20_000, 1_000), 'n');
    assert.equal(large, small);
  });

  it('a bind changes one host part item, one neighbour entry in one slice, and one member entry', () => {
    const c = region(1_000, 100);
    const round = c.apply([{ revision: 2, kind: 'port', id: 'new', doc: port(5_000, 'n', 'h3') }]);
    const changed = Object.fromEntries([...round.streams].map(([s, ch]) => [s, [...ch.upserts.keys()]]));
    assert.deepEqual(changed, { 'host/h3': ['p:new'], 'net/n': [`e:${mac(5_000)}`], 'sgm/g': ['m:10.0.19.136'] });
    assert.deepEqual([...round.portsOut.get('h3')!], ['new']);
    assert.equal(round.subscriptions.size, 0, 'h3 already had n and g');
  });

  it('incremental rounds reach the state a first build computes', () => {
    const inc = region(0, 20);
    for (let i = 0; i < 300; i++) inc.apply([{ revision: i + 2, kind: 'port', id: `port-${i}`, doc: port(i, 'n', `h${i % 20}`) }]);
    // Unbind a third, delete a third.
    for (let i = 0; i < 300; i += 3) inc.apply([{ revision: 1_000 + i, kind: 'port', id: `port-${i}`, doc: port(i, 'n', '') }]);
    for (let i = 1; i < 300; i += 3) inc.apply([{ revision: 2_000 + i, kind: 'port', id: `port-${i}`, doc: undefined }]);
    const full = new Compiler();
    const ports = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 !== 1).map((i) => port(i, 'n', i % 3 === 0 ? '' : `h${i % 20}`));
    full.load({
      revision: 5_000,
      rows: new Map<ChangeKind, Doc[]>([
        ['agent', Array.from({ length: 20 }, (_, i) => agent(`h${i}`, i))], ['network', [net('n'), net('small')]], ['subnet', []],
        ['security_group_rule', [{ id: 'r', security_group_id: 'g', direction: 'ingress', ethertype: 'IPv4', remote_group_id: 'g' }]],
        ['port', ports],
      ]),
    });
    const content = (c: Compiler) => Object.fromEntries([...c.graph.streams.streamNames()].sort()
      .map((s) => [s, c.graph.streams.slices(s).flat().map((j) => JSON.parse(j)).sort((a, b) => String(a[0]).localeCompare(String(b[0])))]));
    assert.deepEqual(content(inc), content(full));
    for (let h = 0; h < 20; h++) assert.deepEqual(inc.graph.subscriptions.streamsOf(`h${h}`).sort(), full.graph.subscriptions.streamsOf(`h${h}`).sort());
    for (const n of inc.counters()) assert.equal(n.recomputes, 0);
  });
});

describe('goal-state compiler: routers', () => {
  const iface = (id: string, network: string, router: string, host = ''): Doc => ({
    ...port(0, network, host), id, mac_address: `fa:16:3e:aa:00:${id.slice(-2)}`, device_owner: 'network:router_interface', device_id: router,
    security_groups: [], fixed_ips: [{ subnet_id: `s-${network}`, ip_address: `10.${network.slice(1)}.0.1` }],
  });
  const rt = (id: string, adminUp = true): Doc => ({ id, admin_state_up: adminUp, routes: [], external_gateway_info: null });
  const start = (): Compiler => {
    const c = new Compiler();
    c.load({
      revision: 1,
      rows: new Map<ChangeKind, Doc[]>([
        ['agent', [agent('h1', 1), agent('h2', 2), agent('h3', 3)]], ['network', [net('n1'), net('n2'), net('n3')]], ['subnet', []],
        ['security_group_rule', []], ['router', [rt('r')]], ['floatingip', []],
        ['port', [iface('if-01', 'n1', 'r'), iface('if-02', 'n2', 'r'), port(1, 'n1', 'h1'), port(2, 'n3', 'h3')]],
      ]),
    });
    return c;
  };
  const subs = (c: Compiler, h: string) => c.graph.subscriptions.streamsOf(h).filter((s) => !s.startsWith('sg')).sort();

  it('a router is on every host with a port on one of its networks, and those hosts get all its networks', () => {
    const c = start();
    assert.deepEqual(subs(c, 'h1'), ['net/n1', 'net/n2', 'rt/r']);
    assert.deepEqual(subs(c, 'h3'), ['net/n3']);
    // The interfaces are in the router's stream, never as neighbour entries (every host answers for them).
    assert.deepEqual([...(c.graph.streams.slices('rt/r').flat().map((j) => JSON.parse(j)[0]))].sort(), ['i:if-01', 'i:if-02', 'r']);
    assert.ok(![...c.graph.streams.slices('net/n1').flat()].some((j) => j.includes('aa:00:01')));
    // A bind on n2 brings h3 onto the router: one round, no recompute.
    const round = c.apply([{ revision: 2, kind: 'port', id: 'p9', doc: port(9, 'n2', 'h3') }]);
    assert.ok(round.report.ran.every((r) => r.how === 'incremental'));
    assert.deepEqual([...round.subscriptions.get('h3')!.added].sort(), ['net/n1', 'net/n2', 'rt/r']);
    assert.deepEqual(subs(c, 'h3'), ['net/n1', 'net/n2', 'net/n3', 'rt/r']);
    // Its interface on n2 removed: h3 keeps n2 (its own port), loses the router and n1.
    c.apply([{ revision: 3, kind: 'port', id: 'if-02', doc: undefined }]);
    assert.deepEqual(subs(c, 'h3'), ['net/n2', 'net/n3']);
    assert.deepEqual(subs(c, 'h1'), ['net/n1', 'rt/r']);
    // The router's last network gone: no host has it.
    c.apply([{ revision: 4, kind: 'port', id: 'if-01', doc: undefined }]);
    assert.deepEqual(subs(c, 'h1'), ['net/n1']);
    for (const n of c.counters()) assert.equal(n.recomputes, 0, n.node);
  });

  it('a gateway port brings its host onto the router, floating IPs are items of its stream, and incremental equals a first build', () => {
    const c = start();
    const gwPort = { ...port(7, 'n3', 'h2'), id: 'gw', device_owner: 'network:router_gateway', device_id: 'r', security_groups: [] };
    c.apply([{ revision: 2, kind: 'port', id: 'gw', doc: gwPort }]);
    assert.deepEqual(subs(c, 'h2'), ['net/n1', 'net/n2', 'net/n3', 'rt/r']);
    c.apply([{ revision: 3, kind: 'floatingip', id: 'f1', doc: { id: 'f1', router_id: 'r', floating_ip_address: '203.0.113.9', fixed_ip_address: '10.1.0.5' } }]);
    assert.deepEqual(c.graph.streams.item('rt/r', 'f:f1'), ['203.0.113.9', '10.1.0.5']);
    c.apply([{ revision: 4, kind: 'floatingip', id: 'f1', doc: { id: 'f1', router_id: null, floating_ip_address: '203.0.113.9', fixed_ip_address: null } }]);
    assert.equal(c.graph.streams.item('rt/r', 'f:f1'), undefined);
    c.apply([{ revision: 5, kind: 'router', id: 'r', doc: rt('r', false) }]);
    assert.deepEqual(c.graph.streams.item('rt/r', 'r'), { adminUp: false, routes: [], gateway: null });
    const full = new Compiler();
    full.load({
      revision: 9,
      rows: new Map<ChangeKind, Doc[]>([
        ['agent', [agent('h1', 1), agent('h2', 2), agent('h3', 3)]], ['network', [net('n1'), net('n2'), net('n3')]], ['subnet', []],
        ['security_group_rule', []], ['router', [rt('r', false)]],
        ['floatingip', [{ id: 'f1', router_id: null, floating_ip_address: '203.0.113.9', fixed_ip_address: null }]],
        ['port', [iface('if-01', 'n1', 'r'), iface('if-02', 'n2', 'r'), port(1, 'n1', 'h1'), port(2, 'n3', 'h3'), gwPort]],
      ]),
    });
    for (const h of ['h1', 'h2', 'h3']) assert.deepEqual(c.graph.subscriptions.streamsOf(h).sort(), full.graph.subscriptions.streamsOf(h).sort());
    const content = (x: Compiler) => Object.fromEntries([...x.graph.streams.streamNames()].sort()
      .map((s) => [s, x.graph.streams.slices(s).flat().map((j) => JSON.parse(j)).sort((a, b) => String(a[0]).localeCompare(String(b[0])))]));
    assert.deepEqual(content(c), content(full));
  });
});

describe('goal-state compiler: inactive bindings (live migration)', () => {
  const items = (c: Compiler, stream: string) => c.graph.streams.slices(stream).flat().map((j) => JSON.parse(j)[0] as string).sort();
  it('a port is programmed on its inactive binding\'s host too, is no second neighbour entry, and moves on activation', () => {
    const c = region(0, 3);
    const p = port(1, 'n', 'h1');
    c.apply([{ revision: 2, kind: 'port', id: p.id, doc: p }]);
    const entries = () => items(c, 'net/n').filter((k) => k.startsWith('e:'));
    assert.deepEqual(entries(), [`e:${p.mac_address as string}`]);
    // The destination h2 gets the port, and the network, before the switch.
    const withInactive = { ...p, bindings_inactive: [{ host: 'h2', vif_type: 'tap', vif_details: {}, vnic_type: 'normal', profile: {}, ready: false }] };
    const round = c.apply([{ revision: 3, kind: 'port', id: p.id, doc: withInactive }]);
    assert.deepEqual(items(c, 'host/h2'), ['h', `p:${p.id}`]);
    assert.deepEqual(items(c, 'host/h1'), ['h', `p:${p.id}`]);
    assert.ok(c.graph.subscriptions.streamsOf('h2').includes('net/n'));
    assert.deepEqual(entries(), [`e:${p.mac_address as string}`], 'one entry, at the active host');
    assert.equal(round.portsOut.get('h2'), undefined, 'readiness waits on the active host only');
    const item = (host: string) => c.graph.streams.slices(`host/${host}`).flat().map((j) => JSON.parse(j)).find((e) => e[0] === `p:${p.id}`)[1];
    assert.equal(item('h2').inactive, true);
    assert.equal(item('h1').inactive, undefined);
    const entry = () => c.graph.streams.slices('net/n').flat().map((j) => JSON.parse(j)).find((e) => e[0] === `e:${p.mac_address as string}`)[1][0];
    assert.equal(entry(), '198.18.1.1');
    // Activation: h2 active, h1 inactive (until Nova deletes it), the entry follows to h2.
    const moved = { ...p, 'binding:host_id': 'h2', bindings_inactive: [{ host: 'h1', vif_type: 'tap', vif_details: {}, vnic_type: 'normal', profile: {}, ready: false }] };
    const activation = c.apply([{ revision: 4, kind: 'port', id: p.id, doc: moved }]);
    assert.deepEqual(items(c, 'host/h2'), ['h', `p:${p.id}`]);
    assert.deepEqual([...activation.portsOut.get('h2') ?? []], [p.id], 'the activated port is a new item on h2, which readiness waits on');
    assert.equal(item('h2').inactive, undefined);
    assert.equal(item('h1').inactive, true);
    assert.deepEqual(items(c, 'host/h1'), ['h', `p:${p.id}`]);
    assert.equal(entry(), '198.18.1.2');
    // The old binding deleted: h1 has the port no more, h2 keeps it.
    c.apply([{ revision: 5, kind: 'port', id: p.id, doc: { ...moved, bindings_inactive: [] } }]);
    assert.deepEqual(items(c, 'host/h1'), [], 'no port there, no host part');
    assert.deepEqual(items(c, 'host/h2'), ['h', `p:${p.id}`]);
    assert.deepEqual(entries(), [`e:${p.mac_address as string}`]);
    for (const n of c.counters()) assert.equal(n.recomputes, 0);
  });
});
