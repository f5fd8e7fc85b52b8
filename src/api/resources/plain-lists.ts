/**
 * Lists that are not stored collections (IP availability, zones, service providers): Neutron's
 * plugins for them filter in memory on their own attributes only and take `fields`.
 */
import { BadRequest } from '../../core/errors.js';
import type { RawQuery } from '../query.js';

const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** Paging and sorting are accepted and ignored: Neutron's plugins for these take neither. */
const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

export function filtersOf(raw: RawQuery, allowed: ReadonlySet<string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || CONTROL.has(key)) continue;
    if (!allowed.has(key)) throw new BadRequest(`['${key}'] is invalid attribute for filtering`);
    (out[key] ??= []).push(...all(value));
  }
  return out;
}

export function fieldsOf(raw: RawQuery): string[] | undefined {
  const fields = all(raw.fields).flatMap((f) => f.split(',')).filter(Boolean);
  return fields.length ? fields : undefined;
}

export function pick<T extends object>(row: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields) return row;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.hasOwn(row, f)) out[f] = (row as Record<string, unknown>)[f];
  return out as Partial<T>;
}

