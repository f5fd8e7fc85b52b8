/**
 * Resources are data, as in neutron-lib's api/definitions: one definition per resource says for
 * every attribute whether it may be posted, updated, shown, filtered and sorted, its default and its
 * converter. The generic collection handler, the store's column map and the tests all read it.
 */
import type { Converter } from './validators.js';

export type FilterType = 'string' | 'boolean' | 'integer';

export interface AttributeDef {
  readonly post: boolean;
  readonly put: boolean;
  /** Shown in responses (default true). */
  readonly visible?: boolean;
  /** Shown only on resources this holds for (an extension that extends only some of them); `created` on a create's answer. */
  readonly shownOn?: (doc: Readonly<Record<string, unknown>>, created: boolean) => boolean;
  /** Absent on POST means: required when there is no default. */
  readonly default?: unknown;
  /** Optional on POST without a default: the domain derives it (e.g. gateway_ip, mac_address). */
  readonly derived?: boolean;
  readonly convert?: Converter;
  /** How a query-string filter value is read; false when the attribute cannot be filtered. */
  readonly filter?: FilterType | false;
  readonly sort?: boolean;
  /**
   * Not stored on the row: a filter on it is a filter on the row this column points at (a subnet's
   * `shared` is its network's).
   */
  readonly filterThrough?: { readonly column: string; readonly table: string; readonly targetColumn: string };
}

export interface ResourceDef {
  /** Singular body key: "network". */
  readonly member: string;
  /** Collection body key: "networks", "security_groups". */
  readonly collection: string;
  /** URL segment under /v2.0: "networks", "security-groups" (Neutron hyphenates these). */
  readonly path: string;
  readonly attributes: Readonly<Record<string, AttributeDef>>;
  /** The standard tags API applies (PUT/DELETE /{collection}/{id}/tags/{tag}). */
  readonly taggable: boolean;
  /** Indexed store columns: attribute name -> column name. Filters and sorts on these use indexes. */
  readonly columns: Readonly<Record<string, string>>;
  /**
   * Attributes Neutron's default policy shows only to admins (provider:*, binding:*). The store
   * keeps them last in a stored document, so a member's list cuts them off the stored text.
   */
  readonly adminRead?: readonly string[];
  /**
   * Has Neutron's standard attributes: a project, revision_number and updated_at that every change
   * moves on (default true). Agents have none of them.
   */
  readonly standardAttributes?: boolean;
  /**
   * A project but no revision_number, created_at or updated_at (Neutron's rbac_policy): a change is
   * stored as it is (default true).
   */
  readonly revisions?: boolean;
}

export function defaultOf(attr: AttributeDef): unknown {
  const d = attr.default;
  return d !== null && typeof d === 'object' ? structuredClone(d) : d;
}

export function isRequiredOnPost(attr: AttributeDef): boolean {
  return attr.post && attr.default === undefined && !attr.derived;
}

export function filterTypeOf(attr: AttributeDef): FilterType | false {
  if (attr.filter !== undefined) return attr.filter;
  if (attr.visible === false) return false;
  const d = attr.default;
  if (typeof d === 'boolean') return 'boolean';
  if (typeof d === 'number') return 'integer';
  if (d !== null && typeof d === 'object') return false;
  return 'string';
}

/** The attribute by that name, never one inherited from Object.prototype ("constructor", "__proto__"). */
export function attributeOf(def: ResourceDef, name: string): AttributeDef | undefined {
  return Object.hasOwn(def.attributes, name) ? def.attributes[name] : undefined;
}
