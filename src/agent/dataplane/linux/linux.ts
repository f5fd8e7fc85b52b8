/**
 * The Linux data plane: the kernel's own bridges, VXLAN, forwarding and neighbour tables, nftables
 * and dnsmasq, no Open vSwitch. Per network on the host a bridge and a VXLAN device (learning off);
 * per remote MAC one static FDB entry to its host's VTEP and one neighbour entry per address, so
 * the bridge answers ARP and ND for them (neigh_suppress) and they never cross the overlay; the
 * network's other hosts are the head-end replication list for what must. Per local port the tap
 * Nova made, attached to the bridge once it exists (until then the port is acked as pending).
 *
 * Each round works from what changed: a neighbour is a couple of kernel entries however many the
 * host holds, a port a few. The first round after a start compares the goal state with what the
 * kernel holds of the agent's own objects and sweeps the rest; nftables is then replaced whole in
 * one transaction, so traffic flows throughout.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { LocalPort, NeighbourEntry, NetworkInfo, RouterPort, RuleEntry, SubnetInfo } from '../../../protocol/messages.js';
import { groupStream, hostStream, membersStream, netStream } from '../../../protocol/messages.js';
import type { AgentLog } from '../../host-agent.js';
import type { LocalGoalState } from '../../goal-state.js';
import type { ApplyInput, ApplyResult, DataPlane, DeviceChanges } from '../dataplane.js';
import { Dhcp } from './dhcp.js';
import { MetadataServer } from './metadata.js';
import type { Instance, MetadataConfig } from './metadata.js';
import type { DhcpNetwork } from './dhcp.js';
import * as kernel from './kernel.js';
import { bridgeName, dhcpLinkName, isDhcpLink, isMetaLink, isRouterLink, metaLinkName, tapName, vlanName, vxlanName } from './names.js';
import type { RouterBridge } from './router.js';
import { LinuxRouters } from './router.js';
import { NftBatch, groupRules, portElements, portRules, prefixCover } from './nft.js';
import type { Elements, NftPort } from './nft.js';
import { batch, must, run } from './run.js';

const ZERO_MAC = '00:00:00:00:00:00';

const plugFdb = (p: PortState): string => `fdb replace ${p.spec.mac} dev ${p.tap} master static`;

/** A locally administered MAC of the network's own, for its bridge. */
function bridgeMac(network: string): string {
  const h = network.replace(/-/g, '');
  return `02:a1:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}`;
}

interface NetState {
  readonly id: string;
  readonly bridge: string;
  /** VXLAN: the VNI; flat and VLAN networks: 0 (no overlay entries are kept for them). */
  vni: number;
  /** The bridge's way off the host: its VXLAN device, or the physical interface or its VLAN sub-interface. */
  uplink: string;
  /** Whether the agent made the uplink (and removes it), or it is the host's physical interface. */
  ownUplink: boolean;
  mtu: number;
  /** Remote MACs programmed: FDB to the VTEP, neighbour entries for the addresses. */
  readonly remote: Map<string, { vtep: string; ips: string[] }>;
  /** Neighbour entries programmed for this host's own MACs. */
  readonly local: Map<string, string[]>;
  /** Remote entries per VTEP: an all-zero FDB entry (head-end replication) while above 0. */
  readonly flood: Map<string, number>;
  /** HER entries found in the kernel at a start that no entry needs. */
  staleFlood: Set<string>;
}

interface PortState {
  readonly id: string;
  readonly tap: string;
  spec: LocalPort;
  bridge: string;
  plugged: boolean;
  readonly nftId: number;
  elements: Elements;
  rules: string[];
}

interface GroupState {
  readonly key: string;
  readonly remotes: Set<string>;
}

export interface LinuxOptions {
  readonly host: string;
  readonly vtep: string;
  /** Where dnsmasq's files live. */
  readonly stateDir: string;
  readonly log: AgentLog;
  /** Physical network -> the host interface that carries it (Neutron's bridge_mappings). */
  readonly physicalNetworks?: Readonly<Record<string, string>>;
  /** Nova's metadata API and the secret shared with it: the metadata proxy is on when given. */
  readonly metadata?: MetadataConfig;
}

/** How a network leaves the host: its uplink device and how it is made. */
interface Uplink {
  readonly dev: string;
  readonly kind: 'vxlan' | 'vlan' | '';
  readonly own: boolean;
  readonly make: string[];
}

type Failures = Map<string, string>;

export class LinuxDataPlane implements DataPlane {
  readonly name = 'linux';
  private started = false;
  private readonly nets = new Map<string, NetState>();
  private readonly ports = new Map<string, PortState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly members = new Map<string, Set<string>>();
  private readonly zones = new Map<string, number>();
  private readonly freeIds: number[] = [];
  private nextId = 1;
  private readonly dhcp: Dhcp;
  private monitor?: ChildProcess;
  private closed = false;
  private state?: LocalGoalState;
  /** Counters for the bench: kernel commands issued, by tool. */
  readonly counters = { ip: 0, bridge: 0, nft: 0, rounds: 0, rebuilds: 0 };

  constructor(private readonly o: LinuxOptions) {
    mkdirSync(o.stateDir, { recursive: true });
    const socket = join(o.stateDir, 'metadata.sock');
    this.dhcp = new Dhcp(o.stateDir, o.metadata ? { socket } : undefined);
    this.routers = new LinuxRouters(`${o.stateDir}/routers`, o.log);
    if (o.metadata) this.metadata = new MetadataServer(socket, o.metadata, (net, ip) => this.instanceAt(net, ip), o.log);
  }

  private readonly metadata?: MetadataServer;

  /** The server (a port of this host's with an instance) with `ip` on `network`. */
  private instanceAt(network: string, ip: string): Instance | undefined {
    for (const p of this.ports.values()) {
      const s = p.spec;
      if (s.network === network && s.instance && !s.inactive && s.ips.some(([a]) => a === ip)) return { instance: s.instance, project: s.project ?? '' };
    }
    return undefined;
  }

  private readonly routers: LinuxRouters;

  private uplink(info: NetworkInfo, mtu: number): Uplink | string {
    if (info.type === 'vxlan') {
      if (!info.segment) return 'a VXLAN network without a VNI';
      const dev = vxlanName(info.segment);
      return { dev, kind: 'vxlan', own: true, make: [`link add ${dev} type vxlan id ${info.segment} local ${this.o.vtep} dstport 4789 nolearning`] };
    }
    if (info.type !== 'flat' && info.type !== 'vlan') return `network type ${info.type} is not served by the linux data plane`;
    const iface = info.physnet ? this.o.physicalNetworks?.[info.physnet] : undefined;
    if (!iface) return `physical network ${String(info.physnet)} is not mapped to an interface on this host`;
    if (info.type === 'flat') return { dev: iface, kind: '', own: false, make: [] };
    if (!info.segment) return 'a VLAN network without a VLAN id';
    const dev = vlanName(iface, info.segment);
    return { dev, kind: 'vlan', own: true, make: [`link set dev ${iface} up`, `link add link ${iface} name ${dev} mtu ${mtu} type vlan id ${info.segment}`] };
  }

  // ---- the round ----

  async apply(input: ApplyInput): Promise<ApplyResult> {
    const t0 = performance.now();
    const result = await this.round(input);
    const neighbours = [...this.nets.values()].reduce((n, ns) => n + ns.remote.size + ns.local.size, 0);
    // The bench reads these (at debug level) for the time one round took with N neighbours held.
    this.o.log.debug?.({ ms: Math.round((performance.now() - t0) * 100) / 100, revision: input.revision, ports: this.ports.size, neighbours,
      pending: result.pending?.length ?? 0, failed: result.failed.length, counters: this.counters }, 'round programmed');
    return result;
  }

  private async round(input: ApplyInput): Promise<ApplyResult> {
    this.counters.rounds++;
    this.state = input.state;
    const full = !this.started;
    const failures: Failures = new Map();
    if (full) await this.inventory();
    if (full && this.metadata) {
      // Without it servers get no metadata, but their network works: an error told, not a stop.
      try { await this.metadata.start(); } catch (err) { this.o.log.error({ error: String(err) }, 'the metadata proxy could not listen'); }
    }
    const dirty = this.dirty(input, full);
    const wantPorts = this.hostPorts(input.state);
    const routerPorts = this.hostPorts(input.state, true);

    // Networks: those with local ports, and those of the routers the host has.
    const wantNets = new Map<string, { info: NetworkInfo; up: Uplink; ports: string[] }>();
    const want = (net: string, port: string | undefined): void => {
      const info = this.item<NetworkInfo>(input.state, netStream(net), 'n');
      const w = wantNets.get(net);
      if (w) { if (port) w.ports.push(port); return; }
      if (!info) { if (port) failures.set(port, `network ${net} is not in this host's goal state`); return; }
      const up = this.uplink(info, info.mtu);
      if (typeof up === 'string') { if (port) failures.set(port, up); return; }
      wantNets.set(net, { info, up, ports: port ? [port] : [] });
    };
    for (const [id, p] of wantPorts) want(p.network, id);
    for (const [id, p] of routerPorts) want(p.network, id);
    for (const [stream, st] of input.state.streams) {
      if (!stream.startsWith('rt/')) continue;
      for (const [k, v] of st.items) if (k.startsWith('i:')) want((v as RouterPort).network, undefined);
    }
    const links: string[] = [];
    const linkOwner: string[] = [];
    const addLink = (owner: string, ...lines: string[]) => { for (const l of lines) { links.push(l); linkOwner.push(owner); } };
    const netsChanged = new Set<string>();
    let linksNow: Map<string, kernel.Link> | undefined;
    const created: Array<{ net: string; dev: string }> = [];
    for (const [id, w] of wantNets) {
      const br = bridgeName(id);
      const ns = this.nets.get(br);
      const mtu = w.info.mtu, up = w.up;
      if (!ns || ns.uplink !== up.dev) {
        // A name held by a device not ours is a refusal: the port fails, the device is left alone.
        linksNow ??= await kernel.links();
        const dev = linksNow.get(up.dev);
        const clash = [linksNow.get(br), up.own ? dev : undefined].find((l) => l && (l.kind !== (l.name === br ? 'bridge' : up.kind) || (l.kind === up.kind && l.master && l.master !== br)))
          ?? (!up.own && (!dev || (dev.master && dev.master !== br)) ? dev ?? { name: up.dev, kind: '' } : undefined);
        if (clash) {
          const why = !up.own && !dev ? `the physical interface ${up.dev} does not exist on this host` : !up.own ? `the physical interface ${up.dev} is a port of ${String(dev?.master)}, not of the agent's bridge`
            : `a ${clash.kind || 'device'} named ${clash.name} exists on this host and is not the agent's`;
          for (const pid of w.ports) failures.set(pid, why);
          wantNets.delete(id);
          continue;
        }
        if (!linksNow.has(br)) created.push({ net: id, dev: br });
        if (up.own && !linksNow.has(up.dev)) created.push({ net: id, dev: up.dev });
        if (ns) addLink(id, ns.ownUplink ? `link del dev ${ns.uplink}` : `link set dev ${ns.uplink} nomaster`);
        // The bridge's own MAC is set, not left to follow its lowest port's: a change of it flushes
        // every neighbour entry on the bridge, permanent ones too (each tap joining would).
        if (!ns) addLink(id, `link add ${br} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`, `link set dev ${br} address ${bridgeMac(id)} addrgenmode none`);
        addLink(id, `link set dev ${br} mtu ${mtu} up`, ...(up.own && linksNow.has(up.dev) ? [] : up.make), `link set dev ${up.dev} mtu ${mtu} master ${br} up`);
        // Only the overlay's entries come from goal state: a physical network's bridge learns.
        if (up.kind === 'vxlan') addLink(id, `link set dev ${up.dev} type bridge_slave neigh_suppress on learning off`);
        // A new VXLAN device holds no forwarding entries yet; the bridge's own neighbour entries stay.
        this.nets.set(br, { id, bridge: br, vni: up.kind === 'vxlan' ? w.info.segment! : 0, uplink: up.dev, ownUplink: up.own, mtu, remote: new Map(), local: ns?.local ?? new Map(), flood: new Map(), staleFlood: new Set() });
        dirty.neighbours.set(id, 'all');
        netsChanged.add(id);
      } else if (ns.mtu !== mtu) {
        addLink(id, `link set dev ${br} mtu ${mtu}`, `link set dev ${ns.uplink} mtu ${mtu}`);
        ns.mtu = mtu;
        netsChanged.add(id);
      }
    }
    for (const [br, ns] of this.nets) {
      if (wantNets.has(ns.id)) continue;
      addLink(ns.id, ns.ownUplink ? `link del dev ${ns.uplink}` : `link set dev ${ns.uplink} nomaster`, `link del dev ${br}`);
      this.nets.delete(br);
      netsChanged.add(ns.id);
    }
    const netFailures = new Map<string, string>();
    for (const [line, err] of await this.batch('ip', links)) {
      const net = linkOwner[line];
      // The first refusal says why; the lines after it fail for want of what it did not make.
      const why = /type vlan/.test(links[line]) && /Unknown device type/.test(err)
        ? 'this kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q): VLAN networks cannot be served on this host' : `${links[line]}: ${err}`;
      if (net && !netFailures.has(net)) netFailures.set(net, why);
      else this.o.log.error({ error: err }, 'ip batch failed');
    }
    for (const [net, err] of netFailures) {
      for (const id of wantNets.get(net)?.ports ?? []) failures.set(id, err);
      this.nets.delete(bridgeName(net));
      wantNets.delete(net);
      // Nothing half made is left: what this round created for the network goes again.
      for (const c of created) if (c.net === net) await run('ip', ['link', 'del', 'dev', c.dev]);
    }

    // Neighbours: only the entries that changed, unless a stream came whole.
    const fdb: string[] = [];
    const neighDel: string[] = [];
    const neighAdd: string[] = [];
    for (const [net, keys] of dirty.neighbours) {
      const ns = this.nets.get(bridgeName(net));
      if (!ns || ns.id !== net || ns.vni === 0) continue;
      const stream = input.state.streams.get(netStream(net));
      const macs = keys === 'all'
        ? new Set([...ns.remote.keys(), ...ns.local.keys(), ...[...(stream?.items.keys() ?? [])].filter((k) => k.startsWith('e:')).map((k) => k.slice(2))])
        : keys;
      for (const mac of macs) this.neighbour(ns, mac, stream?.items.get(`e:${mac}`) as NeighbourEntry | undefined, fdb, neighDel, neighAdd);
      for (const vtep of ns.staleFlood) fdb.push(`fdb del ${ZERO_MAC} dev ${vxlanName(ns.vni)} dst ${vtep} self`);
      ns.staleFlood.clear();
    }

    // Ports: attach the taps that exist, detach what left.
    const portLines: string[] = [];
    const portOwner: string[] = [];
    const pending: string[] = [];
    const plugged: PortState[] = [];
    const removedPorts: PortState[] = [];
    for (const id of dirty.ports) {
      const want = failures.has(id) ? undefined : wantPorts.get(id);
      const have = this.ports.get(id);
      if (have && (!want || bridgeName(want.network) !== have.bridge)) {
        if (have.plugged && existsSync(`/sys/class/net/${have.tap}`)) { portLines.push(`link set dev ${have.tap} nomaster`); portOwner.push(id); }
        if (!want) { this.ports.delete(id); removedPorts.push(have); continue; }
        have.plugged = false;
      }
      if (!want) continue;
      const p = have ?? this.newPort(id, want);
      p.spec = want;
      p.bridge = bridgeName(want.network);
      if (existsSync(`/sys/class/net/${p.tap}`)) {
        portLines.push(this.plugLine(p));
        portOwner.push(id);
        plugged.push(p);
        p.plugged = true;
      } else {
        p.plugged = false;
      }
    }
    // Taps plugged into our bridges that no port claims any more (found at a start).
    if (full) for (const tap of this.strayTaps) { portLines.push(`link set dev ${tap} nomaster`); portOwner.push(''); }
    this.strayTaps = [];
    for (const [line, err] of await this.batch('ip', portLines)) {
      const id = portOwner[line];
      if (id) failures.set(id, `${portLines[line]}: ${err}`);
    }
    for (const [id, p] of this.ports) if (!p.plugged && !failures.has(id)) pending.push(id);
    // A tap's own MAC is static on its bridge port from the round that plugs it (the tap keeps it).
    for (const p of plugged) if (!failures.has(p.id)) fdb.push(plugFdb(p));
    for (const [line, err] of await this.batch('bridge', fdb)) this.o.log.warn({ entry: fdb[line], error: err }, 'kernel refused a forwarding entry');
    for (const [line, err] of await this.batch('ip', [...neighDel, ...neighAdd])) this.o.log.warn({ entry: [...neighDel, ...neighAdd][line], error: err }, 'kernel refused a neighbour entry');

    // DHCP for the networks whose ports or subnets changed.
    for (const net of new Set([...netsChanged, ...dirty.subnets, ...[...dirty.ports].map((id) => wantPorts.get(id)?.network ?? this.portNet.get(id) ?? '')])) {
      if (!net) continue;
      try {
        const n = this.dhcpNetwork(input.state, net, wantPorts);
        // DHCP is for the host's own VMs: a network here only for a router has none.
        const serve = n !== undefined && n.ports.length > 0 && Dhcp.wanted(n) && wantNets.has(net);
        if (serve) await this.dhcp.sync(n);
        else if (this.dhcpNets.has(net)) await this.dhcp.remove(net);
        if (serve) this.dhcpNets.add(net); else this.dhcpNets.delete(net);
      } catch (err) {
        const error = `DHCP for network ${net}: ${err instanceof Error ? err.message : String(err)}`;
        for (const id of wantNets.get(net)?.ports ?? []) failures.set(id, error);
      }
    }
    if (full) for (const net of this.strayDhcp) if (!this.dhcpNets.has(net)) await this.dhcp.remove(net);
    this.strayDhcp = [];
    this.portNet.clear();
    for (const [id, p] of wantPorts) this.portNet.set(id, p.network);

    // Routers.
    const bridges = new Map<string, RouterBridge>();
    for (const ns of this.nets.values()) if (wantNets.has(ns.id)) bridges.set(ns.id, { bridge: ns.bridge, mtu: ns.mtu });
    const routerFailures = await this.routers.sync({
      state: input.state, full, routers: dirty.routers, networks: new Set([...netsChanged, ...dirty.subnets]), neighbours: dirty.neighbours, bridges,
      ports: new Map([...routerPorts].filter(([id]) => !failures.has(id))),
    });
    for (const [id, error] of routerFailures) failures.set(id, error);

    // Security groups and anti-spoofing.
    await this.nft(input.state, full, dirty, wantNets, removedPorts, failures);
    for (const p of removedPorts) this.freeIds.push(p.nftId);
    this.started = true;
    return { failed: [...failures].filter(([id]) => wantPorts.has(id) || routerPorts.has(id)).map(([port, error]) => ({ port, error })), pending: pending.filter((id) => !failures.has(id)) };
  }

  private portNet = new Map<string, string>();
  private dhcpNets = new Set<string>();
  private strayTaps: string[] = [];
  private strayDhcp: string[] = [];

  private newPort(id: string, spec: LocalPort): PortState {
    const nftId = this.freeIds.pop() ?? this.nextId++;
    const p: PortState = { id, tap: tapName(id), spec, bridge: bridgeName(spec.network), plugged: false, nftId, elements: {}, rules: [] };
    this.ports.set(id, p);
    return p;
  }

  private plugLine(p: PortState): string {
    const mtu = this.nets.get(p.bridge)?.mtu ?? p.spec.mtu;
    return `link set dev ${p.tap} mtu ${mtu} master ${p.bridge} up`;
  }

  private neighbour(ns: NetState, mac: string, entry: NeighbourEntry | undefined, fdb: string[], neighDel: string[], neighAdd: string[]): void {
    const vx = vxlanName(ns.vni);
    const remote = entry && entry[0] && entry[0] !== this.o.vtep ? entry : undefined;
    const local = entry && entry[0] === this.o.vtep ? entry : undefined;
    const haveR = ns.remote.get(mac);
    const haveL = ns.local.get(mac);
    if (haveR && (!remote || remote[0] !== haveR.vtep)) {
      if (!remote) fdb.push(`fdb del ${mac} dev ${vx} self`, `fdb del ${mac} dev ${vx} master`);
      this.flood(ns, haveR.vtep, -1, fdb);
    }
    if (remote && (!haveR || haveR.vtep !== remote[0])) {
      fdb.push(`fdb replace ${mac} dev ${vx} dst ${remote[0]} self permanent`, `fdb replace ${mac} dev ${vx} master static`);
      this.flood(ns, remote[0], 1, fdb);
    }
    const want = new Set((remote ?? local ?? []).slice(1));
    const have = new Set(haveR?.ips ?? haveL ?? []);
    for (const ip of have) if (!want.has(ip)) neighDel.push(`neigh del ${ip} dev ${ns.bridge}`);
    for (const ip of want) if (!have.has(ip)) neighAdd.push(`neigh replace ${ip} lladdr ${mac} dev ${ns.bridge} nud permanent`);
    if (remote) ns.remote.set(mac, { vtep: remote[0], ips: remote.slice(1) }); else ns.remote.delete(mac);
    if (local) ns.local.set(mac, local.slice(1)); else ns.local.delete(mac);
  }

  private flood(ns: NetState, vtep: string, delta: number, fdb: string[]): void {
    const before = ns.flood.get(vtep) ?? 0;
    const after = before + delta;
    if (after <= 0) ns.flood.delete(vtep); else ns.flood.set(vtep, after);
    const vx = vxlanName(ns.vni);
    if (before === 0 && after > 0) {
      if (ns.staleFlood.delete(vtep)) return;
      fdb.push(`fdb append ${ZERO_MAC} dev ${vx} dst ${vtep} self permanent`);
    }
    if (before > 0 && after <= 0) fdb.push(`fdb del ${ZERO_MAC} dev ${vx} dst ${vtep} self`);
  }

  // ---- what changed ----

  private dirty(input: ApplyInput, full: boolean) {
    const d = {
      ports: new Set<string>(),
      neighbours: new Map<string, Set<string> | 'all'>(),
      subnets: new Set<string>(),
      groups: new Set<string>(),
      members: new Map<string, Set<string> | 'all'>(),
      routers: new Set<string>(),
    };
    const host = hostStream(this.o.host);
    const addKey = (m: Map<string, Set<string> | 'all'>, k: string, v: string) => {
      const s = m.get(k);
      if (s === 'all') return;
      if (s) s.add(v); else m.set(k, new Set([v]));
    };
    const streams = full ? new Map([...input.state.streams.keys()].map((s) => [s, { replaced: true, upserts: new Map(), deletes: new Set<string>() }])) : input.changes;
    for (const [stream, ch] of streams) {
      const slash = stream.indexOf('/');
      const kind = stream.slice(0, slash), id = stream.slice(slash + 1);
      const keys = [...ch.upserts.keys(), ...ch.deletes];
      if (stream === host) {
        if (ch.replaced) for (const k of [...(input.state.streams.get(stream)?.items.keys() ?? []), ...[...this.ports.keys()].map((p) => `p:${p}`)]) { if (k.startsWith('p:')) d.ports.add(k.slice(2)); }
        for (const k of keys) if (k.startsWith('p:')) d.ports.add(k.slice(2));
        // A router's port bound here (or unbound from here) changes that router's devices.
        for (const k of keys) {
          const was = this.routerOf.get(k.slice(2));
          if (was) d.routers.add(was);
          const now = (input.state.streams.get(stream)?.items.get(k) as LocalPort | undefined)?.router;
          if (now) d.routers.add(now);
        }
      } else if (kind === 'rt') {
        d.routers.add(id);
      } else if (kind === 'net') {
        if (ch.replaced) { d.neighbours.set(id, 'all'); d.subnets.add(id); }
        for (const k of keys) {
          if (k.startsWith('e:')) addKey(d.neighbours, id, k.slice(2));
          else d.subnets.add(id);
        }
        // The network's own item (MTU) reaches its ports.
        if (ch.replaced || keys.includes('n')) for (const [pid, p] of this.ports) if (p.spec.network === id) d.ports.add(pid);
      } else if (kind === 'sg') d.groups.add(id);
      else if (kind === 'sgm') {
        if (ch.replaced) d.members.set(id, 'all');
        else for (const k of keys) if (k.startsWith('m:')) addKey(d.members, id, k.slice(2));
      }
    }
    for (const stream of input.removed) {
      const slash = stream.indexOf('/');
      const kind = stream.slice(0, slash), id = stream.slice(slash + 1);
      if (kind === 'net') { d.neighbours.set(id, 'all'); d.subnets.add(id); }
      else if (kind === 'sg') d.groups.add(id);
      else if (kind === 'sgm') d.members.set(id, 'all');
      else if (kind === 'rt') d.routers.add(id);
    }
    this.routerOf.clear();
    for (const [id, p] of this.hostPorts(input.state, true)) this.routerOf.set(id, p.router!);
    if (full) for (const ns of this.nets.values()) d.neighbours.set(ns.id, 'all');
    return d;
  }

  private item<T>(state: LocalGoalState, stream: string, key: string): T | undefined {
    return state.streams.get(stream)?.items.get(key) as T | undefined;
  }

  /** The host's ports with a tap (VMs), or its routers' own ports (plumbed by the router, no tap). */
  private hostPorts(state: LocalGoalState, routers = false): Map<string, LocalPort> {
    const out = new Map<string, LocalPort>();
    for (const [k, v] of state.streams.get(hostStream(this.o.host))?.items ?? []) {
      if (k.startsWith('p:') && ((v as LocalPort).router !== undefined) === routers) out.set(k.slice(2), v as LocalPort);
    }
    return out;
  }

  /** Router port -> its router, as of the last round (a port that leaves names the router it left). */
  private readonly routerOf = new Map<string, string>();

  private dhcpNetwork(state: LocalGoalState, net: string, ports: Map<string, LocalPort>): DhcpNetwork | undefined {
    const stream = state.streams.get(netStream(net));
    const info = stream?.items.get('n') as NetworkInfo | undefined;
    if (!stream || !info) return undefined;
    const subnets = new Map<string, SubnetInfo>();
    for (const [k, v] of stream.items) if (k.startsWith('s:')) subnets.set(k.slice(2), v as SubnetInfo);
    const local = [...ports.values()].filter((p) => p.network === net);
    return { id: net, bridge: bridgeName(net), mtu: info.mtu, subnets, ports: local };
  }

  // ---- nftables ----

  private async nft(state: LocalGoalState, full: boolean, dirty: ReturnType<LinuxDataPlane['dirty']>, wantNets: Map<string, unknown>,
    removed: PortState[], failures: Failures): Promise<void> {
    const b = new NftBatch();
    const nftPort = (p: PortState): NftPort => ({
      tap: p.tap, mac: p.spec.mac, ips: p.spec.ips.map(([ip]) => ip), pairs: p.spec.pairs, groups: p.spec.groups,
      portSecurity: p.spec.portSecurity, adminUp: p.spec.adminUp,
    });
    // Groups in use: those of ports with port security; their rules name the member sets needed.
    const wantGroups = new Map<string, ReturnType<typeof groupRules>>();
    for (const p of this.ports.values()) {
      if (!p.spec.portSecurity || failures.has(p.id)) continue;
      for (const g of p.spec.groups) {
        if (wantGroups.has(g)) continue;
        const items = state.streams.get(groupStream(g))?.items;
        const rules: RuleEntry[] = [];
        for (const [k, v] of items ?? []) if (k.startsWith('r:')) rules.push(v as RuleEntry);
        wantGroups.set(g, groupRules(rules));
      }
    }
    const wantRemotes = new Set<string>();
    for (const r of wantGroups.values()) for (const g of r.remotes) wantRemotes.add(g);
    const memberItems = (g: string): Set<string> => {
      const out = new Set<string>();
      for (const k of state.streams.get(membersStream(g))?.items.keys() ?? []) if (k.startsWith('m:')) out.add(k.slice(2));
      return out;
    };
    if (full) {
      b.replaceAll();
      this.groups.clear();
      this.members.clear();
      this.zones.clear();
      for (const p of this.ports.values()) { p.elements = {}; p.rules = []; }
    }
    const del: Array<() => void> = [];
    const add: Array<() => void> = [];
    // Member sets.
    for (const g of wantRemotes) {
      const have = this.members.get(g);
      if (!have) {
        const want = memberItems(g);
        b.memberSet('add', g);
        b.members('add', g, [...want].filter((ip) => !ip.includes('/')));
        b.members('add', g, [...prefixCover(want)]);
        this.members.set(g, want);
        continue;
      }
      // Only the members that changed are looked at: a join is one element, however many there are.
      const keys = dirty.members.get(g);
      if (!keys) continue;
      const items = state.streams.get(membersStream(g))?.items;
      const check = keys === 'all' ? new Set([...have, ...memberItems(g)]) : keys;
      const plus: string[] = [], minus: string[] = [];
      const coverBefore = [...check].some((ip) => ip.includes('/')) ? prefixCover(have) : undefined;
      for (const ip of check) {
        const wanted = items?.has(`m:${ip}`) ?? false;
        if (wanted && !have.has(ip)) { plus.push(ip); have.add(ip); }
        if (!wanted && have.has(ip)) { minus.push(ip); have.delete(ip); }
      }
      b.members('delete', g, minus.filter((ip) => !ip.includes('/')));
      b.members('add', g, plus.filter((ip) => !ip.includes('/')));
      // Prefixes (address pairs) may hold one another: the interval set gets the cover, diffed.
      if (coverBefore) {
        const after = prefixCover(have);
        b.members('delete', g, [...coverBefore].filter((p) => !after.has(p)));
        b.members('add', g, [...after].filter((p) => !coverBefore.has(p)));
      }
    }
    // Group chains.
    for (const [g, rules] of wantGroups) {
      const key = JSON.stringify([rules.i, rules.e]);
      if (this.groups.get(g)?.key === key) continue;
      b.group(g, rules);
      this.groups.set(g, { key, remotes: rules.remotes });
    }
    // Ports.
    // VXLAN networks by VNI; physical ones from their id (a clash only shares a zone's table).
    const zoneOf = (net: string): number => (this.nets.get(bridgeName(net))?.vni || parseInt(net.slice(0, 4), 16) + 0x10000) % 65535 + 1;
    for (const [br, zone] of this.zones) {
      const ns = this.nets.get(br);
      if (!ns || !wantNets.has(ns.id)) { const z = zone; del.push(() => b.zone('delete', br, z)); this.zones.delete(br); }
    }
    for (const ns of this.nets.values()) {
      if (!wantNets.has(ns.id) || this.zones.has(ns.bridge)) continue;
      const z = zoneOf(ns.id);
      add.push(() => b.zone('add', ns.bridge, z));
      this.zones.set(ns.bridge, z);
    }
    const touched = full ? new Set(this.ports.keys()) : dirty.ports;
    for (const id of touched) {
      const p = this.ports.get(id);
      if (!p) continue;
      const want = failures.has(id) ? {} : portElements(nftPort(p), p.nftId);
      const rules = failures.has(id) ? [] : portRules(nftPort(p));
      const hadChains = p.elements.inet_egress?.length ? true : false;
      const wantChains = (want.inet_egress?.length ?? 0) > 0;
      if (wantChains && (!hadChains || JSON.stringify(rules) !== JSON.stringify(p.rules))) b.port(p.nftId, rules);
      const old = p.elements;
      del.push(() => { for (const k of Object.keys(old)) b.elements('delete', k, (old[k] ?? []).filter((e) => !(want[k] ?? []).includes(e))); });
      add.push(() => { for (const k of Object.keys(want)) b.elements('add', k, (want[k] ?? []).filter((e) => !(old[k] ?? []).includes(e))); });
      if (hadChains && !wantChains) { const n = p.nftId; add.push(() => b.deletePort(n)); }
      p.elements = want;
      p.rules = rules;
    }
    for (const p of removed) {
      const old = p.elements;
      del.push(() => { for (const k of Object.keys(old)) b.elements('delete', k, old[k] ?? []); });
      if (old.inet_egress?.length) { const n = p.nftId; add.push(() => b.deletePort(n)); }
    }
    for (const f of del) f();
    for (const f of add) f();
    for (const g of [...this.groups.keys()]) if (!wantGroups.has(g)) { b.deleteGroup(g); this.groups.delete(g); }
    for (const g of [...this.members.keys()]) if (!wantRemotes.has(g)) { b.memberSet('delete', g); this.members.delete(g); }
    if (b.lines.length === 0) return;
    this.counters.nft++;
    const r = await run('nft', ['-f', '-'], b.text());
    if (r.code === 0) return;
    if (!full) {
      // What the agent believed the tables held was wrong: replace them whole from the goal state.
      this.o.log.warn({ error: r.stderr.trim().slice(0, 2000) }, 'nftables refused an incremental change: rebuilding the tables');
      this.counters.rebuilds++;
      await this.nft(state, true, dirty, wantNets, [], failures);
      return;
    }
    const error = `nftables: ${r.stderr.trim().split('\n')[0] ?? 'refused'}`;
    for (const id of this.ports.keys()) failures.set(id, error);
  }

  // ---- a start ----

  /** Reads the kernel's copy of the agent's objects, so the first round sweeps what it does not need. */
  private async inventory(): Promise<void> {
    // Bridged IP traffic must pass the inet hooks for conntrack (this namespace only).
    await must('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1']);
    const all = await kernel.links();
    const vxlans = kernel.ownedVxlans(all);
    const owned = new Set<string>();
    const physical = new Set(Object.values(this.o.physicalNetworks ?? {}));
    for (const br of kernel.ownedBridges(all)) {
      owned.add(br.name);
      const vx = vxlans.find((v) => v.master === br.name);
      if (!vx?.vni) {
        // A physical network's bridge: its VLAN sub-interface, or the host's interface itself.
        const up = [...all.values()].find((l) => l.master === br.name && ((l.kind === 'vlan' && l.vni) || physical.has(l.name)));
        if (up) {
          this.nets.set(br.name, { id: `?${br.name}`, bridge: br.name, vni: 0, uplink: up.name, ownUplink: up.kind === 'vlan', mtu: br.mtu, remote: new Map(), local: new Map(), flood: new Map(), staleFlood: new Set() });
          continue;
        }
        await run('ip', ['link', 'del', 'dev', br.name]);
        continue;
      }
      // The full network id is not in the kernel: a bridge is matched to its network by name.
      const fdb = await kernel.vxlanFdb(vx.name);
      const neigh = await kernel.neighbours(br.name);
      const ns: NetState = { id: `?${br.name}`, bridge: br.name, vni: vx.vni, uplink: vx.name, ownUplink: true, mtu: br.mtu, remote: new Map(), local: new Map(), flood: new Map(), staleFlood: new Set(fdb.flood) };
      const byMac = new Map<string, string[]>();
      for (const [ip, mac] of neigh) byMac.set(mac, [...(byMac.get(mac) ?? []), ip]);
      for (const [mac, vtep] of fdb.remote) {
        ns.remote.set(mac, { vtep, ips: byMac.get(mac) ?? [] });
        ns.flood.set(vtep, (ns.flood.get(vtep) ?? 0) + 1);
        byMac.delete(mac);
      }
      for (const [mac, ips] of byMac) ns.local.set(mac, ips);
      for (const vtep of ns.flood.keys()) ns.staleFlood.delete(vtep);
      this.nets.set(br.name, ns);
    }
    for (const v of vxlans) if (!v.master || !owned.has(v.master)) await run('ip', ['link', 'del', 'dev', v.name]);
    for (const l of all.values()) {
      if (l.master && owned.has(l.master) && l.kind !== 'vxlan' && l.kind !== 'vlan' && !physical.has(l.name) && !isDhcpLink(l.name) && !isMetaLink(l.name) && !isRouterLink(l.name)) this.strayTaps.push(l.name);
    }
    this.strayDhcp = this.dhcp.known();
    const running = this.dhcp.existing();
    for (const net of running) this.dhcpNets.add(net);
    // A DHCP veth whose dnsmasq is gone (its namespace went with it, or it never started).
    const live = new Set([...running.map(dhcpLinkName), ...running.map(metaLinkName)]);
    for (const l of all.values()) if ((isDhcpLink(l.name) || isMetaLink(l.name)) && !live.has(l.name)) await run('ip', ['link', 'del', 'dev', l.name]);
    this.bindNetworkIds();
  }

  /** Gives the networks read from the kernel their ids, from the goal state's ports, by bridge name. */
  private bindNetworkIds(): void {
    const state = this.state;
    if (!state) return;
    const ids = new Map<string, string>();
    // Every network the host is given (its ports', its routers'): the round decides which stay.
    for (const stream of state.streams.keys()) if (stream.startsWith('net/')) ids.set(bridgeName(stream.slice(4)), stream.slice(4));
    for (const [br, ns] of this.nets) {
      const id = ids.get(br);
      if (id) { this.nets.set(br, { ...ns, id }); continue; }
      // No port of ours is on it any more: it goes, with what is on it.
      this.nets.set(br, { ...ns, id: `stale:${br}` });
    }
    const tapsClaimed = new Set([...this.hostPorts(state).keys()].map(tapName));
    this.strayTaps = this.strayTaps.filter((t) => !tapsClaimed.has(t));
    // Ports already plugged keep running: the first round finds them in place.
  }

  // ---- devices ----

  watch(onChange: () => void): void {
    const start = (): void => {
      if (this.closed) return;
      const child = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.monitor = child;
      let timer: NodeJS.Timeout | undefined;
      child.stdout!.on('data', (b: Buffer) => {
        if (!/\btap[0-9a-f-]{11}\b/.test(b.toString())) return;
        // A burst of link events (a tap made, renamed, brought up) is one look at the devices.
        if (!timer) timer = setTimeout(() => { timer = undefined; onChange(); }, 10);
      });
      child.on('error', () => {});
      child.on('exit', () => { if (!this.closed) setTimeout(start, 1_000); });
    };
    start();
  }

  async devices(): Promise<DeviceChanges> {
    const up: string[] = [], gone: string[] = [];
    const failed: Array<{ port: string; error: string }> = [];
    if (!this.started) return { up, gone, failed };
    const t0 = performance.now();
    const lines: string[] = [];
    const owners: PortState[] = [];
    for (const p of this.ports.values()) {
      const exists = existsSync(`/sys/class/net/${p.tap}`);
      if (exists && !p.plugged && this.nets.has(p.bridge)) {
        lines.push(this.plugLine(p));
        owners.push(p);
      } else if (!exists && p.plugged) {
        p.plugged = false;
        gone.push(p.id);
      }
    }
    const bad = await this.batch('ip', lines);
    const failedPorts = new Set<string>();
    for (const [line, err] of bad) { const p = owners[line]; if (p) { failedPorts.add(p.id); failed.push({ port: p.id, error: `${lines[line]}: ${err}` }); } }
    const fdb: string[] = [];
    for (const p of owners) {
      if (failedPorts.has(p.id)) continue;
      p.plugged = true;
      up.push(p.id);
      fdb.push(plugFdb(p));
    }
    await this.batch('bridge', fdb);
    if (up.length || gone.length) this.o.log.debug?.({ ms: Math.round((performance.now() - t0) * 100) / 100, up: up.length, gone: gone.length }, 'devices programmed');
    return { up, gone, failed };
  }

  private async batch(tool: 'ip' | 'bridge', lines: string[]): Promise<Map<number, string>> {
    if (lines.length === 0) return new Map();
    this.counters[tool]++;
    return batch(tool, lines);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.monitor?.kill();
    await this.metadata?.close();
  }
}
