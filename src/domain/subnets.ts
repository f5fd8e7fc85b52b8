import { merged, pyStr } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import {
  BadRequest, BadResourceRequest, DNSNameServersExhausted, NeutronError, GatewayConflictWithAllocationPools, HostRoutesExhausted, InvalidAllocationPool, InvalidInput, NetworkSubnetPoolAffinityError,
  OutOfBoundsAllocationPool, OverlappingAllocationPools, SubnetInUse, SubnetNotFound,
} from '../core/errors.js';
import type { Cidr, IpVersion } from '../core/ip.js';
import { cidrContains, cidrLast, cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import type { Doc, WriteTx } from '../store/store.js';
import type { Attrs } from './attributes.js';
import type { Collection, ResourceHooks } from './collection.js';
import type { Range } from './ipam.js';
import { defaultPools, formatPools, isAutoAddress, subnetView } from './ipam.js';
import { dropSubnetAddresses, isRouterPort } from './ports.js';
import { enforce } from './policy.js';
import { allocateFromPool, requestedPool } from './subnet-allocation.js';
import { SHARED, reaches } from './rbac.js';

/** Neutron's _validate_ip_version, in its words: `what` is the field ('cidr', 'dns_nameserver', ...). */
function versionMismatch(what: string, given: string, version: IpVersion): NeutronError {
  return new InvalidInput(`Invalid input for operation: ${what} '${given}' does not match the ip_version '${version}'.`);
}

function checkVersion(version: IpVersion, address: string, what: string, given = address): bigint {
  const ip = parseIp(address)!;
  if (ip.version !== version) throw versionMismatch(what, given, version);
  return ip.value;
}

function checkGateway(cidr: Cidr, gateway: unknown): bigint | null {
  if (gateway === null) return null;
  const gw = checkVersion(cidr.version, gateway as string, 'gateway_ip');
  const inside = gw >= cidr.network && gw <= cidrLast(cidr);
  // Neutron's check_gateway_invalid_in_subnet: on IPv4 the network and last addresses; on IPv6
  // the network address is the Subnet-Router anycast address, the default gateway itself.
  const isNetworkOrBroadcast = cidr.version === 4 && (gw === cidr.network || gw === cidrLast(cidr));
  if (inside && isNetworkOrBroadcast) {
    throw new InvalidInput('Invalid input for operation: Gateway is not valid on subnet.');
  }
  return gw;
}

function checkPools(cidr: Cidr, raw: Array<{ start: string; end: string }>, subnetCidr: string): Range[] {
  const pools = raw.map((p) => {
    const start = checkVersion(cidr.version, p.start, 'allocation_pools');
    const end = checkVersion(cidr.version, p.end, 'allocation_pools');
    if (start > end) throw new InvalidAllocationPool(`The allocation pool ${pyStr(p)} is not valid.`);
    const usableFirst = cidr.network + (cidr.version === 4 && cidr.prefixlen >= 31 ? 0n : 1n);
    const usableLast = cidrLast(cidr) - (cidr.version === 4 && cidr.prefixlen < 31 ? 1n : 0n);
    if (start < usableFirst || end > usableLast) {
      throw new OutOfBoundsAllocationPool(`The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${subnetCidr}.`);
    }
    return { start, end };
  });
  const sorted = [...pools].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start <= sorted[i - 1].end) {
      const fmt = (r: Range) => `${formatIp(cidr.version, r.start)}-${formatIp(cidr.version, r.end)}`;
      throw new OverlappingAllocationPools(
        `Found overlapping allocation pools: ${fmt(sorted[i - 1])} ${fmt(sorted[i])} for subnet ${subnetCidr}.`,
      );
    }
  }
  return pools;
}

function checkGatewayOutsidePools(cidr: Cidr, gateway: bigint | null, pools: readonly Range[]): void {
  if (gateway === null) return;
  for (const p of pools) {
    if (gateway >= p.start && gateway <= p.end) {
      throw new GatewayConflictWithAllocationPools(
        `Gateway ip ${formatIp(cidr.version, gateway)} conflicts with allocation pool ${formatIp(cidr.version, p.start)}-${formatIp(cidr.version, p.end)}.`,
      );
    }
  }
}

/** Neutron's max_dns_nameservers and max_subnet_host_routes defaults. */
const MAX_DNS = 5;
const MAX_ROUTES = 20;

/** Neutron's limits on a subnet's lists; `subnet` names it in the message ("new subnet" on a create). */
function checkListLimits(subnet: string, dns: readonly unknown[] | undefined, routes: readonly unknown[] | undefined): void {
  if (dns && dns.length > MAX_DNS) {
    throw new DNSNameServersExhausted(`Unable to complete operation for ${subnet}. The number of DNS nameservers exceeds the limit ${MAX_DNS}.`);
  }
  if (routes && routes.length > MAX_ROUTES) {
    throw new HostRoutesExhausted(`Unable to complete operation for ${subnet}. The number of host routes exceeds the limit ${MAX_ROUTES}.`);
  }
}

function checkHostRoutes(version: IpVersion, routes: Array<{ destination: string; nexthop: string }>): void {
  for (const r of routes) {
    const dest = parseCidr(r.destination)!;
    checkVersion(version, r.nexthop, 'nexthop');
    if (dest.version !== version) throw versionMismatch('destination', r.destination, version);
  }
}

function checkIpv6Modes(version: IpVersion, attrs: Attrs, cidr: Cidr): void {
  const ra = attrs.ipv6_ra_mode as string | null;
  const addr = attrs.ipv6_address_mode as string | null;
  if (version === 4) {
    if (ra !== null) throw new InvalidInput('Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4.');
    if (addr !== null) throw new InvalidInput('Invalid input for operation: ipv6_address_mode is not valid when ip_version is 4.');
    return;
  }
  if (ra !== null && addr !== null && ra !== addr) {
    throw new InvalidInput(`Invalid input for operation: ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${addr}' is not valid. If both attributes are set, they must be the same value.`);
  }
  const auto = addr === 'slaac' || addr === 'dhcpv6-stateless' || (addr === null && (ra === 'slaac' || ra === 'dhcpv6-stateless'));
  if (auto && cidr.prefixlen !== 64) {
    throw new InvalidInput(`Invalid input for operation: Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.`);
  }
}

export function subnetHooks(networks: () => Collection, subnetpools: () => Collection): ResourceHooks {
  return {
    def: defs.subnet,
    notFound: (id) => new SubnetNotFound(`Subnet ${id} could not be found.`),
    sharedScope: 'network-of-row',
    // A member's `shared` filter is on its network's `shared` as the member sees it.
    prepareQuery: (query, ctx) => (ctx.isAdmin ? query : { ...query, sharedFor: ctx.projectId }),
    async sharedVisible(doc, tx, ctx) {
      const net = await tx.get(defs.network, doc.network_id as string);
      // Only a network shared (access_as_shared) with the caller shows its subnets; an external one shows just itself.
      return net !== undefined && (net.shared === true || reaches(tx, net.id, ctx.projectId, [SHARED]));
    },

    async create(ctx: RequestContext, attrs: Attrs, base: Doc, tx: WriteTx) {
      const network = await networks().find(ctx, attrs.network_id as string, tx);
      enforce(ctx, 'create_subnet:network', { network_project_id: network.project_id });
      const version = attrs.ip_version as IpVersion;
      if (version !== 4 && version !== 6) {
        throw new InvalidInput(`Invalid input for ip_version. Reason: '${String(version)}' is not in [4, 6].`);
      }
      const poolRequest = {
        poolId: attrs.subnetpool_id as string | null, useDefault: attrs.use_default_subnetpool === true, version,
        cidr: attrs.cidr as string | undefined, prefixlen: attrs.prefixlen as number | undefined,
      };
      const pool = await requestedPool(ctx, poolRequest, subnetpools(), tx);
      if (attrs.cidr === undefined && !pool) {
        // Neutron's exceptions.BadRequest(resource='subnets'), type BadRequest.
        throw new BadResourceRequest('Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
      }
      // A cidr the request names (pool or not) gets Neutron's _gateway_ip_str default; one a pool
      // picks gets the pool's (_allocate_any_subnet: network + 1 for both versions).
      const cidrGiven = attrs.cidr !== undefined;
      if (pool) {
        attrs.cidr = await allocateFromPool(pool, poolRequest, tx);
        attrs.subnetpool_id = pool.id;
      }
      const cidr = parseCidr(attrs.cidr as string)!;
      if (cidr.version !== version) {
        throw versionMismatch('cidr', attrs.cidr as string, version);
      }
      // Neutron's _validate_subnet: DHCP needs room for a server and a client.
      if (attrs.enable_dhcp === true && ((version === 4 && cidr.prefixlen > 30) || (version === 6 && cidr.prefixlen > 126))) {
        throw new InvalidInput('Invalid input for operation: Subnet has a prefix length that is incompatible with DHCP service enabled.');
      }
      // The rest of _validate_subnet's DHCP checks, in its order and words (its messages end in a
      // period of their own, before InvalidInput's).
      if (attrs.enable_dhcp === true) {
        const first = cidr.network;
        const multicast = version === 4 ? first >> 28n === 0xen : first >> 120n === 0xffn;
        const loopback = version === 4 ? first >> 24n === 127n : cidr.prefixlen === 128 && first === 1n;
        if (multicast) throw new InvalidInput('Invalid input for operation: Multicast IP subnet is not supported if enable_dhcp is True.');
        if (loopback) throw new InvalidInput('Invalid input for operation: Loopback IP subnet is not supported if enable_dhcp is True.');
        if (version === 4 && first === 0n) {
          throw new InvalidInput("Invalid input for operation: First IP '0.0.0.0' of network is not supported if enable_dhcp is True..");
        }
      }
      if (cidr.prefixlen === 0) {
        throw new InvalidInput('Invalid input for operation: 0 is not allowed as CIDR prefix length.');
      }
      if (attrs.prefixlen !== undefined && attrs.prefixlen !== cidr.prefixlen) {
        throw new BadRequest('Bad subnets request: prefixlen cannot be given with a cidr of another length.');
      }
      const siblings = await tx.list(defs.subnet, { conditions: [{ attr: 'network_id', values: [network.id] }] });
      // A network's subnets of one IP version come from one pool (or none), as Neutron requires.
      if (siblings.some((s) => s.ip_version === version && (s.subnetpool_id ?? null) !== (attrs.subnetpool_id ?? null))) {
        throw new NetworkSubnetPoolAffinityError('Subnets hosted on the same network must be allocated from the same subnet pool.');
      }
      for (const s of siblings) {
        if (cidrsOverlap(parseCidr(s.cidr)!, cidr)) {
          throw new InvalidInput(
            `Invalid input for operation: Requested subnet with cidr: ${formatCidr(cidr)} for network: ${network.id} overlaps with another subnet.`,
          );
        }
      }
      checkIpv6Modes(version, attrs, cidr);
      // Neutron's _gateway_ip_str: an IPv6 subnet's default gateway is its Subnet-Router anycast
      // address (the network address itself, RFC 4291 2.6.1), and the pool starts after it.
      const defaultGateway = version === 6 && cidrGiven ? cidr.network : cidr.network + 1n;
      const gateway = attrs.gateway_ip === undefined ? defaultGateway : checkGateway(cidr, attrs.gateway_ip);
      const gatewayInCidr = gateway !== null && cidrContains(cidr, { version, value: gateway });
      let pools: Range[];
      if (attrs.allocation_pools === undefined) {
        pools = defaultPools(cidr, gatewayInCidr ? gateway : null);
      } else {
        pools = checkPools(cidr, attrs.allocation_pools as Array<{ start: string; end: string }>, formatCidr(cidr));
        checkGatewayOutsidePools(cidr, gateway, pools);
      }
      checkListLimits('new subnet', attrs.dns_nameservers as unknown[], attrs.host_routes as unknown[]);
      checkHostRoutes(version, attrs.host_routes as Array<{ destination: string; nexthop: string }>);
      for (const ns of attrs.dns_nameservers as string[]) checkVersion(version, ns, 'dns_nameserver');
      delete attrs.prefixlen;
      delete attrs.use_default_subnetpool;
      // A network's revision counts its subnets' comings and goings, as Neutron's does.
      await networks().bump(network, tx);
      return merged<Doc>(base, attrs, {
        cidr: formatCidr(cidr),
        gateway_ip: gateway === null ? null : formatIp(version, gateway),
        allocation_pools: formatPools(version, pools),
      });
    },

    async update(_ctx, current, changes, tx) {
      const cidr = parseCidr(current.cidr)!;
      const next = merged<Doc>(current, changes);
      const gateway = 'gateway_ip' in changes ? checkGateway(cidr, changes.gateway_ip) : (current.gateway_ip === null ? null : parseIp(current.gateway_ip)!.value);
      if ('gateway_ip' in changes && gateway !== null && current.gateway_ip !== next.gateway_ip) {
        const key = formatIp(cidr.version, gateway);
        const holder = await tx.list(defs.port, { fixedIps: { ipAddresses: [key], subnetIds: [current.id] } });
        if (holder.length > 0 && holder[0].device_owner !== 'network:router_interface') {
          throw new InvalidInput(`Invalid input for operation: Gateway ip ${key} is in use by port ${holder[0].id}.`);
        }
      }
      if ('allocation_pools' in changes) {
        const pools = checkPools(cidr, changes.allocation_pools as Array<{ start: string; end: string }>, current.cidr as string);
        checkGatewayOutsidePools(cidr, gateway, pools);
        next.allocation_pools = formatPools(cidr.version, pools);
      } else if ('gateway_ip' in changes) {
        const pools = (current.allocation_pools as Array<{ start: string; end: string }>).map((p) => ({
          start: parseIp(p.start)!.value, end: parseIp(p.end)!.value,
        }));
        checkGatewayOutsidePools(cidr, gateway, pools);
      }
      checkListLimits(current.id, changes.dns_nameservers as unknown[] | undefined, changes.host_routes as unknown[] | undefined);
      if ('host_routes' in changes) checkHostRoutes(cidr.version, changes.host_routes as Array<{ destination: string; nexthop: string }>);
      if ('dns_nameservers' in changes) for (const ns of changes.dns_nameservers as string[]) checkVersion(cidr.version, ns, 'dns_nameserver');
      next.gateway_ip = gateway === null ? null : formatIp(cidr.version, gateway);
      return next;
    },

    async delete(_ctx, current, tx) {
      const network = await tx.get(defs.network, current.network_id as string);
      if (network) await networks().bump(network, tx);
      const holders = await tx.list(defs.port, { fixedIps: { subnetIds: [current.id] } });
      if (holders.length === 0) return;
      // As Neutron: addresses of an auto-address IPv6 subnet (SLAAC, DHCPv6-stateless) are taken
      // from the ports that hold them, unless a router does; any other held address blocks.
      if (!isAutoAddress(subnetView(current)) || holders.some(isRouterPort)) {
        throw new SubnetInUse(
          `Unable to complete operation on subnet ${current.id}: One or more ports have an IP allocation from this subnet.`,
        );
      }
      for (const port of holders) await dropSubnetAddresses(tx, port, current.id);
    },
  };
}
