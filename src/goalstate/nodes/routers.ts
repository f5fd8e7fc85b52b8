/**
 * `rt/<router>`: a router, its ports and its floating IPs, and which hosts carry it. Routers are
 * distributed: a router is on every host with a bound port on one of its interface networks (and
 * on the host its gateway port is bound to), and those hosts are given its networks too, so a
 * packet is routed on the host it leaves and carried over the destination network's VXLAN.
 * Tracked: the routers whose hosts or networks changed this round (subscriptions follow them).
 */
import type { FloatingEntry, RouterInfo, RouterPort } from '../../protocol/messages.js';
import { ROUTER_GATEWAY, ROUTER_INTERFACE, ROUTER_SNAT, isRouterOwner, routerStream } from '../../protocol/messages.js';
import type { FloatingIpRow, PortRow, RouterRow } from '../rows.js';
import type { StreamStore } from '../streams.js';
import { EngineNode } from '../engine/engine.js';
import { addTo, dropFrom } from '../multimap.js';
import type { BindingsNode } from './bindings.js';
import type { InputNode, RowChange } from './input.js';

const PREFIX: Record<string, string> = { [ROUTER_INTERFACE]: 'i', [ROUTER_SNAT]: 's', [ROUTER_GATEWAY]: 'g' };

export class RoutersNode extends EngineNode {
  /** router -> interface network -> interface ports on it. */
  private readonly nets = new Map<string, Map<string, number>>();
  /** network -> routers with an interface on it. */
  private readonly netRouters = new Map<string, Set<string>>();
  /** router -> the host its gateway port is bound to. */
  private readonly gatewayHost = new Map<string, string>();
  private readonly hosts = new Map<string, Set<string>>();
  /** Routers whose hosts or networks changed this round. */
  readonly tracked = new Set<string>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly ports: InputNode<PortRow>, private readonly routers: InputNode<RouterRow>,
    private readonly fips: InputNode<FloatingIpRow>, private readonly bindings: BindingsNode, private readonly streams: StreamStore,
  ) {
    super('routers', [ports, routers, fips, bindings]);
    this.handlers.set('ports', () => {
      for (const [id, ch] of ports.tracked) this.portChanged(id, ch);
      this.settle();
      return 'handled';
    });
    this.handlers.set('router-rows', () => {
      for (const [id, ch] of routers.tracked) this.writeRouter(id, ch.now);
      return 'handled';
    });
    this.handlers.set('floatingip-rows', () => {
      for (const [id, ch] of fips.tracked) {
        if (ch.old?.router && ch.old.fixed) this.change(this.streams.remove(routerStream(ch.old.router), `f:${id}`));
        if (ch.now) this.writeFip(id, ch.now);
      }
      return 'handled';
    });
    this.handlers.set('bindings', () => {
      // A host's first or last port on a network moves it onto or off the network's routers.
      for (const [net] of bindings.membership) for (const r of this.netRouters.get(net) ?? []) this.dirty.add(r);
      this.settle();
      return 'handled';
    });
  }

  hostsOf(router: string): ReadonlySet<string> {
    return this.hosts.get(router) ?? new Set();
  }

  networksOf(router: string): Iterable<string> {
    return this.nets.get(router)?.keys() ?? [];
  }

  routerIds(): Iterable<string> {
    return this.hosts.keys();
  }

  recompute(): void {
    for (const m of [this.nets, this.netRouters, this.gatewayHost, this.hosts]) m.clear();
    for (const [id, row] of this.ports.rows) this.portChanged(id, { now: row });
    for (const [id, row] of this.routers.rows) this.writeRouter(id, row);
    for (const [id, row] of this.fips.rows) this.writeFip(id, row);
    this.settle();
  }

  clearTracked(): void {
    this.tracked.clear();
    this.dirty.clear();
  }

  private change(changed: boolean): void {
    this.touched();
    if (changed) this.changed = true;
  }

  private writeRouter(id: string, row: RouterRow | undefined): void {
    if (!row) { this.change(this.streams.remove(routerStream(id), 'r')); return; }
    const { id: _id, ...info } = row;
    this.change(this.streams.upsert(routerStream(id), 'r', info satisfies RouterInfo));
  }

  private writeFip(id: string, row: FloatingIpRow): void {
    if (row.router && row.fixed) this.change(this.streams.upsert(routerStream(row.router), `f:${id}`, [row.floating, row.fixed] satisfies FloatingEntry));
  }

  private portChanged(id: string, ch: RowChange<PortRow>): void {
    const old = ch.old && isRouterOwner(ch.old.owner) && ch.old.device ? ch.old : undefined;
    const now = ch.now && isRouterOwner(ch.now.owner) && ch.now.device ? ch.now : undefined;
    if (old) {
      if (!now || now.device !== old.device || now.owner !== old.owner) this.change(this.streams.remove(routerStream(old.device), `${PREFIX[old.owner]}:${id}`));
      if (old.owner === ROUTER_INTERFACE) this.netRef(old.device, old.network, -1);
      if (old.owner === ROUTER_GATEWAY && this.gatewayHost.get(old.device) === old.host) { this.gatewayHost.delete(old.device); this.dirty.add(old.device); }
    }
    if (now) {
      const value: RouterPort = { network: now.network, mac: now.mac, ips: now.ips };
      this.change(this.streams.upsert(routerStream(now.device), `${PREFIX[now.owner]}:${id}`, value));
      if (now.owner === ROUTER_INTERFACE) this.netRef(now.device, now.network, +1);
      if (now.owner === ROUTER_GATEWAY && now.host) { this.gatewayHost.set(now.device, now.host); this.dirty.add(now.device); }
    }
  }

  private netRef(router: string, net: string, d: 1 | -1): void {
    let m = this.nets.get(router);
    if (!m) this.nets.set(router, (m = new Map()));
    const n = (m.get(net) ?? 0) + d;
    if (n > 0) m.set(net, n);
    else m.delete(net);
    if (m.size === 0) this.nets.delete(router);
    if (n === 1 && d === 1) addTo(this.netRouters, net, router);
    if (n === 0) dropFrom(this.netRouters, net, router);
    this.dirty.add(router);
  }

  /** The hosts of every router whose networks or bindings moved. */
  private settle(): void {
    for (const r of this.dirty) {
      const want = new Set<string>();
      for (const net of this.nets.get(r)?.keys() ?? []) for (const h of this.bindings.netHosts.get(net)?.keys() ?? []) want.add(h);
      const gw = this.gatewayHost.get(r);
      if (gw) want.add(gw);
      this.touched(want.size);
      const have = this.hosts.get(r);
      if (want.size === 0) this.hosts.delete(r);
      else this.hosts.set(r, want);
      // Networks may have moved with hosts unchanged: subscriptions compare both.
      this.tracked.add(r);
      if (!have || have.size !== want.size || [...want].some((h) => !have.has(h))) this.changed = true;
    }
    if (this.dirty.size) this.changed = true;
    this.dirty.clear();
  }
}
