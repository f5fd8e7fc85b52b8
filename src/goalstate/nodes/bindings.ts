/**
 * Where every port is: port -> host, host -> ports, network -> hosts (with counts), network ->
 * bound ports, host -> VTEP. Its tracked changes are the bound ports that changed this round, with
 * their row before and after (either absent when the port was not bound there).
 */
import type { AgentRow, PortRow } from '../rows.js';
import { EngineNode } from '../engine/engine.js';
import { addTo, dropFrom } from '../multimap.js';
import type { InputNode, RowChange } from './input.js';

export class BindingsNode extends EngineNode {
  readonly portHost = new Map<string, string>();
  readonly hostPorts = new Map<string, Set<string>>();
  readonly netHosts = new Map<string, Map<string, number>>();
  readonly netPorts = new Map<string, Set<string>>();
  readonly hostVtep = new Map<string, string>();
  /** Bound-port changes this round (old/now are the rows while bound). */
  readonly tracked = new Map<string, RowChange<PortRow>>();
  readonly vtepChanged = new Set<string>();
  /** Hosts whose last port on a network came or went: [network, host, added]. */
  readonly membership: Array<[string, string, boolean]> = [];

  constructor(private readonly ports: InputNode<PortRow>, private readonly agents: InputNode<AgentRow>) {
    super('bindings', [ports, agents]);
    this.handlers.set('ports', () => {
      for (const [id, ch] of ports.tracked) this.portChanged(id, ch);
      return 'handled';
    });
    this.handlers.set('agents', () => {
      this.agentsChanged();
      return 'handled';
    });
  }

  recompute(): void {
    for (const m of [this.portHost, this.hostPorts, this.netHosts, this.netPorts, this.hostVtep]) m.clear();
    for (const [id, row] of this.ports.rows) if (row.host) this.place(id, row);
    this.agentsChanged();
  }

  clearTracked(): void {
    this.tracked.clear();
    this.vtepChanged.clear();
    this.membership.length = 0;
  }

  private agentsChanged(): void {
    const vteps = new Map<string, string>();
    for (const a of this.agents.rows.values()) if (a.vtep) vteps.set(a.host, a.vtep);
    for (const [host, vtep] of vteps) {
      if (this.hostVtep.get(host) !== vtep) {
        this.hostVtep.set(host, vtep);
        this.vtepChanged.add(host);
        this.changed = true;
      }
    }
    for (const host of [...this.hostVtep.keys()]) {
      if (!vteps.has(host)) {
        this.hostVtep.delete(host);
        this.vtepChanged.add(host);
        this.changed = true;
      }
    }
  }

  private place(id: string, row: PortRow): void {
    this.portHost.set(id, row.host);
    addTo(this.hostPorts, row.host, id);
    addTo(this.netPorts, row.network, id);
    let hosts = this.netHosts.get(row.network);
    if (!hosts) this.netHosts.set(row.network, (hosts = new Map()));
    const n = (hosts.get(row.host) ?? 0) + 1;
    hosts.set(row.host, n);
    if (n === 1) this.membership.push([row.network, row.host, true]);
    this.touched();
  }

  private unplace(id: string, row: PortRow): void {
    this.portHost.delete(id);
    dropFrom(this.hostPorts, row.host, id);
    dropFrom(this.netPorts, row.network, id);
    const hosts = this.netHosts.get(row.network)!;
    const n = hosts.get(row.host)! - 1;
    if (n === 0) {
      hosts.delete(row.host);
      if (hosts.size === 0) this.netHosts.delete(row.network);
      this.membership.push([row.network, row.host, false]);
    } else {
      hosts.set(row.host, n);
    }
    this.touched();
  }

  private portChanged(id: string, ch: RowChange<PortRow>): void {
    const old = ch.old?.host ? ch.old : undefined;
    const now = ch.now?.host ? ch.now : undefined;
    if (!old && !now) return;
    if (old && (!now || old.host !== now.host)) this.unplace(id, old);
    if (now && (!old || old.host !== now.host)) this.place(id, now);
    const prior = this.tracked.get(id);
    this.tracked.set(id, { old: prior ? prior.old : old, now });
    this.changed = true;
  }
}
