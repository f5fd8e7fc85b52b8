import { merged, pyStr } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import {
  BadRouterRequest, InvalidRoutes, NotFound, PolicyNotAuthorized, PortInUse, RouterInUse, RouterExternalGatewayInUseByFloatingIp, RouterInterfaceInUseByFloatingIP, RouterInterfaceInUseByRoute, RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet, RouterNotFound, RoutesExhausted,
} from '../core/errors.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIp } from '../core/ip.js';
import { isUuid } from '../core/ids.js';
import * as defs from '../model/definitions.js';
import type { DomainConfig } from '../core/config.js';
import type { Doc, Store, WriteTx } from '../store/store.js';
import { gatewayHosts } from './agents.js';
import { checkZoneHints, fillRouterZones, hostsInZones } from './availability.js';
import type { Attrs } from './attributes.js';
import type { Collection, ResourceHooks } from './collection.js';
import { withRetry } from './retry.js';
import type { FixedIp } from './ports.js';
import { bindingOn, releasePort } from './ports.js';
import { allowed } from './policy.js';
import { sharedTo } from './rbac.js';

const INTERFACE = 'network:router_interface';
const GATEWAY = 'network:router_gateway';
const SNAT = 'network:router_centralized_snat';
const ROUTER_OWNERS = new Set([INTERFACE, GATEWAY, SNAT]);
/** Neutron's max_routes default. */
const MAX_ROUTES = 30;

/** A stable pick among candidates: a router stays where it was scheduled while its host is a candidate. */
function pick(routerId: string, hosts: readonly string[]): string {
  let h = 0;
  for (const c of routerId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return hosts[h % hosts.length];
}

interface GatewayInfo {
  network_id: string;
  enable_snat?: boolean;
  external_fixed_ips?: Array<{ subnet_id?: string; ip_address?: string }>;
}

/** Neutron's validator order of external_gateway_info's keys, which its policy rules follow. */
const GATEWAY_KEYS = ['network_id', 'enable_snat', 'external_fixed_ips'] as const;
/** What only an admin may set in a gateway (Neutron's <action>_router:external_gateway_info:<key> rules). */
const ADMIN_GATEWAY_KEYS = new Set<string>(['enable_snat', 'external_fixed_ips']);

/**
 * A member names the external network of its gateway and nothing more: SNAT and the gateway's
 * addresses are the admin's, whatever value is given (Neutron checks the keys present, not their
 * values). The refusal names the whole rule Neutron built, as its message does.
 */
function enforceGatewayPolicy(ctx: RequestContext, action: 'create' | 'update', info: unknown): void {
  if (ctx.isAdmin || info === null || typeof info !== 'object') return;
  const keys = GATEWAY_KEYS.filter((k) => k in info);
  if (!keys.some((k) => ADMIN_GATEWAY_KEYS.has(k))) return;
  const rule = `${action}_router:external_gateway_info`;
  const subRules = keys.map((k) => `rule:${rule}:${k}`).join(' and ');
  throw new PolicyNotAuthorized(`(rule:${action}_router and (rule:${rule} and (${subRules}))) is disallowed by policy`);
}

export interface RouterInterfaceInfo {
  id: string;
  tenant_id: string;
  project_id: string;
  port_id: string;
  network_id: string;
  subnet_id: string;
  subnet_ids: string[];
}

export class Routers {
  constructor(
    private readonly config: DomainConfig,
    private readonly store: Store,
    private readonly routers: () => Collection,
    private readonly networks: () => Collection,
    private readonly subnets: () => Collection,
    private readonly ports: () => Collection,
  ) {}

  private async routerPorts(tx: WriteTx, routerId: string, owner: string): Promise<Doc[]> {
    const ports = await tx.list(defs.port, { conditions: [{ attr: 'device_id', values: [routerId] }] });
    return ports.filter((p) => p.device_owner === owner);
  }

  /**
   * The host that carries the router's centralized part, as Neutron's L3 scheduler binds a router's
   * ports to one L3 agent: where its ports are bound already, else a gateway host that reaches the
   * external network (none: the ports stay unbound and DOWN, as with no L3 agent).
   */
  private async routerHost(tx: WriteTx, routerId: string, external?: Doc, hints?: readonly string[]): Promise<string> {
    const own = await tx.list(defs.port, { conditions: [{ attr: 'device_id', values: [routerId] }] });
    const bound = (owners: ReadonlySet<string>): string | undefined => own.find((p) => owners.has(p.device_owner as string)
      && p['binding:host_id'] !== '' && p['binding:vif_type'] !== 'binding_failed')?.['binding:host_id'] as string | undefined;
    // The gateway port's host is the router's: its SNAT ports must be where the gateway is.
    const gateway = bound(new Set([GATEWAY]));
    if (gateway) return gateway;
    const physnet = (external?.['provider:physical_network'] as string | null | undefined) ?? null;
    // With availability_zone_hints, only gateway hosts in those zones (the router's own, before it is stored).
    const zones = hints ?? ((await tx.get(defs.router, routerId))?.availability_zone_hints as string[] | undefined) ?? [];
    const hosts = await hostsInZones(tx, await gatewayHosts(tx, this.config, physnet), zones);
    const any = bound(ROUTER_OWNERS);
    if (any && (external === undefined || hosts.includes(any))) return any;
    return hosts.length ? pick(routerId, hosts) : '';
  }

  /** A router port of Neutron's making, owned by the admin (no project) unless given one. */
  private async routerPort(ctx: RequestContext, attrs: Record<string, unknown>, tx: WriteTx): Promise<Doc> {
    return this.ports().createIn({ ...ctx, isAdmin: true }, {
      project_id: '', name: '', description: '', admin_state_up: true,
      security_groups: [], allowed_address_pairs: [], extra_dhcp_opts: [],
      'binding:vnic_type': 'normal', 'binding:profile': {}, ...attrs,
    }, tx);
  }

  /**
   * Neutron DVR's centralized SNAT ports: one per interface, on its subnets, bound to the gateway
   * host. Each host's router sends what leaves the router's subnets to one of them; their own MAC
   * and address keep that hop apart from the gateway address every host answers for itself.
   */
  private async syncSnatPorts(ctx: RequestContext, routerId: string, hasGateway: boolean, tx: WriteTx, hints?: readonly string[]): Promise<void> {
    const snat = await this.routerPorts(tx, routerId, SNAT);
    const interfaces = hasGateway ? await this.routerPorts(tx, routerId, INTERFACE) : [];
    const v4 = (p: Doc): FixedIp[] => (p.fixed_ips as FixedIp[]).filter((f) => parseIp(f.ip_address)?.version === 4);
    const wanted = new Map<string, Doc>();
    for (const i of interfaces) for (const f of v4(i)) wanted.set(f.subnet_id, i);
    for (const p of snat) {
      const subnet = (p.fixed_ips as FixedIp[])[0]?.subnet_id;
      if (subnet && wanted.has(subnet)) { wanted.delete(subnet); continue; }
      await releasePort(tx, p.id);
      await tx.delete(defs.port, p.id);
    }
    if (wanted.size === 0) return;
    const host = await this.routerHost(tx, routerId, undefined, hints);
    for (const [subnet, i] of wanted) {
      // The router's project owns it (Neutron leaves it to no project): the address it holds is
      // then one the project sees as taken when it picks addresses of its own.
      await this.routerPort(ctx, {
        network_id: i.network_id, project_id: i.project_id, device_id: routerId, device_owner: SNAT, fixed_ips: [{ subnet_id: subnet }], 'binding:host_id': host,
      }, tx);
    }
  }

  private async setGateway(ctx: RequestContext, router: Doc, info: GatewayInfo | null, tx: WriteTx): Promise<unknown> {
    for (const old of await this.routerPorts(tx, router.id, GATEWAY)) {
      await releasePort(tx, old.id);
      await tx.delete(defs.port, old.id);
    }
    if (info === null) {
      await this.syncSnatPorts(ctx, router.id, false, tx, router.availability_zone_hints as string[] | undefined);
      return null;
    }
    const network = await this.networks().find(ctx, info.network_id, tx);
    if (network['router:external'] !== true) {
      throw new BadRouterRequest(`Bad router request: Network ${network.id} is not an external network.`);
    }
    const port = await this.routerPort(ctx, {
      network_id: network.id, device_id: router.id, device_owner: GATEWAY,
      fixed_ips: info.external_fixed_ips?.length ? info.external_fixed_ips : undefined,
      'binding:host_id': await this.routerHost(tx, router.id, network, router.availability_zone_hints as string[] | undefined),
    }, tx);
    await this.syncSnatPorts(ctx, router.id, true, tx, router.availability_zone_hints as string[] | undefined);
    return {
      network_id: network.id,
      enable_snat: info.enable_snat ?? true,
      external_fixed_ips: (port.fixed_ips as FixedIp[]).map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
    };
  }

  /**
   * Neutron's _validate_routes: at most max_routes (30), and each nexthop on a subnet of one of the
   * router's ports, the gateway's included, and none of the router's own addresses. The refusal
   * prints the whole list given, as Python prints it.
   */
  private async checkRoutes(router: Doc, routes: Array<{ destination: string; nexthop: string }>, tx: WriteTx): Promise<void> {
    if (routes.length > MAX_ROUTES) {
      throw new RoutesExhausted(`Unable to complete operation for ${router.id}. The number of routes exceeds the maximum ${MAX_ROUTES}.`);
    }
    const ports = await tx.list(defs.port, { conditions: [{ attr: 'device_id', values: [router.id] }] });
    const fixed = ports.filter((p) => ROUTER_OWNERS.has(p.device_owner as string)).flatMap((p) => p.fixed_ips as FixedIp[]);
    const subnetIds = [...new Set(fixed.map((f) => f.subnet_id))];
    const subnets = subnetIds.length
      ? await tx.list(defs.subnet, { conditions: [{ attr: 'id', values: subnetIds }] })
      : [];
    const own = new Set(fixed.map((f) => f.ip_address));
    for (const r of routes) {
      const hop = parseIp(r.nexthop)!;
      const reason = !subnets.some((s) => cidrContains(parseCidr(s.cidr)!, hop)) ? 'the nexthop is not connected with router'
        : own.has(r.nexthop) ? 'the nexthop is used by router' : undefined;
      if (reason) throw new InvalidRoutes(`Invalid format for routes: ${pyStr(routes)}, ${reason}`);
    }
  }

  hooks(): ResourceHooks {
    return {
      def: defs.router,
      notFound: (id) => new RouterNotFound(`Router ${id} could not be found`),

      create: async (ctx, attrs: Attrs, base: Doc, tx: WriteTx) => {
        enforceGatewayPolicy(ctx, 'create', attrs.external_gateway_info);
        await checkZoneHints(tx, attrs.availability_zone_hints, 'router');
        const router = merged<Doc>(base, attrs, { status: 'ACTIVE', availability_zones: [], routes: [] });
        router.external_gateway_info = await this.setGateway(ctx, router, attrs.external_gateway_info as GatewayInfo | null, tx);
        return router;
      },

      update: async (ctx, current, changes, tx) => {
        const next = merged<Doc>(current, changes);
        if ('external_gateway_info' in changes) {
          enforceGatewayPolicy(ctx, 'update', changes.external_gateway_info);
          const info = changes.external_gateway_info as GatewayInfo | null;
          const old = current.external_gateway_info as GatewayInfo | null;
          const sameNetwork = info !== null && old !== null && info.network_id === old.network_id && !info.external_fixed_ips;
          if (!sameNetwork && old !== null) {
            const fips = await tx.list(defs.floatingip, { conditions: [{ attr: 'router_id', values: [current.id] }], limit: 1 });
            if (fips.length > 0) {
              throw new RouterExternalGatewayInUseByFloatingIp(`Gateway cannot be updated for router ${current.id}, since a gateway to external network ${old.network_id} is required by one or more floating IPs.`);
            }
          }
          next.external_gateway_info = sameNetwork
            ? { ...old, enable_snat: info.enable_snat ?? old.enable_snat }
            : await this.setGateway(ctx, current, info, tx);
        }
        if ('routes' in changes) await this.checkRoutes(current, changes.routes as Array<{ destination: string; nexthop: string }>, tx);
        return next;
      },

      expand: fillRouterZones,

      delete: async (ctx, current, tx) => {
        const attached = await this.routerPorts(tx, current.id, INTERFACE);
        if (attached.length > 0) {
          throw new RouterInUse(`Router ${current.id} has ports still attached: ${attached.map((p) => p.id).join(', ')}`);
        }
        await this.setGateway(ctx, current, null, tx);
      },
    };
  }

  private async ownedRouter(ctx: RequestContext, routerId: string, tx: WriteTx): Promise<Doc> {
    const router = await this.routers().find(ctx, routerId, tx);
    // Neutron hides a router the caller may not change behind a 404.
    if (!allowed(ctx, 'update', router)) {
      throw new NotFound(`Router ${routerId} could not be found`);
    }
    return router;
  }

  /** Neutron's _validate_interface_info: its checks in its order, each its BadRequest. */
  private static interfaceRequest(body: unknown, forRemoval = false): { subnetId?: string; portId?: string } {
    // Neutron hands a member action's body to the plugin unvalidated: other keys are ignored.
    const b = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    if (b.subnet_id === undefined && b.port_id === undefined) {
      throw new BadRouterRequest('Bad router request: Either subnet_id or port_id must be specified.');
    }
    for (const key of ['port_id', 'subnet_id'] as const) {
      if (b[key] !== undefined && !isUuid(b[key])) {
        throw new BadRouterRequest(`Bad router request: '${String(b[key])}' is not a valid UUID.`);
      }
    }
    if (!forRemoval && b.subnet_id !== undefined && b.port_id !== undefined) {
      throw new BadRouterRequest('Bad router request: Cannot specify both subnet-id and port-id.');
    }
    return { subnetId: b.subnet_id as string | undefined, portId: b.port_id as string | undefined };
  }

  private info(router: Doc, port: Doc): RouterInterfaceInfo {
    const ips = port.fixed_ips as FixedIp[];
    return {
      id: router.id,
      tenant_id: router.project_id as string,
      project_id: router.project_id as string,
      port_id: port.id,
      network_id: port.network_id as string,
      subnet_id: ips[0]?.subnet_id,
      subnet_ids: ips.map((f) => f.subnet_id),
    };
  }

  async addInterface(ctx: RequestContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo> {
    return withRetry(() => this.store.write((tx) => this.addInterfaceIn(ctx, routerId, body, tx)));
  }

  /** add_router_interface inside the caller's transaction (auto-allocation builds a topology in one). */
  async addInterfaceIn(ctx: RequestContext, routerId: string, body: unknown, tx: WriteTx): Promise<RouterInterfaceInfo> {
    // The router first (a missing one is a 404 whatever the body), as Neutron's action handler.
    const router = await this.ownedRouter(ctx, routerId, tx);
    const req = Routers.interfaceRequest(body);
    // As Neutron's _check_for_dup_router_subnets: the gateway port is one of the router's ports
    // (its subnets are taken), and it stands for every subnet of its external network.
    const existing = [...await this.routerPorts(tx, router.id, INTERFACE), ...await this.routerPorts(tx, router.id, GATEWAY)];
    const attached = new Set(existing.flatMap((p) => (p.fixed_ips as FixedIp[]).map((f) => f.subnet_id)));
    const gatewayNetworks = existing.filter((p) => p.device_owner === GATEWAY).map((p) => p.network_id as string);
    const attachedSubnets = attached.size === 0 ? [] : await tx.list(defs.subnet, {
      conditions: [{ attr: 'id', values: [...attached] }],
    });
    if (gatewayNetworks.length) {
      const external = await tx.list(defs.subnet, { conditions: [{ attr: 'network_id', values: gatewayNetworks }] });
      attachedSubnets.push(...external.filter((e) => !attachedSubnets.some((s) => s.id === e.id)));
    }
    // One router cannot route to two subnets whose addresses overlap.
    const checkOverlap = async (subnetId: string) => {
      const subnet = await tx.get(defs.subnet, subnetId);
      if (!subnet) return;
      const cidr = parseCidr(subnet.cidr)!;
      const clash = attachedSubnets.find((s) => s.id !== subnetId && cidrsOverlap(parseCidr(s.cidr)!, cidr));
      if (clash) {
        throw new BadRouterRequest(`Bad router request: Cidr ${String(subnet.cidr)} of subnet ${subnetId} overlaps with cidr ${String(clash.cidr)} of subnet ${clash.id}.`);
      }
    };
    let port: Doc;
    if (req.portId !== undefined) {
      port = await this.ports().find(ctx, req.portId, tx);
      if (port.device_id !== '' || port.device_owner !== '' && port.device_owner !== INTERFACE) {
        throw new PortInUse(`Unable to complete operation on port ${port.id} for network ${String(port.network_id)}. Port already has an attached device ${String(port.device_id)}.`);
      }
      const ips = port.fixed_ips as FixedIp[];
      if (ips.length === 0) throw new BadRouterRequest('Bad router request: Router port must have at least one fixed IP.');
      for (const f of ips) {
        if (attached.has(f.subnet_id)) throw new BadRouterRequest(`Bad router request: Router already has a port on subnet ${f.subnet_id}.`);
        await checkOverlap(f.subnet_id);
      }
      const host = await this.routerHost(tx, router.id);
      const b = await bindingOn(tx, this.config, host, port.network_id as string);
      port = await this.ports().bump({
        ...port, device_id: router.id, device_owner: INTERFACE, 'binding:host_id': host, 'binding:vif_type': b.vif_type, 'binding:vif_details': b.vif_details,
      }, tx);
    } else {
      const subnet = await this.subnets().find(ctx, req.subnetId!, tx);
      if (subnet.gateway_ip === null) {
        throw new BadRouterRequest('Bad router request: Subnet for router interface must have a gateway IP.');
      }
      // A subnet shared to every project (shared network) is not another project's to route;
      // one shared to this project by name (RBAC) is, as Neutron's LP-1757482 and LP-1975603.
      if (!ctx.isAdmin && subnet.project_id !== ctx.projectId
        && !(await sharedTo(tx, [subnet.network_id as string], ctx.projectId)).has(subnet.network_id as string)) {
        throw new BadRouterRequest(`Bad router request: Cannot add interface to router because subnet ${subnet.id} is not owned by project making the request.`);
      }
      if (attached.has(subnet.id)) throw new BadRouterRequest(`Bad router request: Router already has a port on subnet ${subnet.id}.`);
      await checkOverlap(subnet.id);
      port = await this.routerPort(ctx, {
        network_id: subnet.network_id, project_id: router.project_id, device_id: router.id, device_owner: INTERFACE,
        fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }], 'binding:host_id': await this.routerHost(tx, router.id),
      }, tx);
    }
    await this.syncSnatPorts(ctx, router.id, router.external_gateway_info !== null, tx);
    await this.routers().bump(router, tx);
    return this.info(router, port);
  }

  async removeInterface(ctx: RequestContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo> {
    return this.store.write((tx) => this.removeInterfaceIn(ctx, routerId, body, tx));
  }

  async removeInterfaceIn(ctx: RequestContext, routerId: string, body: unknown, tx: WriteTx): Promise<RouterInterfaceInfo> {
    const router = await this.ownedRouter(ctx, routerId, tx);
    const req = Routers.interfaceRequest(body, true);
    const interfaces = await this.routerPorts(tx, router.id, INTERFACE);
    let port: Doc | undefined;
    if (req.portId !== undefined) {
      port = interfaces.find((p) => p.id === req.portId);
      if (!port) throw new RouterInterfaceNotFound(`Router ${router.id} does not have an interface with id ${req.portId}`);
      if (req.subnetId !== undefined && !(port.fixed_ips as FixedIp[]).some((f) => f.subnet_id === req.subnetId)) {
        throw new RouterInterfaceNotFoundForSubnet(`Router ${router.id} has no interface on subnet ${req.subnetId}`);
      }
    } else {
      await this.subnets().find(ctx, req.subnetId!, tx);
      port = interfaces.find((p) => (p.fixed_ips as FixedIp[]).some((f) => f.subnet_id === req.subnetId));
      if (!port) throw new RouterInterfaceNotFoundForSubnet(`Router ${router.id} has no interface on subnet ${req.subnetId!}`);
    }
    const info = this.info(router, port);
    const routes = router.routes as Array<{ destination: string; nexthop: string }>;
    const cidrs = (await tx.list(defs.subnet, { conditions: [{ attr: 'id', values: info.subnet_ids }] })).map((s) => parseCidr(s.cidr)!);
    const stranded = routes.find((r) => cidrs.some((c) => cidrContains(c, parseIp(r.nexthop)!)));
    if (stranded) {
      throw new RouterInterfaceInUseByRoute(`Router interface for subnet ${info.subnet_id} on router ${router.id} cannot be deleted, as it is required by one or more routes.`);
    }
    const fips = await tx.list(defs.floatingip, { conditions: [{ attr: 'router_id', values: [router.id] }] });
    const servedByFip = fips.some((f) => f.fixed_ip_address !== null && cidrs.some((c) => cidrContains(c, parseIp(f.fixed_ip_address)!)));
    if (servedByFip) {
      throw new RouterInterfaceInUseByFloatingIP(`Router interface for subnet ${info.subnet_id} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`);
    }
    await releasePort(tx, port.id);
    await tx.delete(defs.port, port.id);
    await this.syncSnatPorts(ctx, router.id, router.external_gateway_info !== null, tx);
    await this.routers().bump(router, tx);
    return info;
  }
}
