/**
 * The namespace lab of the data-plane tests: src/bench/lab.ts's (an underlay namespace with a
 * bridge on 198.19.254.0/24, apart from the simulated hosts' VTEPs, 198.18.0.1 up; hosts running
 * real `alcor agent --dataplane linux` processes; VMs behind the taps Nova would make), with the
 * synchronous calls and extras (physical networks, an outside, captures) the tests use.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Lab as BenchLab, DHCP4_CONF, leaseOf, sh } from '../../src/bench/lab.js';
import type { LabHost } from '../../src/bench/lab.js';
import { waitFor } from './hosts.js';
import type { Api } from './server.js';

export { labMissing, ok, sh } from '../../src/bench/lab.js';
export type { LabHost } from '../../src/bench/lab.js';

export class Lab extends BenchLab {
  constructor(hostCount: number) {
    super({ prefix: 'al', net: '198.19.254' });
    this.addUnderlay(hostCount);
  }

  /** An agent on every host (`extra`: more of its options), each waited for until the API lists it alive. */
  async startAgents(api: Api, extra: string[] = []): Promise<void> {
    for (const h of this.hosts) this.startAgent(h, extra);
    for (const h of this.hosts) {
      await waitFor(`agent ${h.name} registered`, async () => (await api.get(`/v2.0/agents?host=${h.name}`)).body.agents[0]?.alive, 20_000);
    }
  }

  private physicals = 0;

  /**
   * A physical network: a bridge in the underlay namespace (`pnN`) and in every host an interface
   * `iface` on it, as a provider network's wiring would be. Returns the bridge's name.
   */
  physical(iface: string): string {
    const br = `pn${this.physicals++}`;
    const ok = (...args: string[]) => this.must(args);
    ok('-n', this.underlay, 'link', 'add', br, 'type', 'bridge');
    ok('-n', this.underlay, 'link', 'set', br, 'up');
    this.hosts.forEach((h, i) => {
      ok('-n', h.ns, 'link', 'add', iface, 'type', 'veth', 'peer', 'name', `${br}h${i + 1}`, 'netns', this.underlay);
      ok('-n', this.underlay, 'link', 'set', `${br}h${i + 1}`, 'master', br, 'up');
      ok('-n', h.ns, 'link', 'set', iface, 'up');
    });
    return br;
  }

  /** A namespace on a physical network (the outside world): eth0 with `addr` (a CIDR), its far end `<bridge>x`. */
  outside(bridge: string, addr: string, name = 'out'): string {
    const ns = this.name(name);
    const ok = (...args: string[]) => this.must(args);
    ok('netns', 'add', ns);
    this.vms.push(ns);
    ok('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `${bridge}x`, 'netns', this.underlay);
    ok('-n', this.underlay, 'link', 'set', `${bridge}x`, 'master', bridge, 'up');
    ok('-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
    ok('-n', ns, 'link', 'set', 'eth0', 'up');
    ok('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  private must(args: string[]): void {
    const r = sh('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.err.trim()}`);
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

  /** A VM: a namespace whose eth0 (the port's MAC) is the far end of the tap in its host. */
  vm(h: LabHost, port: Record<string, any>, name = `vm${this.vms.length + 1}`): string {
    const ns = this.name(name);
    this.vms.push(ns);
    for (const step of this.vmSteps(h, { id: port.id, mac_address: port.mac_address }, ns)) this.must(step);
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

  private dhclient(vm: string, family: '-4' | '-6', conf: string): string | undefined {
    const d = this.dhclientRun(vm, family, conf);
    const [cmd, ...args] = d.args;
    this.in(vm, cmd, ...args);
    return d.result();
  }

  /** A DHCP lease for the VM's eth0: its address and options. */
  dhcp(vm: string, timeoutSec = 10): Record<string, string> | undefined {
    return leaseOf(this.dhclient(vm, '-4', DHCP4_CONF(timeoutSec)));
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
}
