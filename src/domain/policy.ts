/**
 * Neutron's default policy for the resources we serve, in one place (after neutron/conf/policies):
 * who may read and write a row, which attributes only an admin may set or see. Handlers name a
 * rule; this table decides. Rule names are Neutron's, so a refusal reads as Neutron's does.
 */
import type { ResourceDef } from '../model/resource.js';
import type { RequestContext } from '../core/context.js';
import { PolicyNotAuthorized } from '../core/errors.js';

/** What a rule looks at besides the caller: the row's project and, for ports and subnets, its network's. */
export interface PolicyTarget {
  readonly project_id?: unknown;
  readonly network_project_id?: unknown;
  readonly [attribute: string]: unknown;
}

type Check = (ctx: RequestContext, target: PolicyTarget) => boolean;

const admin: Check = (ctx) => ctx.isAdmin;
const owner: Check = (ctx, t) => t.project_id === ctx.projectId;
const networkOwner: Check = (ctx, t) => t.network_project_id === ctx.projectId;
const adminOrOwner: Check = (ctx, t) => admin(ctx, t) || owner(ctx, t);
const adminOrNetworkOwner: Check = (ctx, t) => admin(ctx, t) || networkOwner(ctx, t);
/** A `reader` (without member or admin) reads and never writes. */
const writer = (check: Check): Check => (ctx, t) => !ctx.readOnly && check(ctx, t);

const ADMIN_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  network: ['shared', 'router:external', 'is_default', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'segments'],
  port: ['binding:host_id', 'binding:profile'],
  subnetpool: ['shared', 'is_default'],
  address_scope: ['shared'],
  floatingip: ['floating_ip_address'],
};

const RULES: Readonly<Record<string, Check>> = {
  create: writer(adminOrOwner),
  update: writer(adminOrOwner),
  delete: writer(adminOrOwner),
  // A port on someone else's (shared) network gets what the network's owner hands out.
  'create_port:mac_address': adminOrNetworkOwner,
  'create_port:fixed_ips:ip_address': adminOrNetworkOwner,
  'update_port:mac_address': admin,
  'update_port:fixed_ips:ip_address': adminOrNetworkOwner,
  'create_port:allowed_address_pairs': adminOrNetworkOwner,
  'update_port:allowed_address_pairs': adminOrNetworkOwner,
  'create_port:port_security_enabled': adminOrNetworkOwner,
  'update_port:port_security_enabled': adminOrNetworkOwner,
  'create_subnet:network': adminOrNetworkOwner,
  'delete_security_group:default': admin,
  'add_router_interface:port': adminOrOwner,
  add_prefixes: writer(adminOrOwner),
  remove_prefixes: writer(adminOrOwner),
};

/** May this caller do that to this target? */
export function allowed(ctx: RequestContext, rule: string, target: PolicyTarget = {}): boolean {
  const check = RULES[rule];
  if (!check) throw new Error(`no policy rule ${rule}`);
  return check(ctx, target);
}

// Refusals name the rules as oslo.policy prints what Neutron enforced: a lone rule bare, the
// action's rule and an attribute's rule as one parenthesised conjunction.

/** Like allowed(), but a refusal is Neutron's 403 naming the rule. */
export function enforce(ctx: RequestContext, rule: string, target: PolicyTarget = {}, shown = `rule:${rule}`): void {
  if (!allowed(ctx, rule, target)) throw new PolicyNotAuthorized(`${shown} is disallowed by policy`);
}

/**
 * The rule Neutron enforces for an attribute of a create or update, as oslo.policy prints it: the
 * action's rule and the attribute's, and the attribute's sub-rules (fixed_ips' subnet_id and
 * ip_address) when given, each level an AndCheck in parentheses.
 */
export function attributeRule(action: string, attr: string, subAttrs: readonly string[] = []): string {
  const own = `rule:${action}:${attr}`;
  const withSubs = subAttrs.length === 0 ? own : `(${own} and (${subAttrs.map((k) => `rule:${action}:${attr}:${k}`).join(' and ')}))`;
  return `(rule:${action} and ${withSubs})`;
}

/** Setting an attribute that only an admin may set (create_network:shared and the like). */
export function enforceAttribute(ctx: RequestContext, action: 'create' | 'update', member: string, attr: string): void {
  if (ADMIN_ATTRIBUTES[member]?.includes(attr) && !ctx.isAdmin) {
    throw new PolicyNotAuthorized(`${attributeRule(`${action}_${member}`, attr)} is disallowed by policy`);
  }
}

/** create/update/delete of a row: Neutron's rule is named <action>_<member>. */
export function authorize(ctx: RequestContext, action: 'create' | 'update' | 'delete', member: string, target: PolicyTarget): void {
  if (!RULES[action](ctx, target)) throw new PolicyNotAuthorized(`rule:${action}_${member} is disallowed by policy`);
}

/** Rows of other projects are read only by an admin; shared rows are the resource's own business. */
export function mayRead(ctx: RequestContext, target: PolicyTarget): boolean {
  return adminOrOwner(ctx, target);
}

/** Attributes to leave out of what this caller is shown (Neutron's get_<member>:<attr> admin_only rules). */
export function hiddenAttributes(ctx: RequestContext, def: ResourceDef): readonly string[] {
  return ctx.isAdmin ? [] : def.adminRead ?? [];
}
