/**
 * What the compiler keeps of each stored row: the few fields goal state is made of. A change that
 * leaves this projection equal (a port's status, a name, a description) is no change here.
 */
import type { Doc } from '../store/store.js';
import type { LocalPort, NetworkInfo, RouterInfo, RuleEntry, SubnetInfo } from '../protocol/messages.js';

export interface PortRow extends Omit<LocalPort, 'mtu' | 'router' | 'instance' | 'project'> {
  /** The host it is bound to; '' when unbound or its binding failed. */
  readonly host: string;
  readonly device: string;
  readonly project: string;
  /** The port on the host of one of its inactive bindings: local there, never a neighbour entry. */
  readonly shadow?: boolean;
}

export interface RouterRow extends RouterInfo {
  readonly id: string;
}

export interface FloatingIpRow {
  readonly router: string;
  readonly floating: string;
  /** null while unassociated. */
  readonly fixed: string | null;
}

export interface NetworkRow extends NetworkInfo {
  readonly id: string;
}

export interface SubnetRow {
  readonly id: string;
  readonly network: string;
  readonly info: SubnetInfo;
}

export interface RuleRow {
  readonly id: string;
  readonly group: string;
  readonly entry: RuleEntry;
  readonly remoteGroup: string | null;
}

export interface AgentRow {
  readonly host: string;
  readonly vtep: string;
}

const BOUND_VIF = (vif: unknown): boolean => typeof vif === 'string' && vif !== 'unbound' && vif !== 'binding_failed';

export function portRow(d: Doc): PortRow {
  const host = typeof d['binding:host_id'] === 'string' && BOUND_VIF(d['binding:vif_type']) ? (d['binding:host_id'] as string) : '';
  return {
    id: d.id,
    host,
    mac: d.mac_address as string,
    network: d.network_id as string,
    ips: ((d.fixed_ips as Array<{ ip_address: string; subnet_id: string }>) ?? []).map((f) => [f.ip_address, f.subnet_id] as const),
    groups: (d.security_groups as string[]) ?? [],
    pairs: ((d.allowed_address_pairs as Array<{ ip_address: string; mac_address: string }>) ?? []).map((p) => [p.ip_address, p.mac_address] as const),
    portSecurity: d.port_security_enabled !== false,
    adminUp: d.admin_state_up !== false,
    owner: (d.device_owner as string) ?? '',
    device: (d.device_id as string) ?? '',
    project: (d.project_id as string) ?? '',
    vifType: (d['binding:vif_type'] as string) ?? 'unbound',
    dhcpOpts: ((d.extra_dhcp_opts as Array<{ opt_name: string; opt_value: string; ip_version?: number }>) ?? [])
      .map((o) => ({ name: String(o.opt_name), value: String(o.opt_value), version: o.ip_version ?? 4 })),
  };
}

/** The compiler's key of a port's inactive binding on `host` (port ids are UUIDs: no '@'). */
export const inactiveKey = (portId: string, host: string): string => `${portId}@${host}`;
/** The port a compiler key is of: itself, or the port of an inactive binding's key. */
export const portOfKey = (key: string): string => {
  const at = key.indexOf('@');
  return at < 0 ? key : key.slice(0, at);
};

/**
 * A port's inactive bindings (live migration's destination): the port as its own on each of those
 * hosts, so that it is programmed there before Nova activates the binding.
 */
export function inactiveRows(d: Doc): Array<[string, PortRow]> {
  const list = d.bindings_inactive as Array<{ host: string; vif_type: string }> | undefined;
  if (!list?.length) return [];
  const row = portRow(d);
  return list.filter((b) => b.host !== '' && BOUND_VIF(b.vif_type))
    .map((b) => [inactiveKey(d.id, b.host), { ...row, host: b.host, vifType: b.vif_type, shadow: true }]);
}

export function networkRow(d: Doc): NetworkRow {
  return {
    id: d.id,
    type: (d['provider:network_type'] as string) ?? 'vxlan',
    segment: (d['provider:segmentation_id'] as number | null) ?? null,
    physnet: (d['provider:physical_network'] as string | null) ?? null,
    mtu: (d.mtu as number) ?? 1450,
    adminUp: d.admin_state_up !== false,
  };
}

export function subnetRow(d: Doc): SubnetRow {
  return {
    id: d.id,
    network: d.network_id as string,
    info: {
      cidr: d.cidr as string,
      version: d.ip_version as number,
      gateway: (d.gateway_ip as string | null) ?? null,
      dhcp: d.enable_dhcp !== false,
      dns: (d.dns_nameservers as string[]) ?? [],
      routes: (d.host_routes as Array<{ destination: string; nexthop: string }>) ?? [],
      raMode: (d.ipv6_ra_mode as string | null) ?? null,
      addressMode: (d.ipv6_address_mode as string | null) ?? null,
    },
  };
}

/** The rule's prefix is its network (normalized_cidr): the one given may have host bits set. */
export function ruleRow(d: Doc): RuleRow {
  const n = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const remoteGroup = s(d.remote_group_id);
  return {
    id: d.id,
    group: d.security_group_id as string,
    entry: [d.direction as string, (d.ethertype as string) ?? 'IPv4', s(d.protocol) ?? (typeof d.protocol === 'number' ? String(d.protocol) : null),
      n(d.port_range_min), n(d.port_range_max), s(d.normalized_cidr) ?? s(d.remote_ip_prefix), remoteGroup],
    remoteGroup,
  };
}

/** An agent's host and underlay address, from what it reported (Neutron's `tunneling_ip`). */
export function agentRow(d: Doc): AgentRow | undefined {
  const conf = (d.configurations ?? {}) as Record<string, unknown>;
  const vtep = typeof conf.tunneling_ip === 'string' ? conf.tunneling_ip : '';
  if (typeof d.host !== 'string') return undefined;
  return { host: d.host, vtep };
}

export function routerRow(d: Doc): RouterRow {
  const gw = d.external_gateway_info as { network_id: string; enable_snat?: boolean } | null | undefined;
  return {
    id: d.id,
    adminUp: d.admin_state_up !== false,
    routes: (d.routes as Array<{ destination: string; nexthop: string }>) ?? [],
    gateway: gw ? { network: gw.network_id, snat: gw.enable_snat !== false } : null,
  };
}

export function floatingIpRow(d: Doc): FloatingIpRow {
  return {
    router: (d.router_id as string | null) ?? '',
    floating: d.floating_ip_address as string,
    fixed: (d.fixed_ip_address as string | null) ?? null,
  };
}
