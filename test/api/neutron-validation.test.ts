/**
 * Validation answers as Debian's neutron-server (Zed, 21.0.0) gives them, found by the differential
 * run (scripts/diff-neutron.mjs): which NeutronError type each refusal is (a converter's
 * InvalidInput, a validator's HTTPBadRequest, exceptions.BadRequest's "BadRequest", or a fault of
 * its own), and what Neutron takes that a stricter reading would refuse.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

function message(res: ApiResponse): string {
  return res.body.NeutronError.message;
}

async function fault(res: Promise<ApiResponse>, status: number, type: string, text?: string): Promise<ApiResponse> {
  const r = await expectError(res, status, type);
  if (text !== undefined) assert.equal(message(r), text);
  return r;
}

describe('Neutron validation conformance', () => {
  let t: TestServer;
  let api: Api;
  before(async () => { t = await startTestServer(); api = t.api; });
  after(async () => { await t.close(); });

  describe('converters', () => {
    it("booleans take strutils' spellings; a bad one is the converter's InvalidInput", async () => {
      const yes = await api.post('/v2.0/networks', { network: { admin_state_up: 'yes' } });
      assert.equal(yes.status, 201, JSON.stringify(yes.body));
      assert.equal(yes.body.network.admin_state_up, true);
      const off = await api.post('/v2.0/networks', { network: { admin_state_up: 'OFF' } });
      assert.equal(off.body.network.admin_state_up, false);
      await fault(api.post('/v2.0/networks', { network: { port_security_enabled: 'maybe' } }), 400, 'InvalidInput',
        "Invalid input for operation: 'maybe' cannot be converted to boolean.");
      await fault(api.post('/v2.0/networks', { network: { mtu: 'big' } }), 400, 'InvalidInput',
        "Invalid input for operation: 'big' is not an integer.");
    });

    it('list filters convert as the attributes do', async () => {
      await fault(api.get('/v2.0/networks?shared=maybe'), 400, 'InvalidInput',
        "Invalid input for operation: 'maybe' cannot be converted to boolean.");
      assert.equal((await api.get('/v2.0/networks?shared=no')).status, 200);
      await fault(api.get('/v2.0/subnets?ip_version=x'), 400, 'InvalidInput', "Invalid input for operation: 'x' is not an integer.");
    });

    it("a bad filter or sort direction is named as Neutron prints it, a Python list", async () => {
      await fault(api.get('/v2.0/networks?foo=1'), 400, 'HTTPBadRequest', "['foo'] is invalid attribute for filtering");
      await fault(api.get('/v2.0/networks?sort_key=name&sort_dir=up'), 400, 'HTTPBadRequest',
        "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
    });

    it('a bad limit or If-Match is exceptions.BadRequest, type BadRequest', async () => {
      await fault(api.get('/v2.0/networks?limit=-1'), 400, 'BadRequest',
        "Bad limit request: Limit must be an integer 0 or greater and not '-1'.");
      await fault(api.get('/v2.0/networks?limit=abc'), 400, 'BadRequest');
      const n = await api.create('networks', 'network', {});
      await fault(api.put(`/v2.0/networks/${n.id}`, { network: { description: 'x' } }, { 'if-match': 'revision_number=abc' }), 400, 'BadRequest',
        'Bad if-match request: Revision number etag must be in the format of revision_number=<int>.');
    });
  });

  describe('subnets', () => {
    let net: Record<string, any>;
    before(async () => { net = await api.create('networks', 'network', { name: 'validation-subnets' }); });
    const post = (attrs: Record<string, unknown>) => api.post('/v2.0/subnets', { subnet: { network_id: net.id, ...attrs } });

    it('a /31 or /32 cannot have DHCP (InvalidInput), and can without', async () => {
      const text = 'Invalid input for operation: Subnet has a prefix length that is incompatible with DHCP service enabled.';
      await fault(post({ ip_version: 4, cidr: '10.51.0.1/32' }), 400, 'InvalidInput', text);
      await fault(post({ ip_version: 4, cidr: '10.52.0.0/31' }), 400, 'InvalidInput', text);
      await fault(post({ ip_version: 6, cidr: '2001:db8:51::/127' }), 400, 'InvalidInput', text);
      await fault(post({ ip_version: 4, cidr: '0.0.0.0/0' }), 400, 'InvalidInput',
        "Invalid input for operation: First IP '0.0.0.0' of network is not supported if enable_dhcp is True..");
      await fault(post({ ip_version: 4, cidr: '127.0.0.0/24' }), 400, 'InvalidInput',
        'Invalid input for operation: Loopback IP subnet is not supported if enable_dhcp is True.');
      await fault(post({ ip_version: 4, cidr: '224.0.0.0/24' }), 400, 'InvalidInput',
        'Invalid input for operation: Multicast IP subnet is not supported if enable_dhcp is True.');
      const plain = await post({ ip_version: 4, cidr: '10.52.0.0/31', enable_dhcp: false });
      assert.equal(plain.status, 201, JSON.stringify(plain.body));
    });

    it("gateway, nameserver, host route and mode checks in Neutron's words", async () => {
      await fault(post({ ip_version: 4, cidr: '10.55.0.0/24', gateway_ip: '10.55.0.0' }), 400, 'InvalidInput', 'Invalid input for operation: Gateway is not valid on subnet.');
      await fault(post({ ip_version: 4, cidr: '10.55.0.0/24', gateway_ip: '10.55.0.255' }), 400, 'InvalidInput', 'Invalid input for operation: Gateway is not valid on subnet.');
      // On IPv6 the network address is a valid gateway (the default one).
      const v6 = await post({ ip_version: 6, cidr: '2001:db8:55::/64', gateway_ip: '2001:db8:55::' });
      assert.equal(v6.status, 201, JSON.stringify(v6.body));
      await fault(post({ ip_version: 4, cidr: '10.56.0.0/24', dns_nameservers: ['1.1.1.1', '1.1.1.1'] }), 400, 'HTTPBadRequest',
        "Invalid input for dns_nameservers. Reason: Duplicate nameserver '1.1.1.1'.");
      await fault(post({ ip_version: 4, cidr: '10.56.0.0/24', dns_nameservers: ['dns'] }), 400, 'HTTPBadRequest',
        "Invalid input for dns_nameservers. Reason: 'dns' is not a valid nameserver. 'dns' is not a valid IP address.");
      await fault(post({ ip_version: 6, cidr: '2001:db8:56::/64', dns_nameservers: ['8.8.8.8'] }), 400, 'InvalidInput',
        "Invalid input for operation: dns_nameserver '8.8.8.8' does not match the ip_version '6'.");
      await fault(post({ ip_version: 4, cidr: '10.56.0.0/24', host_routes: [{ destination: 'x', nexthop: '10.56.0.9' }] }), 400, 'HTTPBadRequest',
        "Invalid input for host_routes. Reason: 'x' is not a valid CIDR.");
      await fault(post({ ip_version: 6, cidr: '10.2.0.0/24' }), 400, 'InvalidInput', "Invalid input for operation: cidr '10.2.0.0/24' does not match the ip_version '6'.");
      await fault(post({ ip_version: 4, cidr: '10.57.0.0/24', ipv6_ra_mode: 'slaac' }), 400, 'InvalidInput', 'Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4.');
      await fault(post({ ip_version: 6, cidr: '2001:db8:57::/64', ipv6_ra_mode: 'magic' }), 400, 'HTTPBadRequest', 'Invalid input for ipv6_ra_mode. Reason: magic is not in valid_values.');
      const nulls = await post({ ip_version: 4, cidr: '10.58.0.0/24', dns_nameservers: null, host_routes: null });
      assert.equal(nulls.status, 201, JSON.stringify(nulls.body));
      assert.deepEqual([nulls.body.subnet.dns_nameservers, nulls.body.subnet.host_routes], [[], []]);
    });

    it('ip_version 5 is a validation 400; no cidr and no pool is BadRequest', async () => {
      await fault(post({ ip_version: 5, cidr: '10.2.0.0/24' }), 400, 'HTTPBadRequest', 'Invalid input for ip_version. Reason: 5 is not in valid_values.');
      await fault(post({ ip_version: 'four', cidr: '10.2.0.0/24' }), 400, 'InvalidInput');
      await fault(post({ ip_version: 4 }), 400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
      await fault(post({ ip_version: 4, cidr: 'abc' }), 400, 'InvalidInput', 'Invalid input for operation: abc is not in a CIDR format.');
    });

    it("an IPv6 subnet's default gateway is its network address, and a router interface takes it", async () => {
      const s = (await post({ ip_version: 6, cidr: '2001:db8:52::/64' })).body.subnet;
      assert.equal(s.gateway_ip, '2001:db8:52::');
      assert.deepEqual(s.allocation_pools, [{ start: '2001:db8:52::1', end: '2001:db8:52:0:ffff:ffff:ffff:ffff' }]);
      // A plain port may not hold the Subnet-Router anycast address; a router's may.
      await expectError(api.post('/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: s.id, ip_address: '2001:db8:52::' }] } }), 400, 'InvalidIpForSubnet');
      const r = await api.create('routers', 'router', {});
      const added = await api.put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const port = (await api.get(`/v2.0/ports/${added.body.port_id}`)).body.port;
      assert.deepEqual(port.fixed_ips, [{ subnet_id: s.id, ip_address: '2001:db8:52::' }]);
      assert.equal(port.port_security_enabled, false);
      // A cidr a pool picks keeps the pool's default, network + 1.
      const pool = await api.create('subnetpools', 'subnetpool', { name: 'v6-pool', prefixes: ['2001:db8:f000::/48'], default_prefixlen: 64 });
      const other = await api.create('networks', 'network', {});
      const fromPool = (await api.post('/v2.0/subnets', { subnet: { network_id: other.id, ip_version: 6, subnetpool_id: pool.id } })).body.subnet;
      assert.equal(fromPool.gateway_ip, fromPool.cidr.replace('/64', '1'));
    });
  });

  describe('ports', () => {
    let net: Record<string, any>;
    let sub: Record<string, any>;
    let slaac: Record<string, any>;
    before(async () => {
      net = await api.create('networks', 'network', { name: 'validation-ports' });
      sub = await api.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/24' });
      slaac = await api.create('subnets', 'subnet', {
        network_id: net.id, ip_version: 6, cidr: '2001:db8:9::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac',
      });
    });
    const post = (attrs: Record<string, unknown>) => api.post('/v2.0/ports', { port: { network_id: net.id, ...attrs } });

    it('fixed_ips as Neutron checks them', async () => {
      const gw = await post({ fixed_ips: [{ subnet_id: sub.id, ip_address: '10.9.0.1' }] });
      assert.equal(gw.status, 201, JSON.stringify(gw.body));
      await fault(post({ fixed_ips: [{ ip: '10.9.0.12' }] }), 400, 'InvalidInput', 'Invalid input for operation: IP allocation requires subnet_id or ip_address.');
      await fault(post({ fixed_ips: [{ subnet_id: sub.id, ip_address: '10.9.0.22' }, { subnet_id: sub.id, ip_address: '10.9.0.22' }] }), 400, 'HTTPBadRequest',
        "Invalid input for fixed_ips. Reason: Duplicate IP address '10.9.0.22'.");
      await fault(post({ fixed_ips: [{ subnet_id: MISSING_ID }] }), 404, 'SubnetNotFound');
      await fault(post({ fixed_ips: [{ subnet_id: slaac.id, ip_address: '2001:db8:9::99' }] }), 400, 'AllocationOnAutoAddressSubnet');
      await fault(post({ fixed_ips: { ip_address: '10.9.0.12' } }), 400, 'HTTPBadRequest');
      await fault(post({ fixed_ips: [{ subnet_id: sub.id, ip_address: 'ip' }] }), 400, 'HTTPBadRequest', "Invalid input for fixed_ips. Reason: 'ip' is not a valid IP address.");
    });

    it('allowed_address_pairs and extra_dhcp_opts fail with Neutron\'s faults', async () => {
      await fault(post({ allowed_address_pairs: [{ mac_address: 'fa:16:3e:aa:bb:cc' }] }), 400, 'AllowedAddressPairsMissingIP', 'AllowedAddressPair must contain ip_address');
      await fault(post({ allowed_address_pairs: { ip_address: '10.9.0.101' } }), 400, 'HTTPBadRequest', 'Allowed address pairs must be a list.');
      await fault(post({ allowed_address_pairs: [{ ip_address: '10.9.0.100' }, { ip_address: '10.9.0.100' }] }), 400, 'DuplicateAddressPairInRequest',
        'Request contains duplicate address pair: mac_address None ip_address 10.9.0.100.');
      await fault(post({ extra_dhcp_opts: [{ opt_value: 'x' }] }), 400, 'InvalidInput', "Invalid input for operation: No valid key specs matched for: {'opt_value': 'x'}.");
      await fault(post({ extra_dhcp_opts: 'x' }), 400, 'InvalidInput', "Invalid input for operation: 'x' is not a list.");
      await fault(post({ extra_dhcp_opts: [{ opt_name: 'a', opt_value: 'b', ip_version: 5 }] }), 400, 'InvalidInput');
      const ok = await post({ extra_dhcp_opts: [{ opt_name: 'a', opt_value: 'b', ip_version: '6' }] });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(ok.body.port.extra_dhcp_opts, [{ opt_name: 'a', opt_value: 'b', ip_version: 6 }]);
    });

    it('a network:* port has no port security unless it asks', async () => {
      const dhcp = await post({ device_owner: 'network:dhcp' });
      assert.equal(dhcp.body.port.port_security_enabled, false);
      assert.deepEqual(dhcp.body.port.security_groups, []);
      const asked = await post({ device_owner: 'network:dhcp', port_security_enabled: true });
      assert.equal(asked.body.port.port_security_enabled, true);
    });

    it('a port whose binding failed may change its MAC', async () => {
      const p = (await post({ 'binding:host_id': 'no-agent-here' })).body.port;
      assert.equal(p['binding:vif_type'], 'binding_failed');
      const moved = await api.put(`/v2.0/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:11:22:36' } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.port.mac_address, 'fa:16:3e:11:22:36');
    });
  });

  it('NetworkInUse names the ports that hold the network', async () => {
    const n = await api.create('networks', 'network', {});
    await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.77.0.0/24' });
    const p = await api.create('ports', 'port', { network_id: n.id });
    await fault(api.delete(`/v2.0/networks/${n.id}`), 409, 'NetworkInUse',
      `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network, id for these ports is: ${p.id}.`);
  });

  it("a project's first network makes its default security group, as Neutron's BEFORE_CREATE handler", async () => {
    const q = api.as('p-first-network');
    await q.create('networks', 'network', {});
    const details = (await api.get('/v2.0/quotas/p-first-network/details')).body.quota;
    assert.equal(details.security_group.used, 1);
    assert.equal(details.security_group_rule.used, 4);
  });
});
