/**
 * Provider networks of type flat and vlan, as ML2's type drivers serve them, against a real
 * controller over HTTP: validation with Neutron's messages, VLAN ids from network_vlan_ranges,
 * one flat network per physical network, uniqueness under concurrency, MTU, policy, and binding
 * only through agents whose bridge_mappings reach the network's physical network.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/cli/config.js';
import type { AgentReport } from '../../src/domain/index.js';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const VLAN_RANGES = 'physnet1:100:102,physnet2,range3:200:202,one:7:7,physnet1:110:110,race3:300:302';
const FLAT_NETWORKS = 'public,flat2,flat3,flatc,flatrace,bindnet';

async function expectMessage(res: Promise<ApiResponse>, status: number, type: string, message: string): Promise<void> {
  const r = await expectError(res, status, type);
  assert.equal(r.body.NeutronError.message, message);
}

function report(host: string, configurations: Record<string, unknown>): AgentReport {
  return { host, agentType: 'Alcor agent', binary: 'alcor-agent', topic: 'N/A', configurations, startedAt: new Date().toISOString() };
}

describe('provider networks: flat and vlan', () => {
  let t: TestServer;
  let api: Api;
  before(async () => {
    t = await startTestServer({ networkVlanRanges: VLAN_RANGES, flatNetworks: FLAT_NETWORKS });
    api = t.api;
  });
  after(async () => { await t.close(); });

  const post = (attrs: Record<string, unknown>, as: Api = api) => as.post('/v2.0/networks', { network: attrs });
  const created = async (attrs: Record<string, unknown>): Promise<Record<string, any>> => {
    const r = await post(attrs);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.network;
  };
  const removed = async (...networks: Record<string, any>[]) => {
    for (const n of networks) assert.equal((await api.delete(`/v2.0/networks/${n.id}`)).status, 204);
  };
  const flat = (physnet: unknown, extra: Record<string, unknown> = {}) => ({ 'provider:network_type': 'flat', 'provider:physical_network': physnet, ...extra });
  const vlan = (physnet?: string, id?: number, extra: Record<string, unknown> = {}) => ({
    'provider:network_type': 'vlan',
    ...(physnet === undefined ? {} : { 'provider:physical_network': physnet }),
    ...(id === undefined ? {} : { 'provider:segmentation_id': id }),
    ...extra,
  });

  describe('flat', () => {
    it('creates a flat network on a physical network, with the physical MTU and no segmentation id', async () => {
      const n = await created({ name: 'flat-public', ...flat('public') });
      assert.equal(n['provider:network_type'], 'flat');
      assert.equal(n['provider:physical_network'], 'public');
      assert.equal(n['provider:segmentation_id'], null);
      assert.equal(n.mtu, 1500);
      const shown = (await api.get(`/v2.0/networks/${n.id}`)).body.network;
      assert.deepEqual(
        [shown['provider:network_type'], shown['provider:physical_network'], shown['provider:segmentation_id']],
        ['flat', 'public', null],
      );
      const listed = (await api.get('/v2.0/networks?provider:network_type=flat&provider:physical_network=public&fields=id')).body.networks;
      assert.deepEqual(listed, [{ id: n.id }]);
    });

    it('one flat network per physical network: a second is Neutron\'s 409 FlatNetworkInUse, until the first goes', async () => {
      const first = await created(flat('flat2'));
      await expectMessage(post(flat('flat2')), 409, 'FlatNetworkInUse', 'Unable to create the flat network. Physical network flat2 is in use.');
      // The conflict comes before the MTU is looked at, as in ML2.
      await expectError(post(flat('flat2', { mtu: 9000 })), 409, 'FlatNetworkInUse');
      assert.equal((await api.delete(`/v2.0/networks/${first.id}`)).status, 204);
      const again = await created(flat('flat2'));
      assert.equal(again['provider:physical_network'], 'flat2');
    });

    it('needs a physical network, one flat_networks names, and no segmentation id (400 InvalidInput)', async () => {
      await expectMessage(post({ 'provider:network_type': 'flat' }), 400, 'InvalidInput',
        'Invalid input for operation: physical_network required for flat provider network.');
      await expectMessage(post(flat('')), 400, 'InvalidInput',
        'Invalid input for operation: physical_network required for flat provider network.');
      await expectMessage(post(flat('nowhere')), 400, 'InvalidInput',
        "Invalid input for operation: physical_network 'nowhere' unknown for flat provider network.");
      await expectMessage(post(flat('flat3', { 'provider:segmentation_id': 5 })), 400, 'InvalidInput',
        'Invalid input for operation: segmentation_id prohibited for flat provider network.');
      // A VLAN physical network is not a flat one unless flat_networks says so.
      await expectError(post(flat('physnet1')), 400, 'InvalidInput');
      // Nothing was left behind: flat3 is still free.
      await created(flat('flat3'));
    });
  });

  describe('vlan', () => {
    it('an explicit VLAN id on a physical network, inside or outside its ranges; the same id twice is 409 VlanIdInUse', async () => {
      const n = await created({ name: 'vlan-500', ...vlan('physnet1', 500) });
      assert.equal(n['provider:network_type'], 'vlan');
      assert.equal(n['provider:physical_network'], 'physnet1');
      assert.equal(n['provider:segmentation_id'], 500);
      assert.equal(n.mtu, 1500);
      await expectMessage(post(vlan('physnet1', 500)), 409, 'VlanIdInUse',
        'Unable to create the network. The VLAN 500 on physical network physnet1 is in use.');
      // The same id on another physical network is another segment.
      const other = await created(vlan('physnet2', 500));
      assert.equal(other['provider:segmentation_id'], 500);
      const listed = (await api.get('/v2.0/networks?provider:segmentation_id=500&fields=provider:physical_network')).body.networks;
      assert.deepEqual(listed.map((x: Record<string, unknown>) => x['provider:physical_network']).sort(), ['physnet1', 'physnet2']);
    });

    it('ids from a range of three: three distinct networks, the fourth Neutron\'s 503 NoNetworkAvailable; a freed id comes back', async () => {
      const nets = [await created(vlan('range3')), await created(vlan('range3')), await created(vlan('range3'))];
      const ids = nets.map((n) => n['provider:segmentation_id'] as number).sort();
      assert.deepEqual(ids, [200, 201, 202]);
      for (const n of nets) assert.equal(n['provider:physical_network'], 'range3');
      await expectMessage(post(vlan('range3')), 503, 'NoNetworkAvailable',
        'Unable to create the network. No tenant network is available for allocation.');
      // An explicit id outside the range still works, and one inside it is taken.
      await created(vlan('range3', 203));
      await expectError(post(vlan('range3', 201)), 409, 'VlanIdInUse');
      const freed = nets.find((n) => n['provider:segmentation_id'] === 201)!;
      assert.equal((await api.delete(`/v2.0/networks/${freed.id}`)).status, 204);
      const reused = await created(vlan('range3'));
      assert.equal(reused['provider:segmentation_id'], 201);
      await expectError(post(vlan('range3')), 503, 'NoNetworkAvailable');
      // Freed by delete, an explicit claim of it works too.
      assert.equal((await api.delete(`/v2.0/networks/${reused.id}`)).status, 204);
      assert.equal((await created(vlan('range3', 201)))['provider:segmentation_id'], 201);
    });

    it('a physical network with several ranges allocates from all of them', async () => {
      // physnet1:100:102 and physnet1:110:110; 500 is taken above but outside the ranges.
      const got: number[] = [];
      for (let i = 0; i < 4; i++) got.push((await created(vlan('physnet1')))['provider:segmentation_id']);
      assert.deepEqual(got.sort((a, b) => a - b), [100, 101, 102, 110]);
      await expectError(post(vlan('physnet1')), 503, 'NoNetworkAvailable');
    });

    it('a physical network named without a range allocates from every VLAN id, as Neutron\'s VLAN_VALID_RANGE', async () => {
      const n = await created(vlan('physnet2'));
      assert.equal(n['provider:physical_network'], 'physnet2');
      assert.ok(n['provider:segmentation_id'] >= 1 && n['provider:segmentation_id'] <= 4094, String(n['provider:segmentation_id']));
      const top = await created(vlan('physnet2', 4094));
      assert.equal(top['provider:segmentation_id'], 4094);
      // A randomly chosen id stays taken otherwise, and the tests below name fixed ids on physnet2.
      await removed(n, top);
    });

    it('without a physical network: one with a free id is picked', async () => {
      const n = await created(vlan());
      const ranges: Record<string, [number, number][]> = { physnet2: [[1, 4094]], one: [[7, 7]], race3: [[300, 302]] };
      const physnet = n['provider:physical_network'] as string;
      assert.ok(physnet in ranges, physnet);
      assert.ok(ranges[physnet].some(([lo, hi]) => n['provider:segmentation_id'] >= lo && n['provider:segmentation_id'] <= hi));
      await removed(n);
    });

    it('refuses what Neutron\'s VLAN type driver refuses, with its messages (400 InvalidInput)', async () => {
      for (const id of [0, 4095, 16777215]) {
        await expectMessage(post(vlan('physnet1', id)), 400, 'InvalidInput',
          'Invalid input for operation: segmentation_id out of range (1 through 4094).');
      }
      await expectMessage(post(vlan('nowhere', 10)), 400, 'InvalidInput',
        "Invalid input for operation: physical_network 'nowhere' unknown for VLAN provider network.");
      await expectMessage(post(vlan('public')), 400, 'InvalidInput',
        "Invalid input for operation: physical_network 'public' unknown for VLAN provider network.");
      await expectMessage(post(vlan(undefined, 10)), 400, 'InvalidInput',
        'Invalid input for operation: segmentation_id requires physical_network for VLAN provider network.');
      await expectMessage(post({ 'provider:physical_network': 'physnet1' }), 400, 'InvalidInput',
        'Invalid input for operation: network_type required.');
      await expectMessage(post({ 'provider:network_type': 'local' }), 400, 'InvalidInput',
        "Invalid input for operation: network_type value 'local' not supported.");
      await expectMessage(post({ 'provider:network_type': 'vxlan', 'provider:physical_network': 'physnet1' }), 400, 'InvalidInput',
        'Invalid input for operation: provider:physical_network specified for vxlan network.');
    });

    it('VLAN 100, VNI 100 and a flat network on the same physical network coexist', async () => {
      const vni = await created({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 3100 });
      const v = await created(vlan('physnet2', 3100));
      assert.equal(vni['provider:segmentation_id'], 3100);
      assert.equal(v['provider:segmentation_id'], 3100);
      assert.equal(vni.mtu, 1450);
      await expectError(post({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 3100 }), 409, 'TunnelIdInUse');
      await expectError(post(vlan('physnet2', 3100)), 409, 'VlanIdInUse');
      const f = await created(flat('flatc'));
      const onSame = await created(vlan('physnet2', 3101));
      assert.ok(f.id && onSame.id);
    });

    it('MTU: the physical MTU by default and at most, on create and update', async () => {
      const n = await created(vlan('physnet2', 3200, { mtu: 1500 }));
      assert.equal(n.mtu, 1500);
      await expectMessage(post(vlan('physnet2', 3201, { mtu: 1501 })), 400, 'InvalidInput',
        'Invalid input for operation: Requested MTU is too big, maximum is 1500.');
      await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 1501 } }), 400, 'InvalidInput');
      assert.equal((await api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 1400 } })).body.network.mtu, 1400);
      await expectMessage(post({ 'provider:network_type': 'vxlan', mtu: 1451 }), 400, 'InvalidInput',
        'Invalid input for operation: Requested MTU is too big, maximum is 1450.');
    });

    it('provider attributes are the admin\'s: a member\'s flat or vlan network is 403, and a member does not see them', async () => {
      const member = api.as('p-provider');
      await expectError(post(flat('flat3'), member), 403, 'PolicyNotAuthorized');
      await expectError(post(vlan('physnet2', 3300), member), 403, 'PolicyNotAuthorized');
      await expectError(post({ 'provider:network_type': 'vlan' }, member), 403, 'PolicyNotAuthorized');
      const shared = await created(vlan('physnet2', 3301, { shared: true }));
      const seen = (await member.get(`/v2.0/networks/${shared.id}`)).body.network;
      for (const k of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id']) assert.ok(!(k in seen), k);
      // The member's refused networks took no segment.
      await created(vlan('physnet2', 3300));
    });

    it('a bulk create with the same VLAN twice is refused whole', async () => {
      const r = await expectError(api.post('/v2.0/networks', { networks: [vlan('physnet2', 3400, { name: 'bulk-a' }), vlan('physnet2', 3400, { name: 'bulk-b' })] }), 409, 'VlanIdInUse');
      assert.ok(r);
      assert.deepEqual((await api.get('/v2.0/networks?name=bulk-a')).body.networks, []);
      await created(vlan('physnet2', 3400));
    });
  });

  describe('concurrency: the unique segment index has the last word', () => {
    it('concurrent creates of the same VLAN id: exactly one wins, the others 409, none 500', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(vlan('physnet2', 3500, { name: `race-${i}` }))));
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 409).length, 19, statuses.join(','));
      for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.NeutronError.type, 'VlanIdInUse');
      assert.equal((await api.get('/v2.0/networks?provider:segmentation_id=3500&provider:physical_network=physnet2')).body.networks.length, 1);
    });

    it('concurrent flat creates on one physical network: one wins, the others 409 FlatNetworkInUse', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => post(flat('flatrace'))));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, ...Array(9).fill(409)]);
    });

    it('concurrent allocations from a range of three: three distinct ids, the rest 503', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => post(vlan('race3'))));
      const ok = results.filter((r) => r.status === 201).map((r) => r.body.network['provider:segmentation_id'] as number);
      assert.deepEqual(ok.sort(), [300, 301, 302]);
      assert.deepEqual(results.filter((r) => r.status !== 201).map((r) => r.status), Array(5).fill(503));
    });
  });

  describe('binding through agents with bridge_mappings', () => {
    const register = (r: AgentReport) => t.server.domain.writes.registerAgent(r);

    async function networkWithSubnet(attrs: Record<string, unknown>, cidr: string): Promise<string> {
      const n = await created(attrs);
      await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr });
      return n.id;
    }

    it('a port on a flat network binds only on a host whose agent maps its physical network', async () => {
      const networkId = await networkWithSubnet(flat('bindnet'), '10.70.0.0/24');
      await register(report('pn-nomap', { devices: 0 }));
      await register(report('pn-othermap', { bridge_mappings: { public: 'eth1' } }));
      await register(report('pn-mapped', { bridge_mappings: { bindnet: 'eth2', public: 'eth1' } }));
      await register(report('pn-mapped-bridge', { bridge_mappings: { bindnet: 'eth2' }, vif_type: 'bridge' }));
      const port = (host: string) => api.create('ports', 'port', { network_id: networkId, 'binding:host_id': host });
      for (const host of ['pn-nomap', 'pn-othermap']) {
        const p = await port(host);
        assert.equal(p['binding:vif_type'], 'binding_failed', host);
        assert.deepEqual(p['binding:vif_details'], {}, host);
      }
      const bound = await port('pn-mapped');
      assert.equal(bound['binding:vif_type'], 'tap');
      assert.deepEqual(bound['binding:vif_details'], { port_filter: true, connectivity: 'l2' });
      const bridged = await port('pn-mapped-bridge');
      assert.equal(bridged['binding:vif_type'], 'bridge');
      assert.equal(bridged['binding:vif_details'].bridge_name, `brq${networkId.slice(0, 11)}`);
      // The agent learns the mapping (it reports again): the next update of the failed port binds it.
      const failed = await port('pn-nomap');
      await register(report('pn-nomap', { bridge_mappings: { bindnet: 'eth9' } }));
      const retried = (await api.put(`/v2.0/ports/${failed.id}`, { port: { name: 'retry' } })).body.port;
      assert.equal(retried['binding:vif_type'], 'tap');
    });

    it('a VLAN network likewise; a VXLAN network binds on any live agent, as before', async () => {
      const vlanNet = await networkWithSubnet(vlan('physnet2', 3600), '10.71.0.0/24');
      const vxlanNet = await networkWithSubnet({}, '10.72.0.0/24');
      await register(report('pv-nomap', {}));
      await register(report('pv-mapped', { bridge_mappings: { physnet2: 'bond0' } }));
      await register(report('pv-badmap', { bridge_mappings: ['physnet2'] }));
      const bind = async (network: string, host: string) =>
        (await api.create('ports', 'port', { network_id: network, 'binding:host_id': host }))['binding:vif_type'];
      assert.equal(await bind(vlanNet, 'pv-nomap'), 'binding_failed');
      assert.equal(await bind(vlanNet, 'pv-badmap'), 'binding_failed');
      assert.equal(await bind(vlanNet, 'pv-mapped'), 'tap');
      assert.equal(await bind(vxlanNet, 'pv-nomap'), 'tap');
      assert.equal(await bind(vxlanNet, 'pv-mapped'), 'tap');
      assert.equal(await bind(vlanNet, 'pv-nobody'), 'binding_failed');
    });
  });
});

describe('provider networks with the default configuration', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t.close(); });

  it('flat_networks * takes any physical network; without network_vlan_ranges no VLAN physical network is known', async () => {
    const a = await t.api.create('networks', 'network', { 'provider:network_type': 'flat', 'provider:physical_network': 'anything-at-all' });
    assert.equal(a['provider:physical_network'], 'anything-at-all');
    await expectError(t.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'anything-at-all', 'provider:segmentation_id': 5 } }), 400, 'InvalidInput');
  });

  it('an empty flat_networks disables flat networks, as Neutron says', async () => {
    const off = await startTestServer({ flatNetworks: '' });
    try {
      const r = await expectError(off.api.post('/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'public' } }), 400, 'InvalidInput');
      assert.equal(r.body.NeutronError.message, 'Invalid input for operation: Flat provider networks are disabled.');
    } finally {
      await off.close();
    }
  });
});

describe('provider network configuration', () => {
  const load = (flags: Record<string, string>, env: Record<string, string> = {}) => loadConfig({ listen: '127.0.0.1:0', ...flags }, env);

  it('parses Neutron\'s network_vlan_ranges and flat_networks syntax, from flags, environment and file keys', () => {
    const c = load({ networkVlanRanges: ' physnet1:100:199 , physnet2,physnet1:300:300,all:5:6,all' });
    assert.deepEqual(c.networkVlanRanges, [
      { physnet: 'physnet1', ranges: [{ min: 100, max: 199 }, { min: 300, max: 300 }] },
      { physnet: 'physnet2', ranges: [{ min: 1, max: 4094 }] },
      { physnet: 'all', ranges: [{ min: 1, max: 4094 }] },
    ]);
    assert.equal(load({}).flatNetworks, '*');
    assert.deepEqual(load({}).networkVlanRanges, []);
    assert.deepEqual(load({}, { ALCOR_FLAT_NETWORKS: 'public, p2,public' }).flatNetworks, ['public', 'p2']);
    assert.deepEqual(load({}, { ALCOR_FLAT_NETWORKS: '' }).flatNetworks, []);
    assert.deepEqual(load({}, { ALCOR_NETWORK_VLAN_RANGES: 'x:1:2' }).networkVlanRanges, [{ physnet: 'x', ranges: [{ min: 1, max: 2 }] }]);
    assert.deepEqual(load({ flatNetworks: '*' }, { ALCOR_FLAT_NETWORKS: 'a' }).flatNetworks, '*');
  });

  it('refuses bad values at startup, naming them', () => {
    for (const bad of ['physnet1:100', 'physnet1:0:10', 'physnet1:10:4095', 'physnet1:20:10', ':1:2', 'p:a:b', 'p:1:2:3', 'has space:1:2']) {
      assert.throws(() => load({ networkVlanRanges: bad }), /invalid network VLAN range/, bad);
    }
    assert.throws(() => load({ flatNetworks: '*,public' }), /invalid flat networks/);
    assert.throws(() => load({ flatNetworks: 'a:b' }), /invalid flat network "a:b"/);
  });
});
