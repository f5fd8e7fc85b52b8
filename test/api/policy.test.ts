/** What Neutron's policy hides from a member: provider:* on networks, binding:* on ports. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

describe('policy: admin-only attributes', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });

  it('are shown to an admin and hidden from a member, in shows, lists and field selections', async () => {
    const member = t.api.as('project-p');
    const net = await member.create('networks', 'network', { name: 'n' });
    await member.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.50.0.0/24' });
    const port = await member.create('ports', 'port', { network_id: net.id });
    const hiddenPort = ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details'];
    const hiddenNet = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'];
    for (const a of hiddenPort) assert.equal(a in port, false, a);
    for (const a of hiddenNet) assert.equal(a in net, false, a);
    assert.equal(port['binding:vnic_type'], 'normal');
    const listed = (await member.get('/v2.0/ports')).body.ports;
    assert.equal(listed.length, 1);
    for (const a of hiddenPort) assert.equal(a in listed[0], false, a);
    assert.equal(listed[0].id, port.id);
    const nets = (await member.get('/v2.0/networks')).body.networks;
    for (const a of hiddenNet) assert.equal(a in nets[0], false, a);
    assert.deepEqual((await member.get(`/v2.0/ports/${port.id}?fields=binding:vif_type&fields=id`)).body.port, { id: port.id });
    const asAdmin = (await t.api.get(`/v2.0/ports?id=${port.id}`)).body.ports[0];
    for (const a of hiddenPort) assert.ok(a in asAdmin, a);
    assert.equal((await t.api.get(`/v2.0/networks/${net.id}`)).body.network['provider:network_type'], 'vxlan');
  });
});

describe('policy: refusals name the rules as Neutron does', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });
  const message = (r: { status: number; body: any }) => {
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
    return r.body.NeutronError.message as string;
  };

  it('a lone rule bare; an action with an attribute, or with its sub-attributes, as one conjunction', async () => {
    const owner = t.api.as('project-o');
    const other = t.api.as('project-x');
    const shared = await t.api.create('networks', 'network', { name: 'shared', shared: true, project_id: 'project-o' });
    const subnet = await t.api.create('subnets', 'subnet', { network_id: shared.id, ip_version: 4, cidr: '10.51.0.0/24', project_id: 'project-o' });
    assert.equal(message(await owner.post('/v2.0/networks', { network: { shared: true } })),
      '(rule:create_network and rule:create_network:shared) is disallowed by policy');
    assert.equal(message(await other.put(`/v2.0/networks/${shared.id}`, { network: { name: 'x' } })),
      'rule:update_network is disallowed by policy');
    assert.equal(message(await other.post('/v2.0/ports', { port: { network_id: shared.id, mac_address: 'fa:16:3e:44:55:66' } })),
      '(rule:create_port and rule:create_port:mac_address) is disallowed by policy');
    assert.equal(message(await other.post('/v2.0/ports', { port: { network_id: shared.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.51.0.50' }] } })),
      '(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:subnet_id and rule:create_port:fixed_ips:ip_address))) is disallowed by policy');
    const port = await owner.create('ports', 'port', { network_id: shared.id });
    assert.equal(message(await owner.put(`/v2.0/ports/${port.id}`, { port: { mac_address: 'fa:16:3e:11:22:34' } })),
      '(rule:update_port and rule:update_port:mac_address) is disallowed by policy');
  });
});
