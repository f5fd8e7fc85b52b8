/**
 * The storage interface. The domain sees only this: typed reads and writes inside a transaction.
 * Backends decide how to make it fast (SQLite: group commit on one writer connection); every write
 * transaction also appends to the ordered change log that goal-state compilation will consume.
 */
import type { ResourceDef } from '../model/resource.js';

export type Doc = Record<string, unknown> & { id: string };

/** A row's id and its document exactly as stored (JSON text). */
export interface RawDoc {
  readonly id: string;
  readonly json: string;
}

export interface Condition {
  readonly attr: string;
  /** OR-ed together; booleans and numbers as the attribute's type. */
  readonly values: readonly unknown[];
  /** Instead of equality: the attribute compared with the one value (an agent's heartbeat age). */
  readonly compare?: '>=' | '<';
}

export interface TagFilter {
  readonly all?: readonly string[];
  readonly any?: readonly string[];
  readonly notAll?: readonly string[];
  readonly notAny?: readonly string[];
}

/** What a non-admin caller may see beside its own rows. */
export type Scope =
  | { readonly projectId: string; readonly alsoShared: 'network' }
  | { readonly projectId: string; readonly alsoShared: 'network-of-row' }
  /** Rules in the caller's own security groups, whoever made them. */
  | { readonly projectId: string; readonly alsoShared: 'group-of-row' }
  /** Rows whose own `shared` is true (subnet pools). */
  | { readonly projectId: string; readonly alsoShared: 'shared-row' }
  /** Rows on networks the project owns (ports: Neutron's network owner reads them). */
  | { readonly projectId: string; readonly alsoShared: 'own-network-of-row' }
  | { readonly projectId: string; readonly alsoShared?: undefined };

export interface SortKey {
  readonly attr: string;
  readonly dir: 'asc' | 'desc';
}

export interface ListQuery {
  readonly conditions?: readonly Condition[];
  readonly tags?: TagFilter;
  /** Ports only: rows holding one of these addresses / an address in one of these subnets. */
  readonly fixedIps?: { readonly ipAddresses?: readonly string[]; readonly subnetIds?: readonly string[]; readonly ipSubstrings?: readonly string[] };
  readonly scope?: Scope;
  /**
   * Networks and subnets: `shared` conditions as this project sees the attribute (a subnet's is its network's) (true also where an
   * access_as_shared policy names it), as Neutron filters them for a member.
   */
  readonly sharedFor?: string;
  /** Ends with id so that the order, and so the marker, is total. */
  readonly sort?: readonly SortKey[];
  readonly limit?: number;
  readonly marker?: Doc;
  readonly pageReverse?: boolean;
}

export interface IpAllocation {
  readonly subnetId: string;
  readonly networkId: string;
  readonly portId: string;
  readonly ipAddress: string;
  /** Fixed-width hex: index order is numeric order. */
  readonly ipKey: string;
}

/**
 * A network's segment as the store's unique index keeps it: a VNI, a VLAN id on one physical
 * network, or a whole physical network (flat). At most one network holds each.
 */
export type Segment =
  | { readonly type: 'vxlan'; readonly id: number }
  | { readonly type: 'vlan'; readonly physnet: string; readonly id: number }
  | { readonly type: 'flat'; readonly physnet: string };

/** The numbered segments of one kind, for gap search: all VNIs, or the VLAN ids of one physical network. */
export type SegmentPool = { readonly type: 'vxlan' } | { readonly type: 'vlan'; readonly physnet: string };

/** The segment a network document holds, if any (the store indexes what this says). */
export function networkSegment(doc: Record<string, unknown>): Segment | undefined {
  const type = (doc['provider:network_type'] as string | undefined) ?? 'vxlan';
  const physnet = doc['provider:physical_network'];
  const id = doc['provider:segmentation_id'];
  if (type === 'vxlan' && typeof id === 'number') return { type, id };
  if (type === 'vlan' && typeof physnet === 'string' && typeof id === 'number') return { type, physnet, id };
  if (type === 'flat' && typeof physnet === 'string') return { type, physnet };
  return undefined;
}

export interface ReadTx {
  get(def: ResourceDef, id: string): Promise<Doc | undefined>;
  list(def: ResourceDef, query: ListQuery): Promise<Doc[]>;
  /**
   * The same rows as stored JSON text, for answers that can be sent without parsing them; `omit`
   * names top-level attributes to leave out (what the caller's policy hides).
   */
  listRaw(def: ResourceDef, query: ListQuery, omit?: readonly string[]): Promise<RawDoc[]>;
  count(def: ResourceDef, conditions: readonly Condition[]): Promise<number>;
  /** Port holding this address in this subnet, if any. */
  ipHolder(subnetId: string, ipKey: string): Promise<string | undefined>;
  /** Allocated keys of a subnet within [fromKey, toKey], in order, at most `limit`. */
  allocatedKeys(subnetId: string, fromKey: string, toKey: string, limit: number): Promise<string[]>;
  countIps(subnetId: string): Promise<number>;
  /** Allocated addresses per subnet, for many subnets in one statement (absent: none). */
  countIpsBySubnet(subnetIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * The distinct (network, availability zone) pairs of these networks' bound ports: the zone of
   * each agent on a host where one of their ports is bound (agents without a zone left out).
   */
  networkZones(networkIds: readonly string[]): Promise<Array<{ networkId: string; zone: string }>>;
  /** The same for ports by device (a router's ports): distinct (device, zone) pairs. */
  deviceZones(deviceIds: readonly string[]): Promise<Array<{ deviceId: string; zone: string }>>;
  macInUse(networkId: string, mac: string): Promise<boolean>;
  /** Whether a network holds this segment (the unique index's own key: no scan). */
  segmentInUse(segment: Segment): Promise<boolean>;
  /** Lowest used ids of the pool within [from, to], at most `limit`, in order, for gap search. */
  usedSegments(pool: SegmentPool, from: number, to: number, limit: number): Promise<number[]>;
  portsUsingSecurityGroup(securityGroupId: string): Promise<number>;
  defaultSecurityGroup(projectId: string): Promise<string | undefined>;
  /**
   * A project's rows of each kind, by the kind's member name (network, port, ...), as the store
   * keeps them on every insert and delete: exact within a write transaction, never counted.
   */
  quotaUsage(projectId: string): Promise<Record<string, number>>;
  /** One kind's usage and the project's own limit for it, if one was set (the create path's check). */
  quotaState(projectId: string, resource: string): Promise<{ readonly used: number; readonly limit?: number }>;
  /** The limits set for one project, or for every project that has any (by project, in id order). */
  quotaLimits(projectId?: string): Promise<Map<string, Record<string, number>>>;
  /** The topology auto-allocation built for a project, if it did. */
  autoAllocatedTopology(projectId: string): Promise<AutoAllocatedTopology | undefined>;
}

export interface AutoAllocatedTopology {
  readonly networkId: string;
  readonly routerId: string | null;
}

export interface WriteTx extends ReadTx {
  insert(def: ResourceDef, doc: Doc): Promise<void>;
  update(def: ResourceDef, doc: Doc): Promise<void>;
  delete(def: ResourceDef, id: string): Promise<void>;
  addIp(allocation: IpAllocation): Promise<void>;
  removeIps(portId: string): Promise<void>;
  setPortSecurityGroups(portId: string, securityGroupIds: readonly string[]): Promise<void>;
  /** null forgets the project's default (its group was deleted). */
  setDefaultSecurityGroup(projectId: string, securityGroupId: string | null): Promise<void>;
  /**
   * Sets the heartbeat_timestamp of the agent (agentType, host) to `heartbeat` unless it already
   * has a later one, without a change-log row: heartbeats are not changes anyone needs to hear of.
   * False when there is no such agent.
   */
  touchAgent(agentType: string, host: string, heartbeat: string): Promise<boolean>;
  setQuotaLimit(projectId: string, resource: string, limit: number): Promise<void>;
  /** Forgets a project's limits (back to the defaults); how many there were. */
  deleteQuotaLimits(projectId: string): Promise<number>;
  /** Records (or, with null, forgets) a project's auto-allocated topology; a second record is a UniqueViolation. */
  setAutoAllocatedTopology(projectId: string, topology: AutoAllocatedTopology | null): Promise<void>;
}

export interface StoreStats {
  /** Statements run since start; tests bound the number a request issues. */
  statements: number;
  transactions: number;
  commits: number;
}

export interface Store {
  readonly stats: StoreStats;
  read<T>(fn: (tx: ReadTx) => Promise<T>): Promise<T>;
  /** All or nothing: the function's writes commit together, or not at all if it throws. */
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** Last committed change-log revision. */
  revision(): Promise<number>;
  /** Rows in the database, summed over resource tables (bench reports it). */
  rowCount(): Promise<number>;
  close(): Promise<void>;
}

/** Raised by a backend when a unique constraint rejects a row, so the domain can answer 409. */
export class UniqueViolation extends Error {
  constructor(readonly constraint: string) {
    super(`unique constraint: ${constraint}`);
  }
}
