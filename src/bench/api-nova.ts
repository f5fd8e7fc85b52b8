/**
 * `alcor bench --nova`: the VM scenarios through a real Nova (scripts/nova.sh), servers created and
 * waited for through Nova's API as the iteration's user, interfaces attached through it. Besides
 * Nova's own boot time (request -> server ACTIVE), each VM's network part is watched from the
 * controller's side: from Nova's bind of the port (binding:host_id set) to the port ACTIVE. Nova's
 * fake driver makes no VM, so there is no DHCP or ping to check here (the default mode checks them).
 */
import type { Identity, NeutronClient, Resource } from './client.js';
import type { Acting, Server, Servers, VmSample } from './nova.js';

const ADMIN: Identity = {};
/** How often the controller is asked for a booting server's port: the resolution of bind -> ACTIVE. */
const PORT_POLL_MS = 50;
/**
 * How often Nova is asked for a booting server: the resolution of Nova boot -> ACTIVE. Rally's
 * default is 2 s (`nova_server_boot_poll_interval`, after a 1 s `prepoll_delay`); half a second keeps
 * the figure finer without loading nova-api with the bench's own reads.
 */
const NOVA_POLL_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface NovaServer extends Server {
  readonly requestedAt: number;
  readonly bootedAt: number;
}

export class ApiNova implements Servers {
  private readonly servers = new Set<string>();

  private constructor(
    private readonly client: NeutronClient, private readonly url: string, private readonly adminToken: string,
    private readonly imageRef: string, private readonly flavorRef: string, private readonly timeoutMs: number,
  ) {}

  /** Nova at `url` (NOVA_URL of scripts/nova.sh env), the task's image and flavor found by name. */
  static async connect(client: NeutronClient, url: string, adminToken: string, image: string, flavor: string, timeoutMs = 300_000): Promise<ApiNova> {
    const base = url.replace(/\/+$/, '');
    const probe = new ApiNova(client, base, adminToken, '', '', timeoutMs);
    const images = (await probe.call('GET', `/images?name=${encodeURIComponent(image)}`, adminToken)).body?.images ?? [];
    const flavors = (await probe.call('GET', '/flavors', adminToken)).body?.flavors ?? [];
    const f = flavors.find((x: Json) => x.name === flavor);
    if (!images[0] || !f) throw new Error(`Nova at ${base} has no image ${image} or flavor ${flavor} (scripts/nova.sh seeds cirros-healthcheck and m1.tiny)`);
    return new ApiNova(client, base, adminToken, images[0].id, f.id, timeoutMs);
  }

  private async call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'x-auth-token': token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: Json;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
    return { status: res.status, body: parsed };
  }

  /** Rally's quotas context for nova (`{"nova": {"instances": -1, ...}}`), set by the admin. */
  async prepareTenants(projectIds: readonly string[], quotas: unknown): Promise<void> {
    const nova = (quotas as { nova?: unknown } | undefined)?.nova;
    if (nova === undefined || nova === null || typeof nova !== 'object') return;
    for (const p of projectIds) {
      const r = await this.call('PUT', `/os-quota-sets/${p}`, this.adminToken, { quota_set: nova });
      if (r.status !== 200) throw new Error(`Nova refused the quotas of ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }

  async boot(a: Acting, networkId: string, name: string): Promise<Server> {
    return a.atomic('nova.boot_server', async () => {
      const requestedAt = performance.now();
      const token = a.user.token ?? this.adminToken;
      const r = await this.call('POST', '/servers', token, { server: { name, imageRef: this.imageRef, flavorRef: this.flavorRef, networks: [{ uuid: networkId }] } });
      if (r.status !== 202) throw new Error(`Nova refused the boot: ${r.status} ${JSON.stringify(r.body)}`);
      const id = r.body.server.id as string;
      this.servers.add(id);
      const until = requestedAt + this.timeoutMs;
      // Two loops, so that neither's latency sets the other's resolution: the port read from the
      // controller every PORT_POLL_MS, Nova's server every NOVA_POLL_MS. In one loop, every slow
      // answer of a loaded nova-api was a gap in the port's readings, and 30 boots reading Nova
      // every 50 ms were a load on nova-api of their own.
      const stop = { done: false };
      const network = this.watchPort(id, until, stop);
      network.catch(() => undefined);
      try {
        return await this.waitActive(id, until, requestedAt, network);
      } finally {
        stop.done = true;
      }
    });
  }

  private async waitActive(id: string, until: number, requestedAt: number, network: Promise<{ boundAt: number; activeAt: number }>): Promise<Server> {
    await sleep(NOVA_POLL_MS);
    for (;;) {
      const s = (await this.call('GET', `/servers/${id}`, this.adminToken)).body?.server;
      if (s?.status === 'ACTIVE') {
        const bootedAt = performance.now();
        const { boundAt, activeAt } = await network;
        const ports = ((await this.client.request('GET', `/v2.0/ports?device_id=${id}`, ADMIN)) as { ports: Resource[] }).ports;
        const server: NovaServer = { id, host: { name: s['OS-EXT-SRV-ATTR:host'] as string }, ns: '', ports, boundAt, activeAt, requestedAt, bootedAt };
        return server;
      }
      if (s?.status === 'ERROR') throw new Error(`server ${id} went ERROR: ${JSON.stringify(s.fault?.message ?? s.fault)}`);
      if (performance.now() > until) throw new Error(`server ${id} not ACTIVE after ${this.timeoutMs} ms (${s?.status})`);
      await sleep(NOVA_POLL_MS);
    }
  }

  /** When the server's ports were first seen bound by Nova, and when all of them were ACTIVE. */
  private async watchPort(serverId: string, until: number, stop: { done: boolean }): Promise<{ boundAt: number; activeAt: number }> {
    let boundAt: number | undefined;
    while (!stop.done) {
      const ports = ((await this.client.request('GET', `/v2.0/ports?device_id=${serverId}&fields=status&fields=binding:host_id`, ADMIN)) as { ports: Json[] }).ports;
      const now = performance.now();
      if (boundAt === undefined && ports.some((p) => p['binding:host_id'])) boundAt = now;
      if (boundAt !== undefined && ports.length > 0 && ports.every((p) => p.status === 'ACTIVE')) return { boundAt, activeAt: now };
      if (now > until) throw new Error(`the port of server ${serverId} not ACTIVE after ${this.timeoutMs} ms`);
      await sleep(PORT_POLL_MS);
    }
    throw new Error(`the boot of server ${serverId} ended before its port was ACTIVE`);
  }

  async attach(a: Acting, server: Server, networkId: string, name: string): Promise<Resource> {
    const port = await a.atomic('neutron.create_port', () => a.client.create('ports', 'port', a.user, { network_id: networkId, name }));
    a.tracker.add('ports', port.id, a.user);
    await a.atomic('nova.attach_interface', async () => {
      const r = await this.call('POST', `/servers/${server.id}/os-interface`, a.user.token ?? this.adminToken, { interfaceAttachment: { port_id: port.id } });
      if (r.status !== 200) throw new Error(`Nova refused the attach: ${r.status} ${JSON.stringify(r.body)}`);
      const until = performance.now() + this.timeoutMs;
      while (((await a.client.request('GET', `/v2.0/ports/${port.id}?fields=status`, ADMIN)) as { port: { status: string } }).port.status !== 'ACTIVE') {
        if (performance.now() > until) throw new Error(`attached port ${port.id} not ACTIVE after ${this.timeoutMs} ms`);
        await sleep(50);
      }
    });
    server.ports.push(port);
    return port;
  }

  async check(server: Server, iteration: number): Promise<VmSample> {
    const s = server as NovaServer;
    return { iteration, host: s.host.name, bindToActive: (s.activeAt - s.boundAt) / 1000, bootToActive: (s.bootedAt - s.requestedAt) / 1000 };
  }

  async delete(a: Acting, server: Server): Promise<void> {
    await a.atomic('nova.delete_server', async () => {
      await this.remove(server.id);
      // Nova deletes the ports it made; those attached after are let go (unbound), and deleted here.
      for (const port of server.ports.slice(1)) {
        await a.client.remove('ports', port.id, ADMIN).catch(() => undefined);
        a.tracker.forget('ports', port.id);
      }
    });
  }

  private async remove(id: string): Promise<void> {
    const r = await this.call('DELETE', `/servers/${id}`, this.adminToken);
    if (r.status !== 204 && r.status !== 404) throw new Error(`Nova refused the delete of ${id}: ${r.status}`);
    const until = performance.now() + this.timeoutMs;
    while ((await this.call('GET', `/servers/${id}`, this.adminToken)).status !== 404) {
      if (performance.now() > until) throw new Error(`server ${id} not gone after ${this.timeoutMs} ms`);
      await sleep(100);
    }
    this.servers.delete(id);
  }

  async cleanup(): Promise<void> {
    for (const id of [...this.servers]) await this.remove(id).catch(() => undefined);
  }
}
