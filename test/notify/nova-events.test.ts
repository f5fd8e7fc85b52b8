/** Which events Nova is told of, from committed rows (Neutron's nova notifier's rules). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NovaEventSource } from '../../src/notify/nova-events.js';
import type { Doc } from '../../src/store/store.js';

const SERVER = '6a0e9f0e-54c1-4c1e-9d6b-1b2a3c4d5e6f';
const OTHER = '7b1f0a1f-65d2-4d2f-8e7c-2c3b4d5e6f70';
let rev = 0;
const port = (id: string, over: Partial<Doc> = {}): Doc => ({
  id, device_owner: 'compute:nova', device_id: SERVER, status: 'DOWN', fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.5' }], ...over,
});
const row = (kind: string, id: string, doc?: Doc) => ({ revision: ++rev, kind, id, doc });

describe('Nova events from the change log', () => {
  it('plugged on ACTIVE (completed) or ERROR (failed), unplugged on ACTIVE to DOWN, deleted on delete', () => {
    const s = new NovaEventSource();
    s.load([], []);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1'))]), [], 'a new DOWN port: nothing yet');
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE' }))]),
      [{ name: 'network-vif-plugged', server_uuid: SERVER, tag: 'p1', status: 'completed' }]);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE', name: 'renamed' }))]), [], 'no change of status or address');
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'DOWN' }))]),
      [{ name: 'network-vif-unplugged', server_uuid: SERVER, tag: 'p1', status: 'completed' }]);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ERROR' }))]),
      [{ name: 'network-vif-plugged', server_uuid: SERVER, tag: 'p1', status: 'failed' }]);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE' }))]), [], 'ERROR to ACTIVE: Neutron says nothing');
    assert.deepEqual(s.apply([row('port', 'p1')]), [{ name: 'network-vif-deleted', server_uuid: SERVER, tag: 'p1' }]);
  });

  it('only servers\' ports: a compute owner and a UUID device_id', () => {
    const s = new NovaEventSource();
    s.load([], []);
    assert.deepEqual(s.apply([
      row('port', 'd', port('d', { device_owner: 'network:dhcp', status: 'ACTIVE' })),
      row('port', 'x', port('x', { device_id: 'not-a-uuid', status: 'ACTIVE' })),
      row('port', 'e', port('e', { device_id: '', status: 'ACTIVE' })),
    ]), []);
    assert.deepEqual(s.apply([row('port', 'd')]), [], 'deleting a non-server port');
  });

  it('network-changed when addresses change or a floating IP comes or goes; nothing for the snapshot', () => {
    const s = new NovaEventSource();
    s.load([port('p1', { status: 'ACTIVE' }), port('p2', { device_id: OTHER, status: 'ACTIVE' })], [{ id: 'f1', port_id: null }]);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE', fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.9' }] }))]),
      [{ name: 'network-changed', server_uuid: SERVER, tag: 'p1' }]);
    assert.deepEqual(s.apply([row('floatingip', 'f1', { id: 'f1', port_id: 'p1' })]), [{ name: 'network-changed', server_uuid: SERVER, tag: 'p1' }]);
    assert.deepEqual(s.apply([row('floatingip', 'f1', { id: 'f1', port_id: 'p2' })]), [
      { name: 'network-changed', server_uuid: SERVER, tag: 'p1' },
      { name: 'network-changed', server_uuid: OTHER, tag: 'p2' },
    ]);
    assert.deepEqual(s.apply([row('floatingip', 'f1')]), [{ name: 'network-changed', server_uuid: OTHER, tag: 'p2' }]);
  });

  it('a port moved to another server is plugged for that server when it is ACTIVE', () => {
    const s = new NovaEventSource();
    s.load([port('p1', { status: 'ACTIVE' })], []);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { device_id: OTHER, status: 'ACTIVE' }))]),
      [{ name: 'network-vif-plugged', server_uuid: OTHER, tag: 'p1', status: 'completed' }]);
  });
});

describe('Nova events: live migration', () => {
  it('plugged when an inactive binding\'s host has the port ready, the port ACTIVE on its source all along', () => {
    const s = new NovaEventSource();
    s.load([port('p1', { status: 'ACTIVE' })], []);
    const inactive = (ready: boolean) => [{ host: 'h2', vif_type: 'tap', vif_details: {}, vnic_type: 'normal', profile: {}, ready }];
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE', bindings_inactive: inactive(false) }))]), []);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE', bindings_inactive: inactive(true) }))]),
      [{ name: 'network-vif-plugged', server_uuid: SERVER, tag: 'p1', status: 'completed' }]);
    assert.deepEqual(s.apply([row('port', 'p1', port('p1', { status: 'ACTIVE', bindings_inactive: inactive(true) }))]), [], 'once');
  });
});
