/** Networks over HTTP: defaults, show/list/update/delete, validation, segments, in-use and visibility rules. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, ApiResponse, TestServer } from '../helpers/server.js';
import { neutronErrorType, startTestServer } from '../helpers/server.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const MISSING_ID = '6f1e0a52-3b7c-4d5e-9f80-1a2b3c4d5e6f';

/** Asserts an error response: its status and its NeutronError type. */
function assertFault(res: ApiResponse, status: number, type: string): void {
  assert.equal(res.status, status, `expected ${status} ${type}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.equal(neutronErrorType(res), type, JSON.stringify(res.body));
}

describe('networks', () => {
  let t: TestServer;
  let api: Api;
  before(async () => { t = await startTestServer(); api = t.api; });
  after(async () => { await t.close(); });

  const postNetwork = (attrs: Record<string, unknown>, as: Api = api) => as.post('/v2.0/networks', { network: attrs });

  describe('create', () => {
    it('fills in Neutron defaults', async () => {
      const res = await postNetwork({ name: 'defaults-net' });
      assert.equal(res.status, 201);
      const n = res.body.network;
      assert.match(n.id, UUID_RE);
      assert.equal(n.name, 'defaults-net');
      assert.equal(n.description, '');
      assert.equal(n.admin_state_up, true);
      assert.equal(n.shared, false);
      assert.equal(n['router:external'], false);
      assert.equal(n.mtu, 1450);
      assert.equal(n.status, 'ACTIVE');
      assert.equal(n.port_security_enabled, true);
      assert.equal(n['provider:network_type'], 'vxlan');
      assert.equal(n['provider:physical_network'], null);
      assert.equal(typeof n['provider:segmentation_id'], 'number');
      assert.ok(Number.isInteger(n['provider:segmentation_id']), `segmentation id ${n['provider:segmentation_id']}`);
      assert.ok(n['provider:segmentation_id'] >= 1 && n['provider:segmentation_id'] <= 16777215);
      assert.deepEqual(n.subnets, []);
      assert.deepEqual(n.tags, []);
      assert.equal(typeof n.project_id, 'string');
      assert.ok(n.project_id.length > 0);
      assert.equal(n.project_id, n.tenant_id);
      assert.equal(n.revision_number, 1);
      assert.match(n.created_at, TIME_RE);
      assert.match(n.updated_at, TIME_RE);
    });

    it('gives every network its own segmentation id', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const n = await api.create('networks', 'network', { name: `seg-${i}` });
        assert.ok(Number.isInteger(n['provider:segmentation_id']));
        ids.push(n['provider:segmentation_id']);
      }
      assert.equal(new Set(ids).size, ids.length, `segmentation ids ${ids.join(',')}`);
    });

    it('honours an explicit VXLAN segmentation id and refuses one in use with 409 TunnelIdInUse', async () => {
      const first = await postNetwork({ name: 'seg-explicit', 'provider:network_type': 'vxlan', 'provider:segmentation_id': 4242 });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.network['provider:network_type'], 'vxlan');
      assert.equal(first.body.network['provider:segmentation_id'], 4242);
      assertFault(await postNetwork({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 4242 }), 409, 'TunnelIdInUse');
      // One allocated by the server is just as taken.
      const auto = await api.create('networks', 'network', { name: 'seg-auto' });
      const taken = auto['provider:segmentation_id'];
      assertFault(await postNetwork({ 'provider:network_type': 'vxlan', 'provider:segmentation_id': taken }), 409, 'TunnelIdInUse');
    });

    it('refuses a provider:segmentation_id without provider:network_type (400 InvalidInput)', async () => {
      // ML2's _process_provider_segment: "network_type required".
      assertFault(await postNetwork({ 'provider:segmentation_id': 4343 }), 400, 'InvalidInput');
    });

    it('without network_vlan_ranges, a VLAN network has no physical network to be on (400, or 503 to allocate)', async () => {
      // As Neutron's VLAN type driver: the physical network is unknown; with none named, no VLAN is free.
      assertFault(await postNetwork({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 }), 400, 'InvalidInput');
      assertFault(await postNetwork({ 'provider:network_type': 'vlan' }), 503, 'NoNetworkAvailable');
    });

    it('refuses an invalid admin_state_up with 400 InvalidInput', async () => {
      assertFault(await postNetwork({ admin_state_up: 'maybe' }), 400, 'InvalidInput');
    });

    it('refuses an unknown attribute with 400 HTTPBadRequest', async () => {
      const res = await postNetwork({ name: 'x', colour: 'blue' });
      assertFault(res, 400, 'HTTPBadRequest');
      assert.match(res.body.NeutronError.message, /colour/);
    });

    it('refuses a read-only attribute (status) in POST with 400 HTTPBadRequest', async () => {
      const res = await postNetwork({ name: 'x', status: 'DOWN' });
      assertFault(res, 400, 'HTTPBadRequest');
      assert.match(res.body.NeutronError.message, /status/);
    });

    it('refuses an mtu above the VXLAN maximum of 1450', async () => {
      assertFault(await postNetwork({ mtu: 1451 }), 400, 'InvalidInput');
      const ok = await postNetwork({ name: 'mtu-1450', mtu: 1450 });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.network.mtu, 1450);
    });
  });

  describe('show and list', () => {
    it('shows a network exactly as it was created', async () => {
      const n = await api.create('networks', 'network', { name: 'shown', description: 'to be shown' });
      const res = await api.get(`/v2.0/networks/${n.id}`);
      assert.equal(res.status, 200);
      // Less is_default, which Neutron puts in a create's answer only (on an internal network).
      const { is_default: _created, ...asShown } = n;
      assert.deepEqual(res.body.network, asShown);
      assert.equal(res.body.network.description, 'to be shown');
    });

    it('lists networks', async () => {
      const a = await api.create('networks', 'network', { name: 'list-a' });
      const b = await api.create('networks', 'network', { name: 'list-b' });
      const res = await api.get('/v2.0/networks');
      assert.equal(res.status, 200);
      assert.ok(Array.isArray(res.body.networks));
      const byId = new Map(res.body.networks.map((n: { id: string }) => [n.id, n]));
      const shown = ({ is_default: _created, ...rest }: Record<string, unknown>) => rest;
      assert.deepEqual(byId.get(a.id), shown(a));
      assert.deepEqual(byId.get(b.id), shown(b));
      const filtered = await api.get('/v2.0/networks?name=list-b');
      assert.equal(filtered.status, 200);
      assert.deepEqual(filtered.body.networks.map((n: { id: string }) => n.id), [b.id]);
    });

    it('answers 404 NetworkNotFound for an unknown id', async () => {
      assertFault(await api.get(`/v2.0/networks/${MISSING_ID}`), 404, 'NetworkNotFound');
      assertFault(await api.put(`/v2.0/networks/${MISSING_ID}`, { network: { name: 'x' } }), 404, 'NetworkNotFound');
      assertFault(await api.delete(`/v2.0/networks/${MISSING_ID}`), 404, 'NetworkNotFound');
    });
  });

  describe('update', () => {
    it('changes name and mtu, and bumps revision_number each time', async () => {
      const n = await api.create('networks', 'network', { name: 'before' });
      assert.equal(n.revision_number, 1);
      const r1 = await api.put(`/v2.0/networks/${n.id}`, { network: { name: 'after' } });
      assert.equal(r1.status, 200);
      assert.equal(r1.body.network.name, 'after');
      assert.equal(r1.body.network.mtu, 1450);
      assert.equal(r1.body.network.revision_number, 2);
      const r2 = await api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 1400 } });
      assert.equal(r2.status, 200);
      assert.equal(r2.body.network.mtu, 1400);
      assert.equal(r2.body.network.name, 'after');
      assert.equal(r2.body.network.revision_number, 3);
      assert.equal(r2.body.network.created_at, n.created_at);
      assert.match(r2.body.network.updated_at, TIME_RE);
      const shown = await api.get(`/v2.0/networks/${n.id}`);
      assert.equal(shown.body.network.name, 'after');
      assert.equal(shown.body.network.mtu, 1400);
      assert.equal(shown.body.network.revision_number, 3);
    });

    it('refuses an mtu above 1450 with 400 and leaves the network unchanged', async () => {
      const n = await api.create('networks', 'network', { name: 'mtu-upd' });
      assertFault(await api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 1451 } }), 400, 'InvalidInput');
      assertFault(await api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 9000 } }), 400, 'InvalidInput');
      const shown = await api.get(`/v2.0/networks/${n.id}`);
      assert.equal(shown.body.network.mtu, 1450);
      assert.equal(shown.body.network.revision_number, 1);
    });

    it('refuses read-only attributes in PUT with 400 HTTPBadRequest', async () => {
      const n = await api.create('networks', 'network', { name: 'ro-upd' });
      assertFault(await api.put(`/v2.0/networks/${n.id}`, { network: { status: 'DOWN' } }), 400, 'HTTPBadRequest');
    });

    it('refuses provider changes as ML2 does, with 400 InvalidInput', async () => {
      const n = await api.create('networks', 'network', { name: 'prov-upd' });
      const segid = await api.put(`/v2.0/networks/${n.id}`, { network: { 'provider:segmentation_id': 99 } });
      assertFault(segid, 400, 'InvalidInput');
      assert.equal(segid.body.NeutronError.message, 'Invalid input for operation: Only VLAN type networks can be updated..');
      assertFault(await api.put(`/v2.0/networks/${n.id}`, { network: { 'provider:network_type': 'flat' } }), 400, 'InvalidInput');
      // The same values again are no change.
      const same = await api.put(`/v2.0/networks/${n.id}`, { network: { 'provider:network_type': 'vxlan', name: 'same' } });
      assert.equal(same.status, 200, JSON.stringify(same.body));
      assert.equal(same.body.network['provider:segmentation_id'], n['provider:segmentation_id']);
      // An unknown type is the type manager's InvalidInput, as in Neutron.
      const gre = await api.post('/v2.0/networks', { network: { 'provider:network_type': 'gre' } });
      assertFault(gre, 400, 'InvalidInput');
      assert.equal(gre.body.NeutronError.message, "Invalid input for operation: network_type value 'gre' not supported.");
    });
  });

  describe('delete', () => {
    it('answers 204, then 404 NetworkNotFound', async () => {
      const n = await api.create('networks', 'network', { name: 'doomed' });
      const del = await api.delete(`/v2.0/networks/${n.id}`);
      assert.equal(del.status, 204);
      assert.equal(del.body, undefined);
      assertFault(await api.get(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
      assertFault(await api.delete(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
      const listed = (await api.get('/v2.0/networks')).body.networks.map((x: { id: string }) => x.id);
      assert.ok(!listed.includes(n.id));
    });

    it('is refused with 409 NetworkInUse while a port exists, then allowed and takes its subnets along', async () => {
      const n = await api.create('networks', 'network', { name: 'in-use' });
      const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.90.0.0/24' });
      const p = await api.create('ports', 'port', { network_id: n.id, name: 'vm-port' });
      assert.equal(p.fixed_ips.length, 1);
      assert.equal(p.fixed_ips[0].subnet_id, s.id);

      assertFault(await api.delete(`/v2.0/networks/${n.id}`), 409, 'NetworkInUse');
      const still = await api.get(`/v2.0/networks/${n.id}`);
      assert.equal(still.status, 200);
      assert.deepEqual(still.body.network.subnets, [s.id]);
      assert.equal((await api.get(`/v2.0/subnets/${s.id}`)).status, 200);

      assert.equal((await api.delete(`/v2.0/ports/${p.id}`)).status, 204);
      assert.equal((await api.delete(`/v2.0/networks/${n.id}`)).status, 204);
      assertFault(await api.get(`/v2.0/networks/${n.id}`), 404, 'NetworkNotFound');
      assertFault(await api.get(`/v2.0/subnets/${s.id}`), 404, 'SubnetNotFound');
      const subnets = (await api.get(`/v2.0/subnets?network_id=${n.id}`)).body.subnets;
      assert.deepEqual(subnets, []);
    });
  });

  describe('projects and policy', () => {
    it('hides project A\'s private network from project B (404) but shows a shared one', async () => {
      const a = api.as('projA');
      const b = api.as('projB');
      const priv = await a.create('networks', 'network', { name: 'a-private' });
      assert.equal(priv.project_id, 'projA');
      assert.equal(priv.tenant_id, 'projA');
      const shared = await api.create('networks', 'network', { name: 'a-shared', shared: true, project_id: 'projA' });
      assert.equal(shared.project_id, 'projA');
      assert.equal(shared.shared, true);

      assertFault(await b.get(`/v2.0/networks/${priv.id}`), 404, 'NetworkNotFound');
      const seen = await b.get(`/v2.0/networks/${shared.id}`);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.network.id, shared.id);
      assert.equal(seen.body.network.project_id, 'projA');

      const listed = (await b.get('/v2.0/networks')).body.networks.map((n: { id: string }) => n.id);
      assert.ok(listed.includes(shared.id));
      assert.ok(!listed.includes(priv.id));

      // Project A itself sees both.
      const own = (await a.get('/v2.0/networks')).body.networks.map((n: { id: string }) => n.id);
      assert.ok(own.includes(priv.id));
      assert.ok(own.includes(shared.id));
    });

    it('shows an external network to every project', async () => {
      const ext = await api.create('networks', 'network', { name: 'public', 'router:external': true, project_id: 'projA' });
      assert.equal(ext['router:external'], true);
      const seen = await api.as('projB').get(`/v2.0/networks/${ext.id}`);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.network['router:external'], true);
    });

    it('refuses a member setting router:external or provider attributes with 403 PolicyNotAuthorized', async () => {
      const b = api.as('projB');
      assertFault(await postNetwork({ 'router:external': true }, b), 403, 'PolicyNotAuthorized');
      assertFault(await postNetwork({ 'provider:network_type': 'vxlan' }, b), 403, 'PolicyNotAuthorized');
      assertFault(await postNetwork({ 'provider:segmentation_id': 777 }, b), 403, 'PolicyNotAuthorized');
      assertFault(await postNetwork({ 'provider:physical_network': 'physnet1' }, b), 403, 'PolicyNotAuthorized');
      const own = await b.create('networks', 'network', { name: 'b-own' });
      assertFault(await b.put(`/v2.0/networks/${own.id}`, { network: { 'router:external': true } }), 403, 'PolicyNotAuthorized');
      const shown = await b.get(`/v2.0/networks/${own.id}`);
      assert.equal(shown.body.network['router:external'], false);
    });

    it('accepts a member giving router:external and shared at their defaults (false)', async () => {
      // Neutron enforces attribute policy only on values that differ from the default, so
      // `openstack network create --internal` works for a member.
      const res = await postNetwork({ name: 'b-internal', 'router:external': false, shared: false }, api.as('projB'));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.network['router:external'], false);
      assert.equal(res.body.network.shared, false);
      assert.equal(res.body.network.project_id, 'projB');
    });

    it('refuses a member creating a shared network with 403 PolicyNotAuthorized', async () => {
      // Neutron's policy: create_network:shared is admin-only.
      assertFault(await postNetwork({ name: 'b-shared', shared: true }, api.as('projB')), 403, 'PolicyNotAuthorized');
    });

    it('refuses a member naming another project with 400 HTTPBadRequest', async () => {
      const b = api.as('projB');
      assertFault(await postNetwork({ project_id: 'projA' }, b), 400, 'HTTPBadRequest');
      assertFault(await postNetwork({ tenant_id: 'projA' }, b), 400, 'HTTPBadRequest');
      // Naming its own project is fine.
      const ok = await postNetwork({ name: 'b-explicit', project_id: 'projB' }, b);
      assert.equal(ok.status, 201);
      assert.equal(ok.body.network.project_id, 'projB');
      assert.equal(ok.body.network.tenant_id, 'projB');
    });

    it('refuses project B changing or deleting project A\'s shared network (403)', async () => {
      const shared = await api.create('networks', 'network', { name: 'a-shared-2', shared: true, project_id: 'projA' });
      const b = api.as('projB');
      assertFault(await b.put(`/v2.0/networks/${shared.id}`, { network: { name: 'stolen' } }), 403, 'PolicyNotAuthorized');
      assertFault(await b.delete(`/v2.0/networks/${shared.id}`), 403, 'PolicyNotAuthorized');
      const shown = await api.get(`/v2.0/networks/${shared.id}`);
      assert.equal(shown.body.network.name, 'a-shared-2');
    });
  });
});
