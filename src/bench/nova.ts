/**
 * What Nova does on the network when it boots a server, done by the bench itself (the default,
 * without --nova): the port created as the user, bound as admin to a live agent's host with
 * `device_owner compute:nova` and the server's id, the tap and the VM made on that host as libvirt
 * would (a namespace on the lab's host), and the wait for the port to go ACTIVE (Nova's wait for
 * vif-plugged). Then, what Nova never checks: the VM gets its address by DHCP and pings its
 * gateway. Every VM's bind -> ACTIVE, bind -> lease and bind -> first ping are recorded.
 */
import { randomUUID } from 'node:crypto';
import type { Identity, NeutronClient, Resource } from './client.js';
import type { Tracker } from './cleanup.js';
import type { Lab, LabHost } from './lab.js';

/** One VM's figures, in seconds from the start of its port's bind request. */
export interface VmSample {
  readonly iteration: number;
  readonly host: string;
  readonly bindToActive?: number;
  readonly bindToLease?: number;
  readonly bindToPing?: number;
  /** Through a real Nova: POST /servers -> server ACTIVE. */
  readonly bootToActive?: number;
  readonly error?: string;
}

export interface Server {
  readonly id: string;
  /** Where it runs (a lab host, or a Nova compute's host name). */
  readonly host: { readonly name: string };
  /** Its VM namespace on the lab's host ('' through a real Nova: the fake driver makes none). */
  readonly ns: string;
  readonly ports: Resource[];
  /** performance.now() when its first port's bind was sent, and when that port went ACTIVE. */
  readonly boundAt: number;
  readonly activeAt: number;
}

/** Who acts: the iteration's user creates ports, the admin binds them (as Nova does, with its service token). */
export interface Acting {
  readonly client: NeutronClient;
  readonly tracker: Tracker;
  readonly user: Identity;
  atomic<T>(action: string, fn: () => Promise<T>): Promise<T>;
}

const ADMIN: Identity = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Dotted netmask to prefix length. */
const prefixOf = (mask: string): number => mask.split('.').reduce((n, o) => n + Number(o).toString(2).replace(/0/g, '').length, 0);

/**
 * What the VM scenarios boot servers with: the bench itself doing Nova's part on the network
 * (LabNova), or a real Nova through its API (ApiNova, `--nova`).
 */
export interface Servers {
  boot(a: Acting, networkId: string, name: string): Promise<Server>;
  attach(a: Acting, server: Server, networkId: string, name: string): Promise<Resource>;
  /** The VM's figures once it is up. */
  check(server: Server, iteration: number): Promise<VmSample>;
  delete(a: Acting, server: Server): Promise<void>;
  /** Servers left by failed iterations. */
  cleanup(): Promise<void>;
  /** Before the load: what the task's contexts ask of the compute side (Rally's quotas for nova). */
  prepareTenants?(projectIds: readonly string[], quotas: unknown): Promise<void>;
}

export class LabNova implements Servers {
  private nextHost = 0;
  private vmCount = 0;
  private readonly servers = new Set<Server>();

  /**
   * `pollMs`: how often a port's status is read while waiting for ACTIVE (the resolution of
   * bind -> ACTIVE; Nova is told by an event instead).
   */
  constructor(private readonly lab: Lab, readonly hosts: readonly LabHost[], private readonly opts: { activeTimeoutMs?: number; pollMs?: number } = {}) {
    if (hosts.length === 0) throw new Error('no hosts to boot VMs on');
  }

  private async waitActive(client: NeutronClient, portId: string, host: LabHost): Promise<number> {
    const until = performance.now() + (this.opts.activeTimeoutMs ?? 60_000);
    for (;;) {
      const port = (await client.request('GET', `/v2.0/ports/${portId}?fields=status`, ADMIN)) as { port: { status: string } };
      if (port.port.status === 'ACTIVE') return performance.now();
      if (port.port.status === 'ERROR') throw new Error(`port ${portId} on ${host.name} went ERROR`);
      if (performance.now() > until) throw new Error(`port ${portId} on ${host.name} not ACTIVE after ${this.opts.activeTimeoutMs ?? 60_000} ms (${port.port.status})`);
      await sleep(this.opts.pollMs ?? 50);
    }
  }

  /** Binds a created port to the server's host and plugs it as `plug` does; resolves once ACTIVE. */
  private async bindAndPlug(a: Acting, port: Resource, serverId: string, host: LabHost, plug: () => Promise<unknown>): Promise<{ boundAt: number; activeAt: number }> {
    const boundAt = performance.now();
    await a.client.update('ports', 'port', port.id, ADMIN, { 'binding:host_id': host.name, device_owner: 'compute:nova', device_id: serverId });
    await plug();
    return { boundAt, activeAt: await this.waitActive(a.client, port.id, host) };
  }

  /** `nova.boot_server`: a server with one port on the network, on the next host in turn. */
  async boot(a: Acting, networkId: string, name: string): Promise<Server> {
    return a.atomic('nova.boot_server', async () => {
      const id = randomUUID();
      const host = this.hosts[this.nextHost++ % this.hosts.length];
      const port = await a.client.create('ports', 'port', a.user, { network_id: networkId, name: `${name}-port` });
      a.tracker.add('ports', port.id, a.user);
      const vm = `v${++this.vmCount}`;
      let ns = '';
      const t = await this.bindAndPlug(a, port, id, host, async () => {
        ns = await this.lab.plug(host, port, vm);
        // The guest's ARP retries every second by default: that would be the figure, not ours.
        await this.lab.exec(ns, 'sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.retrans_time_ms=20');
      });
      const server: Server = { id, host, ns, ports: [port], ...t };
      this.servers.add(server);
      return server;
    });
  }

  /** `neutron.create_port` as the user, then `nova.attach_interface`: bound to the server, a tap of its own, ACTIVE. */
  async attach(a: Acting, server: Server, networkId: string, name: string): Promise<Resource> {
    const port = await a.atomic('neutron.create_port', () => a.client.create('ports', 'port', a.user, { network_id: networkId, name }));
    a.tracker.add('ports', port.id, a.user);
    const host = server.host as LabHost;
    await a.atomic('nova.attach_interface', () => this.bindAndPlug(a, port, server.id, host, () => this.lab.plugMore(host, server.ns, port, `eth${server.ports.length}`)));
    server.ports.push(port);
    return port;
  }

  /**
   * What the guest does once up: DHCP on eth0 (dhclient, retransmitting every second), its address
   * set from the lease, then pings to the router the lease names. Timed from the bind.
   */
  async check(server: Server, iteration: number): Promise<VmSample> {
    const base = { iteration, host: server.host.name, bindToActive: (server.activeAt - server.boundAt) / 1000 };
    const lease = await this.lab.lease(server.ns, 20, 'initial-interval 1;\nbackoff-cutoff 1;\n');
    const leasedAt = performance.now();
    const want = server.ports[0].fixed_ips?.[0]?.ip_address as string | undefined;
    if (!lease?.address) return { ...base, error: `VM ${server.ns} on ${server.host.name}: no DHCP lease` };
    if (lease.address !== want) return { ...base, error: `VM ${server.ns}: DHCP gave ${lease.address}, its port has ${want}` };
    const gateway = lease.routers?.split(/[ ,]/)[0];
    const bindToLease = (leasedAt - server.boundAt) / 1000;
    if (!gateway) return { ...base, bindToLease, error: `VM ${server.ns}: the lease names no router` };
    await this.lab.exec(server.ns, 'ip', 'addr', 'add', `${lease.address}/${prefixOf(lease['subnet-mask'] ?? '255.255.255.0')}`, 'dev', 'eth0');
    const answered = await this.lab.firstReply(server.ns, gateway, 20_000);
    if (!answered) return { ...base, bindToLease, error: `VM ${server.ns} on ${server.host.name}: its gateway ${gateway} did not answer in 20 s` };
    return { ...base, bindToLease, bindToPing: (performance.now() - server.boundAt) / 1000 };
  }

  /** `nova.delete_server`: the VM destroyed (its taps go), then its ports deleted, as Nova does. */
  async delete(a: Acting, server: Server): Promise<void> {
    await a.atomic('nova.delete_server', async () => {
      await this.lab.unplug(server.ns);
      this.servers.delete(server);
      for (const port of server.ports) {
        await a.client.remove('ports', port.id, ADMIN);
        a.tracker.forget('ports', port.id);
      }
    });
  }

  /** The servers left (a scenario that keeps them, a failed iteration) destroyed before their ports go. */
  async cleanup(): Promise<void> {
    for (const s of this.servers) await this.lab.unplug(s.ns).catch(() => undefined);
    this.servers.clear();
  }
}
