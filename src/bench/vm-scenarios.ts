/**
 * The report's end-to-end scenarios, on the network as Nova would drive it (nova.ts):
 * NeutronPerformancePlugin.neutron_network_scalability (per iteration `number_of_networks` networks
 * with a subnet each, `instances_per_network` servers booted on each, then everything deleted again,
 * as the report's plugin does) and AlcorPortPerformancePlugin.alcor_port_scalability (the same, and
 * `ports_per_instance` more ports created and attached to each server; kept until the cleanup).
 *
 * Each iteration also makes a router with an interface on every one of its subnets: the VMs ping
 * their gateway, and in this data plane only a router answers for the gateway address (the DHCP
 * server holds it too but never answers ARP for it). Its calls are timed as their own actions, so
 * the plugin's own figures stand apart.
 */
import type { Resource } from './client.js';
import type { Server, VmSample } from './nova.js';
import type { IterationContext } from './scenarios.js';

const count = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : dflt);

/** Subnets come from one range for the whole run: the networks of an iteration share a router. */
const CIDR_START = '10.0.0.0/24';

interface Built {
  readonly router: Resource;
  readonly networks: Array<{ network: Resource; subnet: Resource }>;
  readonly servers: Server[];
}

async function build(it: IterationContext, portsPerInstance: number): Promise<Built> {
  const nova = it.nova;
  if (!nova) throw new Error("this scenario boots VMs: it needs hosts (the bench's own, or a --target's live agents)");
  const { client, tracker, user } = it;
  const router = await it.atomic('neutron.create_router', () => client.create('routers', 'router', user, { name: it.randomName() }));
  tracker.add('routers', router.id, user);
  const built: Built = { router, networks: [], servers: [] };
  for (let i = 0; i < count(it.args.number_of_networks, 1); i++) {
    const network = await it.atomic('neutron.create_network', () => client.create('networks', 'network', user, { name: it.randomName() }));
    tracker.add('networks', network.id, user);
    const cidr = it.cidr(CIDR_START).take();
    const subnet = await it.atomic('neutron.create_subnet', () => client.create('subnets', 'subnet', user, { network_id: network.id, ip_version: 4, cidr, name: it.randomName() }));
    tracker.add('subnets', subnet.id, user);
    await it.atomic('neutron.add_interface_router', () => client.action(`/v2.0/routers/${router.id}/add_router_interface`, user, { subnet_id: subnet.id }));
    tracker.addInterface(router.id, subnet.id, user);
    built.networks.push({ network, subnet });
  }
  // Each VM's checks (DHCP, ping) run while the next ones boot, as guests come up on their own.
  const checks: Array<Promise<VmSample>> = [];
  for (const { network } of built.networks) {
    for (let k = 0; k < count(it.args.instances_per_network, 1); k++) {
      const server = await nova.boot(it, network.id, it.randomName());
      built.servers.push(server);
      checks.push(nova.check(server, it.iteration));
      for (let p = 0; p < portsPerInstance; p++) await nova.attach(it, server, network.id, it.randomName());
    }
  }
  const samples = await Promise.all(checks);
  for (const s of samples) it.recordVm(s);
  const failed = samples.filter((s) => s.error);
  if (failed.length) throw new Error(`${failed.length} of ${samples.length} VMs failed: ${failed[0].error}`);
  return built;
}

export async function networkScalability(it: IterationContext): Promise<void> {
  const built = await build(it, 0);
  const { client, tracker, user } = it;
  for (const server of built.servers) await it.nova!.delete(it, server);
  for (const { subnet } of built.networks) {
    await it.atomic('neutron.remove_interface_router', () => client.action(`/v2.0/routers/${built.router.id}/remove_router_interface`, user, { subnet_id: subnet.id }));
    tracker.forgetInterface(built.router.id, subnet.id);
  }
  await it.atomic('neutron.delete_router', () => client.remove('routers', built.router.id, user));
  tracker.forget('routers', built.router.id);
  for (const { network, subnet } of built.networks) {
    // Its subnet goes with it, as in Neutron.
    await it.atomic('neutron.delete_network', () => client.remove('networks', network.id, user));
    tracker.forget('networks', network.id);
    tracker.forget('subnets', subnet.id);
  }
}

export async function portScalability(it: IterationContext): Promise<void> {
  await build(it, count(it.args.ports_per_instance, 1));
}
