/**
 * The small extensions clients check for, each listed only because what it promises works: tags on
 * (bulk) port create, IP substring filtering (Nova's `server list --ip`), normalized CIDRs on rules,
 * a floating IP's port details, floating IP pools.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
let net: Record<string, any>;
before(async () => {
  t = await startTestServer();
  api = t.api;
  net = await api.create('networks', 'network', { name: 'small-ext' });
  await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.61.0.0/24', ip_version: 4 });
});
after(async () => { await t.close(); });

describe('small extensions', () => {
  it('are listed', async () => {
    const aliases = (await api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    for (const a of ['tag-ports-during-bulk-creation', 'ip-substring-filtering', 'security-groups-normalized-cidr', 'fip-port-details', 'floatingip-pools', 'subnet-service-types', 'port-mac-address-regenerate']) {
      assert.ok(aliases.includes(a), a);
    }
  });

  it('tag-ports-during-bulk-creation: tags given with a bulk create are on each port and filter; bad tags 400; PUT still refuses them', async () => {
    const r = await api.post('/v2.0/ports', { ports: [{ network_id: net.id, tags: ['red', 'blue'] }, { network_id: net.id, tags: ['red'] }] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.ports.map((p: any) => p.tags), [['red', 'blue'], ['red']]);
    const blue = (await api.get('/v2.0/ports?tags=blue')).body.ports;
    assert.deepEqual(blue.map((p: any) => p.id), [r.body.ports[0].id]);
    await expectError(api.post('/v2.0/ports', { port: { network_id: net.id, tags: ['x'.repeat(256)] } }), 400, 'HTTPBadRequest');
    await expectError(api.post('/v2.0/ports', { port: { network_id: net.id, tags: ['x', 'x'] } }), 400);
    await expectError(api.put(`/v2.0/ports/${r.body.ports[0].id}`, { port: { tags: ['green'] } }), 400);
    const plain = await api.create('ports', 'port', { network_id: net.id });
    assert.deepEqual(plain.tags, []);
  });

  it('ip-substring-filtering: fixed_ips=ip_address_substr matches any address containing it', async () => {
    // A network of their own: other tests' ports take random addresses that could contain the substrings.
    const own = await api.create('networks', 'network', { name: 'substr' });
    await api.create('subnets', 'subnet', { network_id: own.id, cidr: '10.61.0.0/24', ip_version: 4 });
    const a = await api.create('ports', 'port', { network_id: own.id, fixed_ips: [{ ip_address: '10.61.0.123' }] });
    const b = await api.create('ports', 'port', { network_id: own.id, fixed_ips: [{ ip_address: '10.61.0.124' }] });
    const ids = async (q: string) => (await api.get(`/v2.0/ports?network_id=${own.id}&${q}`)).body.ports.map((p: any) => p.id).sort();
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D0.12'), [a.id, b.id].sort());
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D.123'), [a.id]);
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D.123&fixed_ips=ip_address_substr%3D.124'), [a.id, b.id].sort());
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D%25'), []);
    await expectError(api.get('/v2.0/ports?fixed_ips=mac%3Dx'), 400);
  });

  it('security-groups-normalized-cidr: a rule says its prefix as a network', async () => {
    const g = await api.create('security-groups', 'security_group', { name: 'n' });
    const r = await api.create('security-group-rules', 'security_group_rule', { security_group_id: g.id, direction: 'ingress', remote_ip_prefix: '10.1.2.3/24' });
    assert.equal(r.normalized_cidr, '10.1.2.0/24');
    const none = await api.create('security-group-rules', 'security_group_rule', { security_group_id: g.id, direction: 'ingress', protocol: 'tcp' });
    assert.equal(none.normalized_cidr, null);
  });

  it('fip-port-details and floatingip-pools', async () => {
    const ext = await api.create('networks', 'network', { name: 'pub', 'router:external': true });
    const extSub = await api.create('subnets', 'subnet', { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4, name: 'pub-v4' });
    const r = await api.create('routers', 'router', { external_gateway_info: { network_id: ext.id } });
    const sub = (await api.get(`/v2.0/subnets?network_id=${net.id}`)).body.subnets[0];
    await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id });
    const port = await api.create('ports', 'port', { network_id: net.id, name: 'vm-port', device_id: 'vm-1', device_owner: 'compute:nova' });
    const fip = await api.create('floatingips', 'floatingip', { floating_network_id: ext.id, port_id: port.id });
    assert.deepEqual(fip.port_details, {
      name: 'vm-port', network_id: net.id, mac_address: port.mac_address, admin_state_up: true, status: 'DOWN', device_id: 'vm-1', device_owner: 'compute:nova',
    });
    const listed = (await api.get(`/v2.0/floatingips?id=${fip.id}`)).body.floatingips[0];
    assert.equal(listed.port_details.name, 'vm-port');
    const bare = await api.create('floatingips', 'floatingip', { floating_network_id: ext.id });
    assert.equal(bare.port_details, null);
    // An IPv6 subnet is no pool (fip64 not served), as in Neutron.
    await api.create('subnets', 'subnet', { network_id: ext.id, cidr: '2001:db8:51::/64', ip_version: 6, name: 'pub-v6' });
    const pools = (await api.as('pool-member').get('/v2.0/floatingip-pools')).body.floatingip_pools;
    assert.deepEqual(pools, [{ subnet_id: extSub.id, subnet_name: 'pub-v4', tenant_id: 'pool-member', project_id: 'pool-member', network_id: ext.id, cidr: '198.51.100.0/24' }]);
    assert.deepEqual((await api.as('pool-member').get('/v2.0/floatingip_pools')).body.floatingip_pools, pools, 'the underscore path too');
    const some = (await api.get('/v2.0/floatingip-pools?fields=subnet_id')).body.floatingip_pools;
    assert.deepEqual(some, [{ subnet_id: extSub.id }]);
  });

  it('subnet-service-types: a port takes its address from a subnet serving its owner first, never from one serving others', async () => {
    const n = await api.create('networks', 'network', { name: 'svc' });
    const fip = await api.create('subnets', 'subnet', { network_id: n.id, cidr: '10.62.0.0/24', ip_version: 4, service_types: ['network:floatingip'] });
    assert.deepEqual(fip.service_types, ['network:floatingip']);
    // Only ports of that owner may use it while it is the network's only subnet.
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, device_owner: 'compute:nova' } }), 409, 'IpAddressGenerationFailureNoMatchingSubnet');
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ subnet_id: fip.id }] } }), 409, 'IpAddressGenerationFailureNoMatchingSubnet');
    const general = await api.create('subnets', 'subnet', { network_id: n.id, cidr: '10.63.0.0/24', ip_version: 4 });
    const vm = await api.create('ports', 'port', { network_id: n.id, device_owner: 'compute:nova' });
    assert.deepEqual(vm.fixed_ips.map((f: any) => f.subnet_id), [general.id]);
    // A port of the served owner goes to its subnet first, though the general one came later... and earlier.
    const owned = await api.create('ports', 'port', { network_id: n.id, device_owner: 'network:floatingip' });
    assert.deepEqual(owned.fixed_ips.map((f: any) => f.subnet_id), [fip.id]);
    // Asking for the served subnet by id as another owner is refused, as Neutron's candidate list does.
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, device_owner: 'compute:nova', fixed_ips: [{ subnet_id: fip.id }] } }), 400, 'InvalidInput');
    // DHCP ports go on any subnet with DHCP on, whatever it serves.
    const dhcp = await api.create('ports', 'port', { network_id: n.id, device_owner: 'network:dhcp', fixed_ips: [{ subnet_id: fip.id }] });
    assert.equal(dhcp.fixed_ips[0].subnet_id, fip.id);
    // Updates: the types change; bad types are refused with Neutron's fault types.
    const upd = await api.put(`/v2.0/subnets/${general.id}`, { subnet: { service_types: ['compute:nova', 'network:router_interface'] } });
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    assert.deepEqual(upd.body.subnet.service_types, ['compute:nova', 'network:router_interface']);
    await expectError(api.post('/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.64.0.0/24', ip_version: 4, service_types: ['bogus'] } }), 400, 'InvalidSubnetServiceType');
    await expectError(api.put(`/v2.0/subnets/${general.id}`, { subnet: { service_types: [7] } }), 400, 'InvalidInputSubnetServiceType');
    // Any owner-shaped type, as Tempest's "test:type_1" (Neutron's own check lets it through).
    const custom = await api.put(`/v2.0/subnets/${general.id}`, { subnet: { service_types: ['test:type_1'] } });
    assert.deepEqual(custom.body.subnet.service_types, ['test:type_1']);
    await expectError(api.put(`/v2.0/subnets/${general.id}`, { subnet: { service_types: [':x'] } }), 400, 'InvalidSubnetServiceType');
    await api.put(`/v2.0/subnets/${general.id}`, { subnet: { service_types: ['compute:nova', 'network:router_interface'] } });
    // The refused create left nothing behind.
    assert.equal((await api.get(`/v2.0/subnets?network_id=${n.id}`)).body.subnets.length, 2);
  });

  it('port-mac-address-regenerate: a null MAC on update or create gets a fresh one, unique on the network', async () => {
    const p = await api.create('ports', 'port', { network_id: net.id });
    const r = await api.put(`/v2.0/ports/${p.id}`, { port: { mac_address: null } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.notEqual(r.body.port.mac_address, p.mac_address);
    assert.equal(r.body.port.revision_number, p.revision_number + 1);
    const c = await api.create('ports', 'port', { network_id: net.id, mac_address: null });
    assert.match(c.mac_address, /^fa:16:3e/);
    // The new MAC is a MAC of the network now: another port cannot take it.
    await expectError(api.post('/v2.0/ports', { port: { network_id: net.id, mac_address: r.body.port.mac_address } }), 409);
  });

  it('service-type: the L3 provider our routers are, with filters and fields', async () => {
    assert.deepEqual((await api.get('/v2.0/service-providers')).body, { service_providers: [{ service_type: 'L3_ROUTER_NAT', name: 'dvr', default: true }] });
    assert.deepEqual((await api.get('/v2.0/service-providers?service_type=LOADBALANCERV2')).body.service_providers, []);
    assert.deepEqual((await api.get('/v2.0/service-providers?fields=name')).body.service_providers, [{ name: 'dvr' }]);
    await expectError(api.get('/v2.0/service-providers?driver=x'), 400);
  });
});
