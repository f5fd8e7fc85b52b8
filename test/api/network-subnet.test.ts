import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });

const network = (attrs: Record<string, unknown> = {}) => api.create('networks', 'network', { name: 'n', ...attrs });
const subnet = (networkId: string, attrs: Record<string, unknown>) =>
  api.create('subnets', 'subnet', { network_id: networkId, ip_version: 4, ...attrs });


describe('networks', () => {
  it('are created with Neutron defaults', async () => {
    const n = await network({ name: 'net1' });
    assert.equal(n.name, 'net1');
    assert.equal(n.admin_state_up, true);
    assert.equal(n.shared, false);
    assert.equal(n['router:external'], false);
    assert.equal(n.mtu, 1450);
    assert.equal(n.status, 'ACTIVE');
    assert.equal(n.port_security_enabled, true);
    assert.equal(n['provider:network_type'], 'vxlan');
    assert.equal(n['provider:physical_network'], null);
    assert.ok(Number.isInteger(n['provider:segmentation_id']));
    assert.deepEqual(n.subnets, []);
    assert.deepEqual(n.tags, []);
    assert.equal(n.project_id, n.tenant_id);
    assert.equal(n.revision_number, 1);
    assert.match(n.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(n.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('get distinct VXLAN segments, and an explicit segment in use is a 409', async () => {
    const a = await network();
    const b = await network();
    assert.notEqual(a['provider:segmentation_id'], b['provider:segmentation_id']);
    await expectError(api.post('/v2.0/networks', { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': a['provider:segmentation_id'] } }), 409, 'TunnelIdInUse');
    const c = await network({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 4242 });
    assert.equal(c['provider:segmentation_id'], 4242);
  });

  it('refuses unsupported types, bad values, unknown and read-only attributes', async () => {
    await expectError(api.post('/v2.0/networks', { network: { 'provider:network_type': 'local' } }), 400);
    // Without network_vlan_ranges there is no VLAN to allocate: Neutron's 503.
    await expectError(api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan' } }), 503, 'NoNetworkAvailable');
    await expectError(api.post('/v2.0/networks', { network: { admin_state_up: 'maybe' } }), 400);
    await expectError(api.post('/v2.0/networks', { network: { color: 'blue' } }), 400);
    await expectError(api.post('/v2.0/networks', { network: { status: 'DOWN' } }), 400);
    await expectError(api.post('/v2.0/networks', { network: { mtu: 9000 } }), 400);
    await expectError(api.post('/v2.0/networks', { network: { name: 5 } }), 400);
  });

  it('show, update (revision bumps, mtu checked) and delete', async () => {
    const n = await network();
    const shown = await api.get(`/v2.0/networks/${n.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.network.id, n.id);
    const upd = await api.put(`/v2.0/networks/${n.id}`, { network: { name: 'renamed', mtu: 1400 } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.network.name, 'renamed');
    assert.equal(upd.body.network.mtu, 1400);
    assert.equal(upd.body.network.revision_number, 2);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 1451 } }), 400);
    await expectError(api.put(`/v2.0/networks/${n.id}`, { network: { id: n.id } }), 400);
    assert.equal((await api.delete(`/v2.0/networks/${n.id}`)).status, 204);
    await expectError(api.get(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
    await expectError(api.delete(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
  });

  it('cannot be deleted while a port is on it; its subnets go with it after', async () => {
    const n = await network();
    const s = await subnet(n.id, { cidr: '10.50.0.0/24' });
    const p = await api.create('ports', 'port', { network_id: n.id });
    await expectError(api.delete(`/v2.0/networks/${n.id}`), 409, 'NetworkInUse');
    assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
    assert.equal((await api.delete(`/v2.0/networks/${n.id}`)).status, 204);
    await expectError(api.get(`/v2.0/subnets/${s.id}`), 404, 'SubnetNotFound');
  });

  it('are private to their project unless shared; admin-only attributes are refused to members', async () => {
    const a = api.as('project-a');
    const b = api.as('project-b');
    const priv = await a.create('networks', 'network', { name: 'private' });
    assert.equal(priv.project_id, 'project-a');
    const shared = await api.create('networks', 'network', { name: 'shared', shared: true, project_id: 'project-a' });
    await expectError(b.get(`/v2.0/networks/${priv.id}`), 404, 'NetworkNotFound');
    assert.equal((await b.get(`/v2.0/networks/${shared.id}`)).status, 200);
    const listed = (await b.get('/v2.0/networks')).body.networks.map((n: { id: string }) => n.id);
    assert.ok(listed.includes(shared.id));
    assert.ok(!listed.includes(priv.id));
    await expectError(b.put(`/v2.0/networks/${shared.id}`, { network: { name: 'mine' } }), 403);
    await expectError(b.delete(`/v2.0/networks/${priv.id}`), 404);
    await expectError(b.post('/v2.0/networks', { network: { 'router:external': true } }), 403);
    await expectError(b.post('/v2.0/networks', { network: { 'provider:segmentation_id': 77 } }), 403);
    await expectError(b.post('/v2.0/networks', { network: { project_id: 'project-a' } }), 400);
    const reader = api.as('project-a', 'reader');
    assert.equal((await reader.get(`/v2.0/networks/${priv.id}`)).status, 200);
    await expectError(reader.post('/v2.0/networks', { network: {} }), 403);
    await expectError(reader.put(`/v2.0/networks/${priv.id}`, { network: { name: 'x' } }), 403);
  });
});

describe('subnets', () => {
  it('IPv4 defaults: first address as gateway, pools around it', async () => {
    const n = await network();
    const s = await subnet(n.id, { cidr: '10.0.0.0/24' });
    assert.equal(s.cidr, '10.0.0.0/24');
    assert.equal(s.gateway_ip, '10.0.0.1');
    assert.deepEqual(s.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.equal(s.enable_dhcp, true);
    assert.equal(s.ip_version, 4);
    assert.deepEqual(s.dns_nameservers, []);
    assert.deepEqual(s.host_routes, []);
    assert.equal(s.ipv6_ra_mode, null);
    const shown = await api.get(`/v2.0/networks/${n.id}`);
    assert.deepEqual(shown.body.network.subnets, [s.id]);
  });

  it('normalises cidrs, honours gateway null and a gateway inside the range', async () => {
    const n = await network();
    const s1 = await subnet(n.id, { cidr: '10.1.2.3/24', gateway_ip: null });
    assert.equal(s1.cidr, '10.1.2.0/24');
    assert.equal(s1.gateway_ip, null);
    assert.deepEqual(s1.allocation_pools, [{ start: '10.1.2.1', end: '10.1.2.254' }]);
    const s2 = await subnet(n.id, { cidr: '10.1.3.0/24', gateway_ip: '10.1.3.100' });
    assert.deepEqual(s2.allocation_pools, [
      { start: '10.1.3.1', end: '10.1.3.99' },
      { start: '10.1.3.101', end: '10.1.3.254' },
    ]);
    const s6 = await subnet(n.id, { ip_version: 6, cidr: '2001:DB8:0:0::/64' });
    assert.equal(s6.cidr, '2001:db8::/64');
    assert.equal(s6.gateway_ip, '2001:db8::'); // Neutron's default: the network (Subnet-Router anycast) address
    assert.deepEqual(s6.allocation_pools, [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }]);
  });

  it('validates allocation pools', async () => {
    const n = await network();
    const post = (attrs: Record<string, unknown>) => api.post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.2.0.0/24', ...attrs } });
    await expectError(post({ allocation_pools: [{ start: '10.2.1.10', end: '10.2.1.20' }] }), 400, 'OutOfBoundsAllocationPool');
    await expectError(post({ allocation_pools: [{ start: '10.2.0.10', end: '10.2.0.20' }, { start: '10.2.0.15', end: '10.2.0.30' }] }), 409, 'OverlappingAllocationPools');
    await expectError(post({ allocation_pools: [{ start: '10.2.0.20', end: '10.2.0.10' }] }), 400, 'InvalidAllocationPool');
    await expectError(post({ allocation_pools: [{ start: '10.2.0.1', end: '10.2.0.10' }] }), 409, 'GatewayConflictWithAllocationPools');
    await expectError(post({ allocation_pools: [{ start: 'x', end: '10.2.0.10' }] }), 400);
    const ok = await post({ allocation_pools: [{ start: '10.2.0.10', end: '10.2.0.20' }] });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body.subnet.allocation_pools, [{ start: '10.2.0.10', end: '10.2.0.20' }]);
  });

  it('refuses overlaps on one network, bad cidrs, version mismatches and missing networks', async () => {
    const n = await network();
    const other = await network();
    await subnet(n.id, { cidr: '10.3.0.0/16' });
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.3.4.0/24' } }), 400);
    assert.equal((await api.post('/v2.0/subnets', { subnet: { network_id: other.id, ip_version: 4, cidr: '10.3.4.0/24' } })).status, 201);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 6, cidr: '10.4.0.0/24' } }), 400);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.4.0.0/33' } }), 400);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: 'banana' } }), 400);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 5, cidr: '10.4.0.0/24' } }), 400);
    await expectError(api.post('/v2.0/subnets', { subnet: { ip_version: 4, cidr: '10.4.0.0/24' } }), 400);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: 'not-a-uuid', ip_version: 4, cidr: '10.4.0.0/24' } }), 400);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: '01a21100-0000-7000-8000-000000000000', ip_version: 4, cidr: '10.4.0.0/24' } }), 404, 'NetworkNotFound');
  });

  it('stores IPv6 modes and checks them', async () => {
    const n = await network();
    const s = await subnet(n.id, { ip_version: 6, cidr: '2001:db8:1::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    assert.equal(s.ipv6_ra_mode, 'slaac');
    assert.equal(s.ipv6_address_mode, 'slaac');
    const post = (attrs: Record<string, unknown>) => api.post('/v2.0/subnets', { subnet: { network_id: n.id, ...attrs } });
    await expectError(post({ ip_version: 6, cidr: '2001:db8:2::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }), 400);
    await expectError(post({ ip_version: 6, cidr: '2001:db8:3::/80', ipv6_address_mode: 'slaac' }), 400);
    await expectError(post({ ip_version: 4, cidr: '10.5.0.0/24', ipv6_address_mode: 'slaac' }), 400);
    await expectError(post({ ip_version: 6, cidr: '2001:db8:4::/64', ipv6_address_mode: 'bogus' }), 400);
  });

  it('updates host routes, dns servers, pools and gateway', async () => {
    const n = await network();
    const s = await subnet(n.id, { cidr: '10.6.0.0/24', dns_nameservers: ['8.8.8.8'], host_routes: [{ destination: '10.7.0.0/24', nexthop: '10.6.0.9' }] });
    assert.deepEqual(s.dns_nameservers, ['8.8.8.8']);
    assert.deepEqual(s.host_routes, [{ destination: '10.7.0.0/24', nexthop: '10.6.0.9' }]);
    const upd = await api.put(`/v2.0/subnets/${s.id}`, { subnet: {
      dns_nameservers: ['1.1.1.1', '9.9.9.9'], host_routes: [],
      allocation_pools: [{ start: '10.6.0.100', end: '10.6.0.200' }], gateway_ip: '10.6.0.254',
    } });
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    assert.deepEqual(upd.body.subnet.dns_nameservers, ['1.1.1.1', '9.9.9.9']);
    assert.deepEqual(upd.body.subnet.host_routes, []);
    assert.deepEqual(upd.body.subnet.allocation_pools, [{ start: '10.6.0.100', end: '10.6.0.200' }]);
    assert.equal(upd.body.subnet.gateway_ip, '10.6.0.254');
    await expectError(api.put(`/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: '10.6.0.150' } }), 409, 'GatewayConflictWithAllocationPools');
    await expectError(api.put(`/v2.0/subnets/${s.id}`, { subnet: { cidr: '10.8.0.0/24' } }), 400);
    await expectError(api.put(`/v2.0/subnets/${s.id}`, { subnet: { dns_nameservers: ['1.1.1.1', '1.1.1.1'] } }), 400);
  });

  it('cannot be deleted while a port holds an address in it', async () => {
    const n = await network();
    const s = await subnet(n.id, { cidr: '10.9.0.0/24' });
    const p = await api.create('ports', 'port', { network_id: n.id });
    await expectError(api.delete(`/v2.0/subnets/${s.id}`), 409, 'SubnetInUse');
    assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
    assert.equal((await api.delete(`/v2.0/subnets/${s.id}`)).status, 204);
    await expectError(api.get(`/v2.0/subnets/${s.id}`), 404, 'SubnetNotFound');
  });

  it('a member cannot put a subnet on another project\'s network', async () => {
    const owner = api.as('owner-1');
    const n = await owner.create('networks', 'network', { name: 'o' });
    await expectError(api.as('intruder').post('/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr: '10.10.0.0/24' } }), 404, 'NetworkNotFound');
  });
});
