/**
 * Reads a list request's query string the way Neutron does: any visible attribute filters (repeat a
 * key to OR its values), `fields`, several sort_key/sort_dir pairs, limit/marker/page_reverse, the
 * tag filters, and ports' fixed_ips. An unknown filter is a 400 (Neutron's filter-validation).
 */
import { BadRequest, BadResourceRequest } from '../core/errors.js';
import { boolFromString, toInt } from '../model/validators.js';
import type { ResourceDef } from '../model/resource.js';
import { attributeOf, filterTypeOf } from '../model/resource.js';
import type { Condition, ListQuery, SortKey, TagFilter } from '../domain/index.js';

export type RawQuery = Record<string, string | string[] | undefined>;

export interface ParsedList {
  readonly query: ListQuery;
  readonly fields?: readonly string[];
  readonly limit?: number;
  readonly pageReverse: boolean;
}

const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const last = (v: string | string[] | undefined): string | undefined => {
  const a = all(v);
  return a[a.length - 1];
};

/**
 * Neutron's get_filters runs each value through the attribute's convert_to, so a bad boolean or
 * integer is the converter's own InvalidInput ("Invalid input for operation: ..."), and booleans
 * take strutils' spellings ("yes", "off", ...).
 */
function filterValue(def: ResourceDef, key: string, value: string): unknown {
  const type = filterTypeOf(attributeOf(def, key)!);
  if (type === 'boolean') return boolFromString(value);
  if (type === 'integer') return toInt(value);
  return value;
}

const TAG_KEYS: Record<string, keyof TagFilter> = { tags: 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' };
const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

function parseFixedIps(values: string[]): { ipAddresses: string[]; subnetIds: string[]; ipSubstrings: string[] } {
  const out = { ipAddresses: [] as string[], subnetIds: [] as string[], ipSubstrings: [] as string[] };
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = v.slice(0, eq);
    const val = v.slice(eq + 1);
    if (key === 'ip_address') out.ipAddresses.push(val);
    else if (key === 'subnet_id') out.subnetIds.push(val);
    // ip-substring-filtering (Nova's `server list --ip`): any address containing it.
    else if (key === 'ip_address_substr') out.ipSubstrings.push(val);
    else throw new BadRequest(`Invalid input for fixed_ips. Reason: '${v}' is not ip_address=..., ip_address_substr=... or subnet_id=....`);
  }
  return out;
}

function parseSort(def: ResourceDef, raw: RawQuery): SortKey[] {
  const keys = all(raw.sort_key);
  const dirs = all(raw.sort_dir);
  if (dirs.length !== keys.length) {
    throw new BadRequest('The number of sort_keys and sort_dirs must be same');
  }
  const sort: SortKey[] = keys.map((attr, i) => {
    const a = attributeOf(def, attr);
    if (!a || !a.sort) throw new BadRequest(`[${attr}] is invalid attribute for sort_key`);
    const dir = dirs[i] ?? 'asc';
    // Neutron prints the list of bad directions as Python does.
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`['${dir}'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
    return { attr: attr === 'tenant_id' ? 'project_id' : attr, dir };
  });
  if (!sort.some((s) => s.attr === 'id')) sort.push({ attr: 'id', dir: sort[0]?.dir ?? 'asc' });
  return sort;
}

export function parseListQuery(def: ResourceDef, raw: RawQuery): ParsedList {
  const conditions: Condition[] = [];
  const tags: Record<string, string[]> = {};
  let fixedIps: ListQuery['fixedIps'];
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || CONTROL.has(key)) continue;
    const values = all(value);
    if (key in TAG_KEYS && def.taggable) {
      tags[TAG_KEYS[key]] = values.flatMap((v) => v.split(',')).filter(Boolean);
      continue;
    }
    if (key === 'fixed_ips' && def.collection === 'ports') {
      fixedIps = parseFixedIps(values);
      continue;
    }
    const attr = attributeOf(def, key);
    // Neutron prints the bad keys as a Python list: ['foo'].
    if (!attr || filterTypeOf(attr) === false) throw new BadRequest(`['${key}'] is invalid attribute for filtering`);
    conditions.push({ attr: key, values: values.map((v) => filterValue(def, key, v)) });
  }
  const limitText = last(raw.limit);
  let limit: number | undefined;
  if (limitText !== undefined) {
    // Neutron's _get_limit_param: exceptions.BadRequest(resource='limit').
    if (!/^\d+$/.test(limitText)) throw new BadResourceRequest(`Bad limit request: Limit must be an integer 0 or greater and not '${limitText}'.`);
    limit = Number(limitText) || undefined;
  }
  const pageReverse = raw.page_reverse !== undefined && boolFromString(last(raw.page_reverse)!);
  const markerId = last(raw.marker);
  const fields = raw.fields === undefined ? undefined : all(raw.fields).flatMap((f) => f.split(',')).filter(Boolean);
  const sort = parseSort(def, raw);
  return {
    query: {
      conditions,
      tags: Object.keys(tags).length ? (tags as TagFilter) : undefined,
      fixedIps,
      sort,
      limit,
      marker: markerId === undefined ? undefined : { id: markerId },
      pageReverse,
    },
    fields: fields?.length ? fields : undefined,
    limit,
    pageReverse,
  };
}
