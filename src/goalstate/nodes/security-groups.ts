/**
 * `sg/<group>`: a group's rules; `sgm/<group>`: its members' addresses (fixed IPs and allowed
 * address pairs of every port in it), for the rules of other groups that name it as remote group.
 * A member joining changes one item of one slice.
 */
import { groupStream, membersStream } from '../../protocol/messages.js';
import type { PortRow, RuleRow } from '../rows.js';
import type { StreamStore } from '../streams.js';
import { EngineNode } from '../engine/engine.js';
import type { InputNode } from './input.js';

export class GroupRulesNode extends EngineNode {
  constructor(private readonly rules: InputNode<RuleRow>, private readonly streams: StreamStore) {
    super('group-rules', [rules]);
    this.handlers.set('rules', () => {
      for (const [id, ch] of rules.tracked) this.write(id, ch.old, ch.now);
      return 'handled';
    });
  }

  recompute(): void {
    for (const [id, row] of this.rules.rows) this.write(id, undefined, row);
  }

  clearTracked(): void {}

  private write(id: string, old: RuleRow | undefined, now: RuleRow | undefined): void {
    this.touched();
    if (old && (!now || old.group !== now.group)) this.changed = this.streams.remove(groupStream(old.group), `r:${id}`) || this.changed;
    if (now) this.changed = this.streams.upsert(groupStream(now.group), `r:${id}`, now.entry) || this.changed;
  }
}

function memberAddresses(row: PortRow): string[] {
  return [...new Set([...row.ips.map(([ip]) => ip), ...row.pairs.map(([ip]) => ip)])];
}

export class GroupMembersNode extends EngineNode {
  /** group -> address -> ports holding it. */
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(private readonly ports: InputNode<PortRow>, private readonly streams: StreamStore) {
    super('group-members', [ports]);
    this.handlers.set('ports', () => {
      for (const ch of ports.tracked.values()) {
        if (ch.old) this.count(ch.old, -1);
        if (ch.now) this.count(ch.now, +1);
      }
      return 'handled';
    });
  }

  recompute(): void {
    this.counts.clear();
    for (const row of this.ports.rows.values()) this.count(row, +1);
  }

  clearTracked(): void {}

  private count(row: PortRow, d: 1 | -1): void {
    for (const g of row.groups) {
      let m = this.counts.get(g);
      if (!m) this.counts.set(g, (m = new Map()));
      for (const ip of memberAddresses(row)) {
        this.touched();
        const n = (m.get(ip) ?? 0) + d;
        if (n > 0) m.set(ip, n);
        else m.delete(ip);
        if (n === 1 && d === 1) this.changed = this.streams.upsert(membersStream(g), `m:${ip}`, 1) || this.changed;
        if (n === 0) this.changed = this.streams.remove(membersStream(g), `m:${ip}`) || this.changed;
      }
      if (m.size === 0) this.counts.delete(g);
    }
  }
}
