import { merged } from '../core/objects.js';
import type { DomainConfig } from '../core/config.js';
import type { RequestContext } from '../core/context.js';
import { DefaultExternalNetworkExists, InvalidInput, InvalidSharedSetting, NetworkInUse, NetworkNotFound } from '../core/errors.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, WriteTx } from '../store/store.js';
import type { Attrs } from './attributes.js';
import type { ResourceHooks } from './collection.js';
import { fillNetworkScopes } from './address-scopes.js';
import { checkZoneHints, fillNetworkZones } from './availability.js';
import { reserveSegment } from './segments.js';
import { EXTERNAL, SHARED, addWildcard, networkPolicies, reaches, removePolicies, sharedLossAllowed, sharedTo } from './rbac.js';

/** VXLAN adds 50 bytes of outer headers, as Neutron's type driver subtracts from the physical MTU. */
const VXLAN_OVERHEAD = 50;

/** Largest MTU of a network of this type: flat and VLAN frames carry no outer headers. */
export function maxMtu(config: DomainConfig, networkType: unknown): number {
  return networkType === 'flat' || networkType === 'vlan' ? config.physicalMtu : config.physicalMtu - VXLAN_OVERHEAD;
}

/** Ports that Neutron removes along with their network rather than counting as "in use". */
export const AUTO_DELETED_OWNERS = new Set(['network:dhcp']);

export interface NetworkCascade {
  /** Removes every subnet of the network (and what holds addresses in them) inside tx. */
  deleteSubnets(ctx: RequestContext, networkId: string, tx: WriteTx): Promise<void>;
  deletePorts(ctx: RequestContext, ports: Doc[], tx: WriteTx): Promise<void>;
}

/**
 * One default external network at a time (Neutron's DefaultExternalNetworkExists). Neutron takes
 * is_default on an internal network and then forgets it; we refuse it, as it can mean nothing.
 */
async function checkDefault(tx: ReadTx, network: Doc): Promise<void> {
  if (network.is_default !== true) return;
  if (network['router:external'] !== true) {
    throw new InvalidInput('Invalid input for operation: is_default can only be set on a router:external network.');
  }
  const defaults = await tx.list(defs.network, {
    conditions: [{ attr: 'router:external', values: [true] }, { attr: 'is_default', values: [true] }], limit: 2,
  });
  const other = defaults.find((n) => n.id !== network.id);
  if (other) throw new DefaultExternalNetworkExists(`A default external network already exists: ${other.id}.`);
}

const PROVIDER_TYPE = 'provider:network_type';
const PROVIDER_PHYSNET = 'provider:physical_network';
const PROVIDER_SEGID = 'provider:segmentation_id';

/**
 * ML2's _update_provider_network_attributes: the type and physical network never change (the same
 * value again is no change), and a segmentation id only on a VLAN network, which ML2 alone allows
 * (type_manager.update_network_segment). We do not move a VLAN network to another tag either: the
 * data plane has no way yet to re-tag a live network's ports, so that is refused too.
 */
function checkProviderUpdate(current: Doc, changes: Attrs): void {
  for (const attr of [PROVIDER_TYPE, PROVIDER_PHYSNET]) {
    if (attr in changes && changes[attr] !== current[attr]) {
      throw new InvalidInput(
        `Invalid input for operation: Plugin does not support updating the following provider network attributes: ${PROVIDER_TYPE}, ${PROVIDER_PHYSNET}.`,
      );
    }
  }
  // As ML2's "if net_data.get(SEGMENTATION_ID)": 0 and null are no request.
  const segid = changes[PROVIDER_SEGID];
  if (segid) {
    // Neutron's message ends in two periods: its own, then InvalidInput's.
    if (current[PROVIDER_TYPE] !== 'vlan') throw new InvalidInput('Invalid input for operation: Only VLAN type networks can be updated..');
    if (segid !== current[PROVIDER_SEGID]) {
      throw new InvalidInput('Invalid input for operation: Updating the segmentation id of a VLAN network is not supported.');
    }
  }
  delete changes[PROVIDER_TYPE];
  delete changes[PROVIDER_PHYSNET];
  delete changes[PROVIDER_SEGID];
}

/**
 * `ensureDefaultGroup` makes the project's default security group if it has none: Neutron's
 * _ensure_default_security_group_handler runs on a network's BEFORE_CREATE as on a port's, so a
 * project that made a network has its default group (and quota usage counts it) before any port.
 */
export function networkHooks(
  config: DomainConfig, cascade: () => NetworkCascade,
  ensureDefaultGroup?: (projectId: string, tx: WriteTx) => Promise<unknown>,
): ResourceHooks {
  const checkMtu = (networkType: unknown, mtu: unknown): number => {
    const max = maxMtu(config, networkType);
    const value = (mtu ?? max) as number;
    if (value > max) throw new InvalidInput(`Invalid input for operation: Requested MTU is too big, maximum is ${max}.`);
    return value;
  };

  return {
    def: defs.network,
    notFound: (id) => new NetworkNotFound(`Network ${id} could not be found.`),
    sharedScope: 'network',
    // Shared to all (the column), or an RBAC policy (access_as_shared or access_as_external) to
    // this project or to all; an external network's wildcard is a policy too.
    async sharedVisible(doc, tx, ctx) {
      return doc.shared === true || reaches(tx, doc.id, ctx.projectId);
    },

    // A member's `shared` filter is on `shared` as it sees it.
    prepareQuery: (query, ctx) => (ctx.isAdmin ? query : { ...query, sharedFor: ctx.projectId }),

    async create(ctx, attrs: Attrs, base: Doc, tx: WriteTx) {
      // As Neutron (bug 1987410): only for the caller's own project, unless an admin asks.
      const owner = base.project_id as string;
      if (ensureDefaultGroup && owner && (owner === ctx.projectId || ctx.isAdmin)) await ensureDefaultGroup(owner, tx);
      const given = attrs['provider:network_type'] as string | undefined;
      if (given === undefined && (attrs['provider:segmentation_id'] != null || attrs['provider:physical_network'] != null)) {
        throw new InvalidInput('Invalid input for operation: network_type required.');
      }
      await checkZoneHints(tx, attrs.availability_zone_hints);
      // Checked and reserved before the MTU, as ML2 does (a taken VLAN answers 409 whatever the MTU).
      const segment = await reserveSegment(
        tx, config, given ?? 'vxlan',
        (attrs['provider:physical_network'] as string | null | undefined) ?? null,
        (attrs['provider:segmentation_id'] as number | null | undefined) ?? null,
      );
      // As Neutron: a shared or external network holds a wildcard policy of its own.
      await checkDefault(tx, { ...base, ...attrs });
      if (attrs.shared === true) await addWildcard(tx, { ...base }, SHARED);
      if (attrs['router:external'] === true) await addWildcard(tx, { ...base }, EXTERNAL);
      return merged<Doc>(base, attrs, {
        status: 'ACTIVE',
        mtu: checkMtu(segment.type, attrs.mtu),
        'provider:network_type': segment.type,
        'provider:physical_network': segment.physnet,
        'provider:segmentation_id': segment.id,
        availability_zones: [],
        ipv4_address_scope: null,
        ipv6_address_scope: null,
        l2_adjacency: true,
      });
    },

    async update(_ctx, current, changes, tx) {
      checkProviderUpdate(current, changes);
      if ('mtu' in changes) checkMtu(current['provider:network_type'], changes.mtu);
      if (changes.shared === false) {
        // Projects reached by a policy of their own keep their ports (Neutron's wildcard check).
        const policies = await networkPolicies(tx, current.id);
        const wildcard = policies.find((p) => p.action === SHARED && p.target_tenant === '*');
        if (wildcard) {
          const remaining = policies.filter((p) => p.action === SHARED && p !== wildcard).map((p) => p.target_tenant as string);
          if (!(await sharedLossAllowed(tx, current, '*', remaining))) {
            throw new InvalidSharedSetting(
              `Unable to reconfigure sharing settings for network ${current.id}. Multiple tenants are using it.`,
            );
          }
          await tx.delete(defs.rbacPolicy, wildcard.id);
        }
      } else if (changes.shared === true) {
        await addWildcard(tx, current, SHARED);
      }
      if (changes['router:external'] === true) await addWildcard(tx, current, EXTERNAL);
      // As Neutron's _process_l3_update: no longer external, no access_as_external policy is left.
      if (changes['router:external'] === false) await removePolicies(tx, current.id, (p) => p.action !== EXTERNAL);
      const next = merged<Doc>(current, changes);
      // No longer external, no longer the default (Neutron's default is a column of the external row).
      if (changes['router:external'] === false && changes.is_default === undefined) next.is_default = false;
      if (changes.is_default === true || changes['router:external'] === false) await checkDefault(tx, next);
      return next;
    },

    async delete(ctx, current, tx) {
      const ports = await tx.list(defs.port, { conditions: [{ attr: 'network_id', values: [current.id] }] });
      // As Neutron: an external network goes with its unassociated floating IPs, not with associated ones.
      const fips = await tx.list(defs.floatingip, { conditions: [{ attr: 'floating_network_id', values: [current.id] }] });
      const associated = fips.some((f) => f.port_id !== null);
      const inUse = ports.filter((p) => !AUTO_DELETED_OWNERS.has(p.device_owner as string) && p.device_owner !== 'network:floatingip');
      if (associated || inUse.length > 0) {
        // Neutron's NetworkInUse names the ports that hold the network (in its own, unspecified order).
        const ids = inUse.length > 0 ? `, id for these ports is: ${inUse.map((p) => p.id).join(',')}` : '';
        throw new NetworkInUse(
          `Unable to complete operation on network ${current.id}. There are one or more ports still in use on the network${ids}.`,
        );
      }
      for (const f of fips) await tx.delete(defs.floatingip, f.id);
      await cascade().deletePorts(ctx, ports, tx);
      await cascade().deleteSubnets(ctx, current.id, tx);
      await removePolicies(tx, current.id);
    },

    async expand(docs: Doc[], tx: ReadTx, ctx?: RequestContext) {
      if (docs.length === 0) return;
      // `shared` as this caller sees it: true too where a policy shares the network with its project.
      if (ctx && !ctx.isAdmin) {
        const others = docs.filter((d) => d.shared !== true && d.project_id !== ctx.projectId).map((d) => d.id);
        const shared = await sharedTo(tx, others, ctx.projectId);
        for (const d of docs) if (shared.has(d.id)) d.shared = true;
      }
      const byNetwork = new Map<string, string[]>(docs.map((d) => [d.id, []]));
      const subnets = await tx.list(defs.subnet, { conditions: [{ attr: 'network_id', values: [...byNetwork.keys()] }] });
      for (const s of subnets) byNetwork.get(s.network_id as string)?.push(s.id);
      for (const d of docs) d.subnets = byNetwork.get(d.id);
      await fillNetworkScopes(docs, subnets, tx);
      await fillNetworkZones(docs, tx);
    },
  };
}
