/**
 * The controller-agent contract, version 1. Both sides import only this folder: the agent never
 * sees the controller's model, so the few resource fields a host needs are spelled out here.
 *
 * Goal state is a set of streams, each a keyed map of items with its own revision:
 * - `host/<host>`: the host's own ports in full (`p:<port id>`) and its part (`h`: its VTEP). Its
 *   subscriptions are the streams it is sent: a snapshot subscribes it, an unsub drops one (not a
 *   list in `h`, which would re-send every stream name whenever one comes or goes).
 * - `net/<network>`: the network (`n`), its subnets (`s:<subnet id>`) and its neighbour entries
 *   (`e:<mac>`: the VTEP of the host holding that MAC and its addresses).
 * - `sg/<group>`: a security group's rules (`r:<rule id>`).
 * - `sgm/<group>`: a security group's member addresses (`m:<address>`), for remote-group rules.
 * - `rt/<router>`: a router (`r`), its interfaces (`i:<port id>`), its centralized SNAT ports
 *   (`s:<port id>`), its external gateway port (`g:<port id>`) and floating IPs (`f:<id>`). Every
 *   host with a port on one of its networks has it, and those networks with it.
 * A stream's revision is the store revision of the change that last altered it; a delta carries its
 * revision and the stream's previous one, so a receiver detects a gap without trusting the carrier.
 */

export const PROTOCOL_VERSION = 1;

/** Items are [key, value] pairs; values are plain JSON, serialised once by the controller. */
export type Item = readonly [key: string, value: unknown];

export interface LocalPort {
  readonly id: string;
  readonly mac: string;
  readonly network: string;
  /** [address, subnet id] pairs. */
  readonly ips: ReadonlyArray<readonly [string, string]>;
  readonly mtu: number;
  readonly groups: readonly string[];
  /** Allowed address pairs: [address or CIDR, MAC]. */
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  readonly portSecurity: boolean;
  readonly adminUp: boolean;
  readonly owner: string;
  readonly vifType: string;
  readonly dhcpOpts: ReadonlyArray<{ readonly name: string; readonly value: string; readonly version: number }>;
  /** The router a router's own port (interface, gateway, SNAT) belongs to: it is plumbed, not a tap. */
  readonly router?: string;
  /**
   * An inactive binding's port (a live migration's destination): programmed and reported like any,
   * not yet the port's active binding. Its activation changes the item, so the host acks it anew.
   */
  readonly inactive?: true;
  /**
   * A server's port (a `compute:` owner with a device id): the instance and its project, which the
   * host's metadata proxy tells Nova when the server asks for its metadata.
   */
  readonly instance?: string;
  readonly project?: string;
}

/** `h` in a host stream. */
export interface HostPart {
  readonly vtep: string;
}

/** `n` in a network stream. */
export interface NetworkInfo {
  readonly type: string;
  readonly segment: number | null;
  readonly physnet: string | null;
  readonly mtu: number;
  readonly adminUp: boolean;
}

/** `s:<id>` in a network stream. */
export interface SubnetInfo {
  readonly cidr: string;
  readonly version: number;
  readonly gateway: string | null;
  readonly dhcp: boolean;
  readonly dns: readonly string[];
  readonly routes: ReadonlyArray<{ readonly destination: string; readonly nexthop: string }>;
  readonly raMode: string | null;
  readonly addressMode: string | null;
}

/** `e:<mac>` in a network stream: [VTEP, ...addresses]. */
export type NeighbourEntry = readonly string[];

/** `r` in a router stream. `gateway` is null without an external gateway. */
export interface RouterInfo {
  readonly adminUp: boolean;
  readonly routes: ReadonlyArray<{ readonly destination: string; readonly nexthop: string }>;
  readonly gateway: { readonly network: string; readonly snat: boolean } | null;
}

/** `i:`, `s:` and `g:<port id>` in a router stream: a port of the router on a network. */
export interface RouterPort {
  readonly network: string;
  readonly mac: string;
  /** [address, subnet id] pairs. */
  readonly ips: ReadonlyArray<readonly [string, string]>;
}

/** `f:<id>` in a router stream: [floating address, fixed address]. */
export type FloatingEntry = readonly [string, string];

/** `r:<id>` in a group stream: [direction, ethertype, protocol, port min, port max, remote prefix, remote group]. */
export type RuleEntry = readonly [string, string, string | null, number | null, number | null, string | null, string | null];

export interface Capabilities {
  /** How a VM's interface is plugged: Nova makes a tap, or plugs it into our bridge. */
  readonly vifType: 'tap' | 'bridge';
}

// ---- agent -> controller ----

export interface Hello {
  readonly t: 'hello';
  readonly protocol: number;
  readonly host: string;
  readonly agentType: string;
  readonly binary: string;
  readonly version: string;
  readonly vtep: string;
  readonly startedAt: string;
  readonly capabilities: Capabilities;
  readonly configurations?: Record<string, unknown>;
  /** Last applied revision per stream. */
  readonly cursors: Readonly<Record<string, number>>;
}

/**
 * Everything up to this round's revision is programmed. `pending` names ports whose device is not on
 * the host yet (Nova makes the tap after binding): they are not up until a later `up` says so.
 */
export interface Ack { readonly t: 'ack'; readonly revision: number; readonly pending?: readonly string[] }

/** This round could not be programmed; `ports` names the ports it failed for, when known. */
export interface Nack { readonly t: 'nack'; readonly revision: number; readonly error: string; readonly ports?: readonly string[] }

/** Devices the host no longer has (a tap that vanished): their ports go DOWN. */
export interface PortsGone { readonly t: 'gone'; readonly ports: readonly string[] }

/** Devices that appeared since (a tap Nova made) and are now programmed: their ports are up. */
export interface PortsUp { readonly t: 'up'; readonly ports: readonly string[] }

export interface Heartbeat { readonly t: 'heartbeat' }

/** A gap was detected on these streams: send them again in full. */
export interface Resync { readonly t: 'resync'; readonly streams: readonly string[] }

export type AgentMessage = Hello | Ack | Nack | PortsGone | PortsUp | Heartbeat | Resync;

// ---- controller -> agent ----

export interface Welcome {
  readonly t: 'welcome';
  readonly agentId: string;
  readonly heartbeatSeconds: number;
}

/** A stream in full, cut in chunks of bounded size: `first` clears what the receiver held, `complete` ends it. */
export interface Snapshot {
  readonly t: 'snapshot';
  readonly s: string;
  /** The stream's number for this session's deltas (see Delta). */
  readonly i?: number;
  readonly r: number;
  readonly first: boolean;
  readonly complete: boolean;
  readonly items: readonly Item[];
}

/**
 * A round's delta names its stream by number only (`i`, given by the snapshot or a named delta
 * earlier in the session): a stream name is a third of a neighbour update's bytes. Catch-up deltas
 * carry both. A number the receiver does not know is a gap: it says hello again.
 */
export interface Delta {
  readonly t: 'delta';
  readonly s?: string;
  readonly i?: number;
  readonly r: number;
  /** The stream's revision this delta applies on top of. */
  readonly p: number;
  readonly u: readonly Item[];
  readonly x: readonly string[];
}

/** The host no longer needs this stream. */
export interface Unsubscribe { readonly t: 'unsub'; readonly s: string }

/**
 * The end of a round: everything up to revision `r` has been sent. Ack it once applied. Sent alone
 * to an idle host it is a bookmark: the host is current up to `r`.
 */
export interface Sync { readonly t: 'sync'; readonly r: number }

export interface ProtocolErrorMessage {
  readonly t: 'error';
  readonly code: string;
  readonly message: string;
  /** The controller closes this session after a fatal error. */
  readonly fatal: boolean;
}

export type ControllerMessage = Welcome | Snapshot | Delta | Unsubscribe | Sync | ProtocolErrorMessage;

export const STREAM_KINDS = ['host', 'net', 'sg', 'sgm', 'rt'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

export const hostStream = (host: string): string => `host/${host}`;
export const netStream = (network: string): string => `net/${network}`;
export const groupStream = (group: string): string => `sg/${group}`;
export const membersStream = (group: string): string => `sgm/${group}`;
export const routerStream = (router: string): string => `rt/${router}`;

/** Device owners of a router's own ports, as Neutron names them. */
export const ROUTER_INTERFACE = 'network:router_interface';
export const ROUTER_GATEWAY = 'network:router_gateway';
export const ROUTER_SNAT = 'network:router_centralized_snat';
export const isRouterOwner = (owner: string): boolean => owner === ROUTER_INTERFACE || owner === ROUTER_GATEWAY || owner === ROUTER_SNAT;

export function streamKind(stream: string): StreamKind | undefined {
  const kind = stream.slice(0, stream.indexOf('/'));
  return (STREAM_KINDS as readonly string[]).includes(kind) ? (kind as StreamKind) : undefined;
}
