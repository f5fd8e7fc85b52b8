/**
 * DHCP and router advertisements for the host's own ports, by Debian's dnsmasq: one namespace per
 * network on the host (as Neutron's qdhcp-, but unnamed: it is dnsmasq's own, and lives and dies
 * with it, so nothing outlives it), wired to the network's bridge by a veth `dhp<net>`, with one
 * dnsmasq that knows only this host's ports (`dhcp-ignore=tag:!known`), so a host answers for its
 * own VMs and no DHCP needs to cross the overlay. The namespace holds the subnet's gateway (or, with
 * none, its last address) as the server address without answering ARP for it, so it never poses as
 * the router. dnsmasq outlives the agent: a restart of the agent interrupts no lease or RA.
 *
 * With the metadata proxy on, the namespace also holds 169.254.169.254 on a second veth (`mdp<net>`,
 * answering ARP for that address only), where haproxy listens and passes requests to the agent
 * (./metadata.ts); its replies leave by that veth too (a rule of their own), and the DHCP options
 * give each server an on-link route to it, as Neutron's isolated metadata does. haproxy, like
 * dnsmasq, outlives the agent.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubnetInfo } from '../../../protocol/messages.js';
import { isV6, lastUsable, netmask, parseCidr } from './addr.js';
import { haproxyConfig, METADATA_IP } from './metadata.js';
import { DHCP_INSIDE, META_INSIDE, dhcpLinkName, metaLinkName } from './names.js';
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
  /** network -> the bridge, MTU and server addresses its namespace was last set up with. */
  private readonly configured = new Map<string, string>();

  /** `metadata`: the agent's metadata socket, when the proxy is on. */
  constructor(private readonly dir: string, private readonly metadata?: { readonly socket: string }) {}

  /** Whether the network needs a server here at all. */
  static wanted(n: Pick<DhcpNetwork, 'subnets'>): boolean {
    for (const s of n.subnets.values()) if (served(s)) return true;
    return false;
  }

  private paths(network: string) {
    const d = join(this.dir, 'dhcp', network);
    return {
      dir: d, hosts: join(d, 'hosts'), opts: join(d, 'opts'), pid: join(d, 'pid'), leases: join(d, 'leases'), args: join(d, 'args'), log: join(d, 'log'),
      haproxyCfg: join(d, 'haproxy.cfg'), haproxyPid: join(d, 'haproxy.pid'),
    };
  }

  /** The networks whose dnsmasq runs (left by an earlier run of the agent, or this one). */
  existing(): string[] {
    const d = join(this.dir, 'dhcp');
    if (!existsSync(d)) return [];
    return readdirSync(d).filter((net) => this.pid(net) !== undefined);
  }

  /** The network's dnsmasq, if it runs: its namespace is the DHCP namespace. */
  pid(network: string): number | undefined {
    const file = this.paths(network).pid;
    return pidOf(file, file);
  }

  /** Brings the network's namespace, addresses and dnsmasq to what `n` needs. */
  async sync(n: DhcpNetwork): Promise<void> {
    const link = dhcpLinkName(n.id);
    const p = this.paths(n.id);
    mkdirSync(p.dir, { recursive: true });
    const subnets = [...n.subnets.entries()].filter(([, s]) => served(s));
    const args = this.args(n, subnets, p);
    const key = args.join(' ');
    writeAtomic(p.hosts, this.hosts(n, subnets));
    writeAtomic(p.opts, this.opts(n, subnets));
    let pid = this.pid(n.id);
    const runningWith = this.running.get(n.id) ?? (existsSync(p.args) ? readFileSync(p.args, 'utf8') : undefined);
    // Debian 12's dnsmasq 2.90 dies on SIGHUP (a general protection fault in libc) once it holds a
    // lease: a second VM of the network joining after the first got its address killed DHCP on the
    // host (found by `alcor bench`'s VM scenarios). With leases, it is restarted instead; the lease
    // file carries its leases over.
    if (pid && runningWith === key && !holdsLeases(p.leases)) {
      // A port joining changes only the files: the namespace is as it was unless the subnets or MTU moved.
      if (this.configured.get(n.id) !== layout(n, subnets)) await this.configure(n, pid, subnets);
      process.kill(pid, 'SIGHUP');
      this.running.set(n.id, key);
      await this.ensureProxy(n.id, pid);
      return;
    }
    // A namespace no one names: it lives as long as a process is in it. A holder keeps it while
    // dnsmasq starts (or restarts with new ranges), so the veth and addresses stay in place.
    const holder = pid ? spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'sleep', '600'], { stdio: 'ignore' }) : spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
    try {
      // Until the holder has entered (or made) the namespace, its own is still ours.
      const ours = pid ? '' : readlinkSync('/proc/self/ns/net');
      const target = pid ? readlinkSync(`/proc/${pid}/ns/net`) : undefined;
      const ns = `/proc/${holder.pid}/ns/net`;
      for (let i = 0; i < 250; i++) {
        try {
          const now = readlinkSync(ns);
          if (target ? now === target : now !== ours) break;
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 4));
      }
      const now = readlinkSync(ns);
      if (target ? now !== target : now === ours) throw new Error('the DHCP namespace did not come up');
      if (!pid) {
        // A veth left by a dnsmasq that died went with its namespace; one left otherwise is ours to replace.
        if (existsSync(`/sys/class/net/${link}`)) await must('ip', ['link', 'del', 'dev', link]);
        await must('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', DHCP_INSIDE, 'netns', String(holder.pid)]);
        if (this.metadata) {
          // A haproxy left alone keeps the old namespace, and its veth, alive: both go.
          await stopPidFile(p.haproxyPid, p.haproxyCfg);
          const meta = metaLinkName(n.id);
          if (existsSync(`/sys/class/net/${meta}`)) await must('ip', ['link', 'del', 'dev', meta]);
          await must('ip', ['link', 'add', meta, 'type', 'veth', 'peer', 'name', META_INSIDE, 'netns', String(holder.pid)]);
        }
      }
      await this.configure(n, holder.pid!, subnets);
      if (pid) await stop(pid);
      writeFileSync(p.args, key);
      const before = pid;
      await must('nsenter', [`--net=${ns}`, 'dnsmasq', ...args]);
      pid = this.pid(n.id);
      if (!pid || pid === before) throw new Error(`dnsmasq did not start: ${readTail(p.log)}`);
      this.running.set(n.id, key);
      await this.ensureProxy(n.id, pid);
    } finally {
      holder.kill('SIGKILL');
    }
  }

  /** haproxy in the namespace (dnsmasq's, `pid`), started if it does not run. */
  private async ensureProxy(network: string, pid: number): Promise<void> {
    if (!this.metadata) return;
    const p = this.paths(network);
    if (pidOf(p.haproxyPid, p.haproxyCfg) !== undefined) return;
    writeAtomic(p.haproxyCfg, haproxyConfig(network, this.metadata.socket, p.haproxyPid));
    await must('nsenter', [`--net=/proc/${pid}/ns/net`, 'haproxy', '-f', p.haproxyCfg]);
  }

  /** The veth's place on the bridge, and the server addresses inside. */
  private async configure(n: DhcpNetwork, pid: number, subnets: Array<[string, SubnetInfo]>): Promise<void> {
    this.configured.delete(n.id);
    const link = dhcpLinkName(n.id);
    await must('ip', ['link', 'set', 'dev', link, 'master', n.bridge, 'mtu', String(n.mtu), 'up']);
    const inside = ['nsenter', `--net=/proc/${pid}/ns/net`];
    const lines = [`link set dev lo up`, `link set dev ${DHCP_INSIDE} mtu ${n.mtu} up`];
    const want = new Set<string>();
    for (const a of serverAddresses(subnets)) want.add(a);
    const addrs = await must(inside[0], [...inside.slice(1), 'ip', '-j', 'addr', 'show', 'dev', DHCP_INSIDE]);
    const have = new Set<string>();
    for (const a of (JSON.parse(addrs || '[]') as Array<{ addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>)[0]?.addr_info ?? []) {
      if (a.scope === 'global') have.add(`${a.local}/${a.prefixlen}`);
    }
    for (const a of have) if (!want.has(a)) lines.push(`addr del ${a} dev ${DHCP_INSIDE}`);
    for (const a of want) if (!have.has(a)) lines.push(`addr add ${a} dev ${DHCP_INSIDE}${isV6(a) ? ' nodad' : ''}`);
    await must(inside[0], [...inside.slice(1), 'ip', '-batch', '-'], `${lines.join('\n')}\n`);
    // The server address is not the router's to claim: never answer ARP for it.
    await must(inside[0], [...inside.slice(1), 'sysctl', '-q', '-w', `net.ipv4.conf.${DHCP_INSIDE}.arp_ignore=8`]);
    if (this.metadata) await this.configureMetadata(n, inside);
    this.configured.set(n.id, layout(n, subnets));
  }

  /**
   * 169.254.169.254 on its own veth, answering ARP for itself only; what it sends (haproxy's
   * answers) leaves by that veth, so the bridge sees the metadata address come from its own port.
   */
  private async configureMetadata(n: DhcpNetwork, inside: string[]): Promise<void> {
    const ns = (...args: string[]) => must(inside[0], [...inside.slice(1), ...args]);
    await must('ip', ['link', 'set', 'dev', metaLinkName(n.id), 'master', n.bridge, 'mtu', String(n.mtu), 'up']);
    await ns('sysctl', '-q', '-w', `net.ipv4.conf.${META_INSIDE}.arp_ignore=1`, `net.ipv4.conf.${META_INSIDE}.rp_filter=0`, 'net.ipv4.conf.all.rp_filter=0');
    await ns('ip', 'link', 'set', 'dev', META_INSIDE, 'mtu', String(n.mtu), 'up');
    await ns('ip', 'addr', 'replace', `${METADATA_IP}/32`, 'dev', META_INSIDE);
    await ns('ip', 'route', 'replace', 'default', 'dev', META_INSIDE, 'table', METADATA_TABLE);
    if (!(await ns('ip', 'rule', 'show', 'from', METADATA_IP)).includes(`lookup ${METADATA_TABLE}`)) {
      await ns('ip', 'rule', 'add', 'from', METADATA_IP, 'lookup', METADATA_TABLE);
    }
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
      // The metadata address on-link (0.0.0.0: no next hop), in this namespace of the server's host.
      if (this.metadata) v4routes.unshift({ destination: `${METADATA_IP}/32`, nexthop: '0.0.0.0' });
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

  /** Stops the network's dnsmasq: its namespace, and the veth, go with it. */
  async remove(network: string): Promise<void> {
    const pid = this.pid(network);
    if (pid) await stop(pid);
    const p = this.paths(network);
    await stopPidFile(p.haproxyPid, p.haproxyCfg);
    this.running.delete(network);
    this.configured.delete(network);
    for (const link of [dhcpLinkName(network), metaLinkName(network)]) {
      if (existsSync(`/sys/class/net/${link}`)) await run('ip', ['link', 'del', 'dev', link]);
    }
    rmSync(p.dir, { recursive: true, force: true });
  }

  /** Every network with files here, running or not (a start sweeps those it does not need). */
  known(): string[] {
    const d = join(this.dir, 'dhcp');
    return existsSync(d) ? readdirSync(d) : [];
  }
}

/** The server's address in each served subnet: the gateway's, or with none the subnet's last. */
function serverAddresses(subnets: Array<[string, SubnetInfo]>): string[] {
  return subnets.map(([, s]) => `${s.gateway ?? lastUsable(s.cidr)}/${parseCidr(s.cidr).length}`);
}

const layout = (n: DhcpNetwork, subnets: Array<[string, SubnetInfo]>): string => JSON.stringify([n.bridge, n.mtu, serverAddresses(subnets)]);

function readTail(path: string): string {
  try { return readFileSync(path, 'utf8').slice(-500); } catch { return 'no log'; }
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** haproxy's routing table in the namespace: what 169.254.169.254 sends leaves by its own veth. */
const METADATA_TABLE = '169';

/** The process a pid file names, if it runs with `marker` (its config file) on its command line. */
function pidOf(pidFile: string, marker: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
    if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) return pid;
  } catch { /* none */ }
  return undefined;
}

async function stopPidFile(pidFile: string, marker: string): Promise<void> {
  const pid = pidOf(pidFile, marker);
  if (pid) await stop(pid);
}

/**
 * Stops a process and returns only once it is gone: a dnsmasq still exiting holds its port and its
 * pid file, so one started in its place would fail to bind while the pid file still named a live
 * dnsmasq (seen at 30 concurrent boots on a busy machine: servers with no lease).
 */
async function stop(pid: number): Promise<void> {
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  // A zombie is gone too: a daemon's reaper (the machine's init) may be slow to collect it.
  const alive = (): boolean => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return false;
    }
  };
  const gone = async (ms: number): Promise<boolean> => {
    for (const until = Date.now() + ms; Date.now() < until;) {
      if (!alive()) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return !alive();
  };
  if (await gone(2000)) return;
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  await gone(2000);
}

function holdsLeases(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}
