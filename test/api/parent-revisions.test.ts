/** Neutron moves a parent's revision when its children come and go; and refuses port-security changes in its order. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

describe('parent revisions and port security', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });

  const revision = async (path: string, key: string) => (await t.api.get(path)).body[key].revision_number as number;

  it('a subnet created or deleted moves its network\'s revision', async () => {
    const net = await t.api.create('networks', 'network', { name: 'r' });
    const sub = await t.api.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.60.0.0/24' });
    const afterCreate = await revision(`/v2.0/networks/${net.id}`, 'network');
    assert.ok(afterCreate > net.revision_number);
    await t.api.delete(`/v2.0/subnets/${sub.id}`);
    assert.ok(await revision(`/v2.0/networks/${net.id}`, 'network') > afterCreate);
  });

  it('a rule created or deleted moves its group\'s revision', async () => {
    const sg = await t.api.create('security-groups', 'security_group', { name: 'g' });
    const rule = await t.api.create('security-group-rules', 'security_group_rule', {
      security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 60, port_range_max: 70,
    });
    const afterCreate = await revision(`/v2.0/security-groups/${sg.id}`, 'security_group');
    assert.ok(afterCreate > sg.revision_number);
    await t.api.delete(`/v2.0/security-group-rules/${rule.id}`);
    assert.ok(await revision(`/v2.0/security-groups/${sg.id}`, 'security_group') > afterCreate);
  });

  it('port security goes only with (or after) the port\'s groups', async () => {
    const net = await t.api.create('networks', 'network', { name: 'ps' });
    await t.api.create('subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.61.0.0/24' });
    const port = await t.api.create('ports', 'port', { network_id: net.id });
    await expectError(t.api.put(`/v2.0/ports/${port.id}`, { port: { port_security_enabled: false } }), 409, 'PortSecurityPortHasSecurityGroup');
    const off = (await t.api.put(`/v2.0/ports/${port.id}`, { port: { port_security_enabled: false, security_groups: [] } })).body.port;
    assert.equal(off.port_security_enabled, false);
    assert.deepEqual(off.security_groups, []);
    await expectError(t.api.put(`/v2.0/ports/${port.id}`, { port: { security_groups: port.security_groups } }), 400, 'PortSecurityAndIPRequiredForSecurityGroups');
  });
});
