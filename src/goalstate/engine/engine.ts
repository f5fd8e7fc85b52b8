/**
 * A small incremental processing engine, after OVN's lib/inc-proc-eng: nodes with inputs, a change
 * handler per input, and a full recompute as the fallback when a handler cannot cope. Each round
 * runs the nodes in dependency order; a node runs only if one of its inputs changed. Counters per
 * node say how often each path ran, so tests (and /metrics) can assert that steady state never
 * recomputes from scratch.
 */

export type HandlerResult = 'handled' | 'unhandled';

export interface NodeCounters {
  /** Rounds in which this node ran through its change handlers. */
  incremental: number;
  /** Rounds in which it recomputed from scratch (the first build not counted). */
  recomputes: number;
  /** Objects (items, index entries) its last run touched. */
  lastTouched: number;
}

export abstract class EngineNode {
  readonly counters: NodeCounters = { incremental: 0, recomputes: 0, lastTouched: 0 };
  /** Set by the node when its output changed this round; cleared by the engine after the round. */
  changed = false;
  /** Handlers by input name; an input without one makes the node recompute when it changes. */
  protected readonly handlers = new Map<string, () => HandlerResult>();

  constructor(readonly name: string, readonly inputs: readonly EngineNode[] = []) {}

  /** Builds the node's whole state from its inputs' state. */
  abstract recompute(): void;

  /** Forgets what this round tracked (its changes); its state stays. */
  abstract clearTracked(): void;

  handlerFor(input: EngineNode): (() => HandlerResult) | undefined {
    return this.handlers.get(input.name);
  }

  protected touched(n = 1): void {
    this.counters.lastTouched += n;
  }
}

export interface RoundReport {
  /** Nodes that ran this round, in order, with the path each took. */
  readonly ran: ReadonlyArray<{ readonly node: string; readonly how: 'incremental' | 'recompute' }>;
}

export class Engine {
  private readonly order: EngineNode[];
  private built = false;

  constructor(nodes: readonly EngineNode[]) {
    this.order = topological(nodes);
  }

  get nodes(): readonly EngineNode[] {
    return this.order;
  }

  node(name: string): EngineNode {
    const n = this.order.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** The first build: every node from its inputs, not counted as a recompute. */
  build(): void {
    for (const n of this.order) {
      if (n.inputs.length > 0) n.recompute();
    }
    this.built = true;
    this.clear();
  }

  /** One round, after the input nodes took their changes. */
  run(): RoundReport {
    if (!this.built) throw new Error('engine not built');
    const ran: Array<{ node: string; how: 'incremental' | 'recompute' }> = [];
    for (const n of this.order) {
      if (n.inputs.length === 0) continue;
      const changedInputs = n.inputs.filter((i) => i.changed);
      if (changedInputs.length === 0) continue;
      n.counters.lastTouched = 0;
      let ok = true;
      for (const input of changedInputs) {
        const handler = n.handlerFor(input);
        if (!handler || handler() === 'unhandled') {
          ok = false;
          break;
        }
      }
      if (ok) {
        n.counters.incremental++;
        ran.push({ node: n.name, how: 'incremental' });
      } else {
        n.clearTracked();
        n.recompute();
        n.changed = true;
        n.counters.recomputes++;
        ran.push({ node: n.name, how: 'recompute' });
      }
    }
    return { ran };
  }

  /** Ends a round: every node forgets its tracked changes. */
  clear(): void {
    for (const n of this.order) {
      n.clearTracked();
      n.changed = false;
    }
  }

  /** The graph in Graphviz's DOT, each node labelled with its counters. */
  dot(): string {
    const lines = ['digraph goalstate {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
    for (const n of this.order) {
      const c = n.counters;
      const label = n.inputs.length === 0 ? `${n.name}\\n(input)` : `${n.name}\\nincremental ${c.incremental}\\nrecomputes ${c.recomputes}`;
      lines.push(`  "${n.name}" [label="${label}"${n.inputs.length === 0 ? ', shape=ellipse' : ''}];`);
      for (const i of n.inputs) lines.push(`  "${i.name}" -> "${n.name}";`);
    }
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }
}

function topological(nodes: readonly EngineNode[]): EngineNode[] {
  const out: EngineNode[] = [];
  const state = new Map<EngineNode, 'visiting' | 'done'>();
  const visit = (n: EngineNode): void => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`cycle in the goal-state graph at ${n.name}`);
    state.set(n, 'visiting');
    for (const i of n.inputs) visit(i);
    state.set(n, 'done');
    out.push(n);
  };
  for (const n of nodes) visit(n);
  return out;
}
