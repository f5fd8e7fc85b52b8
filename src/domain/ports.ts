import { merged } from '../core/objects.js';
import type { DomainConfig } from '../core/config.js';
import type { RequestContext } from '../core/context.js';
import {
  AddressPairAndPortSecurityRequired, AllocationOnAutoAddressSubnet, BadRequest, SubnetNotFound, DuplicateAddressPairInRequest, HTTPForbidden, InvalidInput,
  InvalidIpForNetwork, InvalidIpForSubnet, IpAddressGenerationFailure, IpAddressGenerationFailureNoMatchingSubnet, ServicePortInUse, PortBound,
  PortSecurityAndIPRequiredForSecurityGroups, PortSecurityPortHasSecurityGroup, PortNotFound,
} from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, WriteTx } from '../store/store.js';
import type { Attrs } from './attributes.js';
import { SHARED, reaches } from './rbac.js';
import type { Collection, ResourceHooks } from './collection.js';
import { writeRevision } from './collection.js';
import type { SubnetView } from './ipam.js';
import type { AddressPicker } from './ipam.js';
import { eui64Address, hold, isAutoAddress, isUsableAddress, serviceSubnets, subnetView } from './ipam.js';
import { usableAgentsOnHost } from './agents.js';
import { disassociatePort } from './floating-ips.js';
import { claimMac, pickMac } from './mac-pool.js';
import type { SecurityGroups } from './security-groups.js';
import { attributeRule, enforce } from './policy.js';

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

/** Owners whose ports get no security groups: Neutron's network:* service ports. */
const isServiceOwner = (owner: unknown): boolean => typeof owner === 'string' && owner.startsWith('network:');
const UNPLUGGED_VIF_TYPES = new Set(['unbound', 'binding_failed']);

/** neutron-lib's ROUTER_INTERFACE_OWNERS: the owners that may name an address on an auto-address subnet. */
const ROUTER_INTERFACE_OWNERS = new Set(['network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed']);
const ROUTER_OWNERS = new Set(['network:router_interface', 'network:router_gateway', 'network:router_centralized_snat', 'network:router_interface_distributed', 'network:ha_router_replicated_interface']);

async function networkSubnets(tx: ReadTx, networkId: string): Promise<SubnetView[]> {
  const docs = await tx.list(defs.subnet, { conditions: [{ attr: 'network_id', values: [networkId] }] });
  return docs.map(subnetView);
}

/**
 * Allocation of a port's addresses inside the caller's transaction. Explicit requests are checked
 * one by one; automatic allocation follows Neutron: one IPv4 subnet, one stateful IPv6 subnet, and
 * the EUI-64 address on every SLAAC or DHCPv6-stateless subnet.
 */
export async function allocateFixedIps(
  tx: WriteTx, picker: AddressPicker, port: { id: string; network_id: string; mac_address: string; device_owner: string },
  requests: FixedIpRequest[] | undefined, keep: FixedIp[] = [],
): Promise<FixedIp[]> {
  const all = await networkSubnets(tx, port.network_id);
  const subnets = serviceSubnets(all, port.device_owner);
  if (subnets.length === 0 && all.length > 0) {
    throw new IpAddressGenerationFailureNoMatchingSubnet(`No valid service subnet for the given device owner, network ${port.network_id}, service type ${port.device_owner}.`);
  }
  const byId = new Map(subnets.map((s) => [s.id, s]));
  const out: FixedIp[] = [];
  const take = async (s: SubnetView, ip: bigint, knownFree = false): Promise<void> => {
    out.push({ subnet_id: s.id, ip_address: await hold(tx, s, ip, port.id, knownFree) });
  };
  const takeAny = async (s: SubnetView): Promise<boolean> => {
    if (isAutoAddress(s) && !ROUTER_OWNERS.has(port.device_owner)) {
      await take(s, eui64Address(s, port.mac_address));
      return true;
    }
    const ip = await picker.pickFree(tx, s);
    if (ip === undefined) return false;
    await take(s, ip, true);
    picker.advance(s, ip);
    return true;
  };

  // Addresses a port keeps stay where they are, even on a subnet whose service types changed since.
  const anyById = new Map(all.map((s) => [s.id, s]));
  for (const k of keep) {
    const s = anyById.get(k.subnet_id);
    if (s) await take(s, parseIp(k.ip_address)!.value);
  }

  if (requests === undefined) {
    const v4 = subnets.filter((s) => s.version === 4);
    const stateful6 = subnets.filter((s) => s.version === 6 && !isAutoAddress(s));
    const auto6 = subnets.filter((s) => isAutoAddress(s));
    for (const group of [v4, stateful6]) {
      if (group.length === 0) continue;
      let done = false;
      for (const s of group) if ((done = await takeAny(s))) break;
      if (!done) throw new IpAddressGenerationFailure(`No more IP addresses available on network ${port.network_id}.`);
    }
    for (const s of auto6) await takeAny(s);
    return out;
  }

  // Neutron's _get_subnet_for_fixed_ip and _test_fixed_ips_for_port, request by request.
  const owner = port.device_owner;
  for (const req of requests) {
    let s: SubnetView | undefined;
    if (req.subnet_id !== undefined) {
      s = byId.get(req.subnet_id);
      if (!s) {
        // A subnet that does not exist at all is its 404 ("to keep original status code").
        if (!(await tx.get(defs.subnet, req.subnet_id))) throw new SubnetNotFound(`Subnet ${req.subnet_id} could not be found.`);
        throw new InvalidInput(`Invalid input for operation: Failed to create port on network ${port.network_id}, because fixed_ips included invalid subnet ${req.subnet_id}.`);
      }
    }
    if (req.ip_address === undefined) {
      if (!s) throw new InvalidInput('Invalid input for operation: IP allocation requires subnet_id or ip_address.');
      if (!(await takeAny(s))) {
        throw new IpAddressGenerationFailure(`No more IP addresses available for subnet ${s.id}.`);
      }
      continue;
    }
    const ip = parseIp(req.ip_address)!;
    if (!s) {
      s = subnets.find((c) => c.version === ip.version && isUsableAddress(c, ip.value, owner));
      if (!s) {
        throw new InvalidIpForNetwork(`IP address ${req.ip_address} is not a valid IP for any of the subnets on the specified network.`);
      }
    }
    if (s.version !== ip.version || !isUsableAddress(s, ip.value, owner)) {
      throw new InvalidIpForSubnet(`IP address ${req.ip_address} is not a valid IP for the specified subnet.`);
    }
    // An auto-address (SLAAC, DHCPv6-stateless) subnet's address is the port's EUI-64 one; only a
    // router interface names its own there.
    if (isAutoAddress(s) && !ROUTER_INTERFACE_OWNERS.has(owner)) {
      throw new AllocationOnAutoAddressSubnet(
        `IPv6 address ${req.ip_address} cannot be directly assigned to a port on subnet ${s.id} as the subnet is configured for automatic addresses`,
      );
    }
    // As Neutron, a port may be given the gateway address explicitly (a router made by hand, a
    // service VM): the address is held like any other, so a router interface then finds it in use.
    await take(s, ip.value);
  }
  return out;
}

function checkAddressPairs(pairs: Array<{ ip_address: string; mac_address?: string }>, mac: string): Array<{ ip_address: string; mac_address: string }> {
  const seen = new Set<string>();
  return pairs.map((p) => {
    const pair = { ip_address: p.ip_address, mac_address: p.mac_address ?? mac };
    const key = `${pair.ip_address}|${pair.mac_address}`;
    if (seen.has(key)) {
      throw new DuplicateAddressPairInRequest(`Request contains duplicate address pair: mac_address ${pair.mac_address} ip_address ${pair.ip_address}.`);
    }
    seen.add(key);
    return pair;
  });
}

function checkDhcpOpts(opts: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return opts.map((o) => {
    if (o.opt_value === null || o.opt_value === undefined || o.opt_value === '') {
      throw new InvalidInput(`Invalid input for operation: Invalid data format for extra-dhcp-opt: opt_value of ${String(o.opt_name)} is empty.`);
    }
    return { opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4 };
  });
}

export interface Binding {
  vif_type: string;
  vif_details: Record<string, unknown>;
}

/** VIF types our agents plug: a tap device, or a tap on a Linux bridge per network. */
const AGENT_VIF_TYPES = new Set(['tap', 'bridge']);

/** The physical network a flat or VLAN network's ports are bridged to; undefined for an overlay (VXLAN) network. */
function physicalNetworkOf(network: Doc | undefined): string | undefined {
  const type = network?.['provider:network_type'];
  if (type !== 'flat' && type !== 'vlan') return undefined;
  const physnet = network?.['provider:physical_network'];
  return typeof physnet === 'string' ? physnet : '';
}

/** Whether the agent's configurations.bridge_mappings (Neutron's linuxbridge agent: physnet -> interface) names it. */
function bridgesPhysnet(configurations: Record<string, unknown> | undefined, physnet: string): boolean {
  const mappings = configurations?.bridge_mappings;
  if (mappings === null || typeof mappings !== 'object' || Array.isArray(mappings)) return false;
  return Object.hasOwn(mappings, physnet) && typeof (mappings as Record<string, unknown>)[physnet] === 'string';
}

/**
 * ML2's bind_port, done in the API call: the port binds through an agent on its host that is alive
 * and administratively up, with the VIF type that agent announces (configurations.vif_type, 'tap'
 * when it says nothing). A port on a flat or VLAN network binds only through an agent whose
 * configurations.bridge_mappings holds the network's physical network, as Neutron's agent mechanism
 * drivers check a segment against the agent's mappings. No such agent: 'binding_failed', as ML2
 * leaves a port no mechanism driver could bind. No host: 'unbound'.
 */
export async function bindingOn(tx: ReadTx, config: DomainConfig, hostId: string, networkId: string): Promise<Binding> {
  if (hostId === '') return { vif_type: 'unbound', vif_details: {} };
  const agents = await usableAgentsOnHost(tx, hostId, config);
  const physnet = agents.length === 0 ? undefined : physicalNetworkOf(await tx.get(defs.network, networkId));
  for (const agent of agents) {
    const configurations = agent.configurations as Record<string, unknown> | undefined;
    if (physnet !== undefined && !bridgesPhysnet(configurations, physnet)) continue;
    const configured = configurations?.vif_type;
    const vifType = configured === undefined ? 'tap' : configured;
    if (typeof vifType !== 'string' || !AGENT_VIF_TYPES.has(vifType)) continue;
    const details: Record<string, unknown> = { port_filter: true, connectivity: 'l2' };
    if (vifType === 'bridge') details.bridge_name = `brq${networkId.slice(0, 11)}`;
    return { vif_type: vifType, vif_details: details };
  }
  return { vif_type: 'binding_failed', vif_details: {} };
}

export function portHooks(
  config: DomainConfig, picker: AddressPicker, networks: () => Collection, groups: () => Collection, securityGroups: SecurityGroups,
): ResourceHooks {
  async function resolveGroups(ctx: RequestContext, ids: string[], tx: ReadTx): Promise<void> {
    for (const id of ids) await groups().find(ctx, id, tx);
  }

  return {
    def: defs.port,
    // As Neutron's policy (admin_owner_or_network_owner): a network's owner reads, and deletes, the
    // ports others made on it (a network shared with them); it does not change them.
    sharedScope: 'own-network-of-row',
    async sharedVisible(doc, tx, ctx) {
      return (await tx.get(defs.network, doc.network_id as string))?.project_id === ctx.projectId;
    },
    async mayDelete(ctx, doc, tx) {
      return (await tx.get(defs.network, doc.network_id as string))?.project_id === ctx.projectId;
    },
    notFound: (id) => new PortNotFound(`Port ${id} could not be found.`),

    async create(ctx: RequestContext, attrs: Attrs, base: Doc, tx: WriteTx) {
      const network = await networks().find(ctx, attrs.network_id as string, tx);
      // As Neutron: a network another project only lets this one see (access_as_external) takes no ports of it.
      if (!ctx.isAdmin && network.project_id !== ctx.projectId && network.shared !== true
        && !(await reaches(tx, network.id, ctx.projectId, [SHARED]))) {
        throw new HTTPForbidden(`Tenant ${ctx.projectId} not allowed to create port on this network`);
      }
      const onNetwork = { network_project_id: network.project_id };
      if (attrs.mac_address !== undefined) enforce(ctx, 'create_port:mac_address', onNetwork, attributeRule('create_port', 'mac_address'));
      const requestedIps = attrs.fixed_ips as FixedIpRequest[] | undefined;
      if (requestedIps !== undefined && requestedIps.some((f) => f.ip_address !== undefined)) {
        const given = ['subnet_id', 'ip_address'].filter((k) => requestedIps.some((f) => (f as Record<string, unknown>)[k] !== undefined));
        enforce(ctx, 'create_port:fixed_ips:ip_address', onNetwork, attributeRule('create_port', 'fixed_ips', given));
      }
      if ((attrs.allowed_address_pairs as unknown[]).length > 0) enforce(ctx, 'create_port:allowed_address_pairs', onNetwork);
      if (attrs.port_security_enabled !== undefined) enforce(ctx, 'create_port:port_security_enabled', onNetwork);
      const mac = attrs.mac_address === undefined || attrs.mac_address === null
        ? await pickMac(tx, network.id, config.baseMac)
        : await claimMac(tx, network.id, attrs.mac_address as string);
      // Neutron's _determine_port_security: a port not saying is its network's, except a trusted
      // one (a network:* owner: DHCP, router ports), which Neutron never filters.
      const portSecurity = (attrs.port_security_enabled as boolean | undefined)
        ?? (isServiceOwner(attrs.device_owner) ? false : network.port_security_enabled as boolean);
      let sgs = attrs.security_groups as string[] | undefined;
      if (sgs === undefined) {
        sgs = portSecurity && !isServiceOwner(attrs.device_owner)
          ? [await securityGroups.ensureDefault(base.project_id as string, tx)]
          : [];
      } else {
        if (sgs.length > 0 && !portSecurity) {
          throw new PortSecurityAndIPRequiredForSecurityGroups('Port security must be enabled and port must have an IP address in order to use security groups.');
        }
        await resolveGroups(ctx, sgs, tx);
      }
      const pairs = attrs.allowed_address_pairs as Array<{ ip_address: string; mac_address?: string }>;
      if (pairs.length > 0 && !portSecurity) {
        throw new AddressPairAndPortSecurityRequired('Port Security must be enabled in order to have allowed address pairs on a port.');
      }
      const fixedIps = await allocateFixedIps(
        tx, picker, { id: base.id, network_id: network.id, mac_address: mac, device_owner: attrs.device_owner as string },
        attrs.fixed_ips as FixedIpRequest[] | undefined,
      );
      await tx.setPortSecurityGroups(base.id, sgs);
      const b = await bindingOn(tx, config, attrs['binding:host_id'] as string, network.id);
      return merged<Doc>(base, attrs, {
        mac_address: mac,
        fixed_ips: fixedIps,
        status: 'DOWN',
        security_groups: sgs,
        port_security_enabled: portSecurity,
        allowed_address_pairs: checkAddressPairs(pairs, mac),
        extra_dhcp_opts: checkDhcpOpts(attrs.extra_dhcp_opts as Array<Record<string, unknown>>),
        'binding:profile': attrs['binding:profile'] ?? {},
        'binding:vif_type': b.vif_type,
        'binding:vif_details': b.vif_details,
        ip_allocation: 'immediate',
      });
    },

    async update(ctx, current, changes, tx) {
      if (changes.mac_address === null) {
        // port-mac-address-regenerate: a new MAC, picked as a create picks one, then changed as any.
        changes = { ...changes, mac_address: await pickMac(tx, current.network_id as string, config.baseMac) };
      }
      const next: Doc = merged<Doc>(current, changes);
      if ('mac_address' in changes) enforce(ctx, 'update_port:mac_address', {}, attributeRule('update_port', 'mac_address'));
      if ('allowed_address_pairs' in changes || 'port_security_enabled' in changes) {
        const network = await tx.get(defs.network, current.network_id as string);
        const onNetwork = { network_project_id: network?.project_id };
        if ('allowed_address_pairs' in changes) enforce(ctx, 'update_port:allowed_address_pairs', onNetwork);
        if ('port_security_enabled' in changes) enforce(ctx, 'update_port:port_security_enabled', onNetwork);
      }
      if ('mac_address' in changes && changes.mac_address !== current.mac_address) {
        // ML2's _check_mac_update_allowed: only a plugged port (neither unbound nor binding_failed) keeps its MAC.
        if (current['binding:host_id'] !== '' && !UNPLUGGED_VIF_TYPES.has(current['binding:vif_type'] as string)) {
          throw new PortBound(`Unable to complete operation on port ${current.id}, port is already bound, port type: ${String(current['binding:vif_type'])}, old_mac ${String(current.mac_address)}, new_mac ${String(changes.mac_address)}.`);
        }
        await claimMac(tx, current.network_id as string, changes.mac_address as string);
      }
      if ('fixed_ips' in changes) {
        const requests = changes.fixed_ips as FixedIpRequest[];
        const held = current.fixed_ips as FixedIp[];
        const keep: FixedIp[] = [];
        const fresh: FixedIpRequest[] = [];
        const claimed = new Set<string>();
        for (const r of requests) {
          const match = held.find((h) => !claimed.has(h.ip_address)
            && (r.ip_address === undefined ? h.subnet_id === r.subnet_id : h.ip_address === r.ip_address && (r.subnet_id === undefined || r.subnet_id === h.subnet_id)));
          if (match) {
            claimed.add(match.ip_address);
            keep.push(match);
          } else {
            fresh.push(r);
          }
        }
        await tx.removeIps(current.id);
        next.fixed_ips = await allocateFixedIps(
          tx, picker, { id: current.id, network_id: current.network_id as string, mac_address: next.mac_address as string, device_owner: next.device_owner as string },
          fresh, keep,
        );
      }
      const portSecurity = next.port_security_enabled as boolean;
      if ('security_groups' in changes) {
        await resolveGroups(ctx, changes.security_groups as string[], tx);
      } else if ('port_security_enabled' in changes && !portSecurity && (current.security_groups as string[]).length > 0) {
        // Neutron's 409: the groups must go (in this request or before) for port security to go.
        throw new PortSecurityPortHasSecurityGroup('Port has security group associated. Cannot disable port security or IP address until security group is removed.');
      }
      if (!portSecurity && (next.security_groups as string[]).length > 0) {
        throw new PortSecurityAndIPRequiredForSecurityGroups('Port security must be enabled and port must have an IP address in order to use security groups.');
      }
      if (!portSecurity && (next.allowed_address_pairs as unknown[]).length > 0) {
        throw new AddressPairAndPortSecurityRequired('Port Security must be enabled in order to have allowed address pairs on a port.');
      }
      if ('allowed_address_pairs' in changes) {
        next.allowed_address_pairs = checkAddressPairs(changes.allowed_address_pairs as Array<{ ip_address: string }>, next.mac_address as string);
      }
      if ('extra_dhcp_opts' in changes) {
        next.extra_dhcp_opts = mergeDhcpOpts(current.extra_dhcp_opts as Array<Record<string, unknown>>, changes.extra_dhcp_opts as Array<Record<string, unknown>>);
      }
      if ('security_groups' in changes) await tx.setPortSecurityGroups(current.id, next.security_groups as string[]);
      // A new host (bind, unbind, move) binds again and the port is DOWN until its agent says
      // otherwise; any other update retries a failed binding, as ML2 does.
      const hostChanged = 'binding:host_id' in changes && changes['binding:host_id'] !== current['binding:host_id'];
      const retry = current['binding:vif_type'] === 'binding_failed' && next['binding:host_id'] !== '';
      if (hostChanged || retry) {
        const b = await bindingOn(tx, config, next['binding:host_id'] as string, current.network_id as string);
        next['binding:vif_type'] = b.vif_type;
        next['binding:vif_details'] = b.vif_details;
        if (hostChanged) next.status = 'DOWN';
      }
      // Bound by hand to a host that held an inactive binding: that one is the active one now.
      if (hostChanged && Array.isArray(current.bindings_inactive)) {
        next.bindings_inactive = (current.bindings_inactive as Array<{ host: string }>).filter((b) => b.host !== next['binding:host_id']);
      }
      if ('binding:profile' in changes && changes['binding:profile'] === null) next['binding:profile'] = {};
      return next;
    },

    async delete(_ctx, current, tx) {
      if ((ROUTER_OWNERS.has(current.device_owner as string) || current.device_owner === 'network:floatingip') && current.device_id !== '') {
        throw new ServicePortInUse(`Port ${current.id} cannot be deleted directly via the port API: has device owner ${String(current.device_owner)}.`);
      }
      await disassociatePort(tx, current.id);
      await releasePort(tx, current.id);
    },
  };
}

export function isRouterPort(port: Doc): boolean {
  return ROUTER_OWNERS.has(port.device_owner as string);
}

/**
 * Takes a port's addresses in one subnet away (the subnet is being deleted), keeping the others;
 * the port's revision moves on, as for any change of its fixed_ips.
 */
export async function dropSubnetAddresses(tx: WriteTx, port: Doc, subnetId: string): Promise<void> {
  const remaining = (port.fixed_ips as FixedIp[]).filter((f) => f.subnet_id !== subnetId);
  await tx.removeIps(port.id);
  for (const f of remaining) {
    const subnet = await tx.get(defs.subnet, f.subnet_id);
    if (subnet) await hold(tx, subnetView(subnet), parseIp(f.ip_address)!.value, port.id, true);
  }
  await writeRevision(defs.port, { ...port, fixed_ips: remaining }, tx);
}

/** Frees what a port holds beside its own row; routers and network deletion use it too. */
export async function releasePort(tx: WriteTx, portId: string): Promise<void> {
  await tx.removeIps(portId);
  await tx.setPortSecurityGroups(portId, []);
}

/** Neutron merges extra DHCP options by name; a null value removes one. */
function mergeDhcpOpts(current: Array<Record<string, unknown>>, changes: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const key = (o: Record<string, unknown>) => `${String(o.opt_name)}|${String(o.ip_version ?? 4)}`;
  const merged = new Map(current.map((o) => [key(o), o]));
  for (const o of changes) {
    if (o.opt_value === null || o.opt_value === undefined) merged.delete(key(o));
    else merged.set(key(o), checkDhcpOpts([o])[0]);
  }
  return [...merged.values()];
}

