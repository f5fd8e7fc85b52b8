/**
 * An input node: rows of one kind as the compiler projects them, fed by the change log. Its tracked
 * changes are the rows whose projection changed this round, with their value before the round.
 */
import { EngineNode } from '../engine/engine.js';

export interface RowChange<T> {
  readonly old?: T;
  readonly now?: T;
}

export class InputNode<T> extends EngineNode {
  readonly rows = new Map<string, T>();
  private readonly bytes = new Map<string, string>();
  readonly tracked = new Map<string, RowChange<T>>();

  recompute(): void {
    // Inputs hold what they were given; there is nothing to derive.
  }

  clearTracked(): void {
    this.tracked.clear();
  }

  /** Sets or removes a row; a projection equal to the current one is no change. */
  set(id: string, value: T | undefined): void {
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (this.bytes.get(id) === json) return;
    const old = this.rows.get(id);
    const prior = this.tracked.get(id);
    if (value === undefined) {
      this.rows.delete(id);
      this.bytes.delete(id);
    } else {
      this.rows.set(id, value);
      this.bytes.set(id, json!);
    }
    this.tracked.set(id, { old: prior ? prior.old : old, now: value });
    this.changed = true;
  }
}
