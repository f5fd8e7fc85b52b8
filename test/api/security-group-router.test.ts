import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });


type Rule = { direction: string; ethertype: string; remote_group_id: string | null; remote_ip_prefix: string | null; protocol: string | null };
const ruleKey = (r: Rule) => `${r.direction}/${r.ethertype}/${r.remote_group_id ?? '-'}/${r.remote_ip_prefix ?? '-'}/${r.protocol ?? '-'}`;

describe('security groups', () => {
  it("a project's default group appears once, with Neutron's four default rules", async () => {
    const p1 = api.as('sg-p1');
    const first = await p1.get('/v2.0/security-groups');
    assert.equal(first.status, 200);
    const second = await p1.get('/v2.0/security-groups');
    const defaults = second.body.security_groups.filter((g: { name: string }) => g.name === 'default');
    assert.equal(defaults.length, 1);
    const sg = defaults[0];
    assert.equal(sg.project_id, 'sg-p1');
    assert.deepEqual(sg.security_group_rules.map(ruleKey).sort(), [
      'egress/IPv4/-/-/-', 'egress/IPv6/-/-/-', `ingress/IPv4/${sg.id}/-/-`, `ingress/IPv6/${sg.id}/-/-`,
    ].sort());
  });

  it("a project's first list of rules already holds its default group's four (Neutron makes the group then)", async () => {
    const rules = (await api.as('sg-rules-first').get('/v2.0/security-group-rules')).body.security_group_rules;
    assert.equal(rules.length, 4);
  });

  it('new groups get the egress rules; the name default is reserved', async () => {
    const p = api.as('sg-p2');
    const g = await p.create('security-groups', 'security_group', { name: 'web', description: 'd' });
    assert.equal(g.stateful, true);
    assert.deepEqual(g.security_group_rules.map(ruleKey).sort(), ['egress/IPv4/-/-/-', 'egress/IPv6/-/-/-']);
    await expectError(p.post('/v2.0/security-groups', { security_group: { name: 'default' } }), 409);
    const upd = await p.put(`/v2.0/security-groups/${g.id}`, { security_group: { name: 'web2' } });
    assert.equal(upd.body.security_group.name, 'web2');
    assert.equal(upd.body.security_group.revision_number, 2);
    const def = (await p.get('/v2.0/security-groups?name=default')).body.security_groups[0];
    await expectError(p.put(`/v2.0/security-groups/${def.id}`, { security_group: { name: 'other' } }), 409, 'SecurityGroupCannotUpdateDefault');
    await expectError(p.delete(`/v2.0/security-groups/${def.id}`), 409, 'SecurityGroupCannotRemoveDefault');
    assert.equal((await p.delete(`/v2.0/security-groups/${g.id}`)).status, 204);
    await expectError(p.get(`/v2.0/security-groups/${g.id}`), 404, 'SecurityGroupNotFound');
  });

  it('a group in use by a port cannot be deleted', async () => {
    const p = api.as('sg-p3');
    const g = await p.create('security-groups', 'security_group', { name: 'used' });
    const n = await p.create('networks', 'network', {});
    const port = await p.create('ports', 'port', { network_id: n.id, security_groups: [g.id] });
    assert.deepEqual(port.security_groups, [g.id]);
    await expectError(p.delete(`/v2.0/security-groups/${g.id}`), 409, 'SecurityGroupInUse');
    await p.put(`/v2.0/ports/${port.id}`, { port: { security_groups: [] } });
    assert.equal((await p.delete(`/v2.0/security-groups/${g.id}`)).status, 204);
    await expectError(p.post('/v2.0/ports', { port: { network_id: n.id, security_groups: [g.id] } }), 404, 'SecurityGroupNotFound');
  });

  it('validates rules as Neutron does', async () => {
    const p = api.as('sg-p4');
    const g = await p.create('security-groups', 'security_group', { name: 'rules' });
    const rule = (attrs: Record<string, unknown>) => p.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', ...attrs } });
    const ssh = await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    assert.equal(ssh.status, 201, JSON.stringify(ssh.body));
    assert.equal(ssh.body.security_group_rule.ethertype, 'IPv4');
    await expectError(rule({ protocol: '6', port_range_min: 22, port_range_max: 22 }), 409, 'SecurityGroupRuleExists');
    assert.equal((await rule({ protocol: '17', port_range_min: 53, port_range_max: 53 })).status, 201);
    await expectError(rule({ protocol: 'foo' }), 400, 'SecurityGroupRuleInvalidProtocol');
    await expectError(rule({ protocol: 'tcp', port_range_min: 90, port_range_max: 80 }), 400, 'SecurityGroupInvalidPortRange');
    await expectError(rule({ protocol: 'tcp', port_range_min: 0, port_range_max: 80 }), 400, 'SecurityGroupInvalidPortValue');
    await expectError(rule({ port_range_min: 80, port_range_max: 80 }), 400);
    await expectError(rule({ protocol: 'icmp', port_range_max: 0 }), 400, 'SecurityGroupMissingIcmpType');
    await expectError(rule({ ethertype: 'IPv4', remote_ip_prefix: '2001:db8::/64' }), 400, 'SecurityGroupRuleParameterConflict');
    await expectError(rule({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: g.id }), 400, 'SecurityGroupMultipleRemoteEntites');
    await expectError(rule({ remote_group_id: '01a21100-0000-7000-8000-000000000000' }), 404, 'SecurityGroupNotFound');
    await expectError(rule({ direction: 'sideways' }), 400);
    await expectError(p.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: '01a21100-0000-7000-8000-000000000000', direction: 'ingress' } }), 404, 'SecurityGroupNotFound');
    const net = await rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '10.0.0.5/24' });
    assert.equal(net.body.security_group_rule.remote_ip_prefix, '10.0.0.5/24');
    assert.equal(net.body.security_group_rule.normalized_cidr, '10.0.0.0/24');
    const shown = await p.get(`/v2.0/security-groups/${g.id}`);
    assert.ok(shown.body.security_group.security_group_rules.some((r: { id: string }) => r.id === net.body.security_group_rule.id));
    const id = ssh.body.security_group_rule.id;
    assert.equal((await p.delete(`/v2.0/security-group-rules/${id}`)).status, 204);
    await expectError(p.get(`/v2.0/security-group-rules/${id}`), 404, 'SecurityGroupRuleNotFound');
    await expectError(api.as('sg-other').get(`/v2.0/security-groups/${g.id}`), 404);
    await expectError(api.as('sg-other').post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress' } }), 404);
  });

  it("stores rules as Neutron 21 does: ICMPv6's own name, the prefix as given, its conversions' faults", async () => {
    const p = api.as('sg-p5');
    const g = await p.create('security-groups', 'security_group', { name: 'store' });
    const rule = (attrs: Record<string, unknown>) => p.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', ...attrs } });
    const made = async (attrs: Record<string, unknown>) => {
      const r = await rule(attrs);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.security_group_rule;
    };
    // IPv6's legacy ICMP names and number become ICMPv6's; an IPv4 rule keeps icmp.
    assert.equal((await made({ ethertype: 'IPv6', protocol: 'icmp', remote_ip_prefix: '2001:db8::/32' })).protocol, 'ipv6-icmp');
    assert.equal((await made({ ethertype: 'IPv6', protocol: 'ICMPv6', remote_ip_prefix: '2001:db8:1::/48' })).protocol, 'ipv6-icmp');
    assert.equal((await made({ ethertype: 'IPv6', protocol: '1', remote_ip_prefix: '2001:db8:2::/48' })).protocol, '58');
    assert.equal((await made({ protocol: 'icmp' })).protocol, 'icmp');
    await expectError(rule({ ethertype: 'IPv6', protocol: 'ipv6-icmp', remote_ip_prefix: '2001:db8::/32' }), 409, 'SecurityGroupRuleExists');
    // The prefix as given (host bits, a bare address's length); the network in normalized_cidr.
    const host = await made({ protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '192.168.1.7' });
    assert.equal(host.remote_ip_prefix, '192.168.1.7/32');
    assert.equal(host.normalized_cidr, '192.168.1.7/32');
    const v6 = await made({ ethertype: 'ipv6', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '2001:DB8::5/64' });
    assert.equal(v6.ethertype, 'IPv6');
    assert.equal(v6.remote_ip_prefix, '2001:db8::5/64');
    assert.equal(v6.normalized_cidr, '2001:db8::/64');
    assert.equal(v6.description, '');
    const bad = await expectError(rule({ remote_ip_prefix: 'nope' }), 400, 'InvalidCIDR');
    assert.equal(bad.body.NeutronError.message, 'Invalid CIDR nope given as IP prefix.');
    const full = await made({ protocol: 'udp', port_range_min: 1, port_range_max: 65535 });
    assert.deepEqual([full.port_range_min, full.port_range_max], [null, null]);
    const gre = await expectError(rule({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }), 400, 'SecurityGroupInvalidProtocolForPort');
    assert.equal(gre.body.NeutronError.message, 'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.');
    await expectError(rule({ protocol: 'ipv6' }), 400, 'SecurityGroupRuleInvalidProtocol');
    assert.equal((await made({ protocol: 'hopopt' })).protocol, 'hopopt');
    const icmp = await expectError(rule({ protocol: 'icmp', port_range_min: 256 }), 400, 'SecurityGroupInvalidIcmpValue');
    assert.equal(icmp.body.NeutronError.message, 'Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.');
    const ether = await expectError(rule({ ethertype: 'IPv5' }), 400, 'SecurityGroupRuleInvalidEtherType');
    assert.equal(ether.body.NeutronError.message, "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].");
  });

  it("the rules Neutron makes itself have no description (null); a default group in use is SecurityGroupInUse", async () => {
    const p = api.as('sg-p6');
    const g = await p.create('security-groups', 'security_group', { name: 'own' });
    assert.deepEqual(g.security_group_rules.map((r: { description: unknown }) => r.description), [null, null]);
    const def = (await p.get('/v2.0/security-groups?name=default')).body.security_groups[0];
    assert.deepEqual(def.security_group_rules.map((r: { description: unknown }) => r.description), [null, null, null, null]);
    const n = await p.create('networks', 'network', {});
    await p.create('ports', 'port', { network_id: n.id });
    await expectError(p.delete(`/v2.0/security-groups/${def.id}`), 409, 'SecurityGroupInUse');
  });
});

describe('routers', () => {
  async function externalNetwork() {
    const ext = await api.create('networks', 'network', { name: 'public', 'router:external': true });
    const sub = await api.create('subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr: '198.18.0.0/24' });
    return { ext, sub };
  }

  it('are created with defaults and an external gateway', async () => {
    const r = await api.create('routers', 'router', { name: 'r' });
    assert.equal(r.status, 'ACTIVE');
    assert.equal(r.admin_state_up, true);
    assert.equal(r.external_gateway_info, null);
    assert.deepEqual(r.routes, []);
    const { ext, sub } = await externalNetwork();
    const g = await api.create('routers', 'router', { name: 'gw', external_gateway_info: { network_id: ext.id } });
    assert.equal(g.external_gateway_info.network_id, ext.id);
    assert.equal(g.external_gateway_info.enable_snat, true);
    assert.equal(g.external_gateway_info.external_fixed_ips.length, 1);
    assert.equal(g.external_gateway_info.external_fixed_ips[0].subnet_id, sub.id);
    assert.match(g.external_gateway_info.external_fixed_ips[0].ip_address, /^198\.18\.0\./);
    const plain = await api.create('networks', 'network', {});
    await expectError(api.post('/v2.0/routers', { router: { external_gateway_info: { network_id: plain.id } } }), 400);
    const cleared = await api.put(`/v2.0/routers/${g.id}`, { router: { external_gateway_info: null } });
    assert.equal(cleared.body.router.external_gateway_info, null);
    const gwPorts = (await api.get(`/v2.0/ports?device_id=${g.id}`)).body.ports;
    assert.deepEqual(gwPorts, []);
  });

  it('interfaces by subnet and by port, routes, and the 409s that protect them', async () => {
    const r = await api.create('routers', 'router', { name: 'r2' });
    const n = await api.create('networks', 'network', {});
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.60.0.0/24' });
    const add = await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.id, r.id);
    assert.equal(add.body.subnet_id, s.id);
    assert.deepEqual(add.body.subnet_ids, [s.id]);
    assert.equal(add.body.network_id, n.id);
    const port = (await api.get(`/v2.0/ports/${add.body.port_id}`)).body.port;
    assert.equal(port.device_owner, 'network:router_interface');
    assert.equal(port.device_id, r.id);
    assert.deepEqual(port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.60.0.1' }]);
    await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id }), 400);
    await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, {}), 400);
    await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id, port_id: port.id }), 400);
    const noGw = await api.create('subnets', 'subnet', { network_id: (await api.create('networks', 'network', {})).id, ip_version: 4, cidr: '10.61.0.0/24', gateway_ip: null });
    await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: noGw.id }), 400);

    const n2 = await api.create('networks', 'network', {});
    await api.create('subnets', 'subnet', { network_id: n2.id, ip_version: 4, cidr: '10.62.0.0/24' });
    const p2 = await api.create('ports', 'port', { network_id: n2.id });
    const byPort = await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { port_id: p2.id });
    assert.equal(byPort.status, 200, JSON.stringify(byPort.body));
    const attached = (await api.get(`/v2.0/ports/${p2.id}`)).body.port;
    assert.equal(attached.device_owner, 'network:router_interface');
    assert.equal(attached.device_id, r.id);
    const r3 = await api.create('routers', 'router', {});
    await expectError(api.put(`/v2.0/routers/${r3.id}/add_router_interface`, { port_id: p2.id }), 409, 'PortInUse');

    await expectError(api.delete(`/v2.0/subnets/${s.id}`), 409, 'SubnetInUse');
    await expectError(api.delete(`/v2.0/routers/${r.id}`), 409, 'RouterInUse');
    await expectError(api.delete(`/v2.0/ports/${port.id}`), 409, 'ServicePortInUse');

    const routed = await api.put(`/v2.0/routers/${r.id}`, { router: { routes: [{ destination: '172.16.0.0/16', nexthop: '10.60.0.20' }] } });
    assert.equal(routed.status, 200, JSON.stringify(routed.body));
    assert.deepEqual(routed.body.router.routes, [{ destination: '172.16.0.0/16', nexthop: '10.60.0.20' }]);
    await expectError(api.put(`/v2.0/routers/${r.id}`, { router: { routes: [{ destination: '172.16.0.0/16', nexthop: '10.99.0.20' }] } }), 400);
    await api.put(`/v2.0/routers/${r.id}`, { router: { routes: [] } });

    const removed = await api.put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: s.id });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.port_id, port.id);
    await expectError(api.get(`/v2.0/ports/${port.id}`), 404);
    const removedByPort = await api.put(`/v2.0/routers/${r.id}/remove_router_interface`, { port_id: p2.id });
    assert.equal(removedByPort.status, 200);
    await expectError(api.put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: s.id }), 404, 'RouterInterfaceNotFoundForSubnet');
    await expectError(api.put(`/v2.0/routers/${r.id}/remove_router_interface`, { port_id: p2.id }), 404, 'RouterInterfaceNotFound');
    assert.equal((await api.delete(`/v2.0/subnets/${s.id}`)).status, 204);
    assert.equal((await api.delete(`/v2.0/routers/${r.id}`)).status, 204);
    await expectError(api.get(`/v2.0/routers/${r.id}`), 404, 'RouterNotFound');
  });

  it("a member names its gateway's network only: enable_snat and external_fixed_ips are the admin's (403)", async () => {
    const { ext, sub } = await externalNetwork();
    const m = api.as('gw-member');
    const snat = await expectError(m.post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, enable_snat: true } } }), 403, 'PolicyNotAuthorized');
    assert.equal(snat.body.NeutronError.message, '(rule:create_router and (rule:create_router:external_gateway_info and (rule:create_router:external_gateway_info:network_id and rule:create_router:external_gateway_info:enable_snat))) is disallowed by policy');
    await expectError(m.post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ subnet_id: sub.id }] } } }), 403, 'PolicyNotAuthorized');
    assert.equal((await m.get('/v2.0/routers')).body.routers.length, 0);
    const r = await m.create('routers', 'router', { external_gateway_info: { network_id: ext.id } });
    assert.equal(r.external_gateway_info.enable_snat, true);
    const upd = await expectError(m.put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } }), 403, 'PolicyNotAuthorized');
    assert.equal(upd.body.NeutronError.message, '(rule:update_router and (rule:update_router:external_gateway_info and (rule:update_router:external_gateway_info:network_id and rule:update_router:external_gateway_info:enable_snat))) is disallowed by policy');
    assert.equal((await m.get(`/v2.0/routers/${r.id}`)).body.router.external_gateway_info.enable_snat, true);
    const admin = await api.put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } });
    assert.equal(admin.body.router.external_gateway_info.enable_snat, false);
  });

  it("refuses an interface on its gateway's subnet, on another project's shared subnet, and a body without ids", async () => {
    const { ext, sub } = await externalNetwork();
    const r = await api.create('routers', 'router', { external_gateway_info: { network_id: ext.id } });
    const own = await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id }), 400, 'BadRequest');
    assert.equal(own.body.NeutronError.message, `Bad router request: Router already has a port on subnet ${sub.id}.`);
    // Another subnet of the external network overlapping its first is refused as an overlap.
    const ext2 = await api.create('subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr: '198.19.0.0/24' });
    const n = await api.create('networks', 'network', {});
    const overlapping = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '198.19.0.0/25' });
    const overlap = await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: overlapping.id }), 400, 'BadRequest');
    assert.match(overlap.body.NeutronError.message, new RegExp(`overlaps with cidr 198.19.0.0/24 of subnet ${ext2.id}`));

    const owner = api.as('shared-owner');
    const shared = await owner.create('networks', 'network', { name: 'shared' });
    await api.put(`/v2.0/networks/${shared.id}`, { network: { shared: true } });
    const ss = await owner.create('subnets', 'subnet', { network_id: shared.id, ip_version: 4, cidr: '10.63.0.0/24' });
    const other = api.as('shared-user');
    const rb = await other.create('routers', 'router', {});
    const refused = await expectError(other.put(`/v2.0/routers/${rb.id}/add_router_interface`, { subnet_id: ss.id }), 400, 'BadRequest');
    assert.equal(refused.body.NeutronError.message, `Bad router request: Cannot add interface to router because subnet ${ss.id} is not owned by project making the request.`);
    // Shared to the project by name (RBAC), it may be routed.
    await api.post('/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: shared.id, action: 'access_as_shared', target_tenant: 'shared-user' } });
    const ok = await other.put(`/v2.0/routers/${rb.id}/add_router_interface`, { subnet_id: ss.id });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));

    const none = await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, undefined), 400, 'BadRequest');
    assert.equal(none.body.NeutronError.message, 'Bad router request: Either subnet_id or port_id must be specified.');
    const notUuid = await expectError(api.put(`/v2.0/routers/${r.id}/add_router_interface`, { port_id: 'x' }), 400, 'BadRequest');
    assert.equal(notUuid.body.NeutronError.message, "Bad router request: 'x' is not a valid UUID.");
    // The router is looked up before the body is read; keys other than the two are ignored.
    await expectError(api.put('/v2.0/routers/01a21100-0000-7000-8000-000000000000/add_router_interface', {}), 404, 'RouterNotFound');
    const s2 = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.66.0.0/24' });
    const extra = await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s2.id, foo: 1 });
    assert.equal(extra.status, 200, JSON.stringify(extra.body));
  });

  it("refuses duplicate routes and destinations that are not a network's address; a nexthop may be on the gateway's subnet", async () => {
    const { ext } = await externalNetwork();
    const r = await api.create('routers', 'router', { external_gateway_info: { network_id: ext.id } });
    const n = await api.create('networks', 'network', {});
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.64.0.0/24' });
    await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id });
    const routes = (rs: unknown) => api.put(`/v2.0/routers/${r.id}`, { router: { routes: rs } });
    const route = { destination: '192.168.0.0/24', nexthop: '10.64.0.50' };
    const dup = await expectError(routes([route, route]), 400, 'HTTPBadRequest');
    assert.equal(dup.body.NeutronError.message, "Invalid input for routes. Reason: Duplicate hostroute '{'destination': '192.168.0.0/24', 'nexthop': '10.64.0.50'}'.");
    const host = await expectError(routes([{ destination: '192.168.0.5/24', nexthop: '10.64.0.50' }]), 400, 'HTTPBadRequest');
    assert.equal(host.body.NeutronError.message, "Invalid input for routes. Reason: '192.168.0.5/24' is not a recognized CIDR, '192.168.0.0/24' is recommended.");
    await expectError(routes([{ destination: '127.0.0.0/8', nexthop: '10.64.0.50' }]), 400, 'HTTPBadRequest');
    const used = await expectError(routes([{ destination: '192.168.1.0/24', nexthop: '10.64.0.1' }]), 400, 'InvalidRoutes');
    assert.equal(used.body.NeutronError.message, "Invalid format for routes: [{'destination': '192.168.1.0/24', 'nexthop': '10.64.0.1'}], the nexthop is used by router");
    await expectError(routes(Array.from({ length: 31 }, (_, i) => ({ destination: `172.20.${i}.0/24`, nexthop: '10.64.0.50' }))), 400, 'RoutesExhausted');
    assert.deepEqual((await api.get(`/v2.0/routers/${r.id}`)).body.router.routes, []);
    const viaGateway = await routes([{ destination: '203.0.113.0/24', nexthop: '198.18.0.200' }]);
    assert.equal(viaGateway.status, 200, JSON.stringify(viaGateway.body));
  });

  it("Rally's network context: a member builds and tears down a routed network", async () => {
    const m = api.as('rally-tenant');
    const n = await m.create('networks', 'network', { name: 'ctx' });
    const s = await m.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.2.0.0/24' });
    const r = await m.create('routers', 'router', { name: 'ctx' });
    assert.equal((await m.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id })).status, 200);
    assert.equal((await m.put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: s.id })).status, 200);
    assert.equal((await m.delete(`/v2.0/routers/${r.id}`)).status, 204);
    assert.equal((await m.delete(`/v2.0/subnets/${s.id}`)).status, 204);
    assert.equal((await m.delete(`/v2.0/networks/${n.id}`)).status, 204);
    await expectError(api.as('someone-else').put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id }), 404);
  });
});
