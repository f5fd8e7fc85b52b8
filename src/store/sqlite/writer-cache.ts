/**
 * What the writer reads on every port create and rarely changes, kept as stored JSON: a network by
 * id and a network's subnets. Only the writer connection writes, so every change passes through
 * here and keeps it exact; a rolled-back savepoint or commit clears it whole, since it cannot tell
 * which of its entries the rollback undid.
 */
import type { ResourceDef } from '../../model/resource.js';
import type { Condition, ListQuery } from '../store.js';

const CACHED = new Set(['networks', 'subnets']);
/** Bounded so a controller with millions of networks keeps its memory: past it, entries restart. */
const MAX_ENTRIES = 50_000;

export class WriterCache {
  private readonly docs = new Map<string, string>();
  /** collection -> `${attr}|${value}` -> JSON texts of the rows, in id order. */
  private readonly lists = new Map<string, Map<string, string[]>>();

  static caches(def: ResourceDef): boolean {
    return CACHED.has(def.collection);
  }

  getDoc(def: ResourceDef, id: string): string | undefined {
    return this.docs.get(`${def.collection}|${id}`);
  }

  putDoc(def: ResourceDef, id: string, json: string): void {
    if (this.docs.size >= MAX_ENTRIES) this.docs.clear();
    this.docs.set(`${def.collection}|${id}`, json);
  }

  /** Key of a list this cache serves: one condition on one value, default order, everything else absent. */
  static listKey(def: ResourceDef, q: ListQuery): string | undefined {
    if (!CACHED.has(def.collection)) return undefined;
    const only: Condition | undefined = q.conditions?.length === 1 ? q.conditions[0] : undefined;
    if (!only || only.values.length !== 1 || typeof only.values[0] !== 'string') return undefined;
    if (q.tags || q.fixedIps || q.scope || q.sharedFor !== undefined || q.sort || q.limit !== undefined || q.marker || q.pageReverse) return undefined;
    return `${only.attr}|${only.values[0]}`;
  }

  getList(def: ResourceDef, key: string): string[] | undefined {
    return this.lists.get(def.collection)?.get(key);
  }

  putList(def: ResourceDef, key: string, rows: string[]): void {
    let lists = this.lists.get(def.collection);
    if (!lists) this.lists.set(def.collection, (lists = new Map()));
    if (lists.size >= MAX_ENTRIES) lists.clear();
    lists.set(key, rows);
  }

  /** A row of this kind was written: its document is `json` (or gone), and lists of its kind may differ. */
  written(def: ResourceDef, id: string, json: string | undefined): void {
    if (!CACHED.has(def.collection)) return;
    if (json === undefined) this.docs.delete(`${def.collection}|${id}`);
    else this.putDoc(def, id, json);
    this.lists.delete(def.collection);
  }

  clear(): void {
    this.docs.clear();
    this.lists.clear();
  }
}
