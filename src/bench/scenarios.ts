/**
 * The NeutronNetworks scenarios, with the same API calls per iteration as rally-openstack's
 * implementations; each call is timed as the atomic action Rally names it.
 */
import type { Identity, NeutronClient, Resource } from './client.js';
import type { Tracker } from './cleanup.js';
import type { CidrGenerator, Tenant } from './contexts.js';
import type { Servers, VmSample } from './nova.js';
import type { ScenarioName } from './task.js';
import { networkScalability, portScalability } from './vm-scenarios.js';

export interface IterationContext {
  readonly client: NeutronClient;
  readonly tracker: Tracker;
  readonly tenant: Tenant;
  readonly user: Identity;
  readonly iteration: number;
  /** Where VMs boot (the VM scenarios only). */
  readonly nova?: Servers;
  recordVm(sample: VmSample): void;
  readonly args: Readonly<Record<string, unknown>>;
  readonly cidr: (start: string) => CidrGenerator;
  /** Runs one API call as a named atomic action. */
  atomic<T>(action: string, fn: () => Promise<T>): Promise<T>;
  randomName(): string;
}

type Scenario = (it: IterationContext) => Promise<void>;

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? { ...(v as Record<string, unknown>) } : {});
const count = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : dflt);

/** rally-openstack's _get_or_create_network: the context's network unless creation args are given. */
async function getOrCreateNetwork(it: IterationContext): Promise<Resource> {
  const args = it.args.network_create_args;
  const given = args !== undefined && args !== null && Object.keys(obj(args)).length > 0;
  if (!given && it.tenant.networks.length > 0) {
    return it.tenant.networks[Math.floor(Math.random() * it.tenant.networks.length)].network;
  }
  return createNetwork(it);
}

async function createNetwork(it: IterationContext): Promise<Resource> {
  const attrs = { name: it.randomName(), ...obj(it.args.network_create_args) };
  const net = await it.atomic('neutron.create_network', () => it.client.create('networks', 'network', it.user, attrs));
  it.tracker.add('networks', net.id, it.user);
  return net;
}

async function createPorts(it: IterationContext, network: Resource): Promise<Resource[]> {
  const ports: Resource[] = [];
  for (let i = 0; i < count(it.args.ports_per_network, 1); i++) {
    const attrs = { name: it.randomName(), ...obj(it.args.port_create_args), network_id: network.id };
    const port = await it.atomic('neutron.create_port', () => it.client.create('ports', 'port', it.user, attrs));
    it.tracker.add('ports', port.id, it.user);
    ports.push(port);
  }
  return ports;
}

export const SCENARIO_IMPLEMENTATIONS: Record<ScenarioName, Scenario> = {
  'NeutronNetworks.create_and_list_networks': async (it) => {
    await createNetwork(it);
    await it.atomic('neutron.list_networks', () => it.client.listUnread('networks', it.user));
  },

  'NeutronNetworks.create_and_list_subnets': async (it) => {
    const network = await getOrCreateNetwork(it);
    const start = typeof it.args.subnet_cidr_start === 'string' ? it.args.subnet_cidr_start : '10.2.0.0/24';
    for (let i = 0; i < count(it.args.subnets_per_network, 1); i++) {
      const attrs = { name: it.randomName(), ip_version: 4, ...obj(it.args.subnet_create_args), network_id: network.id, cidr: it.cidr(start).take() };
      const subnet = await it.atomic('neutron.create_subnet', () => it.client.create('subnets', 'subnet', it.user, attrs));
      it.tracker.add('subnets', subnet.id, it.user);
    }
    await it.atomic('neutron.list_subnets', () => it.client.listUnread('subnets', it.user));
  },

  'NeutronNetworks.create_and_list_ports': async (it) => {
    const network = await getOrCreateNetwork(it);
    await createPorts(it, network);
    await it.atomic('neutron.list_ports', () => it.client.listUnread('ports', it.user));
  },

  'NeutronNetworks.create_and_delete_ports': async (it) => {
    const network = await getOrCreateNetwork(it);
    for (const port of await createPorts(it, network)) {
      await it.atomic('neutron.delete_port', () => it.client.remove('ports', port.id, it.user));
    }
  },

  'NeutronNetworks.create_and_update_ports': async (it) => {
    const network = await getOrCreateNetwork(it);
    for (const port of await createPorts(it, network)) {
      const attrs = { name: it.randomName(), ...obj(it.args.port_update_args) };
      await it.atomic('neutron.update_port', () => it.client.update('ports', 'port', port.id, it.user, attrs));
    }
  },

  'NeutronNetworks.create_and_list_security_groups': async (it) => {
    const attrs = { name: it.randomName(), ...obj(it.args.security_group_create_args) };
    const sg = await it.atomic('neutron.create_security_group', () => it.client.create('security-groups', 'security_group', it.user, attrs));
    it.tracker.add('security-groups', sg.id, it.user);
    await it.atomic('neutron.list_security_groups', () => it.client.listUnread('security-groups', it.user));
  },

  'NeutronPerformancePlugin.neutron_network_scalability': networkScalability,
  'AlcorPortPerformancePlugin.alcor_port_scalability': portScalability,
};
