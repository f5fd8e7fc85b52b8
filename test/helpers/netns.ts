/**
 * A lab of network namespaces for data-plane tests: an underlay namespace with a bridge on
 * 198.19.254.0/24 (apart from the simulated hosts' VTEPs, 198.18.0.1 up), hosts as namespaces on it (each runs a real `alcor agent --dataplane linux`
 * process), and VMs as namespaces wired to their host by the tap Nova would make. Nothing touches
 * the root namespace; `close()` kills every process started in the lab's namespaces, by pid, and
 * deletes the namespaces; the agents' dnsmasq (each in a namespace of its own) are killed by pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const BIN = resolve('bin/alcor.js');
const RELAY = resolve('dist/test/helpers/relay.js');

export function sh(cmd: string, args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

export function ok(cmd: string, ...args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.err.trim()}`);
  return r.out;
}

/** Why namespace tests cannot run here, or undefined when they can. */
export function labMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  for (const tool of ['ip', 'bridge', 'nft', 'dnsmasq', 'dhclient', 'ping', 'tcpdump']) {
    if (sh('sh', ['-c', `command -v ${tool}`]).code !== 0) return `${tool} is not installed (scripts/ensure-test-deps.sh installs it)`;
  }
  const probe = `alcor-probe-${randomBytes(3).toString('hex')}`;
  if (sh('ip', ['netns', 'add', probe]).code !== 0) return 'this machine does not allow network namespaces';
  sh('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface LabHost {
  readonly name: string;
  readonly ns: string;
  readonly vtep: string;
  readonly stateDir: string;
  agent?: ChildProcess;
  log: string[];
}

export class Lab {
  readonly tag = randomBytes(3).toString('hex');
  readonly underlay = `al${this.tag}-ul`;
  readonly hosts: LabHost[] = [];
  readonly vms: string[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'alcor-lab-'));
  readonly socket = join(this.dir, 'southbound.sock');
  readonly controller = 'http://198.19.254.1:9697';
  private relay?: ChildProcess;
  private readonly procs: ChildProcess[] = [];

  constructor(hostCount: number) {
    ok('ip', 'netns', 'add', this.underlay);
    ok('ip', '-n', this.underlay, 'link', 'add', 'ul0', 'type', 'bridge');
    ok('ip', '-n', this.underlay, 'addr', 'add', '198.19.254.1/24', 'dev', 'ul0');
    ok('ip', '-n', this.underlay, 'link', 'set', 'ul0', 'up');
    ok('ip', '-n', this.underlay, 'link', 'set', 'lo', 'up');
    for (let i = 1; i <= hostCount; i++) {
      const name = `al${this.tag}-h${i}`;
      const ns = name;
      ok('ip', 'netns', 'add', ns);
      ok('ip', '-n', ns, 'link', 'add', 'ul', 'type', 'veth', 'peer', 'name', `h${i}`, 'netns', this.underlay);
      ok('ip', '-n', this.underlay, 'link', 'set', `h${i}`, 'master', 'ul0', 'up');
      const vtep = `198.19.254.${10 + i}`;
      ok('ip', '-n', ns, 'addr', 'add', `${vtep}/24`, 'dev', 'ul');
      ok('ip', '-n', ns, 'link', 'set', 'ul', 'up');
      ok('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      this.hosts.push({ name, ns, vtep, stateDir: join(this.dir, name), log: [] });
    }
  }

  private physicals = 0;

  /**
   * A physical network: a bridge in the underlay namespace (`pnN`) and in every host an interface
   * `iface` on it, as a provider network's wiring would be. Returns the bridge's name.
   */
  physical(iface: string): string {
    const br = `pn${this.physicals++}`;
    ok('ip', '-n', this.underlay, 'link', 'add', br, 'type', 'bridge');
    ok('ip', '-n', this.underlay, 'link', 'set', br, 'up');
    this.hosts.forEach((h, i) => {
      ok('ip', '-n', h.ns, 'link', 'add', iface, 'type', 'veth', 'peer', 'name', `${br}h${i + 1}`, 'netns', this.underlay);
      ok('ip', '-n', this.underlay, 'link', 'set', `${br}h${i + 1}`, 'master', br, 'up');
      ok('ip', '-n', h.ns, 'link', 'set', iface, 'up');
    });
    return br;
  }

  /** A namespace on a physical network (the outside world): eth0 with `addr` (a CIDR), its far end `<bridge>x`. */
  outside(bridge: string, addr: string, name = 'out'): string {
    const ns = `al${this.tag}-${name}`;
    ok('ip', 'netns', 'add', ns);
    this.vms.push(ns);
    ok('ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `${bridge}x`, 'netns', this.underlay);
    ok('ip', '-n', this.underlay, 'link', 'set', `${bridge}x`, 'master', bridge, 'up');
    ok('ip', '-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
    ok('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
    ok('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /**
   * What tcpdump sees on `iface` in `ns` (filter `filter`) while `during` runs: one line per packet.
   */
  async capture(ns: string, iface: string, filter: string, during: () => Promise<unknown> | unknown, extra: string[] = []): Promise<string[]> {
    const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-l', '-nn', '-i', iface, ...extra, filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    // tcpdump says "listening on" on stderr once its filter is in place.
    await new Promise<void>((res) => {
      const t = setTimeout(res, 3000);
      child.stderr!.on('data', (b: Buffer) => { if (b.toString().includes('listening')) { clearTimeout(t); res(); } });
    });
    try {
      await during();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await new Promise<void>((res) => { child.once('exit', () => res()); child.kill('SIGINT'); });
    }
    return out.split('\n').filter((l) => l.trim());
  }

  /** The relay from the underlay to the controller's unix socket. */
  async startRelay(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.underlay, process.execPath, RELAY, '198.19.254.1:9697', this.socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.relay = child;
    this.procs.push(child);
    await new Promise<void>((res, rej) => {
      child.stdout!.once('data', () => res());
      child.once('exit', (c) => rej(new Error(`relay exited ${c}`)));
    });
  }

  startAgent(h: LabHost, extra: string[] = []): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', h.ns, process.execPath, BIN, 'agent', '--host', h.name, '--controller', this.controller,
      '--dataplane', 'linux', '--vtep', h.vtep, '--state-dir', h.stateDir, '--log-level', 'info', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer): void => { h.log.push(b.toString()); if (h.log.length > 4000) h.log.splice(0, 1000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    h.agent = child;
    this.procs.push(child);
    return child;
  }

  async stopAgent(h: LabHost, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const a = h.agent;
    if (!a || a.exitCode !== null || a.signalCode !== null) return;
    await new Promise<void>((res) => { a.once('exit', () => res()); a.kill(signal); });
    h.agent = undefined;
  }

  /** A VM: a namespace whose eth0 (the port's MAC) is the far end of the tap in its host. */
  vm(h: LabHost, port: Record<string, any>, name = `vm${this.vms.length + 1}`): string {
    const ns = `al${this.tag}-${name}`;
    ok('ip', 'netns', 'add', ns);
    this.vms.push(ns);
    ok('ip', '-n', h.ns, 'link', 'add', `tap${port.id.slice(0, 11)}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ok('ip', '-n', ns, 'link', 'set', 'eth0', 'address', port.mac_address);
    ok('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    ok('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
    return ns;
  }

  /** Starts a process in a namespace, in the background; `close()` ends it. */
  spawnIn(ns: string, cmd: string, ...args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.procs.push(child);
    return child;
  }

  /** Runs in a namespace. */
  in(ns: string, cmd: string, ...args: string[]): { code: number; out: string; err: string } {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /**
   * Runs dhclient once on the VM's eth0 and returns the lease file's text. Its script is /bin/true,
   * so nothing is configured and nothing of the machine's own resolv.conf is touched.
   */
  private dhclient(vm: string, family: '-4' | '-6', conf: string): string | undefined {
    const [confFile, lease, pidFile] = ['conf', 'lease', 'pid'].map((x) => join(this.dir, `${vm}${family}.${x}`));
    writeFileSync(confFile, conf);
    rmSync(lease, { force: true });
    this.in(vm, 'dhclient', family, '-1', '-sf', '/bin/true', '-cf', confFile, '-lf', lease, '-pf', pidFile, 'eth0');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) try { process.kill(pid); } catch { /* gone */ }
    }
    return existsSync(lease) ? readFileSync(lease, 'utf8') : undefined;
  }

  /** A DHCP lease for the VM's eth0: its address and options. */
  dhcp(vm: string, timeoutSec = 10): Record<string, string> | undefined {
    const text = this.dhclient(vm, '-4', `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, broadcast-address, routers, domain-name-servers, interface-mtu, rfc3442-classless-static-routes, ntp-servers;
timeout ${timeoutSec};
retry 1;
`);
    if (!text?.includes('fixed-address')) return undefined;
    const out: Record<string, string> = {};
    const fixed = /fixed-address ([\d.]+);/.exec(text);
    if (fixed) out.address = fixed[1];
    for (const m of text.matchAll(/option ([\w-]+) ([^;]+);/g)) out[m[1]] = m[2].trim();
    return out;
  }

  /** A DHCPv6 lease (dhclient -6) for the VM's eth0: the addresses it was given. */
  async dhcp6(vm: string, timeoutSec = 10): Promise<string[]> {
    // dhclient -6 needs the link-local address past duplicate detection.
    for (let i = 0; i < 50 && this.in(vm, 'ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link', 'tentative').out.trim(); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const text = this.dhclient(vm, '-6', `timeout ${timeoutSec};\n`);
    return [...(text ?? '').matchAll(/iaaddr ([0-9a-f:]+) \{/g)].map((m) => m[1]);
  }

  async close(): Promise<void> {
    for (const h of this.hosts) await this.stopAgent(h);
    const dhcpNs = sh('ip', ['-j', 'netns', 'list']).out;
    const names = (dhcpNs.trim() ? (JSON.parse(dhcpNs) as Array<{ name: string }>) : []).map((n) => n.name)
      .filter((n) => n.startsWith(`al${this.tag}-`));
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const ns of names) {
      // Every process left in a namespace of ours (dnsmasq, dhclient, ping) goes, by pid.
      for (const pid of sh('ip', ['netns', 'pids', ns]).out.split('\n').filter(Boolean)) sh('kill', ['-9', pid]);
    }
    // dnsmasq lives in a namespace of its own, named by no one: found by its files, in the lab's folder.
    for (const pid of sh('pgrep', ['-f', this.dir]).out.split('\n').filter(Boolean)) sh('kill', ['-9', pid]);
    for (const ns of names) sh('ip', ['netns', 'del', ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
