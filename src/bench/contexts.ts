/**
 * Rally's contexts: `users` (distinct projects, from a UserSource: noauth headers or Keystone),
 * `network` (networks with one subnet each and a router attached, as Rally's network context
 * builds them), and `quotas` (its `neutron` limits set on every tenant's project, as Rally's quotas
 * context does; other services' are ignored).
 */
import type { Identity, NeutronClient, Resource } from './client.js';
import type { Tracker } from './cleanup.js';
import { inParallel } from './parallel.js';
import type { UserSource } from './users.js';

export interface TenantNetwork {
  readonly network: Resource;
  readonly subnet: Resource;
  readonly router: Resource;
}

export interface Tenant {
  readonly projectId: string;
  readonly users: readonly Identity[];
  readonly networks: TenantNetwork[];
}

/** Rally's generate_cidr: successive networks of the start cidr's size, one per call. */
export class CidrGenerator {
  private next = 0;
  private readonly base: number;
  private readonly size: number;
  private readonly prefix: number;

  constructor(start: string) {
    const [addr, len] = start.split('/');
    this.prefix = Number(len);
    this.size = 2 ** (32 - this.prefix);
    const value = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    this.base = value - (value % this.size);
  }

  take(): string {
    const value = (this.base + this.size * this.next++) % 2 ** 32;
    return `${[24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join('.')}/${this.prefix}`;
  }
}


export async function setUpTenants(
  client: NeutronClient, tracker: Tracker, runTag: string,
  users: { tenants: number; usersPerTenant: number },
  network: { startCidr: string; networksPerTenant: number } | undefined,
  cidrs: Map<string, CidrGenerator>,
  source: UserSource,
): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  await inParallel(Array.from({ length: users.tenants }, (_, i) => i), 8, async (i) => {
    const made = await source.tenant(`${runTag}-t${i}`, users.usersPerTenant);
    tracker.projects.add(made.projectId);
    tenants[i] = { ...made, networks: [] };
  });
  if (!network) return tenants;
  let gen = cidrs.get(network.startCidr);
  if (!gen) cidrs.set(network.startCidr, (gen = new CidrGenerator(network.startCidr)));
  const generator = gen;
  await inParallel(tenants, 32, async (tenant) => {
    const who = tenant.users[0];
    for (let i = 0; i < network.networksPerTenant; i++) {
      const net = await client.create('networks', 'network', who, { name: `ctx-${tenant.projectId}-${i}` });
      tracker.add('networks', net.id, who);
      const subnet = await client.create('subnets', 'subnet', who, { network_id: net.id, ip_version: 4, cidr: generator.take(), name: `ctx-${i}` });
      tracker.add('subnets', subnet.id, who);
      const router = await client.create('routers', 'router', who, { name: `ctx-${i}` });
      tracker.add('routers', router.id, who);
      await client.action(`/v2.0/routers/${router.id}/add_router_interface`, who, { subnet_id: subnet.id });
      tracker.addInterface(router.id, subnet.id, who);
      tenant.networks.push({ network: net, subnet, router });
    }
  });
  return tenants;
}

/** Rally's quotas context: `{"neutron": {"port": -1, ...}}` set on each tenant's project by the admin. */
export async function applyQuotas(client: NeutronClient, tenants: readonly Tenant[], quotas: unknown): Promise<void> {
  const neutron = (quotas as { neutron?: unknown } | undefined)?.neutron;
  if (neutron === undefined || neutron === null || typeof neutron !== 'object') return;
  await inParallel([...tenants], 8, async (tenant) => {
    await client.request('PUT', `/v2.0/quotas/${tenant.projectId}`, {}, { quota: neutron });
  });
}
