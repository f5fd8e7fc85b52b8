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
    for (const a of ['tag-ports-during-bulk-creation', 'ip-substring-filtering', 'security-groups-normalized-cidr', 'fip-port-details', 'floatingip-pools']) {
      assert.ok(aliases.includes(a), a);
    }
  });

  it('tag-ports-during-bulk-creation: tags given with a bulk create are on each port and filter; bad tags 400; PUT still refuses them', async () => {
    const r = await api.post('/v2.0/ports', { ports: [{ network_id: net.id, tags: ['red', 'blue'] }, { network_id: net.id, tags: ['red'] }] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.ports.map((p: any) => p.tags), [['red', 'blue'], ['red']]);
    const blue = (await api.get('/v2.0/ports?tags=blue')).body.ports;
    assert.deepEqual(blue.map((p: any) => p.id), [r.body.ports[0].id]);
    await expectError(api.post('/v2.0/ports', { port: { network_id: net.id, tags: ['a,b'] } }), 400);
    await expectError(api.post('/v2.0/ports', { port: { network_id: net.id, tags: ['x', 'x'] } }), 400);
    await expectError(api.put(`/v2.0/ports/${r.body.ports[0].id}`, { port: { tags: ['green'] } }), 400);
    const plain = await api.create('ports', 'port', { network_id: net.id });
    assert.deepEqual(plain.tags, []);
  });

  it('ip-substring-filtering: fixed_ips=ip_address_substr matches any address containing it', async () => {
    const a = await api.create('ports', 'port', { network_id: net.id, fixed_ips: [{ ip_address: '10.61.0.123' }] });
    const b = await api.create('ports', 'port', { network_id: net.id, fixed_ips: [{ ip_address: '10.61.0.124' }] });
    const ids = async (q: string) => (await api.get(`/v2.0/ports?${q}`)).body.ports.map((p: any) => p.id).sort();
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
});
