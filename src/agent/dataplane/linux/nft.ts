/**
 * Security groups and anti-spoofing as two nftables tables owned by the agent.
 *
 * Conntrack is not available to the bridge family here (no nf_conntrack_bridge), so the stateful
 * part runs in the inet family, which bridged IP traffic passes through br_netfilter. There the
 * interfaces are the bridge's, not the ports', so the bridge table tags each frame first: the port
 * it came in by in the mark, the port it goes out by in the priority (set per copy of a flooded
 * frame). Then:
 * - `bridge alcor`: admin-down ports cut off, DHCP and the hosts' copies of each router (`qr*`:
 *   the same gateway MAC and address on every host) kept off the overlay, the DHCP namespace's
 *   neighbour advertisements dropped (it holds the gateway's address, never to be claimed), and
 *   anti-spoofing (only a port's own MAC, fixed addresses and allowed address pairs may leave it; no
 *   rogue DHCP or RA); the metadata proxy's veth (`mdp*`) sends only as 169.254.169.254 (its ARP and
 *   its HTTP answers) and never crosses the overlay, so each host answers for its own servers.
 * - `inet alcor`: conntrack zones per network, then egress (by the mark) and ingress (by the
 *   priority) through per-port chains that jump to per-group chains. A rule change refills one
 *   group's chain in one transaction; membership is one set element; a port is a few elements.
 */
import type { RuleEntry } from '../../../protocol/messages.js';
import { isV6, linkLocal, within } from './addr.js';
import { NFT_BRIDGE_TABLE as B, NFT_INET_TABLE as I } from './names.js';

export interface NftPort {
  readonly tap: string;
  readonly mac: string;
  readonly ips: readonly string[];
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  readonly groups: readonly string[];
  readonly portSecurity: boolean;
  readonly adminUp: boolean;
}

/** A port's elements, by set: what adding or removing it changes. */
export type Elements = Record<string, string[]>;

const q = (s: string): string => JSON.stringify(s);
const gid = (group: string): string => group.replace(/[^A-Za-z0-9]/g, '');
/** A group's member addresses (`m`), and the prefixes its members' address pairs allow (`n`, an interval set). */
export const memberSet = (group: string, v6: boolean, prefixes = false): string => `${prefixes ? 'n' : 'm'}${v6 ? 6 : 4}_${gid(group)}`;
const groupChain = (group: string, dir: 'i' | 'e'): string => `g${dir}_${gid(group)}`;
const portChain = (id: number, dir: 'i' | 'e'): string => `p${dir}_${id}`;

export function portElements(p: NftPort, id: number): Elements {
  const e: Elements = { bridge_cut: [], bridge_secured: [], bridge_macs: [], bridge_src4: [], bridge_src6: [], bridge_pin: [], bridge_pout: [], inet_egress: [], inet_ingress: [] };
  const t = q(p.tap);
  if (!p.adminUp) e.bridge_cut.push(t);
  if (!p.portSecurity) return e;
  e.bridge_secured.push(t);
  const macs = new Set([p.mac]);
  const ip4: string[] = [`${t} . ${p.mac} . 0.0.0.0`];
  const ip6: string[] = [`${t} . ${p.mac} . ::`, `${t} . ${p.mac} . ${linkLocal(p.mac)}`];
  for (const ip of p.ips) (isV6(ip) ? ip6 : ip4).push(`${t} . ${p.mac} . ${ip}`);
  for (const [ip, mac] of p.pairs) {
    const m = mac || p.mac;
    if (!macs.has(m)) {
      macs.add(m);
      ip4.push(`${t} . ${m} . 0.0.0.0`);
      ip6.push(`${t} . ${m} . ::`, `${t} . ${m} . ${linkLocal(m)}`);
    }
    (isV6(ip) ? ip6 : ip4).push(`${t} . ${m} . ${ip}`);
  }
  for (const m of macs) e.bridge_macs.push(`${t} . ${m}`);
  e.bridge_src4 = disjoint(ip4);
  e.bridge_src6 = disjoint(ip6);
  e.bridge_pin.push(`${t} : ${id}`);
  e.bridge_pout.push(`${t} : 0:${id}`);
  e.inet_egress.push(`${id} : jump ${portChain(id, 'e')}`);
  e.inet_ingress.push(`0:${id} : jump ${portChain(id, 'i')}`);
  return e;
}

/**
 * An interval set refuses overlapping elements (the whole transaction fails, for every port of the
 * host), so an address inside an allowed pair's prefix of the same MAC is left to the prefix.
 */
export function disjoint(elements: string[]): string[] {
  const unique = [...new Set(elements)];
  const parts = unique.map((e) => { const i = e.lastIndexOf(' . '); return { head: e.slice(0, i), addr: e.slice(i + 3), e }; });
  return parts.filter((p) => !parts.some((q) => q !== p && q.head === p.head && within(p.addr, q.addr)
    && !(within(q.addr, p.addr) && q.e < p.e))).map((p) => p.e);
}

/** The prefixes among `members` that no other of them holds: what an interval set takes without overlap. */
export function prefixCover(members: Iterable<string>): Set<string> {
  const prefixes = [...members].filter((m) => m.includes('/'));
  return new Set(prefixes.filter((p) => !prefixes.some((q) => q !== p && within(p, q))));
}

/** What a port's own chains hold: one jump per group (then drop). */
export function portRules(p: NftPort): string[] {
  return p.portSecurity ? [...p.groups] : [];
}

const PROTOCOLS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ipip: 4, 'ipv6-encap': 41, 'ipv6-frag': 44,
  'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46,
  sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
const PORTED = new Set([6, 17, 33, 132, 136]);

/**
 * One security group rule as nftables rules (two for a remote group: its addresses and its pairs'
 * prefixes), or none for one this data plane cannot express.
 */
export function ruleText(r: RuleEntry): string[] {
  const one = ruleOne(r, false);
  if (!one) return [];
  return r[6] ? [one, ruleOne(r, true)!] : [one];
}

function ruleOne(r: RuleEntry, prefixes: boolean): string | undefined {
  const [direction, ethertype, protocol, min, max, prefix, remoteGroup] = r;
  const v6 = ethertype === 'IPv6';
  const fam = v6 ? 'ip6' : 'ip';
  const side = direction === 'ingress' ? 'saddr' : 'daddr';
  const parts: string[] = [`meta nfproto ${v6 ? 'ipv6' : 'ipv4'}`];
  if (prefix && !/^(0\.0\.0\.0|::)\/0$/.test(prefix)) {
    if (isV6(prefix) !== v6) return undefined;
    parts.push(`${fam} ${side} ${prefix}`);
  }
  if (remoteGroup) parts.push(`${fam} ${side} @${memberSet(remoteGroup, v6, prefixes)}`);
  if (protocol !== null && protocol !== 'any') {
    let n = /^\d+$/.test(protocol) ? Number(protocol) : PROTOCOLS[protocol.toLowerCase()];
    if (n === undefined || n > 255) return undefined;
    if (v6 && n === 1) n = 58;
    if (n === 1 || n === 58) {
      const kw = n === 58 ? 'icmpv6' : 'icmp';
      parts.push(`meta l4proto ${n}`);
      if (min !== null) parts.push(`${kw} type ${min}`);
      if (min !== null && max !== null) parts.push(`${kw} code ${max}`);
    } else {
      parts.push(`meta l4proto ${n}`);
      if (PORTED.has(n) && (min !== null || max !== null)) {
        const lo = min ?? 1, hi = max ?? 65535;
        parts.push(`th dport ${lo === hi ? lo : `${lo}-${hi}`}`);
      }
    }
  }
  return `${parts.join(' ')} accept`;
}

/** The group's rules split by chain, and the groups it names as remote (their member sets must exist). */
export function groupRules(rules: Iterable<RuleEntry>): { i: string[]; e: string[]; remotes: Set<string> } {
  const out = { i: [] as string[], e: [] as string[], remotes: new Set<string>() };
  for (const r of rules) {
    const t = ruleText(r);
    if (t.length === 0) continue;
    (r[0] === 'ingress' ? out.i : out.e).push(...t);
    if (r[6]) out.remotes.add(r[6]);
  }
  out.i.sort();
  out.e.sort();
  return out;
}

/** The tables' fixed part: sets, maps and base chains, with nothing of any port in them. */
export function baseTables(): string {
  return `table bridge ${B} {
  set cut { type ifname; }
  set secured { type ifname; }
  set macs { type ifname . ether_addr; }
  set src4 { type ifname . ether_addr . ipv4_addr; flags interval; }
  set src6 { type ifname . ether_addr . ipv6_addr; flags interval; }
  map pin { type ifname : mark; }
  map pout { type ifname : classid; }
  chain from_dhcp {
    ether type arp drop
    meta l4proto udp th sport { 67, 547 } return
    icmpv6 type { nd-router-advert, nd-neighbor-solicit } return
    drop
  }
  chain from_meta {
    ether type arp arp saddr ip 169.254.169.254 return
    ip saddr 169.254.169.254 tcp sport 80 return
    drop
  }
  chain spoof {
    iifname . ether saddr != @macs drop
    ether type arp iifname . arp saddr ether . arp saddr ip != @src4 drop
    ether type ip iifname . ether saddr . ip saddr != @src4 drop
    ether type ip6 iifname . ether saddr . ip6 saddr != @src6 drop
    ether type != { arp, ip, ip6 } drop
    meta l4proto udp th sport { 67, 547 } drop
    icmpv6 type nd-router-advert drop
  }
  chain prerouting {
    type filter hook prerouting priority -300; policy accept;
    meta mark set 0
    iifname @cut drop
    iifname "dhp*" jump from_dhcp
    iifname "mdp*" jump from_meta
    iifname @secured jump spoof
    meta mark set iifname map @pin
  }
  chain forward {
    type filter hook forward priority -100; policy accept;
    oifname @cut drop
    oifname "vxlan-*" meta l4proto udp th dport { 67, 68, 546, 547 } drop
    oifname "vxlan-*" iifname "dhp*" drop
    iifname "vxlan-*" oifname "dhp*" drop
    oifname "vxlan-*" iifname "mdp*" drop
    iifname "vxlan-*" oifname "mdp*" drop
    iifname "vxlan-*" oifname "qr*" drop
    iifname "qr*" oifname "vxlan-*" ether type arp drop
    iifname "qr*" oifname "vxlan-*" icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } drop
    meta priority set 0:0
    meta priority set oifname map @pout
  }
}
table inet ${I} {
  map zones { typeof iifname : ct zone; }
  map egress { type mark : verdict; }
  map ingress { type classid : verdict; }
  chain raw {
    type filter hook prerouting priority -300; policy accept;
    ct zone set iifname map @zones
  }
  chain egress {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } accept
    meta l4proto udp th sport . th dport { 68 . 67, 546 . 547 } accept
    meta mark vmap @egress
  }
  chain ingress {
    type filter hook forward priority 10; policy accept;
    ct state established,related accept
    icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept
    meta l4proto udp th sport . th dport { 67 . 68, 547 . 546 } accept
    meta priority vmap @ingress
  }
}
`;
}

/**
 * A transaction builder: commands in order, sent to `nft -f -` at once, so the kernel applies all
 * of a round or none of it.
 */
export class NftBatch {
  readonly lines: string[] = [];

  elements(op: 'add' | 'delete', key: string, elements: readonly string[]): void {
    if (elements.length === 0) return;
    const [family, set] = key.split('_', 2) as [string, string];
    const table = family === 'bridge' ? B : I;
    // A map's element is deleted by its key alone.
    if (op === 'delete') elements = elements.map((e) => e.split(' : ')[0]);
    this.lines.push(`${op} element ${family} ${table} ${set} { ${elements.join(', ')} }`);
  }

  zone(op: 'add' | 'delete', bridge: string, zone: number): void {
    this.lines.push(op === 'add' ? `add element inet ${I} zones { ${q(bridge)} : ${zone} }` : `delete element inet ${I} zones { ${q(bridge)} }`);
  }

  memberSet(op: 'add' | 'delete', group: string): void {
    for (const prefixes of [false, true]) {
      for (const v6 of [false, true]) {
        const name = memberSet(group, v6, prefixes);
        this.lines.push(op === 'add' ? `add set inet ${I} ${name} { type ${v6 ? 'ipv6_addr' : 'ipv4_addr'};${prefixes ? ' flags interval;' : ''} }` : `delete set inet ${I} ${name}`);
      }
    }
  }

  /** Addresses go to the plain set, prefixes to the interval one (which the caller keeps disjoint). */
  members(op: 'add' | 'delete', group: string, ips: readonly string[]): void {
    for (const prefixes of [false, true]) {
      for (const v6 of [false, true]) {
        const these = ips.filter((ip) => isV6(ip) === v6 && ip.includes('/') === prefixes);
        if (these.length) this.lines.push(`${op} element inet ${I} ${memberSet(group, v6, prefixes)} { ${these.join(', ')} }`);
      }
    }
  }

  /** A chain made or refilled in place: `flush` and the new rules land in one transaction. */
  chain(name: string, rules: readonly string[]): void {
    this.lines.push(`add chain inet ${I} ${name}`, `flush chain inet ${I} ${name}`);
    for (const r of rules) this.lines.push(`add rule inet ${I} ${name} ${r}`);
  }

  deleteChain(name: string): void {
    this.lines.push(`delete chain inet ${I} ${name}`);
  }

  group(group: string, rules: { i: string[]; e: string[] }): void {
    this.chain(groupChain(group, 'i'), rules.i);
    this.chain(groupChain(group, 'e'), rules.e);
  }

  deleteGroup(group: string): void {
    this.deleteChain(groupChain(group, 'i'));
    this.deleteChain(groupChain(group, 'e'));
  }

  port(id: number, groups: readonly string[]): void {
    this.chain(portChain(id, 'i'), [...groups.map((g) => `jump ${groupChain(g, 'i')}`), 'drop']);
    this.chain(portChain(id, 'e'), [...groups.map((g) => `jump ${groupChain(g, 'e')}`), 'drop']);
  }

  deletePort(id: number): void {
    this.deleteChain(portChain(id, 'i'));
    this.deleteChain(portChain(id, 'e'));
  }

  /** Replaces both tables whole, atomically (the first round after a start). */
  replaceAll(): void {
    this.lines.unshift(`add table bridge ${B}`, `delete table bridge ${B}`, `add table inet ${I}`, `delete table inet ${I}`, baseTables());
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
