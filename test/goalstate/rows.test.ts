import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ruleRow } from '../../src/goalstate/rows.js';

describe('goal state rows', () => {
  it("a rule's prefix reaches the data plane as its network (normalized_cidr), not as given", () => {
    const row = ruleRow({
      id: 'r', security_group_id: 'g', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp',
      port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.7/24', normalized_cidr: '10.0.0.0/24', remote_group_id: null,
    });
    assert.deepEqual(row.entry, ['ingress', 'IPv4', 'tcp', 22, 22, '10.0.0.0/24', null]);
  });
});
