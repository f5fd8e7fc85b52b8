/**
 * Routers, distributed as Neutron's DVR: a network namespace per router on every host that has it
 * (Neutron's qrouter-, unnamed here: see netns.ts), joined to each of its networks' bridges by a
 * veth whose inner end holds the router port's MAC and addresses. Every host answers for the
 * gateway itself (the bridge tables keep those answers off the overlay), routes what leaves a VM on
 * that host, and hands it to the destination network's bridge, whose VXLAN carries it to the
 * destination host: east-west traffic never passes a third host. Each router knows every address
 * on its networks from the goal state (permanent neighbour entries), so it never ARPs.
 *
 * North-south is centralized on the router's gateway host (Neutron's dvr_snat node), which holds
 * the gateway port on the external network and the router's SNAT ports on its subnets: the other
 * hosts send what is not on a router subnet to a SNAT port's address; the gateway host translates
 * it (SNAT to the gateway address, 1:1 NAT for floating IPs, in nftables inside the namespace).
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatingEntry, LocalPort, NeighbourEntry, RouterInfo, RouterPort, SubnetInfo } from '../../../protocol/messages.js';
import { netStream, routerStream } from '../../../protocol/messages.js';
import type { LocalGoalState } from '../../goal-state.js';
import type { AgentLog } from '../../host-agent.js';
import { isV6, parseCidr, within } from './addr.js';
import type { RouterLinkKind } from './names.js';
import { NFT_NAT_TABLE, routerInsideName, routerLinkName } from './names.js';
import { holderPid, inside, startHolder, killAndWait } from './netns.js';
import { batch } from './run.js';

export interface RouterBridge {
  readonly bridge: string;
  readonly mtu: number;
}

export interface RoutersInput {
  readonly state: LocalGoalState;
  readonly full: boolean;
  /** Routers whose stream, or whose ports on this host, changed. */
  readonly routers: ReadonlySet<string>;
  /** Networks whose subnets changed, or whose bridge was (re)made this round. */
  readonly networks: ReadonlySet<string>;
  /** network -> MACs whose neighbour entry changed, or 'all'. */
  readonly neighbours: ReadonlyMap<string, ReadonlySet<string> | 'all'>;
  /** The bridges on the host, by network. */
  readonly bridges: ReadonlyMap<string, RouterBridge>;
  /** This host's router ports (interface, SNAT, gateway ports bound here), by id. */
  readonly ports: ReadonlyMap<string, LocalPort>;
}

interface Link {
  readonly kind: RouterLinkKind;
  readonly port: string;
  readonly host: string;
  readonly inside: string;
  readonly network: string;
  readonly bridge: string;
  readonly mac: string;
  readonly mtu: number;
  readonly addrs: string[];
  /** The subnets its addresses are in (interfaces: the addresses it has neighbours for). */
  readonly cidrs: string[];
}

interface RouterState {
  readonly pid: number;
  /** inside name -> [host name, what it was set up with]. */
  readonly links: Map<string, { host: string; key: string }>;
  readonly addrs: Map<string, Set<string>>;
  /** route key (`dst via gw`) -> the command's arguments. */
  readonly routes: Set<string>;
  nat?: string;
  fips: Set<string>;
  /** inside name -> MAC -> addresses with permanent entries. */
  readonly neigh: Map<string, Map<string, string[]>>;
  ifaces: Link[];
}

/** A router's state before anything of it is known to be programmed. */
const blankRouter = (pid: number): RouterState =>
  ({ pid, links: new Map(), addrs: new Map(), routes: new Set(), fips: new Set(), neigh: new Map(), ifaces: [] });

const routeKey = (dst: string, via: string): string => `${dst.includes('/') ? dst : `${dst}/${isV6(dst) ? 128 : 32}`} via ${via}`;

export class LinuxRouters {
  private readonly routers = new Map<string, RouterState>();

  constructor(private readonly dir: string, private readonly log: AgentLog) {}

  /** Routers this host holds now. */
  get size(): number {
    return this.routers.size;
  }

  /** Programs the routers of the round; returns the errors by router port of this host. */
  async sync(input: RoutersInput): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    if (input.full) await this.adopt();
    const wanted = new Set<string>();
    for (const s of input.state.streams.keys()) if (s.startsWith('rt/')) wanted.add(s.slice(3));
    const todo = new Set(input.full ? [...wanted, ...this.routers.keys()] : input.routers);
    for (const [id, st] of this.routers) {
      if (!wanted.has(id)) todo.add(id);
      if (st.ifaces.some((l) => input.networks.has(l.network))) todo.add(id);
    }
    for (const net of input.networks) for (const r of wanted) if (this.interfaceNets(input.state, r).has(net)) todo.add(r);
    for (const id of todo) {
      try {
        await this.syncRouter(id, input, failures);
      } catch (err) {
        const error = `router ${id}: ${err instanceof Error ? err.message : String(err)}`;
        this.log.error({ router: id, error }, 'router could not be programmed');
        for (const [pid, p] of input.ports) if (p.router === id) failures.set(pid, error);
      }
    }
    for (const [id, st] of this.routers) {
      if (todo.has(id)) continue;
      const lines: string[] = [];
      for (const l of st.ifaces) {
        const keys = input.neighbours.get(l.network);
        if (keys) this.neighbours(input.state, st, l, keys, lines);
      }
      if (lines.length) for (const [n, err] of await this.inside(st.pid, lines)) this.log.warn({ router: id, entry: lines[n], error: err }, 'kernel refused a router neighbour entry');
    }
    return failures;
  }

  private interfaceNets(state: LocalGoalState, router: string): Set<string> {
    const out = new Set<string>();
    for (const [k, v] of state.streams.get(routerStream(router))?.items ?? []) if (k.startsWith('i:')) out.add((v as RouterPort).network);
    return out;
  }

  /** The router's veths on this host: its interfaces on every network bridged here, its SNAT and gateway ports bound here. */
  private links(id: string, input: RoutersInput): Link[] {
    const items = input.state.streams.get(routerStream(id))?.items;
    const out: Link[] = [];
    for (const [k, v] of items ?? []) {
      const kind = k[0] as RouterLinkKind;
      if (k[1] !== ':' || !'isg'.includes(kind)) continue;
      const port = k.slice(2);
      const rp = v as RouterPort;
      // SNAT and gateway ports live on the host they are bound to; interfaces on every host of the router.
      if (kind !== 'i' && !input.ports.has(port)) continue;
      const br = input.bridges.get(rp.network);
      if (!br) continue;
      const cidrs: string[] = [];
      const addrs: string[] = [];
      for (const [ip, subnet] of rp.ips) {
        const s = input.state.streams.get(netStream(rp.network))?.items.get(`s:${subnet}`) as SubnetInfo | undefined;
        if (!s) continue;
        cidrs.push(s.cidr);
        // A SNAT port's address is a host route: the subnet itself is reached through the interface.
        addrs.push(`${ip}/${kind === 's' ? (isV6(ip) ? 128 : 32) : parseCidr(s.cidr).length}`);
      }
      out.push({ kind, port, host: routerLinkName(kind, port), inside: routerInsideName(kind, port), network: rp.network, bridge: br.bridge, mac: rp.mac, mtu: br.mtu, addrs, cidrs });
    }
    return out.sort((a, b) => (a.kind + a.port).localeCompare(b.kind + b.port));
  }

  private async syncRouter(id: string, input: RoutersInput, failures: Map<string, string>): Promise<void> {
    const items = input.state.streams.get(routerStream(id))?.items;
    const info = items?.get('r') as RouterInfo | undefined;
    const links = info?.adminUp ? this.links(id, input) : [];
    if (!info || !info.adminUp || links.length === 0) {
      await this.teardown(id);
      return;
    }
    let st = this.routers.get(id);
    if (!st) st = await this.create(id);
    const gw = links.find((l) => l.kind === 'g');
    const fips = new Map<string, string>();
    if (gw) for (const [k, v] of items!) if (k.startsWith('f:')) { const [f, x] = v as FloatingEntry; fips.set(f, x); }

    // Veths: made in the agent's namespace with their inner end in the router's.
    const host: string[] = [], hostOwner: Link[] = [];
    const bridge: string[] = [];
    const lines: string[] = [], lineOwner: Array<Link | undefined> = [];
    const wantInside = new Set(links.map((l) => l.inside));
    for (const [name, l] of st.links) {
      if (wantInside.has(name)) continue;
      host.push(`link del dev ${l.host}`); hostOwner.push(links[0]);
      st.links.delete(name); st.addrs.delete(name); st.neigh.delete(name);
    }
    for (const l of links) {
      const key = `${l.bridge} ${l.mac} ${l.mtu}`;
      const have = st.links.get(l.inside);
      const exists = have !== undefined && existsSync(`/sys/class/net/${l.host}`);
      if (!exists) {
        if (existsSync(`/sys/class/net/${l.host}`)) { host.push(`link del dev ${l.host}`); hostOwner.push(l); }
        host.push(`link add ${l.host} type veth peer name ${l.inside} netns ${st.pid}`); hostOwner.push(l);
        st.addrs.delete(l.inside); st.neigh.delete(l.inside);
      }
      // A bridge made again (its network left the host and came back) has lost the veth.
      if (!exists || have.key !== key || input.networks.has(l.network)) {
        host.push(`link set dev ${l.host} master ${l.bridge} mtu ${l.mtu} up`); hostOwner.push(l);
        // The router's MAC is on every host: the bridge must never learn it from elsewhere.
        bridge.push(`link set dev ${l.host} learning off`, `fdb replace ${l.mac} dev ${l.host} master static`);
        lines.push(`link set dev ${l.inside} address ${l.mac} mtu ${l.mtu} up`); lineOwner.push(l);
      }
      st.links.set(l.inside, { host: l.host, key });
    }
    for (const [n, err] of await batch('ip', host)) this.fail(hostOwner[n], `${host[n]}: ${err}`, input, failures, id);
    for (const [n, err] of await batch('bridge', bridge)) this.log.warn({ router: id, entry: bridge[n], error: err }, 'kernel refused a router forwarding entry');

    // Addresses (floating IPs on the gateway port too, so the outside's ARP for them is answered).
    for (const l of links) {
      const want = new Set(l.addrs);
      if (l === gw) for (const f of fips.keys()) want.add(`${f}/32`);
      const have = st.addrs.get(l.inside) ?? new Set<string>();
      for (const a of have) if (!want.has(a)) { lines.push(`addr del ${a} dev ${l.inside}`); lineOwner.push(l); }
      for (const a of want) if (!have.has(a)) { lines.push(`addr add ${a} dev ${l.inside}${isV6(a) ? ' nodad' : ''}`); lineOwner.push(l); }
      st.addrs.set(l.inside, want);
    }
    // Neighbours: every address of the router's networks.
    st.ifaces = links.filter((l) => l.kind === 'i');
    const neigh: string[] = [];
    for (const l of st.ifaces) this.neighbours(input.state, st, l, 'all', neigh);
    for (const n of neigh) { lines.push(n); lineOwner.push(undefined); }
    // Routes: the default (to the outside, or to a SNAT port), then the router's extra routes.
    const routes = new Map<string, string>();
    if (gw) {
      const ext = input.state.streams.get(netStream(gw.network))?.items;
      for (const [ip, subnet] of (items!.get(`g:${gw.port}`) as RouterPort).ips) {
        const s = ext?.get(`s:${subnet}`) as SubnetInfo | undefined;
        const def = isV6(ip) ? '::/0' : '0.0.0.0/0';
        if (s?.gateway && !routes.has(routeKey(def, s.gateway))) routes.set(routeKey(def, s.gateway), `${def} via ${s.gateway} dev ${gw.inside}`);
      }
    } else if (info.gateway) {
      const snat = [...items!].filter(([k]) => k.startsWith('s:')).map(([, v]) => v as RouterPort).sort((a, b) => a.mac.localeCompare(b.mac));
      for (const sp of snat) {
        const l = st.ifaces.find((x) => x.network === sp.network);
        const ip = sp.ips.map(([a]) => a).find((a) => !isV6(a));
        if (l && ip) { routes.set(routeKey('0.0.0.0/0', ip), `0.0.0.0/0 via ${ip} dev ${l.inside}`); break; }
      }
    }
    for (const r of info.routes) routes.set(routeKey(r.destination, r.nexthop), `${r.destination} via ${r.nexthop}`);
    const routeLines: string[] = [];
    for (const k of st.routes) if (!routes.has(k)) routeLines.push(`route del ${k}`);
    for (const [k, cmd] of routes) routeLines.push(`route replace ${cmd} proto static`);
    const routeStart = lines.length;
    lines.push(...routeLines);
    for (const [n, err] of await this.inside(st.pid, lines)) {
      if (n >= routeStart) {
        // A route whose device or address went is gone already.
        if (!(lines[n].startsWith('route del') && /No such process/.test(err))) this.log.warn({ router: id, entry: lines[n], error: err }, 'kernel refused a route');
        continue;
      }
      const l = lineOwner[n];
      if (l) this.fail(l, `${lines[n]}: ${err}`, input, failures, id);
      else this.log.warn({ router: id, entry: lines[n], error: err }, 'kernel refused a router neighbour entry');
    }
    st.routes.clear();
    for (const k of routes.keys()) st.routes.add(k);

    await this.advertise(id, st, links, input);

    // NAT on the gateway host: floating IPs 1:1, the rest (with SNAT on) to the gateway address.
    const nat = gw ? natTable(gw, fips, info.gateway?.snat ?? false) : '';
    if (nat !== st.nat) {
      const text = `table ip ${NFT_NAT_TABLE} {}\ndelete table ip ${NFT_NAT_TABLE}\n${nat}`;
      const r = await inside(st.pid, 'nft', ['-f', '-'], text);
      if (r.code !== 0) throw new Error(`nftables: ${r.stderr.trim().split('\n')[0] ?? 'refused'}`);
      st.nat = nat;
    }
    // A floating IP that moved or left takes its connections with it: nothing of it stays.
    for (const f of st.fips) {
      if (fips.has(f)) continue;
      await inside(st.pid, 'conntrack', ['-D', '-d', f]);
      await inside(st.pid, 'conntrack', ['-D', '-q', f]);
    }
    st.fips = new Set([...fips].map(([f]) => f));
  }

  /**
   * Router advertisements on the router's IPv6 subnets that have an RA mode, from radvd inside the
   * namespace (Neutron's choice): the router's link-local address is the VMs' default router, the
   * same on every host (its MAC is), and the advertisement never leaves the host (bridge table).
   */
  private async advertise(id: string, st: RouterState, links: Link[], input: RoutersInput): Promise<void> {
    const blocks: string[] = [];
    for (const l of links) {
      if (l.kind !== 'i') continue;
      const prefixes: string[] = [];
      let managed = false, other = false;
      for (const cidr of l.cidrs) {
        if (!isV6(cidr)) continue;
        const s = [...(input.state.streams.get(netStream(l.network))?.items ?? [])]
          .find(([k, v]) => k.startsWith('s:') && (v as SubnetInfo).cidr === cidr)?.[1] as SubnetInfo | undefined;
        const mode = s?.raMode;
        if (!mode) continue;
        if (mode === 'dhcpv6-stateful') managed = true;
        if (mode !== 'slaac') other = true;
        prefixes.push(`  prefix ${cidr} { AdvOnLink on; AdvAutonomous ${mode === 'dhcpv6-stateful' ? 'off' : 'on'}; };`);
      }
      if (prefixes.length === 0) continue;
      blocks.push(`interface ${l.inside} {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 10;\n  AdvLinkMTU ${l.mtu};\n`
        + `  AdvManagedFlag ${managed ? 'on' : 'off'};\n  AdvOtherConfigFlag ${other ? 'on' : 'off'};\n${prefixes.join('\n')}\n};\n`);
    }
    const conf = blocks.join('');
    const dir = join(this.dir, id);
    const paths = { conf: join(dir, 'radvd.conf'), pid: join(dir, 'radvd.pid'), log: join(dir, 'radvd.log') };
    const pid = radvdPid(paths.pid);
    if (!conf) { if (pid) await killAndWait(pid); return; }
    if (pid && existsSync(paths.conf) && readFileSync(paths.conf, 'utf8') === conf) return;
    writeFileSync(paths.conf, conf);
    if (pid) { process.kill(pid, 'SIGHUP'); return; }
    const r = await inside(st.pid, 'radvd', ['-C', paths.conf, '-p', paths.pid, '-m', 'logfile', '-l', paths.log]);
    if (r.code !== 0) this.log.warn({ router: id, error: r.stderr.trim() || `radvd exited ${r.code}` }, 'router advertisements could not start');
  }

  /** A kernel refusal of a router's device: the port it is for fails, when it is this host's. */
  private fail(l: Link | undefined, error: string, input: RoutersInput, failures: Map<string, string>, router: string): void {
    if (l && input.ports.has(l.port)) failures.set(l.port, error);
    else this.log.warn({ router, error }, 'kernel refused a router device');
  }

  /** Permanent neighbour entries for the addresses of `macs` on an interface's subnets. */
  private neighbours(state: LocalGoalState, st: RouterState, l: Link, macs: ReadonlySet<string> | 'all', out: string[]): void {
    const stream = state.streams.get(netStream(l.network));
    let have = st.neigh.get(l.inside);
    if (!have) st.neigh.set(l.inside, (have = new Map()));
    const keys = macs === 'all'
      ? new Set([...have.keys(), ...[...(stream?.items.keys() ?? [])].filter((k) => k.startsWith('e:')).map((k) => k.slice(2))])
      : macs;
    for (const mac of keys) {
      const entry = stream?.items.get(`e:${mac}`) as NeighbourEntry | undefined;
      const want = (entry?.slice(1) ?? []).filter((ip) => l.cidrs.some((c) => within(ip, c)));
      const was = have.get(mac) ?? [];
      for (const ip of was) if (!want.includes(ip)) out.push(`neigh del ${ip} dev ${l.inside}`);
      for (const ip of want) if (!was.includes(ip)) out.push(`neigh replace ${ip} lladdr ${mac} dev ${l.inside} nud permanent`);
      if (want.length) have.set(mac, want); else have.delete(mac);
    }
  }

  private async inside(pid: number, lines: string[]): Promise<Map<number, string>> {
    if (lines.length === 0) return new Map();
    return batch('ip', lines, ['nsenter', `--net=/proc/${pid}/ns/net`]);
  }

  private async create(id: string): Promise<RouterState> {
    const dir = join(this.dir, id);
    const pid = holderPid(dir) ?? await startHolder(dir);
    // A router forwards, never filters by the way back (traffic to and from a SNAT port or a
    // floating IP returns by another interface), and answers ARP only for an interface's own address.
    const r = await inside(pid, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.all.arp_ignore=1',
      'net.ipv4.conf.default.arp_ignore=1', 'net.ipv6.conf.default.accept_dad=0']);
    if (r.code !== 0) throw new Error(`sysctl: ${r.stderr.trim()}`);
    await inside(pid, 'ip', ['link', 'set', 'dev', 'lo', 'up']);
    const st = blankRouter(pid);
    this.routers.set(id, st);
    return st;
  }

  private async teardown(id: string): Promise<void> {
    const st = this.routers.get(id);
    const dir = join(this.dir, id);
    // radvd would keep the namespace alive: it goes first.
    const radvd = radvdPid(join(dir, 'radvd.pid'));
    if (radvd) await killAndWait(radvd);
    const pid = st?.pid ?? holderPid(dir);
    if (pid) await killAndWait(pid);
    this.routers.delete(id);
    rmSync(dir, { recursive: true, force: true });
  }

  /**
   * After a start: the namespaces earlier runs left are taken over with what their kernel holds,
   * so the first round changes only what differs and traffic through them never stops.
   */
  private async adopt(): Promise<void> {
    if (!existsSync(this.dir)) return;
    for (const id of readdirSync(this.dir)) {
      if (this.routers.has(id)) continue;
      const dir = join(this.dir, id);
      const pid = holderPid(dir);
      if (!pid) { rmSync(dir, { recursive: true, force: true }); continue; }
      const st = blankRouter(pid);
      this.routers.set(id, st);
      const json = async (args: string[]): Promise<unknown[]> => {
        const r = await inside(st.pid, 'ip', ['-j', ...args]);
        return r.code === 0 ? (JSON.parse(r.stdout || '[]') as unknown[]) : [];
      };
      for (const l of await json(['addr', 'show']) as Array<{ ifname: string; addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>) {
        if (!/^r[isg]/.test(l.ifname)) continue;
        const kind = l.ifname[1] as RouterLinkKind;
        st.links.set(l.ifname, { host: routerLinkName(kind, l.ifname.slice(2)), key: '' });
        st.addrs.set(l.ifname, new Set((l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`)));
      }
      for (const v of ['-4', '-6']) {
        for (const r of await json([v, 'route', 'show', 'proto', 'static']) as Array<{ dst: string; gateway?: string }>) {
          if (r.gateway) st.routes.add(routeKey(r.dst === 'default' ? (v === '-6' ? '::/0' : '0.0.0.0/0') : r.dst, r.gateway));
        }
      }
      for (const n of await json(['neigh', 'show', 'nud', 'permanent']) as Array<{ dst: string; dev: string; lladdr?: string }>) {
        if (!n.lladdr) continue;
        let m = st.neigh.get(n.dev);
        if (!m) st.neigh.set(n.dev, (m = new Map()));
        m.set(n.lladdr, [...(m.get(n.lladdr) ?? []), n.dst]);
      }
    }
  }
}

function natTable(gw: Link, fips: ReadonlyMap<string, string>, snat: boolean): string {
  const gwIp = gw.addrs.map((a) => a.split('/')[0]).find((a) => !isV6(a));
  const q = JSON.stringify(gw.inside);
  const elements = (pairs: Array<[string, string]>): string => (pairs.length ? ` elements = { ${pairs.map(([k, v]) => `${k} : ${v}`).join(', ')} };` : '');
  const inbound = [...fips].sort();
  const outbound = inbound.map(([f, x]) => [x, f] as [string, string]);
  return `table ip ${NFT_NAT_TABLE} {
  map fip_in { type ipv4_addr : ipv4_addr;${elements(inbound)} }
  map fip_out { type ipv4_addr : ipv4_addr;${elements(outbound)} }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname ${q} dnat to ip daddr map @fip_in
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname ${q} snat to ip saddr map @fip_out
${snat && gwIp ? `    oifname ${q} snat to ${gwIp}\n` : ''}  }
}
`;
}

/** The router's radvd, if it runs (its pid file names it, its command line names the file). */
function radvdPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(pidFile)) return pid;
  } catch { /* none */ }
  return undefined;
}
