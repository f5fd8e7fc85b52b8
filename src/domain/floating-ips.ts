/**
 * Floating IPs: an address on an external network, held by a port of its own (device_owner
 * network:floatingip, as Neutron keeps it), and associated with a port's fixed IPv4 address through
 * the router that joins the port's subnet to that external network.
 */
import { merged } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import {
  BadRouterRequest, ExternalGatewayForFloatingIPNotFound, FloatingIPNotFound, FloatingIPPortAlreadyAssociated,
} from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import type { Doc, WriteTx } from '../store/store.js';
import type { Collection, ResourceHooks } from './collection.js';
import { writeRevision } from './collection.js';
import { releasePort } from './ports.js';

const FLOATING_IP_OWNER = 'network:floatingip';
const GATEWAY = 'network:router_gateway';
const INTERFACE = 'network:router_interface';

interface FixedIp {
  readonly subnet_id: string;
  readonly ip_address: string;
}

const UNASSOCIATED = { port_id: null, fixed_ip_address: null, router_id: null };

const bad = (msg: string) => new BadRouterRequest(`Bad floatingip request: ${msg}.`);

export function floatingIpHooks(networks: () => Collection, ports: () => Collection): ResourceHooks {
  /** The port, its fixed IPv4 address, and the router that reaches the external network from it. */
  async function association(ctx: RequestContext, fip: Doc, portId: string, wanted: string | null, tx: WriteTx): Promise<Partial<Doc>> {
    // As Neutron's _internal_fip_assoc_data: the port is looked up as the caller sees it (another
    // project's is a 404), and only an admin associates a port of a project not the floating IP's.
    const port = await ports().find(ctx, portId, tx);
    if (port.project_id !== fip.project_id && !ctx.isAdmin) {
      throw bad(`Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant`);
    }
    const v4 = (port.fixed_ips as FixedIp[]).filter((f) => parseIp(f.ip_address)?.version === 4);
    let fixed: FixedIp | undefined;
    if (wanted !== null) {
      if (parseIp(wanted)?.version !== 4) throw bad(`Cannot process floating IP association with ${wanted}, since that is not an IPv4 address`);
      fixed = (port.fixed_ips as FixedIp[]).find((f) => f.ip_address === wanted);
      if (!fixed) throw bad(`Port ${portId} does not have fixed ip ${wanted}`);
    } else {
      if (v4.length === 0) throw bad(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
      // Which of several addresses is the caller's to say.
      if (v4.length > 1) throw bad(`Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      fixed = v4[0];
    }
    const taken = await tx.list(defs.floatingip, { conditions: [{ attr: 'port_id', values: [portId] }] });
    const other = taken.find((f) => f.id !== fip.id && f.fixed_ip_address === fixed.ip_address);
    if (other) {
      throw new FloatingIPPortAlreadyAssociated(
        `Cannot associate floating IP ${String(fip.floating_ip_address)} (${fip.id}) with port ${portId} using fixed IP ${fixed.ip_address}, as that fixed IP already has a floating IP on external network ${String(fip.floating_network_id)}.`,
      );
    }
    const gateways = await tx.list(defs.port, {
      conditions: [{ attr: 'network_id', values: [fip.floating_network_id] }, { attr: 'device_owner', values: [GATEWAY] }],
    });
    const reaching = new Set(gateways.map((g) => g.device_id as string));
    const interfaces = await tx.list(defs.port, {
      fixedIps: { subnetIds: [fixed.subnet_id] },
      conditions: [{ attr: 'device_owner', values: [INTERFACE] }],
    });
    const router = interfaces.map((p) => p.device_id as string).find((id) => reaching.has(id));
    if (!router) {
      throw new ExternalGatewayForFloatingIPNotFound(
        `External network ${String(fip.floating_network_id)} is not reachable from subnet ${fixed.subnet_id}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
      );
    }
    return { port_id: portId, fixed_ip_address: fixed.ip_address, router_id: router };
  }

  return {
    def: defs.floatingip,
    notFound: (id) => new FloatingIPNotFound(`Floating IP ${id} could not be found`),

    /** fip-port-details, as Neutron's _make_port_details_dict: one query for the page's ports. */
    async expand(docs, tx) {
      const ids = [...new Set(docs.map((d) => d.port_id).filter((p): p is string => typeof p === 'string'))];
      const ports = ids.length ? await tx.list(defs.port, { conditions: [{ attr: 'id', values: ids }] }) : [];
      const byId = new Map(ports.map((p) => [p.id, p]));
      for (const d of docs) {
        const p = typeof d.port_id === 'string' ? byId.get(d.port_id) : undefined;
        d.port_details = p ? {
          name: p.name, network_id: p.network_id, mac_address: p.mac_address, admin_state_up: p.admin_state_up,
          status: p.status, device_id: p.device_id, device_owner: p.device_owner,
        } : null;
      }
    },

    async create(ctx, attrs, base, tx) {
      const network = await networks().find(ctx, attrs.floating_network_id as string, tx);
      if (network['router:external'] !== true) throw bad(`Network ${network.id} is not a valid external network`);
      let subnetId = attrs.subnet_id as string | null;
      // An address given alone is looked for on every subnet of the network, as Neutron's port
      // create does (one on none of them is InvalidIpForNetwork).
      if (subnetId === null && !attrs.floating_ip_address) {
        const v4 = await tx.list(defs.subnet, {
          conditions: [{ attr: 'network_id', values: [network.id] }, { attr: 'ip_version', values: [4] }], limit: 1,
        });
        if (v4.length === 0) throw bad(`Network ${network.id} does not contain any IPv4 subnet`);
        subnetId = v4[0].id;
      }
      const admin: RequestContext = { ...ctx, isAdmin: true };
      const holder = await ports().createIn(admin, {
        network_id: network.id, project_id: '', name: '', description: '', admin_state_up: true,
        device_id: base.id, device_owner: FLOATING_IP_OWNER,
        fixed_ips: [{ ...(subnetId ? { subnet_id: subnetId } : {}), ...(attrs.floating_ip_address ? { ip_address: attrs.floating_ip_address } : {}) }],
        security_groups: [], allowed_address_pairs: [], extra_dhcp_opts: [], 'binding:host_id': '',
        'binding:vnic_type': 'normal', 'binding:profile': {},
      }, tx);
      const { subnet_id: _subnet, ...rest } = attrs;
      const fip: Doc = {
        ...base, ...rest, ...UNASSOCIATED, status: 'DOWN',
        floating_ip_address: (holder.fixed_ips as FixedIp[])[0].ip_address,
      };
      if (attrs.port_id !== null) Object.assign(fip, await association(ctx, fip, attrs.port_id as string, attrs.fixed_ip_address as string | null, tx));
      return fip;
    },

    async update(ctx, current, changes, tx) {
      // As Neutron: an empty update clears the association; one naming other attributes keeps it.
      const next: Doc = Object.keys(changes).length === 0 ? { ...current, port_id: null } : merged<Doc>(current, changes);
      const portId = next.port_id as string | null;
      if (portId === null) return { ...next, ...UNASSOCIATED };
      if ('port_id' in changes || 'fixed_ip_address' in changes) {
        // A new port means a new fixed address unless one is named with it.
        const wanted = 'fixed_ip_address' in changes ? changes.fixed_ip_address as string | null
          : portId === current.port_id ? current.fixed_ip_address as string | null : null;
        Object.assign(next, await association(ctx, next, portId, wanted, tx));
      }
      return next;
    },

    async delete(_ctx, current, tx) {
      const holders = await tx.list(defs.port, {
        conditions: [{ attr: 'device_id', values: [current.id] }, { attr: 'device_owner', values: [FLOATING_IP_OWNER] }],
      });
      for (const p of holders) {
        await releasePort(tx, p.id);
        await tx.delete(defs.port, p.id);
      }
    },
  };
}

/** A deleted port takes its floating IPs' associations with it, as in Neutron. */
export async function disassociatePort(tx: WriteTx, portId: string): Promise<void> {
  const fips = await tx.list(defs.floatingip, { conditions: [{ attr: 'port_id', values: [portId] }] });
  for (const fip of fips) await writeRevision(defs.floatingip, { ...fip, ...UNASSOCIATED }, tx);
}
