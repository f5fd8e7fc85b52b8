/**
 * Body validation driven by the resource definition, worded as Neutron words it, so every resource
 * gets the same checks: unknown attributes, read-only attributes, required ones, admin-only ones,
 * and each value through its converter.
 */
import type { RequestContext } from '../core/context.js';
import { BadRequest } from '../core/errors.js';
import { enforceAttribute } from './policy.js';
import type { ResourceDef } from '../model/resource.js';
import { attributeOf, defaultOf, isRequiredOnPost } from '../model/resource.js';

export type Attrs = Record<string, unknown>;

function asObject(def: ResourceDef, body: unknown): Attrs {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    // Neutron's prepare_request_body words it so.
    throw new BadRequest(`Object '${def.member}' contains invalid data`);
  }
  return body as Attrs;
}

function checkKnown(def: ResourceDef, body: Attrs): void {
  const unknown = Object.keys(body).filter((k) => attributeOf(def, k) === undefined);
  if (unknown.length) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

/**
 * Attribute rules. On create, Neutron's policy applies only to a value other than the default
 * (a member may send router:external false); on update, to any value given.
 */
function checkPolicy(def: ResourceDef, ctx: RequestContext, attr: string, action: 'create' | 'update', value: unknown): void {
  const a = def.attributes[attr];
  if (action === 'create' && a.default !== undefined && JSON.stringify(value) === JSON.stringify(a.default)) return;
  enforceAttribute(ctx, action, def.member, attr);
}

/** Converted attributes for a create, defaults filled in; derived attributes left to the domain. */
export function validateCreate(def: ResourceDef, ctx: RequestContext, raw: unknown): Attrs {
  const body = asObject(def, raw);
  checkKnown(def, body);
  const out: Attrs = {};
  for (const [name, value] of Object.entries(body)) {
    const attr = def.attributes[name];
    if (!attr.post) throw new BadRequest(`Attribute '${name}' not allowed in POST`);
    out[name] = attr.convert ? attr.convert(value, name) : value;
    checkPolicy(def, ctx, name, 'create', out[name]);
  }
  for (const [name, attr] of Object.entries(def.attributes)) {
    if (name in out) continue;
    if (isRequiredOnPost(attr)) {
      throw new BadRequest(`Failed to parse request. Required attribute '${name}' not specified`);
    }
    if (attr.post && attr.default !== undefined) out[name] = defaultOf(attr);
  }
  return out;
}

export function validateUpdate(def: ResourceDef, ctx: RequestContext, raw: unknown): Attrs {
  const body = asObject(def, raw);
  checkKnown(def, body);
  const out: Attrs = {};
  for (const [name, value] of Object.entries(body)) {
    const attr = def.attributes[name];
    // Neutron has turned project_id into tenant_id before it checks, and names that.
    if (!attr.put) throw new BadRequest(`Cannot update read-only attribute ${name === 'project_id' ? 'tenant_id' : name}`);
    out[name] = attr.convert ? attr.convert(value, name) : value;
    checkPolicy(def, ctx, name, 'update', out[name]);
  }
  return out;
}

/**
 * The project a new resource belongs to. Only an admin may name another project, and project_id
 * and tenant_id must agree when both are given.
 */
export function owningProject(ctx: RequestContext, attrs: Attrs): string {
  const p = attrs.project_id as string | undefined;
  const t = attrs.tenant_id as string | undefined;
  if (p !== undefined && t !== undefined && p !== t) {
    throw new BadRequest("'project_id' and 'tenant_id' do not match");
  }
  const wanted = p ?? t ?? ctx.projectId;
  if (wanted !== ctx.projectId && !ctx.isAdmin) {
    throw new BadRequest(
      "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
    );
  }
  return wanted;
}
