/**
 * A lab of network namespaces: an underlay namespace with a bridge on a /24 of 198.18.0.0/15, hosts
 * as namespaces on it (each runs a real `alcor agent --dataplane linux` process, reaching the
 * controller's unix socket through a relay in the underlay), and VMs as namespaces wired to their
 * host by the tap Nova would make. Every name starts with the lab's prefix and tag; nothing touches
 * the root namespace. `close()` kills every process started in the lab's namespaces, by pid, and
 * deletes the namespaces; the agents' dnsmasq and router holders (in namespaces of their own, named
 * by no one) are found by the lab's folder in their command lines.
 *
 * What `alcor bench` boots its VMs on, and what test/helpers/netns.ts builds its labs from.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../../../bin/alcor.js');
const RELAY = join(HERE, 'relay.js');

export interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export function sh(cmd: string, args: string[], input?: string): Ran {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

export function ok(cmd: string, ...args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.err.trim()}`);
  return r.out;
}

/** sh without blocking: the bench plugs VMs of many iterations at once and times them meanwhile. */
export function run(cmd: string, args: string[], input?: string): Promise<Ran> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    child.once('error', (e) => res({ code: 127, out, err: String(e) }));
    child.once('close', (code) => res({ code: code ?? 1, out, err }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function must(cmd: string, ...args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.err.trim()}`);
  return r.out;
}

/** Why namespace labs cannot run here, or undefined when they can. */
export function labMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace labs need root';
  for (const tool of ['ip', 'bridge', 'nft', 'dnsmasq', 'dhclient', 'ping', 'tcpdump']) {
    if (sh('sh', ['-c', `command -v ${tool}`]).code !== 0) return `${tool} is not installed (scripts/ensure-test-deps.sh installs it)`;
  }
  const probe = `alcor-probe-${randomBytes(3).toString('hex')}`;
  if (sh('ip', ['netns', 'add', probe]).code !== 0) return 'this machine does not allow network namespaces';
  sh('ip', ['netns', 'del', probe]);
  return undefined;
}

function netnsNames(): string[] {
  const text = sh('ip', ['-j', 'netns', 'list']).out.trim();
  return (text ? (JSON.parse(text) as Array<{ name: string }>) : []).map((n) => n.name);
}

/** Kills every process in the namespaces given and in command lines naming `dir`, then deletes them. */
function tearDown(namespaces: readonly string[], dir: string): void {
  for (const ns of namespaces) {
    for (const pid of sh('ip', ['netns', 'pids', ns]).out.split('\n').filter(Boolean)) sh('kill', ['-9', pid]);
  }
  for (const pid of sh('pgrep', ['-f', dir]).out.split('\n').filter(Boolean)) sh('kill', ['-9', pid]);
  for (const ns of namespaces) sh('ip', ['netns', 'del', ns]);
}

/** A Neutron port as the API returns it (its id and MAC are what a tap needs). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PortLike = Record<string, any> & { id: string };

export interface LabHost {
  readonly name: string;
  readonly ns: string;
  readonly vtep: string;
  readonly stateDir: string;
  agent?: ChildProcess;
  log: string[];
}

export interface LabOptions {
  /** Starts every namespace's name ("al" for the test labs, "abv" for the bench's). */
  readonly prefix: string;
  /** The underlay's /24 as its first three octets, e.g. 198.19.77. */
  readonly net: string;
  /** Default: a random one; the bench's names its process, so a later run can sweep what a killed one left. */
  readonly tag?: string;
}

/** A DHCP lease: its address and options (dhclient's names, e.g. `subnet-mask`, `routers`). */
export type Lease = Record<string, string>;

export function leaseOf(text: string | undefined): Lease | undefined {
  if (!text?.includes('fixed-address')) return undefined;
  const out: Lease = {};
  const fixed = /fixed-address ([\d.]+);/.exec(text);
  if (fixed) out.address = fixed[1];
  for (const m of text.matchAll(/option ([\w-]+) ([^;]+);/g)) out[m[1]] = m[2].trim();
  return out;
}

export const DHCP4_CONF = (timeoutSec: number, extra = ''): string => `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, broadcast-address, routers, domain-name-servers, interface-mtu, rfc3442-classless-static-routes, ntp-servers;
timeout ${timeoutSec};
retry 1;
${extra}`;

export class Lab {
  readonly prefix: string;
  readonly tag: string;
  readonly net: string;
  readonly underlay: string;
  readonly hosts: LabHost[] = [];
  readonly vms: string[] = [];
  readonly dir: string;
  readonly socket: string;
  readonly controller: string;
  private relay?: ChildProcess;
  protected readonly procs: ChildProcess[] = [];

  constructor(opts: LabOptions) {
    this.prefix = opts.prefix;
    this.tag = opts.tag ?? randomBytes(3).toString('hex');
    this.net = opts.net;
    this.underlay = this.name('ul');
    this.dir = mkdtempSync(join(tmpdir(), `${this.name('')}`));
    this.socket = join(this.dir, 'southbound.sock');
    this.controller = `http://${this.net}.1:9697`;
  }

  /** A namespace name of this lab's. */
  name(what: string): string {
    return `${this.prefix}${this.tag}-${what}`;
  }

  /** The underlay's bridge (198.x.y.1 in its namespace) and `hostCount` hosts on it (VTEPs .11 up). */
  addUnderlay(hostCount: number): void {
    ok('ip', 'netns', 'add', this.underlay);
    ok('ip', '-n', this.underlay, 'link', 'add', 'ul0', 'type', 'bridge');
    ok('ip', '-n', this.underlay, 'addr', 'add', `${this.net}.1/24`, 'dev', 'ul0');
    ok('ip', '-n', this.underlay, 'link', 'set', 'ul0', 'up');
    ok('ip', '-n', this.underlay, 'link', 'set', 'lo', 'up');
    for (let i = 1; i <= hostCount; i++) {
      const name = this.name(`h${i}`);
      const ns = name;
      ok('ip', 'netns', 'add', ns);
      ok('ip', '-n', ns, 'link', 'add', 'ul', 'type', 'veth', 'peer', 'name', `h${i}`, 'netns', this.underlay);
      ok('ip', '-n', this.underlay, 'link', 'set', `h${i}`, 'master', 'ul0', 'up');
      const vtep = `${this.net}.${10 + i}`;
      ok('ip', '-n', ns, 'addr', 'add', `${vtep}/24`, 'dev', 'ul');
      ok('ip', '-n', ns, 'link', 'set', 'ul', 'up');
      ok('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      this.hosts.push({ name, ns, vtep, stateDir: join(this.dir, name), log: [] });
    }
  }

  /**
   * A host this lab did not make (an agent of a --target's, on a namespace of this machine named as
   * its host): VMs can be plugged into it; it is never deleted.
   */
  adopt(host: string): LabHost {
    const h: LabHost = { name: host, ns: host, vtep: '', stateDir: '', log: [] };
    this.hosts.push(h);
    return h;
  }

  /** The relay from the underlay to the controller's unix socket. */
  async startRelay(): Promise<void> {
    this.relay = await this.relayFrom(this.underlay, `${this.net}.1:9697`, this.socket);
  }

  /**
   * A controller that listens on TCP in the root namespace (one started for other clients too),
   * reached by the lab's hosts as through startRelay: a relay from the lab's socket to it first.
   */
  async relayToController(hostPort: string): Promise<void> {
    await this.relayFrom(undefined, this.socket, hostPort);
    await this.startRelay();
  }

  /**
   * Nova's metadata API (a TCP address of the root namespace's) made reachable from the hosts at
   * the URL returned: a relay in the root namespace from a unix socket of the lab's to it, and one in
   * the underlay from the underlay's address to that socket. `target` may be a unix socket itself.
   */
  async reachMetadata(target: string): Promise<string> {
    let path = target;
    if (!target.includes('/')) {
      path = join(this.dir, 'nova-metadata.sock');
      await this.relayFrom(undefined, path, target);
    }
    await this.relayFrom(this.underlay, `${this.net}.1:8775`, path);
    return `http://${this.net}.1:8775`;
  }

  private async relayFrom(ns: string | undefined, listen: string, target: string): Promise<ChildProcess> {
    const argv = [process.execPath, RELAY, listen, target];
    const child = ns ? spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    this.procs.push(child);
    await new Promise<void>((res, rej) => {
      child.stdout!.once('data', () => res());
      child.once('exit', (c) => rej(new Error(`relay ${listen} -> ${target} exited ${c}`)));
    });
    return child;
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

  /**
   * The commands that make a VM as libvirt would: its namespace, and in its host the tap
   * (`tap<port[:11]>`, Nova's name) whose far end is the VM's `ifname` with the port's MAC.
   */
  protected vmSteps(h: LabHost, port: PortLike, ns: string, ifname = 'eth0', create = true): string[][] {
    return [
      ...(create ? [['netns', 'add', ns]] : []),
      ['-n', h.ns, 'link', 'add', `tap${port.id.slice(0, 11)}`, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns],
      ['-n', ns, 'link', 'set', ifname, 'address', String(port.mac_address)],
      ...(create ? [['-n', ns, 'link', 'set', 'lo', 'up']] : []),
      ['-n', ns, 'link', 'set', ifname, 'up'],
    ];
  }

  /** A VM (without blocking): see vmSteps. Returns its namespace. */
  async plug(h: LabHost, port: PortLike, name: string): Promise<string> {
    const ns = this.name(name);
    this.vms.push(ns);
    for (const step of this.vmSteps(h, port, ns)) await must('ip', ...step);
    return ns;
  }

  /** Another interface of a VM (an attached port): a tap of its own in the host, `ifname` in the VM. */
  async plugMore(h: LabHost, vm: string, port: PortLike, ifname: string): Promise<void> {
    for (const step of this.vmSteps(h, port, vm, ifname, false)) await must('ip', ...step);
  }

  /** The VM gone, as a destroyed domain: its processes, its namespace and with it its taps. */
  async unplug(vm: string): Promise<void> {
    for (const pid of (await run('ip', ['netns', 'pids', vm])).out.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
    await must('ip', 'netns', 'del', vm);
    const i = this.vms.indexOf(vm);
    if (i >= 0) this.vms.splice(i, 1);
  }

  /** Runs in a namespace, without blocking. */
  exec(ns: string, cmd: string, ...args: string[]): Promise<Ran> {
    return run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /**
   * dhclient's files for one run on a VM's eth0, its arguments (run once, `-1`; its script is
   * /bin/true, so nothing is configured and nothing of the machine's own resolv.conf is touched) and
   * what it left: the lease file's text, its daemon killed by pid.
   */
  protected dhclientRun(vm: string, family: '-4' | '-6', conf: string): { args: string[]; result: () => string | undefined } {
    const [confFile, lease, pidFile] = ['conf', 'lease', 'pid'].map((x) => join(this.dir, `${vm}${family}.${x}`));
    writeFileSync(confFile, conf);
    rmSync(lease, { force: true });
    return {
      args: ['dhclient', family, '-1', '-sf', '/bin/true', '-cf', confFile, '-lf', lease, '-pf', pidFile, 'eth0'],
      result: () => {
        if (existsSync(pidFile)) {
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          if (pid > 0) try { process.kill(pid); } catch { /* gone */ }
        }
        return existsSync(lease) ? readFileSync(lease, 'utf8') : undefined;
      },
    };
  }

  /** A DHCPv4 lease for the VM's eth0, without blocking; `extra` adds lines to dhclient's conf. */
  async lease(vm: string, timeoutSec = 10, extra = ''): Promise<Lease | undefined> {
    const d = this.dhclientRun(vm, '-4', DHCP4_CONF(timeoutSec, extra));
    const [cmd, ...args] = d.args;
    await this.exec(vm, cmd, ...args);
    return leaseOf(d.result());
  }

  /**
   * Pings `ip` from `vm` every 20 ms until the first reply or `timeoutMs`; resolves with whether
   * one came (when it is read off ping's output, so the caller's clock stamps it).
   */
  firstReply(vm: string, ip: string, timeoutMs: number): Promise<boolean> {
    return new Promise((res) => {
      const child = spawn('ip', ['netns', 'exec', vm, 'ping', '-n', '-i', '0.02', '-W', '1', '-w', String(Math.ceil(timeoutMs / 1000)), ip], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.procs.push(child);
      let done = false;
      const finish = (v: boolean): void => {
        if (done) return;
        done = true;
        child.kill('SIGKILL');
        const i = this.procs.indexOf(child);
        if (i >= 0) this.procs.splice(i, 1);
        res(v);
      };
      child.stdout!.on('data', (b: Buffer) => { if (/bytes from/.test(b.toString())) finish(true); });
      child.once('close', () => finish(false));
    });
  }

  async close(): Promise<void> {
    for (const h of this.hosts) await this.stopAgent(h);
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    tearDown(netnsNames().filter((n) => n.startsWith(this.name(''))), this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * What labs of `prefix` left when their process died (killed before its close ran): a lab tagged
   * with its pid in base 36 (`<pid>-<n>`) whose process is gone is torn down, and its folder removed.
   */
  static sweep(prefix: string): string[] {
    const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const dead = new Set<string>();
    const pattern = new RegExp(`^${prefix}([0-9a-z]+)-(\\d+)-`);
    for (const ns of netnsNames()) {
      const m = pattern.exec(ns);
      if (m && !alive(parseInt(m[1], 36))) dead.add(`${prefix}${m[1]}-${m[2]}-`);
    }
    for (const entry of readdirSync(tmpdir())) {
      const m = pattern.exec(entry);
      if (m && !alive(parseInt(m[1], 36))) dead.add(`${prefix}${m[1]}-${m[2]}-`);
    }
    for (const base of dead) {
      tearDown(netnsNames().filter((n) => n.startsWith(base)), join(tmpdir(), base));
      for (const entry of readdirSync(tmpdir()).filter((e) => e.startsWith(base))) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    }
    return [...dead];
  }
}
