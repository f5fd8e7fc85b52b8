"""Nova's fake virt driver, but waiting for Neutron's network-vif-plugged as libvirt does.

nova.virt.fake.FakeDriver "boots" at once and never waits for the network, so a boot against it
says nothing about whether the network service plugs the port and tells Nova. This subclass plans
the same wait as the libvirt driver's _create_guest_with_network: one network-vif-plugged per VIF
that Neutron reported not yet active, vif_plugging_timeout seconds, fatal (the boot fails with
VirtualInterfaceCreateException) when vif_plugging_is_fatal. Loaded by scripts/nova.sh as
compute_driver = alcor_fake_driver.WaitingFakeDriver, which scripts/nova/compute.py makes importable
as nova.virt.alcor_fake_driver.
"""
import eventlet
from oslo_log import log as logging

import nova.conf
from nova import exception
from nova.network import model as network_model
from nova.virt import fake

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)


class WaitingFakeDriver(fake.FakeDriver):

    def _neutron_failed_callback(self, event_name, instance):
        LOG.error('Neutron reported failure on event %(event)s for instance %(uuid)s',
                  {'event': event_name, 'uuid': instance.uuid}, instance=instance)
        if CONF.vif_plugging_is_fatal:
            raise exception.VirtualInterfaceCreateException()

    @staticmethod
    def _neutron_events(network_info):
        # As libvirt: a VIF already up will not see a down->up transition, so only those Neutron
        # reported down are waited for.
        return [('network-vif-plugged', vif['id'])
                for vif in network_info or []
                if vif.get('active', True) is False
                and vif['vnic_type'] != network_model.VNIC_TYPE_REMOTE_MANAGED]

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        timeout = CONF.vif_plugging_timeout
        events = self._neutron_events(network_info) if power_on and timeout else []
        LOG.info('Waiting %(timeout)ss for %(events)s', {'timeout': timeout, 'events': events},
                 instance=instance)
        try:
            with self.virtapi.wait_for_instance_event(
                    instance, events, deadline=timeout,
                    error_callback=self._neutron_failed_callback):
                super().spawn(context, instance, image_meta, injected_files,
                              admin_password, allocations, network_info,
                              block_device_info, power_on, accel_info)
        except eventlet.timeout.Timeout:
            # wait_for_instance_event has logged which events did not come.
            if CONF.vif_plugging_is_fatal:
                self.destroy(context, instance, network_info, block_device_info)
                raise exception.VirtualInterfaceCreateException()
            return
        if events:
            LOG.info('Received %(events)s', {'events': events}, instance=instance)
