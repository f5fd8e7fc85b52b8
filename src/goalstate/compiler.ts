/**
 * The goal-state compiler: builds its state from a snapshot of the store, then takes the committed
 * change log batch by batch, in order, and hands out each round's result: the streams that changed
 * (items serialised once), the hosts whose subscriptions changed, and the ports each host must
 * acknowledge before they are ACTIVE.
 */
import type { ChangedRow, FeedSnapshot } from '../store/change-feed.js';
import type { Doc } from '../store/store.js';
import type { RoundReport } from './engine/engine.js';
import type { Graph } from './graph.js';
import { buildGraph } from './graph.js';
import type { SubscriptionChange } from './nodes/subscriptions.js';
import { agentRow, floatingIpRow, inactiveRows, networkRow, portRow, routerRow, ruleRow, subnetRow } from './rows.js';
import type { StreamRound } from './streams.js';

export interface Round {
  /** The store revision this round brings every stream up to. */
  readonly revision: number;
  readonly streams: ReadonlyMap<string, StreamRound>;
  readonly subscriptions: ReadonlyMap<string, SubscriptionChange>;
  /** host -> ports whose item changed on it this round. */
  readonly portsOut: ReadonlyMap<string, ReadonlySet<string>>;
  /** stream -> ports whose neighbour entry changed this round. */
  readonly entryPorts: ReadonlyMap<string, ReadonlySet<string>>;
  /** The change-log revision of each port changed this round (its trigger). */
  readonly portRevisions: ReadonlyMap<string, number>;
  readonly report: RoundReport;
}

export class Compiler {
  readonly graph: Graph = buildGraph();
  /** Every port's status as stored (readiness compares against it). */
  readonly portStatus = new Map<string, string>();
  /** Each port's inactive bindings' keys, as last taken (to drop those that went). */
  private readonly shadowKeys = new Map<string, string[]>();
  private revision_ = 0;
  rounds = 0;
  private reports: RoundReport[] = [];

  get revision(): number {
    return this.revision_;
  }

  load(snapshot: FeedSnapshot): void {
    for (const [kind, docs] of snapshot.rows) for (const d of docs) this.take(kind, d.id, d);
    this.graph.engine.build();
    this.graph.streams.takeRound();
    this.revision_ = snapshot.revision;
  }

  /** One round over a batch of changes (oldest first); nothing older than the last round is taken. */
  apply(rows: readonly ChangedRow[]): Round {
    const portRevisions = new Map<string, number>();
    let revision = this.revision_;
    for (const r of rows) {
      if (r.revision <= this.revision_) continue;
      this.take(r.kind, r.id, r.doc);
      if (r.kind === 'port') portRevisions.set(r.id, r.revision);
      revision = Math.max(revision, r.revision);
    }
    const report = this.graph.engine.run();
    const g = this.graph;
    const round: Round = {
      revision,
      streams: g.streams.takeRound(),
      subscriptions: new Map(g.subscriptions.tracked),
      portsOut: new Map(g.hostParts.portsOut),
      entryPorts: new Map(g.neighbours.entryPorts),
      portRevisions,
      report,
    };
    g.engine.clear();
    this.revision_ = revision;
    this.rounds++;
    this.reports.push(report);
    if (this.reports.length > 1000) this.reports.shift();
    return round;
  }

  /** Which nodes ran, and how, in the rounds since the last call (tests assert on it). */
  takeReports(): RoundReport[] {
    const r = this.reports;
    this.reports = [];
    return r;
  }

  private take(kind: string, id: string, doc: Doc | undefined): void {
    const g = this.graph;
    switch (kind) {
      case 'port': {
        if (doc) this.portStatus.set(id, doc.status as string);
        else this.portStatus.delete(id);
        // Inactive bindings that went first, then the port, then those it has now: a binding
        // activated in this change leaves its host's shadow before the port itself lands there.
        const shadows = doc ? inactiveRows(doc) : [];
        const before = this.shadowKeys.get(id);
        for (const k of before ?? []) if (!shadows.some(([key]) => key === k)) g.ports.set(k, undefined);
        g.ports.set(id, doc && portRow(doc));
        for (const [k, row] of shadows) g.ports.set(k, row);
        if (shadows.length) this.shadowKeys.set(id, shadows.map(([k]) => k));
        else this.shadowKeys.delete(id);
        return;
      }
      case 'network':
        g.networks.set(id, doc && networkRow(doc));
        return;
      case 'subnet':
        g.subnets.set(id, doc && subnetRow(doc));
        return;
      case 'security_group_rule':
        g.rules.set(id, doc && ruleRow(doc));
        return;
      case 'agent':
        g.agents.set(id, doc && agentRow(doc));
        return;
      case 'router':
        g.routerRows.set(id, doc && routerRow(doc));
        return;
      case 'floatingip':
        g.fipRows.set(id, doc && floatingIpRow(doc));
        return;
      default:
        return;
    }
  }

  /** Nodes and their counters, for /metrics and `alcor goalstate graph`. */
  counters(): Array<{ node: string; incremental: number; recomputes: number }> {
    return this.graph.engine.nodes.filter((n) => n.inputs.length > 0)
      .map((n) => ({ node: n.name, incremental: n.counters.incremental, recomputes: n.counters.recomputes }));
  }
}
