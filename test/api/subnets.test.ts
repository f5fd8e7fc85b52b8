/** Subnets over HTTP: defaults, cidr normalisation, gateway and pool rules, IPv6 modes, updates, in-use rules. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { neutronErrorType, startTestServer } from '../helpers/server.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const MISSING_ID = '0b6d8a7e-1c2f-4a3b-8d9e-5f6a7b8c9d0e';

/** Asserts an error response: its status and its NeutronError type. */
function assertFault(res: ApiResponse, status: number, type: string): void {
  assert.equal(res.status, status, `expected ${status} ${type}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.equal(neutronErrorType(res), type, JSON.stringify(res.body));
}

describe('subnets', () => {
  let t: TestServer;
  let api: Api;
  before(async () => { t = await startTestServer(); api = t.api; });
  after(async () => { await t.close(); });

  const network = (name = 'net') => api.create('networks', 'network', { name });
  const subnet = (networkId: string, attrs: Record<string, unknown>) =>
    api.create('subnets', 'subnet', { network_id: networkId, ip_version: 4, ...attrs });
  const postSubnet = (attrs: Record<string, unknown>) => api.post('/v2.0/subnets', { subnet: attrs });

  describe('IPv4 defaults', () => {
    it('takes the first address as gateway and the rest of the range as its pool', async () => {
      const n = await network('v4-defaults');
      const res = await postSubnet({ network_id: n.id, ip_version: 4, cidr: '10.0.0.0/24', name: 'sub-a' });
      assert.equal(res.status, 201);
      const s = res.body.subnet;
      assert.match(s.id, UUID_RE);
      assert.equal(s.name, 'sub-a');
      assert.equal(s.network_id, n.id);
      assert.equal(s.ip_version, 4);
      assert.equal(s.cidr, '10.0.0.0/24');
      assert.equal(s.gateway_ip, '10.0.0.1');
      assert.deepEqual(s.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
      assert.equal(s.enable_dhcp, true);
      assert.deepEqual(s.dns_nameservers, []);
      assert.deepEqual(s.host_routes, []);
      assert.equal(s.ipv6_ra_mode, null);
      assert.equal(s.ipv6_address_mode, null);
      assert.equal(s.subnetpool_id, null);
      assert.equal(s.project_id, n.project_id);
      assert.equal(s.tenant_id, n.project_id);
      assert.equal(s.revision_number, 1);
      assert.deepEqual(s.tags, []);
      assert.match(s.created_at, TIME_RE);
      assert.match(s.updated_at, TIME_RE);
      assert.equal('prefixlen' in s, false);

      const shown = await api.get(`/v2.0/subnets/${s.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.subnet, s);
    });

    it('normalises a cidr with host bits (10.1.2.3/24 -> 10.1.2.0/24)', async () => {
      const n = await network('v4-hostbits');
      const s = await subnet(n.id, { cidr: '10.1.2.3/24' });
      assert.equal(s.cidr, '10.1.2.0/24');
      assert.equal(s.gateway_ip, '10.1.2.1');
      assert.deepEqual(s.allocation_pools, [{ start: '10.1.2.2', end: '10.1.2.254' }]);
    });

    it('with gateway_ip null has no gateway and pools from the first address', async () => {
      const n = await network('v4-nogw');
      const s = await subnet(n.id, { cidr: '10.1.3.0/24', gateway_ip: null });
      assert.equal(s.gateway_ip, null);
      assert.deepEqual(s.allocation_pools, [{ start: '10.1.3.1', end: '10.1.3.254' }]);
    });

    it('splits the default pools around a gateway in the middle of the range', async () => {
      const n = await network('v4-midgw');
      const s = await subnet(n.id, { cidr: '10.1.4.0/24', gateway_ip: '10.1.4.100' });
      assert.equal(s.gateway_ip, '10.1.4.100');
      assert.deepEqual(s.allocation_pools, [
        { start: '10.1.4.1', end: '10.1.4.99' },
        { start: '10.1.4.101', end: '10.1.4.254' },
      ]);
    });

    it('keeps a gateway at the last usable address out of a single pool', async () => {
      const n = await network('v4-lastgw');
      const s = await subnet(n.id, { cidr: '10.1.5.0/24', gateway_ip: '10.1.5.254' });
      assert.deepEqual(s.allocation_pools, [{ start: '10.1.5.1', end: '10.1.5.253' }]);
    });
  });

  describe('IPv6', () => {
    it('normalises the cidr (2001:DB8:0:0::/64 -> 2001:db8::/64) and fills IPv6 defaults', async () => {
      const n = await network('v6-norm');
      const s = await subnet(n.id, { ip_version: 6, cidr: '2001:DB8:0:0::/64' });
      assert.equal(s.cidr, '2001:db8::/64');
      assert.equal(s.ip_version, 6);
      assert.equal(s.gateway_ip, '2001:db8::'); // Neutron's default: the network (Subnet-Router anycast) address
      assert.deepEqual(s.allocation_pools, [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }]);
      assert.equal(s.ipv6_ra_mode, null);
      assert.equal(s.ipv6_address_mode, null);
    });

    it('stores ipv6_ra_mode and ipv6_address_mode', async () => {
      const n = await network('v6-modes');
      const slaac = await subnet(n.id, { ip_version: 6, cidr: '2001:db8:1::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
      assert.equal(slaac.ipv6_ra_mode, 'slaac');
      assert.equal(slaac.ipv6_address_mode, 'slaac');
      const stateful = await subnet(n.id, {
        ip_version: 6, cidr: '2001:db8:2::/64', ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful',
      });
      assert.equal(stateful.ipv6_ra_mode, 'dhcpv6-stateful');
      assert.equal(stateful.ipv6_address_mode, 'dhcpv6-stateful');
      const addrOnly = await subnet(n.id, { ip_version: 6, cidr: '2001:db8:3::/64', ipv6_address_mode: 'dhcpv6-stateless' });
      assert.equal(addrOnly.ipv6_ra_mode, null);
      assert.equal(addrOnly.ipv6_address_mode, 'dhcpv6-stateless');
      const shown = await api.get(`/v2.0/subnets/${slaac.id}`);
      assert.equal(shown.body.subnet.ipv6_ra_mode, 'slaac');
      assert.equal(shown.body.subnet.ipv6_address_mode, 'slaac');
    });

    it('refuses mismatching ipv6_ra_mode and ipv6_address_mode with 400 InvalidInput', async () => {
      const n = await network('v6-mismatch');
      assertFault(await postSubnet({
        network_id: n.id, ip_version: 6, cidr: '2001:db8:10::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful',
      }), 400, 'InvalidInput');
    });

    it('refuses SLAAC on a prefix other than /64 with 400 InvalidInput', async () => {
      const n = await network('v6-slaac80');
      assertFault(await postSubnet({
        network_id: n.id, ip_version: 6, cidr: '2001:db8:11::/80', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac',
      }), 400, 'InvalidInput');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 6, cidr: '2001:db8:12::/80', ipv6_address_mode: 'slaac' }), 400, 'InvalidInput');
      // A stateful /80 is fine.
      const ok = await postSubnet({ network_id: n.id, ip_version: 6, cidr: '2001:db8:13::/80', ipv6_address_mode: 'dhcpv6-stateful' });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });

    it('refuses IPv6 modes on an IPv4 subnet with 400 InvalidInput', async () => {
      const n = await network('v6-on-v4');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 4, cidr: '10.2.0.0/24', ipv6_ra_mode: 'slaac' }), 400, 'InvalidInput');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 4, cidr: '10.2.0.0/24', ipv6_address_mode: 'slaac' }), 400, 'InvalidInput');
    });
  });

  describe('allocation pools on create', () => {
    let networkId: string;
    before(async () => { networkId = (await network('pools')).id; });
    const withPools = (pools: unknown, extra: Record<string, unknown> = {}) =>
      postSubnet({ network_id: networkId, ip_version: 4, cidr: '10.3.0.0/24', allocation_pools: pools, ...extra });

    it('refuses a pool outside the cidr with 400 OutOfBoundsAllocationPool', async () => {
      assertFault(await withPools([{ start: '10.3.1.10', end: '10.3.1.20' }]), 400, 'OutOfBoundsAllocationPool');
      assertFault(await withPools([{ start: '10.3.0.200', end: '10.3.0.255' }]), 400, 'OutOfBoundsAllocationPool');
    });

    it('refuses overlapping pools with 409 OverlappingAllocationPools (Neutron\'s Conflict)', async () => {
      assertFault(await withPools([
        { start: '10.3.0.10', end: '10.3.0.20' },
        { start: '10.3.0.15', end: '10.3.0.30' },
      ]), 409, 'OverlappingAllocationPools');
    });

    it("refuses more than Neutron's 5 DNS servers and 20 host routes, on create and update", async () => {
      const dns = (n: number) => Array.from({ length: n }, (_, i) => `10.3.9.${i + 1}`);
      const routes = (n: number) => Array.from({ length: n }, (_, i) => ({ destination: `172.16.${i}.0/24`, nexthop: '10.3.0.254' }));
      const tooMany = await postSubnet({ network_id: networkId, ip_version: 4, cidr: '10.3.0.0/24', dns_nameservers: dns(6) });
      assertFault(tooMany, 400, 'DNSNameServersExhausted');
      assert.equal(tooMany.body.NeutronError.message, 'Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5.');
      assertFault(await postSubnet({ network_id: networkId, ip_version: 4, cidr: '10.3.0.0/24', host_routes: routes(21) }), 400, 'HostRoutesExhausted');
      const ok = await postSubnet({ network_id: networkId, ip_version: 4, cidr: '10.3.0.0/24', dns_nameservers: dns(5), host_routes: routes(20) });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const id = ok.body.subnet.id;
      assertFault(await api.put(`/v2.0/subnets/${id}`, { subnet: { dns_nameservers: dns(6) } }), 400, 'DNSNameServersExhausted');
      assertFault(await api.put(`/v2.0/subnets/${id}`, { subnet: { host_routes: routes(21) } }), 400, 'HostRoutesExhausted');
      assert.equal((await api.delete(`/v2.0/subnets/${id}`)).status, 204);
    });

    it('refuses a pool whose start is after its end with 400 InvalidAllocationPool', async () => {
      assertFault(await withPools([{ start: '10.3.0.20', end: '10.3.0.10' }]), 400, 'InvalidAllocationPool');
    });

    it('refuses a pool containing the gateway with 409 GatewayConflictWithAllocationPools', async () => {
      assertFault(await withPools([{ start: '10.3.0.1', end: '10.3.0.10' }]), 409, 'GatewayConflictWithAllocationPools');
      assertFault(await withPools([{ start: '10.3.0.2', end: '10.3.0.60' }], { gateway_ip: '10.3.0.50' }), 409, 'GatewayConflictWithAllocationPools');
    });

    it('stores valid explicit pools as given', async () => {
      const res = await withPools([
        { start: '10.3.0.100', end: '10.3.0.150' },
        { start: '10.3.0.10', end: '10.3.0.20' },
      ]);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.subnet.gateway_ip, '10.3.0.1');
      const pools = [...res.body.subnet.allocation_pools].sort((a: { start: string }, b: { start: string }) =>
        a.start.localeCompare(b.start, 'en', { numeric: true }));
      assert.deepEqual(pools, [
        { start: '10.3.0.10', end: '10.3.0.20' },
        { start: '10.3.0.100', end: '10.3.0.150' },
      ]);
    });
  });

  describe('cidr and request validation', () => {
    it('refuses an overlapping cidr on the same network with 400 InvalidInput', async () => {
      const n = await network('overlap');
      await subnet(n.id, { cidr: '10.4.0.0/16' });
      assertFault(await postSubnet({ network_id: n.id, ip_version: 4, cidr: '10.4.5.0/24' }), 400, 'InvalidInput');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 4, cidr: '10.4.0.0/16' }), 400, 'InvalidInput');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 4, cidr: '10.0.0.0/8' }), 400, 'InvalidInput');
      await subnet(n.id, { ip_version: 6, cidr: '2001:db8:40::/64' });
      assertFault(await postSubnet({ network_id: n.id, ip_version: 6, cidr: '2001:db8:40::/48' }), 400, 'InvalidInput');
    });

    it('accepts the same cidr on a different network', async () => {
      const n1 = await network('same-cidr-1');
      const n2 = await network('same-cidr-2');
      const s1 = await subnet(n1.id, { cidr: '10.5.0.0/24' });
      const res = await postSubnet({ network_id: n2.id, ip_version: 4, cidr: '10.5.0.0/24' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.subnet.cidr, '10.5.0.0/24');
      assert.equal(res.body.subnet.network_id, n2.id);
      assert.notEqual(res.body.subnet.id, s1.id);
    });

    it('refuses a cidr that does not match ip_version with 400 InvalidInput', async () => {
      const n = await network('version-mismatch');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 6, cidr: '10.6.0.0/24' }), 400, 'InvalidInput');
      assertFault(await postSubnet({ network_id: n.id, ip_version: 4, cidr: '2001:db8:60::/64' }), 400, 'InvalidInput');
    });

    it('refuses a malformed cidr with 400 InvalidInput', async () => {
      // neutron-lib's convert_cidr_to_canonical_format fails first, with its InvalidInput.
      const n = await network('bad-cidr');
      for (const cidr of ['banana', '10.7.0.0/33', '10.7.0.256/24']) {
        const res = await postSubnet({ network_id: n.id, ip_version: 4, cidr });
        assertFault(res, 400, 'InvalidInput');
        assert.equal(res.body.NeutronError.message, `Invalid input for operation: ${cidr} is not in a CIDR format.`);
      }
    });

    it('refuses a subnet without network_id with 400 HTTPBadRequest', async () => {
      const res = await postSubnet({ ip_version: 4, cidr: '10.8.0.0/24' });
      assertFault(res, 400, 'HTTPBadRequest');
      assert.match(res.body.NeutronError.message, /network_id/);
    });

    it('answers 404 NetworkNotFound for a network that does not exist', async () => {
      assertFault(await postSubnet({ network_id: MISSING_ID, ip_version: 4, cidr: '10.9.0.0/24' }), 404, 'NetworkNotFound');
    });

    it('answers 404 SubnetNotFound for an unknown subnet id', async () => {
      assertFault(await api.get(`/v2.0/subnets/${MISSING_ID}`), 404, 'SubnetNotFound');
      assertFault(await api.put(`/v2.0/subnets/${MISSING_ID}`, { subnet: { name: 'x' } }), 404, 'SubnetNotFound');
      assertFault(await api.delete(`/v2.0/subnets/${MISSING_ID}`), 404, 'SubnetNotFound');
    });
  });

  describe('update', () => {
    it('stores host_routes and dns_nameservers and updates them', async () => {
      const n = await network('routes-dns');
      const s = await subnet(n.id, {
        cidr: '10.10.0.0/24',
        dns_nameservers: ['8.8.8.8', '8.8.4.4'],
        host_routes: [{ destination: '10.11.0.0/24', nexthop: '10.10.0.9' }],
      });
      assert.deepEqual(s.dns_nameservers, ['8.8.8.8', '8.8.4.4']);
      assert.deepEqual(s.host_routes, [{ destination: '10.11.0.0/24', nexthop: '10.10.0.9' }]);
      const shown = await api.get(`/v2.0/subnets/${s.id}`);
      assert.deepEqual(shown.body.subnet.dns_nameservers, ['8.8.8.8', '8.8.4.4']);
      assert.deepEqual(shown.body.subnet.host_routes, [{ destination: '10.11.0.0/24', nexthop: '10.10.0.9' }]);

      const upd = await api.put(`/v2.0/subnets/${s.id}`, { subnet: {
        dns_nameservers: ['1.1.1.1'],
        host_routes: [
          { destination: '10.12.0.0/16', nexthop: '10.10.0.10' },
          { destination: '0.0.0.0/0', nexthop: '10.10.0.11' },
        ],
      } });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.deepEqual(upd.body.subnet.dns_nameservers, ['1.1.1.1']);
      assert.deepEqual(upd.body.subnet.host_routes, [
        { destination: '10.12.0.0/16', nexthop: '10.10.0.10' },
        { destination: '0.0.0.0/0', nexthop: '10.10.0.11' },
      ]);
      assert.equal(upd.body.subnet.revision_number, 2);
      assert.equal(upd.body.subnet.cidr, '10.10.0.0/24');
      assert.equal(upd.body.subnet.gateway_ip, '10.10.0.1');

      const cleared = await api.put(`/v2.0/subnets/${s.id}`, { subnet: { dns_nameservers: [], host_routes: [] } });
      assert.equal(cleared.status, 200);
      assert.deepEqual(cleared.body.subnet.dns_nameservers, []);
      assert.deepEqual(cleared.body.subnet.host_routes, []);
      assert.equal(cleared.body.subnet.revision_number, 3);
      const after = await api.get(`/v2.0/subnets/${s.id}`);
      assert.deepEqual(after.body.subnet.dns_nameservers, []);
      assert.deepEqual(after.body.subnet.host_routes, []);
    });

    it('updates allocation_pools and gateway_ip', async () => {
      const n = await network('pools-gw');
      const s = await subnet(n.id, { cidr: '10.13.0.0/24' });
      const pools = await api.put(`/v2.0/subnets/${s.id}`, { subnet: { allocation_pools: [{ start: '10.13.0.100', end: '10.13.0.200' }] } });
      assert.equal(pools.status, 200, JSON.stringify(pools.body));
      assert.deepEqual(pools.body.subnet.allocation_pools, [{ start: '10.13.0.100', end: '10.13.0.200' }]);
      assert.equal(pools.body.subnet.gateway_ip, '10.13.0.1');
      assert.equal(pools.body.subnet.revision_number, 2);

      const gw = await api.put(`/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: '10.13.0.254' } });
      assert.equal(gw.status, 200, JSON.stringify(gw.body));
      assert.equal(gw.body.subnet.gateway_ip, '10.13.0.254');
      assert.deepEqual(gw.body.subnet.allocation_pools, [{ start: '10.13.0.100', end: '10.13.0.200' }]);
      assert.equal(gw.body.subnet.revision_number, 3);

      const both = await api.put(`/v2.0/subnets/${s.id}`, { subnet: {
        gateway_ip: '10.13.0.50', allocation_pools: [{ start: '10.13.0.60', end: '10.13.0.70' }, { start: '10.13.0.2', end: '10.13.0.40' }],
      } });
      assert.equal(both.status, 200, JSON.stringify(both.body));
      assert.equal(both.body.subnet.gateway_ip, '10.13.0.50');
      const sorted = [...both.body.subnet.allocation_pools].sort((a: { start: string }, b: { start: string }) =>
        a.start.localeCompare(b.start, 'en', { numeric: true }));
      assert.deepEqual(sorted, [{ start: '10.13.0.2', end: '10.13.0.40' }, { start: '10.13.0.60', end: '10.13.0.70' }]);

      const none = await api.put(`/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: null } });
      assert.equal(none.status, 200, JSON.stringify(none.body));
      assert.equal(none.body.subnet.gateway_ip, null);

      const shown = await api.get(`/v2.0/subnets/${s.id}`);
      assert.equal(shown.body.subnet.gateway_ip, null);
      assert.equal(shown.body.subnet.revision_number, 5);
    });

    it('refuses a gateway inside the pools and pools around the gateway (409), leaving the subnet unchanged', async () => {
      const n = await network('upd-conflict');
      const s = await subnet(n.id, { cidr: '10.14.0.0/24' });
      assertFault(await api.put(`/v2.0/subnets/${s.id}`, { subnet: { gateway_ip: '10.14.0.50' } }), 409, 'GatewayConflictWithAllocationPools');
      assertFault(await api.put(`/v2.0/subnets/${s.id}`, { subnet: { allocation_pools: [{ start: '10.14.0.1', end: '10.14.0.20' }] } }), 409, 'GatewayConflictWithAllocationPools');
      assertFault(await api.put(`/v2.0/subnets/${s.id}`, { subnet: { allocation_pools: [{ start: '10.15.0.1', end: '10.15.0.20' }] } }), 400, 'OutOfBoundsAllocationPool');
      const shown = await api.get(`/v2.0/subnets/${s.id}`);
      assert.equal(shown.body.subnet.gateway_ip, '10.14.0.1');
      assert.deepEqual(shown.body.subnet.allocation_pools, [{ start: '10.14.0.2', end: '10.14.0.254' }]);
      assert.equal(shown.body.subnet.revision_number, 1);
    });

    it('refuses changing read-only attributes with 400 HTTPBadRequest', async () => {
      const n = await network('upd-ro');
      const s = await subnet(n.id, { cidr: '10.16.0.0/24' });
      assertFault(await api.put(`/v2.0/subnets/${s.id}`, { subnet: { cidr: '10.17.0.0/24' } }), 400, 'HTTPBadRequest');
      assertFault(await api.put(`/v2.0/subnets/${s.id}`, { subnet: { network_id: n.id } }), 400, 'HTTPBadRequest');
      assertFault(await api.put(`/v2.0/subnets/${s.id}`, { subnet: { ip_version: 6 } }), 400, 'HTTPBadRequest');
    });
  });

  describe('delete and the network\'s subnets', () => {
    it('lists subnet ids on the network and drops them when deleted', async () => {
      const n = await network('with-subnets');
      assert.deepEqual(n.subnets, []);
      const s4 = await subnet(n.id, { cidr: '10.20.0.0/24' });
      const s6 = await subnet(n.id, { ip_version: 6, cidr: '2001:db8:20::/64' });
      const shown = await api.get(`/v2.0/networks/${n.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual([...shown.body.network.subnets].sort(), [s4.id, s6.id].sort());
      const listed = (await api.get('/v2.0/networks')).body.networks.find((x: { id: string }) => x.id === n.id);
      assert.deepEqual([...listed.subnets].sort(), [s4.id, s6.id].sort());

      assert.equal((await api.delete(`/v2.0/subnets/${s4.id}`)).status, 204);
      const after = await api.get(`/v2.0/networks/${n.id}`);
      assert.deepEqual(after.body.network.subnets, [s6.id]);
    });

    it('is refused with 409 SubnetInUse while a port holds an address in it, then allowed', async () => {
      const n = await network('subnet-in-use');
      const s = await subnet(n.id, { cidr: '10.21.0.0/24' });
      const p = await api.create('ports', 'port', { network_id: n.id, fixed_ips: [{ subnet_id: s.id }] });
      assert.equal(p.fixed_ips.length, 1);
      assert.equal(p.fixed_ips[0].subnet_id, s.id);
      assert.match(p.fixed_ips[0].ip_address, /^10\.21\.0\.(\d+)$/);

      assertFault(await api.delete(`/v2.0/subnets/${s.id}`), 409, 'SubnetInUse');
      assert.equal((await api.get(`/v2.0/subnets/${s.id}`)).status, 200);

      assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
      const del = await api.delete(`/v2.0/subnets/${s.id}`);
      assert.equal(del.status, 204);
      assertFault(await api.get(`/v2.0/subnets/${s.id}`), 404, 'SubnetNotFound');
      const shown = await api.get(`/v2.0/networks/${n.id}`);
      assert.deepEqual(shown.body.network.subnets, []);
    });
  });
});
