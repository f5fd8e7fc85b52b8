/**
 * DHCP and router advertisements for the host's own ports, by Debian's dnsmasq: one namespace per
 * network on the host (as Neutron's qdhcp-), wired to the network's bridge by a veth, with one
 * dnsmasq that knows only this host's ports (`dhcp-ignore=tag:!known`), so a host answers for its
 * own VMs and no DHCP needs to cross the overlay. The namespace holds the subnet's gateway (or, with
 * none, its last address) as the server address without answering ARP for it, so it never poses as
 * the router. dnsmasq outlives the agent: a restart of the agent interrupts no lease or RA.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubnetInfo } from '../../../protocol/messages.js';
import { isV6, lastUsable, netmask, parseCidr } from './addr.js';
import { DHCP_INSIDE, dhcpLinkName, dhcpNamespace, dhcpNamespacePrefix } from './names.js';
import { must, run } from './run.js';

const LEASE = '86400s';

export interface DhcpPort {
  readonly id: string;
  readonly mac: string;
  /** [address, subnet id] */
  readonly ips: ReadonlyArray<readonly [string, string]>;
  readonly dhcpOpts: ReadonlyArray<{ readonly name: string; readonly value: string; readonly version: number }>;
}

export interface DhcpNetwork {
  readonly id: string;
  readonly bridge: string;
  readonly mtu: number;
  readonly subnets: ReadonlyMap<string, SubnetInfo>;
  readonly ports: readonly DhcpPort[];
}

/** The modes a v6 subnet is served in: RA only (SLAAC), RA + DHCPv6 for options, or DHCPv6 addresses. */
function v6Mode(s: SubnetInfo): 'ra-only' | 'ra-stateless' | 'static' | undefined {
  const m = s.addressMode ?? s.raMode;
  if (m === 'slaac') return 'ra-only';
  if (m === 'dhcpv6-stateless') return 'ra-stateless';
  if (m === 'dhcpv6-stateful') return 'static';
  return undefined;
}

const served = (s: SubnetInfo): boolean => (s.version === 4 ? s.dhcp : s.dhcp && v6Mode(s) !== undefined);

export class Dhcp {
  /** network -> the dnsmasq arguments it runs with (a change restarts it; the rest reloads). */
  private readonly running = new Map<string, string>();

  constructor(private readonly host: string, private readonly dir: string) {}

  /** Whether the network needs a server here at all. */
  static wanted(n: Pick<DhcpNetwork, 'subnets'>): boolean {
    for (const s of n.subnets.values()) if (served(s)) return true;
    return false;
  }

  private paths(network: string) {
    const d = join(this.dir, 'dhcp', network);
    return { dir: d, hosts: join(d, 'hosts'), opts: join(d, 'opts'), pid: join(d, 'pid'), leases: join(d, 'leases'), args: join(d, 'args'), log: join(d, 'log') };
  }

  /** The networks whose namespace exists on this host (left by an earlier run). */
  async existing(): Promise<string[]> {
    const r = await run('ip', ['-j', 'netns', 'list']);
    const prefix = dhcpNamespacePrefix(this.host);
    const names = r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as Array<{ name: string }>).map((n) => n.name) : [];
    return names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  }

  pid(network: string): number | undefined {
    try {
      const pid = Number(readFileSync(this.paths(network).pid, 'utf8').trim());
      if (pid > 0 && existsSync(`/proc/${pid}`)) return pid;
    } catch { /* none */ }
    return undefined;
  }

  /** Brings the network's namespace, addresses and dnsmasq to what `n` needs. */
  async sync(n: DhcpNetwork): Promise<void> {
    const ns = dhcpNamespace(this.host, n.id);
    const link = dhcpLinkName(n.id);
    const p = this.paths(n.id);
    mkdirSync(p.dir, { recursive: true });
    if (!(await this.existing()).includes(n.id)) await must('ip', ['netns', 'add', ns]);
    if (!existsSync(`/sys/class/net/${link}`)) {
      await must('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', DHCP_INSIDE, 'netns', ns]);
    }
    await must('ip', ['link', 'set', 'dev', link, 'master', n.bridge, 'mtu', String(n.mtu), 'up']);
    const inside = [
      `link set dev lo up`,
      `link set dev ${DHCP_INSIDE} mtu ${n.mtu} up`,
    ];
    const subnets = [...n.subnets.entries()].filter(([, s]) => served(s));
    const want = new Set<string>();
    for (const [, s] of subnets) {
      const c = parseCidr(s.cidr);
      const server = s.gateway ?? lastUsable(s.cidr);
      want.add(`${server}/${c.length}`);
    }
    const addrs = await must('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', DHCP_INSIDE]);
    const have = new Set<string>();
    for (const a of (JSON.parse(addrs || '[]') as Array<{ addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>)[0]?.addr_info ?? []) {
      if (a.scope === 'global') have.add(`${a.local}/${a.prefixlen}`);
    }
    for (const a of have) if (!want.has(a)) inside.push(`addr del ${a} dev ${DHCP_INSIDE}`);
    for (const a of want) if (!have.has(a)) inside.push(`addr add ${a} dev ${DHCP_INSIDE}${isV6(a) ? ' nodad' : ''}`);
    await must('ip', ['-n', ns, '-batch', '-'], `${inside.join('\n')}\n`);
    // The server address is not the router's to claim: never answer ARP for it.
    await must('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv4.conf.${DHCP_INSIDE}.arp_ignore=8`]);

    const args = this.args(n, subnets, p);
    writeAtomic(p.hosts, this.hosts(n, subnets));
    writeAtomic(p.opts, this.opts(n, subnets));
    const key = args.join(' ');
    const pid = this.pid(n.id);
    const runningWith = this.running.get(n.id) ?? (existsSync(p.args) ? readFileSync(p.args, 'utf8') : undefined);
    if (pid && runningWith === key) {
      process.kill(pid, 'SIGHUP');
      this.running.set(n.id, key);
      return;
    }
    if (pid) await stop(pid);
    writeFileSync(p.args, key);
    await must('ip', ['netns', 'exec', ns, 'dnsmasq', ...args]);
    this.running.set(n.id, key);
  }

  private args(n: DhcpNetwork, subnets: Array<[string, SubnetInfo]>, p: ReturnType<Dhcp['paths']>): string[] {
    const a = [
      '--conf-file=/dev/null', '--no-hosts', '--no-resolv', '--port=0', '--bind-interfaces', `--interface=${DHCP_INSIDE}`,
      '--except-interface=lo', '--user=root', '--no-ping', '--dhcp-authoritative', '--dhcp-ignore=tag:!known',
      `--pid-file=${p.pid}`, `--dhcp-leasefile=${p.leases}`, `--dhcp-hostsfile=${p.hosts}`, `--dhcp-optsfile=${p.opts}`,
      `--log-facility=${p.log}`, '--log-dhcp',
    ];
    let ra = false;
    subnets.forEach(([, s], i) => {
      const c = parseCidr(s.cidr);
      if (s.version === 4) a.push(`--dhcp-range=set:s${i},${c.network},static,${netmask(c.length)},${LEASE}`);
      else {
        ra = true;
        a.push(`--dhcp-range=set:s${i},${c.network},${v6Mode(s)},${c.length},${LEASE}`);
      }
    });
    // Router lifetime 0: the advertisement gives the prefix and MTU, not a default route.
    if (ra) a.push('--enable-ra', `--ra-param=${DHCP_INSIDE},mtu:${n.mtu},30,0`);
    return a;
  }

  private hosts(n: DhcpNetwork, subnets: Array<[string, SubnetInfo]>): string {
    const bySubnet = new Map(subnets);
    const lines: string[] = [];
    for (const port of n.ports) {
      const addrs: string[] = [];
      for (const [ip, subnet] of port.ips) {
        const s = bySubnet.get(subnet);
        if (!s) continue;
        if (s.version === 4) addrs.push(ip);
        else if (v6Mode(s) === 'static') addrs.push(`[${ip}]`);
      }
      const v4 = port.ips.find(([ip, subnet]) => !isV6(ip) && bySubnet.has(subnet));
      const name = `host-${(v4?.[0] ?? port.ips[0]?.[0] ?? port.id).replace(/[.:]/g, '-')}`;
      lines.push([port.mac, `set:port-${port.id}`, ...addrs, name].join(','));
    }
    return lines.join('\n') + '\n';
  }

  private opts(n: DhcpNetwork, subnets: Array<[string, SubnetInfo]>): string {
    const lines: string[] = [];
    subnets.forEach(([, s], i) => {
      const tag = `tag:s${i}`;
      if (s.version !== 4) {
        if (s.dns.length) lines.push(`${tag},option6:dns-server,${s.dns.map((d) => `[${d}]`).join(',')}`);
        return;
      }
      lines.push(s.gateway ? `${tag},option:router,${s.gateway}` : `${tag},option:router`);
      lines.push(s.dns.length ? `${tag},option:dns-server,${s.dns.join(',')}` : `${tag},option:dns-server`);
      lines.push(`${tag},option:mtu,${n.mtu}`);
      const v4routes = s.routes.filter((r) => !isV6(r.destination));
      if (v4routes.length) {
        // With option 121 a client ignores option 3 (RFC 3442), so the default route goes in it too.
        const routes = v4routes.map((r) => `${r.destination},${r.nexthop}`);
        if (s.gateway && !v4routes.some((r) => r.destination === '0.0.0.0/0')) routes.push(`0.0.0.0/0,${s.gateway}`);
        lines.push(`${tag},option:classless-static-route,${routes.join(',')}`);
        lines.push(`${tag},249,${routes.join(',')}`);
      }
    });
    for (const port of n.ports) {
      for (const o of port.dhcpOpts) {
        const name = /^\d+$/.test(o.name) ? o.name : `${o.version === 6 ? 'option6' : 'option'}:${o.name}`;
        lines.push(`tag:port-${port.id},${name},${o.value}`);
      }
    }
    return lines.join('\n') + '\n';
  }

  /** Stops the network's dnsmasq and deletes its namespace (the veth goes with it). */
  async remove(network: string): Promise<void> {
    const pid = this.pid(network);
    if (pid) await stop(pid);
    this.running.delete(network);
    await run('ip', ['netns', 'del', dhcpNamespace(this.host, network)]);
    rmSync(this.paths(network).dir, { recursive: true, force: true });
  }
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function stop(pid: number): Promise<void> {
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
}
