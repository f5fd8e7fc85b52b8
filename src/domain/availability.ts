/**
 * Two read-only views Neutron computes rather than stores: network IP availability (the
 * `network-ip-availability` extension: per network and subnet, addresses in the allocation pools
 * and addresses allocated) and availability zones (the `availability_zone` extension: the zones
 * agents report, and the zones a network's ports are bound in).
 */
import type { DomainConfig } from '../core/config.js';
import type { RequestContext } from '../core/context.js';
import { AvailabilityZoneNotFound, InvalidInput, NetworkNotFound, NotFound } from '../core/errors.js';
import { cidrSize, parseCidr, parseIp } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import type { Condition, Doc, ReadTx, Store } from '../store/store.js';
import { isAlive } from './agents.js';

export interface IpAvailabilityFilters {
  readonly network_id?: readonly string[];
  readonly network_name?: readonly string[];
  readonly project_id?: readonly string[];
  /** Its own filter, as in Neutron: given both, a network must match both. */
  readonly tenant_id?: readonly string[];
  readonly ip_version?: readonly string[];
}

export interface SubnetIpAvailability {
  subnet_id: string;
  ip_version: number;
  cidr: string;
  subnet_name: string;
  /** Numbers, or a bigint past 2^53 (an IPv6 pool): the API writes it out as a JSON integer. */
  used_ips: number;
  total_ips: number | bigint;
}

export interface NetworkIpAvailability {
  network_id: string;
  network_name: string;
  tenant_id: string;
  project_id: string;
  subnet_ip_availability: SubnetIpAvailability[];
  used_ips: number;
  total_ips: number | bigint;
}

const asNumber = (n: bigint): number | bigint => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);

/** Addresses in a subnet's allocation pools; a subnet without pools counts its whole CIDR, as Neutron does. */
export function subnetTotalIps(subnet: Doc): bigint {
  const pools = (subnet.allocation_pools ?? []) as Array<{ start: string; end: string }>;
  if (pools.length === 0) {
    const cidr = parseCidr(subnet.cidr);
    return cidr ? cidrSize(cidr) : 0n;
  }
  let total = 0n;
  for (const p of pools) {
    const start = parseIp(p.start);
    const end = parseIp(p.end);
    if (start && end && end.value >= start.value) total += end.value - start.value + 1n;
  }
  return total;
}

export class Availability {
  constructor(private readonly store: Store, private readonly config: DomainConfig) {}

  /**
   * Neutron's get_network_ip_availabilities: admin only (its default policy), so anyone else gets an
   * empty list. Networks without subnets appear with empty totals, unless an ip_version is asked for.
   */
  async ipAvailabilities(ctx: RequestContext, filters: IpAvailabilityFilters): Promise<NetworkIpAvailability[]> {
    if (!ctx.isAdmin) return [];
    return this.store.read(async (tx) => {
      const conditions: Condition[] = [];
      if (filters.network_id?.length) conditions.push({ attr: 'id', values: filters.network_id });
      if (filters.network_name?.length) conditions.push({ attr: 'name', values: filters.network_name });
      if (filters.project_id?.length) conditions.push({ attr: 'project_id', values: filters.project_id });
      if (filters.tenant_id?.length) conditions.push({ attr: 'project_id', values: filters.tenant_id });
      const networks = await tx.list(defs.network, { conditions, sort: [{ attr: 'id', dir: 'asc' }] });
      if (networks.length === 0) return [];
      const versions = filters.ip_version?.length ? new Set(filters.ip_version.map(String)) : undefined;
      const subnetConditions: Condition[] = [];
      // All subnets at once when every network is asked for; else those of the networks found.
      if (conditions.length > 0) subnetConditions.push({ attr: 'network_id', values: networks.map((n) => n.id) });
      const subnets = (await tx.list(defs.subnet, { conditions: subnetConditions, sort: [{ attr: 'id', dir: 'asc' }] }))
        .filter((s) => versions === undefined || versions.has(String(s.ip_version)));
      const used = await tx.countIpsBySubnet(subnets.map((s) => s.id));
      const byNetwork = new Map<string, Doc[]>();
      for (const s of subnets) {
        const list = byNetwork.get(s.network_id as string) ?? [];
        list.push(s);
        byNetwork.set(s.network_id as string, list);
      }
      const out: NetworkIpAvailability[] = [];
      for (const n of networks) {
        const own = byNetwork.get(n.id) ?? [];
        if (versions !== undefined && own.length === 0) continue;
        let total = 0n;
        let usedIps = 0;
        const entries = own.map((s): SubnetIpAvailability => {
          const t = subnetTotalIps(s);
          const u = used.get(s.id) ?? 0;
          total += t;
          usedIps += u;
          return {
            subnet_id: s.id, ip_version: s.ip_version as number, cidr: s.cidr as string,
            subnet_name: s.name as string, used_ips: u, total_ips: asNumber(t),
          };
        });
        out.push({
          network_id: n.id, network_name: n.name as string, tenant_id: n.project_id as string, project_id: n.project_id as string,
          subnet_ip_availability: entries, used_ips: usedIps, total_ips: asNumber(total),
        });
      }
      return out;
    });
  }

  /** One network's: Neutron's bare 404 for a caller its policy refuses, NetworkNotFound for none. */
  async ipAvailability(ctx: RequestContext, networkId: string): Promise<NetworkIpAvailability> {
    if (!ctx.isAdmin) throw new NotFound('The resource could not be found.');
    const [found] = await this.ipAvailabilities(ctx, { network_id: [networkId] });
    if (!found) throw new NetworkNotFound(`Network ${networkId} could not be found.`);
    return found;
  }

  /**
   * Neutron's get_availability_zones (admin only by its default policy): one row per (zone,
   * resource) its agents report. Every Alcor agent serves networks (DHCP and L2); those that carry
   * routers' centralized part (`agent_mode: dvr_snat`) serve routers too. A zone is available while
   * one of its agents is administratively up and alive.
   */
  async zones(ctx: RequestContext, filters: { name?: readonly string[]; resource?: readonly string[]; state?: readonly string[] }): Promise<Array<{ state: string; name: string; resource: string }>> {
    if (!ctx.isAdmin) return [];
    const agents = await this.store.read((tx) => tx.list(defs.agent, { sort: [{ attr: 'id', dir: 'asc' }] }));
    const now = Date.now();
    const result = new Map<string, { state: string; name: string; resource: string }>();
    for (const a of agents) {
      const zone = a.availability_zone;
      if (typeof zone !== 'string' || zone === '') continue;
      const resources = carriesRouters(a) ? ['network', 'router'] : ['network'];
      const up = a.admin_state_up === true && isAlive(a, this.config, now);
      for (const resource of resources) {
        const key = `${zone}\u0000${resource}`;
        const was = result.get(key)?.state === 'available';
        result.set(key, { state: up || was ? 'available' : 'unavailable', name: zone, resource });
      }
    }
    const keep = (values: readonly string[] | undefined, v: string) => !values?.length || values.includes(v);
    return [...result.values()]
      .filter((z) => keep(filters.name, z.name) && keep(filters.resource, z.resource) && keep(filters.state, z.state))
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.resource < y.resource ? -1 : x.resource > y.resource ? 1 : 0));
  }
}

/** Agents that carry routers' centralized part (what gatewayHosts picks from): Neutron's L3 agents. */
function carriesRouters(agent: Doc): boolean {
  return ((agent.configurations ?? {}) as Record<string, unknown>).agent_mode === 'dvr_snat';
}

/**
 * The hosts among these whose agents are in one of the zones: Neutron's AZ-aware L3 scheduling, which
 * places a router with hints only on agents in those zones (none there: the router is not scheduled).
 */
export async function hostsInZones(tx: ReadTx, hosts: readonly string[], zones: readonly string[]): Promise<string[]> {
  if (zones.length === 0 || hosts.length === 0) return [...hosts];
  const agents = await tx.list(defs.agent, { conditions: [{ attr: 'host', values: hosts }] });
  const inZone = new Set(agents.filter((a) => carriesRouters(a) && zones.includes(a.availability_zone as string)).map((a) => a.host as string));
  return hosts.filter((h) => inZone.has(h));
}

/** Fills `availability_zones` of a page of routers: the zones of the agents where their ports are bound. */
export async function fillRouterZones(docs: Doc[], tx: ReadTx): Promise<void> {
  if (docs.length === 0) return;
  const zones = new Map<string, string[]>();
  for (const p of await tx.deviceZones(docs.map((d) => d.id))) {
    const list = zones.get(p.deviceId) ?? [];
    list.push(p.zone);
    zones.set(p.deviceId, list);
  }
  for (const d of docs) if ('availability_zones' in d || zones.has(d.id)) d.availability_zones = zones.get(d.id) ?? [];
}

/**
 * Neutron's validate_availability_zones for a network's hints: each must be a zone some agent
 * reports (whatever its state), else AvailabilityZoneNotFound (404); the hints' JSON must fit
 * Neutron's 255-character column, and repeats are refused as its list validator does.
 */
export async function checkZoneHints(tx: ReadTx, hints: unknown, resource: 'network' | 'router' = 'network'): Promise<void> {
  if (!Array.isArray(hints) || hints.length === 0) return;
  const dupes = hints.filter((h, i) => hints.indexOf(h) !== i);
  if (dupes.length) throw new InvalidInput(`Invalid input for availability_zone_hints. Reason: Duplicate items in the list: '${dupes.join(', ')}'.`);
  if (JSON.stringify(hints).replace(/,/g, ', ').length > 255) throw new InvalidInput('Invalid input for operation: Too many availability_zone_hints specified.');
  const agents = await tx.list(defs.agent, {});
  // A router's zones are those of the agents that carry routers (as Neutron checks L3 agents').
  const carriers = resource === 'router' ? agents.filter(carriesRouters) : agents;
  const known = new Set(carriers.map((a) => a.availability_zone).filter((z) => typeof z === 'string'));
  const missing = (hints as string[]).find((h) => !known.has(h));
  if (missing !== undefined) throw new AvailabilityZoneNotFound(`AvailabilityZone ${missing} could not be found.`);
}

/** Fills `availability_zones` of a page of networks from where their ports are bound: one query. */
export async function fillNetworkZones(docs: Doc[], tx: ReadTx): Promise<void> {
  if (docs.length === 0) return;
  const pairs = await tx.networkZones(docs.map((d) => d.id));
  const zones = new Map<string, string[]>();
  for (const p of pairs) {
    const list = zones.get(p.networkId) ?? [];
    list.push(p.zone);
    zones.set(p.networkId, list);
  }
  for (const d of docs) if ('availability_zones' in d || zones.has(d.id)) d.availability_zones = zones.get(d.id) ?? [];
}
