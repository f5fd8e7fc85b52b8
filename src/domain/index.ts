/** Wires the services together; the API and CLI see only this. */
import type { DomainConfig } from '../core/config.js';
import * as defs from '../model/definitions.js';
import type { Store } from '../store/store.js';
import { Agents, agentHooks } from './agents.js';
import { AutoAllocation } from './auto-allocation.js';
import { PortBindings } from './port-bindings.js';
import { Availability } from './availability.js';
import { Collection } from './collection.js';
import { AddressPicker } from './ipam.js';
import { networkHooks } from './networks.js';
import { portHooks, releasePort } from './ports.js';
import { Routers } from './routers.js';
import { floatingIpHooks } from './floating-ips.js';
import { subnetpoolHooks } from './subnetpools.js';
import { addressScopeHooks } from './address-scopes.js';
import { securityGroupRuleHooks } from './security-group-rules.js';
import { SecurityGroups } from './security-groups.js';
import { subnetHooks } from './subnets.js';
import { Quotas } from './quotas.js';
import { rbacPolicyHooks } from './rbac.js';
import type { Writes } from './writes.js';
import { localWrites } from './writes.js';

export interface Domain {
  readonly store: Store;
  /** By collection name: networks, subnets, ports, security_groups, security_group_rules, routers, ..., agents. */
  readonly collections: ReadonlyMap<string, Collection>;
  readonly routers: Routers;
  /** Limits per project and their usage (reads; changes go through `writes`). */
  readonly quotas: Quotas;
  /** Every change goes through here: this domain's own writer, or the writer thread's. */
  readonly writes: Writes;
  /** Network IP availability and availability zones: computed when read. */
  readonly availability: Availability;
  /** binding-extended reads (changes go through `writes`). */
  readonly portBindings: PortBindings;
}

/**
 * `remoteWrites` makes this a read-side domain: its store is only read, and every change is sent
 * to the domain that owns the writer (src/cli/writer-thread.ts).
 */
export function createDomain(store: Store, config: DomainConfig, remoteWrites?: Writes): Domain {
  const collections = new Map<string, Collection>();
  const get = (name: string) => (): Collection => collections.get(name)!;
  let writes: Writes;
  let quotas: Quotas | undefined;
  const securityGroups = new SecurityGroups(store, () => writes, () => quotas);
  const routers = new Routers(config, store, get('routers'), get('networks'), get('subnets'), get('ports'));
  const agents = new Agents(store, config);

  const hooks = [
    networkHooks(config, () => ({
      async deletePorts(_ctx, ports, tx) {
        for (const p of ports) {
          await releasePort(tx, p.id);
          await tx.delete(defs.port, p.id);
        }
      },
      async deleteSubnets(_ctx, networkId, tx) {
        const subnets = await tx.list(defs.subnet, { conditions: [{ attr: 'network_id', values: [networkId] }] });
        for (const s of subnets) await tx.delete(defs.subnet, s.id);
      },
    }), (projectId, tx) => securityGroups.ensureDefault(projectId, tx)),
    subnetHooks(get('networks'), get('subnetpools')),
    portHooks(config, new AddressPicker(), get('networks'), get('security_groups'), securityGroups),
    securityGroups.hooks(),
    securityGroupRuleHooks(get('security_groups')),
    routers.hooks(),
    subnetpoolHooks(get('address_scopes')),
    addressScopeHooks(),
    floatingIpHooks(get('networks'), get('ports')),
    agentHooks(config),
    rbacPolicyHooks(),
  ];
  quotas = new Quotas(store, config.defaultQuotas);
  for (const h of hooks) collections.set(h.def.collection, new Collection(store, h, quotas));
  const autoAllocation = new AutoAllocation(store, routers, (name) => collections.get(name)!);
  const portBindings = new PortBindings(config, store, get('ports'));
  writes = remoteWrites ?? localWrites(store, collections, routers, securityGroups, agents, quotas, autoAllocation, portBindings);
  return { store, collections, routers, writes, quotas, availability: new Availability(store, config), portBindings };
}

/** The row and query shapes the API speaks in, so that it never reaches into the store. */
export type { Condition, Doc, ListQuery, RawDoc, SortKey, TagFilter } from '../store/store.js';
export type { TagChange, Writes } from './writes.js';
export type { AgentHeartbeat, AgentReport, PortStatus, PortStatusApplied, PortStatusUpdate } from './agents.js';
export { WRITE_METHODS } from './writes.js';
