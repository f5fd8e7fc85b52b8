import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, neutronErrorType, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });


async function networkWith(cidrs: Array<Record<string, unknown>>, attrs: Record<string, unknown> = {}, as: Api = api) {
  const n = await as.create('networks', 'network', { name: 'n', ...attrs });
  const subnets = [];
  for (const s of cidrs) subnets.push(await as.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, ...s }));
  return { n, subnets };
}

describe('ports', () => {
  it('get Neutron defaults and one automatic IPv4 address', async () => {
    const { n, subnets: [s] } = await networkWith([{ cidr: '10.0.0.0/24' }]);
    const p = await api.create('ports', 'port', { network_id: n.id });
    assert.equal(p.status, 'DOWN');
    assert.equal(p.admin_state_up, true);
    assert.equal(p.device_id, '');
    assert.equal(p.device_owner, '');
    assert.equal(p['binding:vnic_type'], 'normal');
    assert.equal(p['binding:vif_type'], 'unbound');
    assert.equal(p['binding:host_id'], '');
    assert.deepEqual(p['binding:profile'], {});
    assert.equal(p.port_security_enabled, true);
    assert.deepEqual(p.allowed_address_pairs, []);
    assert.deepEqual(p.extra_dhcp_opts, []);
    assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(p.fixed_ips.length, 1);
    assert.equal(p.fixed_ips[0].subnet_id, s.id);
    assert.match(p.fixed_ips[0].ip_address, /^10\.0\.0\.(\d+)$/);
    const last = Number(p.fixed_ips[0].ip_address.split('.')[3]);
    assert.ok(last >= 2 && last <= 254);
    const groups = await api.get(`/v2.0/security-groups?name=default&project_id=${p.project_id}`);
    assert.equal(groups.body.security_groups.length, 1);
    assert.deepEqual(p.security_groups, [groups.body.security_groups[0].id]);
  });

  it('get one stateful IPv6 address and the EUI-64 address on SLAAC subnets', async () => {
    const n = await api.create('networks', 'network', {});
    const v4 = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.1.0.0/24' });
    const stateful = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 6, cidr: '2001:db8:a::/64', ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' });
    const slaac = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 6, cidr: '2001:db8:b::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    const p = await api.create('ports', 'port', { network_id: n.id, mac_address: 'FA:16:3E:11:22:33' });
    assert.equal(p.mac_address, 'fa:16:3e:11:22:33');
    const bySubnet = new Map(p.fixed_ips.map((f: { subnet_id: string; ip_address: string }) => [f.subnet_id, f.ip_address]));
    assert.equal(bySubnet.size, 3);
    assert.match(bySubnet.get(v4.id) as string, /^10\.1\.0\./);
    assert.ok((bySubnet.get(stateful.id) as string).startsWith('2001:db8:a:'), String(bySubnet.get(stateful.id)));
    assert.equal(bySubnet.get(slaac.id), '2001:db8:b:0:f816:3eff:fe11:2233');
  });

  it('on a network without subnets has no addresses', async () => {
    const n = await api.create('networks', 'network', {});
    const p = await api.create('ports', 'port', { network_id: n.id });
    assert.deepEqual(p.fixed_ips, []);
  });

  it('takes explicit subnets and addresses, with Neutron\'s errors', async () => {
    const { n, subnets: [a, b] } = await networkWith([{ cidr: '10.2.0.0/24' }, { cidr: '10.3.0.0/24' }]);
    const other = await networkWith([{ cidr: '10.4.0.0/24' }]);
    const p1 = await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ subnet_id: b.id }] });
    assert.equal(p1.fixed_ips[0].subnet_id, b.id);
    const p2 = await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ ip_address: '10.2.0.50' }] });
    assert.deepEqual(p2.fixed_ips, [{ subnet_id: a.id, ip_address: '10.2.0.50' }]);
    const post = (fixed_ips: unknown) => api.post('/v2.0/ports', { port: { network_id: n.id, fixed_ips } });
    await expectError(post([{ subnet_id: a.id, ip_address: '10.2.0.50' }]), 409, 'IpAddressAlreadyAllocated');
    await expectError(post([{ subnet_id: a.id, ip_address: '10.3.0.50' }]), 400, 'InvalidIpForSubnet');
    await expectError(post([{ subnet_id: a.id, ip_address: '10.2.0.255' }]), 400, 'InvalidIpForSubnet');
    await expectError(post([{ ip_address: '192.0.2.1' }]), 400, 'InvalidIpForNetwork');
    await expectError(post([{ subnet_id: other.subnets[0].id }]), 400);
    await expectError(post([{ ip_address: 'not-an-ip' }]), 400);
    await expectError(post('10.2.0.5'), 400);
  });

  it('MAC addresses: random under the base, explicit ones unique per network', async () => {
    const { n } = await networkWith([{ cidr: '10.5.0.0/24' }]);
    const p = await api.create('ports', 'port', { network_id: n.id, mac_address: 'fa:16:3e:aa:bb:cc' });
    assert.equal(p.mac_address, 'fa:16:3e:aa:bb:cc');
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: 'fa:16:3e:aa:bb:cc' } }), 409, 'MacAddressInUse');
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: 'zz:16:3e:aa:bb:cc' } }), 400);
    // As neutron-lib's validate_mac_address: a multicast MAC is valid, the broadcast one is not.
    assert.equal((await api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: '01:00:5e:00:00:01' } })).status, 201);
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: 'ff:ff:ff:ff:ff:ff' } }), 400, 'HTTPBadRequest');
    const other = await api.create('networks', 'network', {});
    assert.equal((await api.post('/v2.0/ports', { port: { network_id: other.id, mac_address: 'fa:16:3e:aa:bb:cc' } })).status, 201);
  });

  it('binding, port security, address pairs and DHCP options', async () => {
    const { n } = await networkWith([{ cidr: '10.6.0.0/24' }]);
    const bound = await api.create('ports', 'port', { network_id: n.id, 'binding:host_id': 'compute-1', 'binding:profile': { a: 1 } });
    assert.equal(bound['binding:host_id'], 'compute-1');
    assert.notEqual(bound['binding:vif_type'], 'unbound');
    assert.deepEqual(bound['binding:profile'], { a: 1 });
    const open = await api.create('ports', 'port', { network_id: n.id, port_security_enabled: false, security_groups: [] });
    assert.equal(open.port_security_enabled, false);
    assert.deepEqual(open.security_groups, []);
    const sg = (await api.get('/v2.0/security-groups?name=default&project_id=admin')).body.security_groups[0];
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, port_security_enabled: false, security_groups: [sg.id] } }), 400, 'PortSecurityAndIPRequiredForSecurityGroups');
    await expectError(api.post('/v2.0/ports', { port: { network_id: n.id, port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.6.0.99' }] } }), 409, 'AddressPairAndPortSecurityRequired');
    const pairs = await api.create('ports', 'port', { network_id: n.id, allowed_address_pairs: [{ ip_address: '10.6.0.200/30' }] });
    assert.deepEqual(pairs.allowed_address_pairs, [{ ip_address: '10.6.0.200/30', mac_address: pairs.mac_address }]);
    const dhcp = await api.create('ports', 'port', { network_id: n.id, extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }] });
    assert.deepEqual(dhcp.extra_dhcp_opts, [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }]);
    const upd = await api.put(`/v2.0/ports/${dhcp.id}`, { port: { extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: '10.6.0.2' }] } });
    assert.equal(upd.body.port.extra_dhcp_opts.length, 2);
    const removed = await api.put(`/v2.0/ports/${dhcp.id}`, { port: { extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: null }] } });
    assert.deepEqual(removed.body.port.extra_dhcp_opts, [{ opt_name: 'tftp-server', opt_value: '10.6.0.2', ip_version: 4 }]);
  });

  it('binding:host_id null unbinds, as Nova does to a port it did not create when its server goes', async () => {
    const { n } = await networkWith([{ cidr: '10.16.0.0/24' }]);
    const p = await api.create('ports', 'port', { network_id: n.id, device_id: 'vm', device_owner: 'compute:nova', 'binding:host_id': 'compute-1' });
    assert.notEqual(p['binding:vif_type'], 'unbound');
    const res = await api.put(`/v2.0/ports/${p.id}`, { port: { device_id: '', device_owner: '', 'binding:host_id': null, 'binding:profile': {} } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.port['binding:host_id'], '');
    assert.equal(res.body.port['binding:vif_type'], 'unbound');
    assert.equal(res.body.port.device_id, '');
    assert.equal(res.body.port.status, 'DOWN');
  });

  it('updating fixed_ips releases the old address and allocates the new one', async () => {
    const { n, subnets: [s] } = await networkWith([{ cidr: '10.7.0.0/24' }]);
    const p = await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ ip_address: '10.7.0.10' }] });
    const kept = await api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: s.id, ip_address: '10.7.0.10' }] } });
    assert.deepEqual(kept.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.7.0.10' }]);
    // A subnet named without an address keeps the address the port already has there.
    const same = await api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: s.id }] } });
    assert.deepEqual(same.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.7.0.10' }]);
    const moved = await api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.7.0.20' }, { ip_address: '10.7.0.21' }] } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const ips = moved.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address);
    assert.deepEqual([...ips].sort(), ['10.7.0.20', '10.7.0.21']);
    const taker = await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ ip_address: '10.7.0.10' }] });
    assert.equal(taker.fixed_ips[0].ip_address, '10.7.0.10');
    await expectError(api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.7.0.10' }] } }), 409, 'IpAddressAlreadyAllocated');
    const after = await api.get(`/v2.0/ports/${p.id}`);
    assert.deepEqual(after.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address).sort(), [...ips].sort());
    assert.equal(after.body.port.revision_number, 4);
  });

  it('show, list by network and delete', async () => {
    const { n } = await networkWith([{ cidr: '10.8.0.0/24' }]);
    const p = await api.create('ports', 'port', { network_id: n.id, name: 'x' });
    const listed = await api.get(`/v2.0/ports?network_id=${n.id}`);
    assert.deepEqual(listed.body.ports.map((x: { id: string }) => x.id), [p.id]);
    assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
    await expectError(api.get(`/v2.0/ports/${p.id}`), 404, 'PortNotFound');
    await expectError(api.post('/v2.0/ports', { port: { network_id: '01a21100-0000-7000-8000-000000000000' } }), 404, 'NetworkNotFound');
    await expectError(api.post('/v2.0/ports', { port: { name: 'no-network' } }), 400);
  });

  it('are isolated between projects; shared networks take other projects\' ports', async () => {
    const a = api.as('pa');
    const b = api.as('pb');
    const { n } = await networkWith([{ cidr: '10.9.0.0/24' }], {}, a);
    const p = await a.create('ports', 'port', { network_id: n.id });
    await expectError(b.get(`/v2.0/ports/${p.id}`), 404, 'PortNotFound');
    await expectError(b.put(`/v2.0/ports/${p.id}`, { port: { name: 'x' } }), 404);
    await expectError(b.delete(`/v2.0/ports/${p.id}`), 404);
    await expectError(b.post('/v2.0/ports', { port: { network_id: n.id } }), 404, 'NetworkNotFound');
    assert.deepEqual((await b.get('/v2.0/ports')).body.ports, []);
    const shared = await networkWith([{ cidr: '10.10.0.0/24' }], { shared: true });
    const bp = await b.create('ports', 'port', { network_id: shared.n.id });
    assert.equal(bp.project_id, 'pb');
    await expectError(b.post('/v2.0/ports', { port: { network_id: shared.n.id, mac_address: 'fa:16:3e:00:00:99' } }), 403);
  });

  it('bulk create is all or nothing', async () => {
    const { n } = await networkWith([{ cidr: '10.11.0.0/24' }]);
    await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ ip_address: '10.11.0.5' }] });
    const before = (await api.get(`/v2.0/ports?network_id=${n.id}`)).body.ports.length;
    const ok = await api.post('/v2.0/ports', { ports: [{ network_id: n.id }, { network_id: n.id }] });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.ports.length, 2);
    const bad = await api.post('/v2.0/ports', { ports: [{ network_id: n.id }, { network_id: n.id }, { network_id: n.id, fixed_ips: [{ ip_address: '10.11.0.5' }] }] });
    assert.equal(bad.status, 409);
    assert.equal(neutronErrorType(bad), 'IpAddressAlreadyAllocated');
    const afterPorts = (await api.get(`/v2.0/ports?network_id=${n.id}`)).body.ports;
    assert.equal(afterPorts.length, before + 2);
  });
});
