/** Floating IPs: an external address, associated through the router that reaches a port's subnet. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

describe('floating IPs', () => {
  let t: TestServer;
  let member: Api;
  let external: Record<string, any>;
  let port: Record<string, any>;
  before(async () => {
    t = await startTestServer();
    member = t.api.as('fip-project');
    external = await t.api.create('networks', 'network', { name: 'public', 'router:external': true });
    await t.api.create('subnets', 'subnet', { network_id: external.id, ip_version: 4, cidr: '198.18.10.0/24' });
    const net = await member.create('networks', 'network', { name: 'private' });
    const sub = await member.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.70.0.0/24' });
    const router = await member.create('routers', 'router', { external_gateway_info: { network_id: external.id } });
    await member.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    port = await member.create('ports', 'port', { network_id: net.id });
  });
  after(async () => { await t?.close(); });

  it('associates with a port through its router, disassociates, and goes with its holder port', async () => {
    const fip = await member.create('floatingips', 'floatingip', { floating_network_id: external.id, port_id: port.id });
    assert.match(fip.floating_ip_address, /^198\.18\.10\./);
    assert.equal(fip.fixed_ip_address, port.fixed_ips[0].ip_address);
    assert.equal(typeof fip.router_id, 'string');
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.project_id, 'fip-project');
    assert.equal('name' in fip, false);
    const listed = (await member.get(`/v2.0/floatingips?port_id=${port.id}`)).body.floatingips;
    assert.deepEqual(listed.map((f: { id: string }) => f.id), [fip.id]);
    await expectError(member.post('/v2.0/floatingips', { floatingip: { floating_network_id: external.id, port_id: port.id } }), 409, 'FloatingIPPortAlreadyAssociated');
    const off = (await member.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } })).body.floatingip;
    assert.equal(off.port_id, null);
    assert.equal(off.router_id, null);
    assert.equal(off.fixed_ip_address, null);
    const holder = (await t.api.get(`/v2.0/ports?device_id=${fip.id}`)).body.ports;
    assert.equal(holder.length, 1);
    await expectError(t.api.delete(`/v2.0/ports/${holder[0].id}`), 409, 'ServicePortInUse');
    assert.equal((await member.delete(`/v2.0/floatingips/${fip.id}`)).status, 204);
    assert.equal((await t.api.get(`/v2.0/ports?device_id=${fip.id}`)).body.ports.length, 0);
  });

  it('is disassociated when its port is deleted', async () => {
    const net = (await member.get(`/v2.0/ports/${port.id}`)).body.port.network_id;
    const p2 = await member.create('ports', 'port', { network_id: net });
    const fip = await member.create('floatingips', 'floatingip', { floating_network_id: external.id, port_id: p2.id });
    await member.delete(`/v2.0/ports/${p2.id}`);
    const after = (await member.get(`/v2.0/floatingips/${fip.id}`)).body.floatingip;
    assert.equal(after.port_id, null);
    assert.ok(after.revision_number > fip.revision_number);
    await member.delete(`/v2.0/floatingips/${fip.id}`);
  });

  it('refuses what Neutron refuses', async () => {
    const internal = await member.create('networks', 'network', { name: 'not-external' });
    await expectError(member.post('/v2.0/floatingips', { floatingip: { floating_network_id: internal.id } }), 400);
    await expectError(member.post('/v2.0/floatingips', { floatingip: { floating_network_id: external.id, floating_ip_address: '198.18.10.50' } }), 403);
    const lonelyNet = await member.create('networks', 'network', { name: 'unrouted' });
    await member.create('subnets', 'subnet', { network_id: lonelyNet.id, ip_version: 4, cidr: '10.71.0.0/24' });
    const lonely = await member.create('ports', 'port', { network_id: lonelyNet.id });
    await expectError(member.post('/v2.0/floatingips', { floatingip: { floating_network_id: external.id, port_id: lonely.id } }), 404, 'ExternalGatewayForFloatingIPNotFound');
    const chosen = await t.api.create('floatingips', 'floatingip', { floating_network_id: external.id, floating_ip_address: '198.18.10.50' });
    assert.equal(chosen.floating_ip_address, '198.18.10.50');
  });

  it('keeps the router interface and gateway a floating IP needs', async () => {
    const net = await member.create('networks', 'network', { name: 'routed' });
    const sub = await member.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.72.0.0/24' });
    const router = await member.create('routers', 'router', { external_gateway_info: { network_id: external.id } });
    await member.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    const p = await member.create('ports', 'port', { network_id: net.id });
    const fip = await member.create('floatingips', 'floatingip', { floating_network_id: external.id, port_id: p.id });
    assert.equal(fip.router_id, router.id);
    await expectError(member.put(`/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id }), 409, 'RouterInterfaceInUseByFloatingIP');
    await expectError(member.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: null } }), 409, 'RouterExternalGatewayInUseByFloatingIp');
    await member.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal((await member.put(`/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id })).status, 200);
    assert.equal((await member.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: null } })).status, 200);
  });

  it("refuses an ambiguous port (several IPv4 addresses), another project's port (404), an address on no subnet", async () => {
    const net = port.network_id as string;
    const subnet = port.fixed_ips[0].subnet_id as string;
    const two = await member.create('ports', 'port', { network_id: net, fixed_ips: [{ subnet_id: subnet }, { subnet_id: subnet }] });
    const ambiguous = await expectError(member.post('/v2.0/floatingips', { floatingip: { floating_network_id: external.id, port_id: two.id } }), 400, 'BadRequest');
    assert.equal(ambiguous.body.NeutronError.message,
      `Bad floatingip request: Port ${two.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP.`);
    assert.equal((await member.get('/v2.0/floatingips')).body.floatingips.some((f: { port_id: string }) => f.port_id === two.id), false);
    const chosen = await member.create('floatingips', 'floatingip', { floating_network_id: external.id, port_id: two.id, fixed_ip_address: two.fixed_ips[1].ip_address });
    assert.equal(chosen.fixed_ip_address, two.fixed_ips[1].ip_address);
    await expectError(member.put(`/v2.0/floatingips/${chosen.id}`, { floatingip: { fixed_ip_address: '2001:db8::1' } }), 400, 'BadRequest');
    const other = await expectError(t.api.as('fip-other').post('/v2.0/floatingips', { floatingip: { floating_network_id: external.id, port_id: port.id } }), 404, 'PortNotFound');
    assert.equal(other.body.NeutronError.message, `Port ${port.id} could not be found.`);
    const outside = await expectError(t.api.post('/v2.0/floatingips', { floatingip: { floating_network_id: external.id, floating_ip_address: '10.1.1.1' } }), 400, 'InvalidIpForNetwork');
    assert.match(outside.body.NeutronError.message, /not a valid IP for any of the subnets on the specified network/);
    await member.delete(`/v2.0/floatingips/${chosen.id}`);
  });

  it('lets an external network go with its unassociated floating IPs', async () => {
    const ext = await t.api.create('networks', 'network', { name: 'ext2', 'router:external': true });
    await t.api.create('subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr: '198.18.20.0/24' });
    const fip = await t.api.create('floatingips', 'floatingip', { floating_network_id: ext.id });
    assert.equal((await t.api.delete(`/v2.0/networks/${ext.id}`)).status, 204);
    await expectError(t.api.get(`/v2.0/floatingips/${fip.id}`), 404, 'FloatingIPNotFound');
  });
});
