/**
 * What each host subscribes to, by reference count: `net/N` while it has a port on N, `sg/G` while
 * it has a port in G, `sgm/X` while one of those groups has a rule naming X as its remote group,
 * `rt/R` and every interface network of R while R is on the host.
 * Tracked: per host, the streams added and removed this round (netted).
 */
import { groupStream, membersStream, netStream, routerStream } from '../../protocol/messages.js';
import type { PortRow, RuleRow } from '../rows.js';
import { EngineNode } from '../engine/engine.js';
import { addTo, dropFrom } from '../multimap.js';
import type { BindingsNode } from './bindings.js';
import type { InputNode } from './input.js';
import type { RoutersNode } from './routers.js';

export interface SubscriptionChange {
  readonly added: Set<string>;
  readonly removed: Set<string>;
}

export class SubscriptionsNode extends EngineNode {
  /** host -> stream -> references. */
  private readonly refs = new Map<string, Map<string, number>>();
  /** stream -> hosts subscribed. */
  readonly subscribers = new Map<string, Set<string>>();
  /** host -> group -> ports of the host in it. */
  private readonly hostGroups = new Map<string, Map<string, number>>();
  /** group -> hosts with a port in it. */
  private readonly groupHosts = new Map<string, Set<string>>();
  /** group -> remote group -> rules naming it. */
  private readonly groupRemotes = new Map<string, Map<string, number>>();
  readonly tracked = new Map<string, SubscriptionChange>();
  /** router -> the hosts and networks its references were taken for. */
  private readonly routerRefs = new Map<string, { hosts: Set<string>; nets: Set<string> }>();

  constructor(private readonly bindings: BindingsNode, private readonly rules: InputNode<RuleRow>, private readonly routers: RoutersNode) {
    super('subscriptions', [bindings, rules, routers]);
    this.handlers.set('routers', () => {
      for (const r of routers.tracked) this.routerMoved(r);
      return 'handled';
    });
    this.handlers.set('bindings', () => {
      for (const ch of bindings.tracked.values()) {
        if (ch.old) this.portRefs(ch.old, -1);
        if (ch.now) this.portRefs(ch.now, +1);
      }
      return 'handled';
    });
    this.handlers.set('rules', () => {
      for (const ch of rules.tracked.values()) {
        if (ch.old?.remoteGroup) this.remoteRef(ch.old.group, ch.old.remoteGroup, -1);
        if (ch.now?.remoteGroup) this.remoteRef(ch.now.group, ch.now.remoteGroup, +1);
      }
      return 'handled';
    });
  }

  recompute(): void {
    const before = new Map([...this.refs].map(([h, m]) => [h, new Set(m.keys())]));
    for (const m of [this.refs, this.subscribers, this.hostGroups, this.groupHosts, this.groupRemotes, this.routerRefs]) m.clear();
    this.tracked.clear();
    for (const r of this.routers.routerIds()) this.routerMoved(r);
    for (const r of this.rules.rows.values()) if (r.remoteGroup) this.remoteRef(r.group, r.remoteGroup, +1);
    for (const [, ports] of this.bindings.hostPorts) {
      for (const id of ports) {
        const row = this.bindingsRow(id);
        if (row) this.portRefs(row, +1);
      }
    }
    // What a recompute changed, as a handler would have said it.
    this.tracked.clear();
    const hosts = new Set([...before.keys(), ...this.refs.keys()]);
    for (const h of hosts) {
      const was = before.get(h) ?? new Set<string>();
      const is = new Set(this.refs.get(h)?.keys() ?? []);
      for (const s of is) if (!was.has(s)) this.change(h).added.add(s);
      for (const s of was) if (!is.has(s)) this.change(h).removed.add(s);
    }
  }

  /** The row of a bound port, read back from the ports input the bindings index was built from. */
  private bindingsRow(id: string): PortRow | undefined {
    return this.portsInput().rows.get(id);
  }

  private portsInput(): InputNode<PortRow> {
    return this.bindings.inputs[0] as InputNode<PortRow>;
  }

  clearTracked(): void {
    this.tracked.clear();
  }

  /** How many streams the host subscribes to. */
  count(host: string): number {
    return this.refs.get(host)?.size ?? 0;
  }

  streamsOf(host: string): string[] {
    return [...(this.refs.get(host)?.keys() ?? [])];
  }

  private portRefs(row: PortRow, d: 1 | -1): void {
    this.ref(row.host, netStream(row.network), d);
    for (const g of row.groups) {
      this.ref(row.host, groupStream(g), d);
      let groups = this.hostGroups.get(row.host);
      if (!groups) this.hostGroups.set(row.host, (groups = new Map()));
      const n = (groups.get(g) ?? 0) + d;
      if (n === 0) groups.delete(g);
      else groups.set(g, n);
      if (n === 1 && d === 1) {
        addTo(this.groupHosts, g, row.host);
        for (const x of this.groupRemotes.get(g)?.keys() ?? []) this.ref(row.host, membersStream(x), +1);
      } else if (n === 0) {
        dropFrom(this.groupHosts, g, row.host);
        for (const x of this.groupRemotes.get(g)?.keys() ?? []) this.ref(row.host, membersStream(x), -1);
      }
    }
  }

  /** Takes and drops references so the router's hosts hold it and its networks, as they are now. */
  private routerMoved(router: string): void {
    const hosts = this.routers.hostsOf(router);
    const nets = new Set(this.routers.networksOf(router));
    const was = this.routerRefs.get(router) ?? { hosts: new Set<string>(), nets: new Set<string>() };
    for (const h of was.hosts) {
      if (hosts.has(h)) continue;
      this.ref(h, routerStream(router), -1);
      for (const n of was.nets) this.ref(h, netStream(n), -1);
    }
    for (const h of hosts) {
      if (was.hosts.has(h)) {
        for (const n of nets) if (!was.nets.has(n)) this.ref(h, netStream(n), +1);
        for (const n of was.nets) if (!nets.has(n)) this.ref(h, netStream(n), -1);
        continue;
      }
      this.ref(h, routerStream(router), +1);
      for (const n of nets) this.ref(h, netStream(n), +1);
    }
    if (hosts.size === 0) this.routerRefs.delete(router);
    else this.routerRefs.set(router, { hosts: new Set(hosts), nets });
  }

  private remoteRef(group: string, remote: string, d: 1 | -1): void {
    let remotes = this.groupRemotes.get(group);
    if (!remotes) this.groupRemotes.set(group, (remotes = new Map()));
    const n = (remotes.get(remote) ?? 0) + d;
    if (n === 0) remotes.delete(remote);
    else remotes.set(remote, n);
    if (remotes.size === 0) this.groupRemotes.delete(group);
    if ((n === 1 && d === 1) || n === 0) {
      for (const h of this.groupHosts.get(group) ?? []) this.ref(h, membersStream(remote), d);
    }
  }

  private ref(host: string, stream: string, d: 1 | -1): void {
    let m = this.refs.get(host);
    if (!m) this.refs.set(host, (m = new Map()));
    const n = (m.get(stream) ?? 0) + d;
    this.touched();
    if (n > 0) {
      m.set(stream, n);
      if (n === 1 && d === 1) {
        addTo(this.subscribers, stream, host);
        const c = this.change(host);
        if (!c.removed.delete(stream)) c.added.add(stream);
        this.changed = true;
      }
      return;
    }
    m.delete(stream);
    if (m.size === 0) this.refs.delete(host);
    dropFrom(this.subscribers, stream, host);
    const c = this.change(host);
    if (!c.added.delete(stream)) c.removed.add(stream);
    this.changed = true;
  }

  private change(host: string): SubscriptionChange {
    let c = this.tracked.get(host);
    if (!c) this.tracked.set(host, (c = { added: new Set(), removed: new Set() }));
    return c;
  }
}
