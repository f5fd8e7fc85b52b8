/**
 * One generic driver for every resource, as Neutron's base controller is: standard attributes,
 * visibility, ownership, If-Match revisions, tags and bulk all-or-nothing live here once; a
 * resource's own rules live in its hooks.
 */
import { merged } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import { BadRequest, InvalidInput, NeutronError, NotFound, PreconditionFailed, TagNotFound } from '../core/errors.js';
import { newId, timestamp } from '../core/ids.js';
import type { ResourceDef } from '../model/resource.js';
import { MAX_TAG_LEN, validateListOfUniqueStrings, validateString } from '../model/validators.js';
import type { Doc, ListQuery, RawDoc, ReadTx, Scope, Store, WriteTx } from '../store/store.js';
import { UniqueViolation } from '../store/store.js';
import type { Attrs } from './attributes.js';
import { owningProject, validateCreate, validateUpdate } from './attributes.js';
import { authorize, mayRead } from './policy.js';
import type { Quotas } from './quotas.js';
import { withRetry } from './retry.js';

export interface ResourceHooks {
  readonly def: ResourceDef;
  notFound(id: string): NeutronError;
  /** Beside its own rows, what a non-admin caller may see. */
  readonly sharedScope?: 'network' | 'network-of-row' | 'group-of-row' | 'shared-row' | 'own-network-of-row';
  /** Beside the owner and admins, who else may delete a row (Neutron: a port's network owner). */
  mayDelete?(ctx: RequestContext, doc: Doc, tx: ReadTx): Promise<boolean>;
  /** Rows of other projects this caller may read (shared networks, their subnets). */
  sharedVisible?(doc: Doc, tx: ReadTx, ctx: RequestContext): Promise<boolean>;
  /** Absent: the API cannot create rows of this kind (agents are made by their own reports). */
  create?(ctx: RequestContext, attrs: Attrs, base: Doc, tx: WriteTx): Promise<Doc>;
  update?(ctx: RequestContext, current: Doc, changes: Attrs, tx: WriteTx): Promise<Doc>;
  delete?(ctx: RequestContext, current: Doc, tx: WriteTx): Promise<void>;
  /** Fills derived attributes (a network's subnets, a group's rules) in one query per page. */
  expand?(docs: Doc[], tx: ReadTx, ctx?: RequestContext): Promise<void>;
  /** Runs before a list by this caller (the default security group appears on first need). */
  beforeList?(ctx: RequestContext): Promise<void>;
  /**
   * Only admins read these (Neutron's admin_only get_<member>): anyone else lists nothing, and a
   * row that exists answers Neutron's bare 404 rather than the resource's own NotFound.
   */
  readonly adminOnly?: boolean;
  /** Rewrites a list's conditions before the store sees them (filters on computed attributes). */
  prepareQuery?(query: ListQuery, ctx: RequestContext): ListQuery;
}

export interface IfMatch {
  readonly revisionNumber?: number;
}

/**
 * Stores a changed row as its next revision (revision_number + 1, updated_at now); a row without
 * standard attributes (an agent) is stored as it is.
 */
export async function writeRevision(def: ResourceDef, next: Doc, tx: WriteTx): Promise<Doc> {
  if (def.standardAttributes === false || def.revisions === false) {
    await tx.update(def, next);
    return next;
  }
  next.revision_number = (next.revision_number as number) + 1;
  next.updated_at = timestamp();
  await tx.update(def, next);
  return next;
}

export class Collection {
  readonly def: ResourceDef;

  constructor(private readonly store: Store, readonly hooks: ResourceHooks, private readonly quotas?: Quotas) {
    this.def = hooks.def;
  }

  private async visible(ctx: RequestContext, doc: Doc, tx: ReadTx): Promise<boolean> {
    if (mayRead(ctx, doc)) return true;
    return this.hooks.sharedVisible ? this.hooks.sharedVisible(doc, tx, ctx) : false;
  }

  /** The row if this caller may see it; its absence and its invisibility look alike (404). */
  async find(ctx: RequestContext, id: string, tx: ReadTx): Promise<Doc> {
    const doc = await tx.get(this.def, id);
    if (doc && this.hooks.adminOnly && !ctx.isAdmin) throw new NotFound('The resource could not be found.');
    if (!doc || !(await this.visible(ctx, doc, tx))) throw this.hooks.notFound(id);
    return doc;
  }

  private async findOwned(ctx: RequestContext, id: string, action: 'update' | 'delete', tx: ReadTx): Promise<Doc> {
    const doc = await this.find(ctx, id, tx);
    if (action === 'delete' && this.hooks.mayDelete && !mayRead(ctx, doc) && (await this.hooks.mayDelete(ctx, doc, tx))) return doc;
    authorize(ctx, action, this.def.member, doc);
    return doc;
  }

  async show(ctx: RequestContext, id: string): Promise<Doc> {
    return this.store.read(async (tx) => {
      const doc = await this.find(ctx, id, tx);
      await this.hooks.expand?.([doc], tx, ctx);
      return doc;
    });
  }

  scope(ctx: RequestContext): Scope | undefined {
    if (ctx.isAdmin) return undefined;
    return this.hooks.sharedScope
      ? { projectId: ctx.projectId, alsoShared: this.hooks.sharedScope }
      : { projectId: ctx.projectId };
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<Doc[]> {
    return this.listWith(ctx, query, async (tx, q) => {
      const docs = await tx.list(this.def, q);
      await this.hooks.expand?.(docs, tx, ctx);
      return docs;
    });
  }

  /** Rows whose stored JSON is already their answer (no derived attributes to add). */
  get rawListable(): boolean {
    return this.hooks.expand === undefined;
  }

  /** The page as stored JSON text: a long list is sent without parsing and re-serialising it. */
  async listRaw(ctx: RequestContext, query: ListQuery, omit: readonly string[] = []): Promise<RawDoc[]> {
    return this.listWith(ctx, query, (tx, q) => tx.listRaw(this.def, q, omit));
  }

  private async listWith<T>(ctx: RequestContext, query: ListQuery, read: (tx: ReadTx, q: ListQuery) => Promise<T[]>): Promise<T[]> {
    if (this.hooks.adminOnly && !ctx.isAdmin) return [];
    await this.hooks.beforeList?.(ctx);
    const prepared = this.hooks.prepareQuery ? this.hooks.prepareQuery(query, ctx) : query;
    return this.store.read(async (tx) => {
      let marker: Doc | undefined;
      if (query.marker) marker = await this.find(ctx, query.marker.id, tx);
      const rows = await read(tx, { ...prepared, marker, scope: this.scope(ctx) });
      // A reversed page is read backwards from the marker but shown in the natural order.
      if (query.pageReverse) rows.reverse();
      return rows;
    });
  }

  private checkWritable(ctx: RequestContext): void {
    authorize(ctx, 'create', this.def.member, { project_id: ctx.projectId });
  }

  /** Rows of this kind may be POSTed. */
  get creatable(): boolean {
    return this.hooks.create !== undefined;
  }

  /** Creates one or many (bulk): all commit together or none does. */
  async create(ctx: RequestContext, bodies: readonly unknown[]): Promise<Doc[]> {
    if (!this.creatable) throw notCreatable(this.def, bodies);
    this.checkWritable(ctx);
    const inputs = bodies.map((b) => validateCreate(this.def, ctx, b));
    const owners = inputs.map((attrs) => owningProject(ctx, attrs));
    const docs = await withRetry(() =>
      this.store.write(async (tx) => {
        // In the transaction, against the usage the store keeps: exact, as only one writer runs.
        await this.quotas?.check(tx, this.def.member, owners);
        const out: Doc[] = [];
        for (const attrs of inputs) out.push(await this.createIn(ctx, attrs, tx));
        return out;
      }),
    );
    return this.expanded(docs);
  }

  /** Used by other services that create rows of this kind inside their own transaction. */
  async createIn(ctx: RequestContext, attrs: Attrs, tx: WriteTx): Promise<Doc> {
    const projectId = owningProject(ctx, attrs);
    delete attrs.project_id;
    delete attrs.tenant_id;
    const now = timestamp();
    const base: Doc = {
      id: newId(),
      project_id: projectId,
      tenant_id: projectId,
      created_at: now,
      updated_at: now,
      revision_number: 1,
    };
    if (this.def.taggable) base.tags = [];
    if (!this.hooks.create) throw notCreatable(this.def, [attrs]);
    const doc = await this.hooks.create(ctx, attrs, base, tx);
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (attr.visible === false) delete doc[name];
    }
    await tx.insert(this.def, doc);
    return doc;
  }

  async update(ctx: RequestContext, id: string, body: unknown, ifMatch: IfMatch = {}): Promise<Doc> {
    const changes = validateUpdate(this.def, ctx, body);
    const doc = await withRetry(() =>
      this.store.write(async (tx) => {
        const current = await this.findOwned(ctx, id, 'update', tx);
        checkRevision(current, ifMatch);
        // An empty update is not a new revision, as in Neutron (a PUT of {} leaves a network's,
        // port's, router's or security group's revision_number and updated_at as they were; one
        // that names an attribute bumps them even when the value is the same, there and here).
        // Its hook still runs (it may refuse); the row is compared as it was before the hook,
        // which may change `current` in place.
        const before = Object.keys(changes).length === 0 ? JSON.stringify(current) : undefined;
        const next = this.hooks.update
          ? await this.hooks.update(ctx, current, changes, tx)
          : merged<Doc>(current, changes);
        if (before !== undefined && JSON.stringify(next) === before) return next;
        return this.bump(next, tx);
      }),
    );
    return this.expanded([doc]).then((d) => d[0]);
  }

  async remove(ctx: RequestContext, id: string, ifMatch: IfMatch = {}): Promise<void> {
    await this.store.write(async (tx) => {
      const current = await this.findOwned(ctx, id, 'delete', tx);
      checkRevision(current, ifMatch);
      await this.removeIn(ctx, current, tx);
    });
  }

  /**
   * Many rows of this kind in one transaction, all or none: each with its own checks, as if deleted
   * one by one, but one request and one commit instead of thousands.
   */
  async removeMany(ctx: RequestContext, ids: readonly string[]): Promise<void> {
    await this.store.write(async (tx) => {
      for (const id of new Set(ids)) {
        const current = await this.findOwned(ctx, id, 'delete', tx);
        await this.removeIn(ctx, current, tx);
      }
    });
  }

  async removeIn(ctx: RequestContext, current: Doc, tx: WriteTx): Promise<void> {
    await this.hooks.delete?.(ctx, current, tx);
    await tx.delete(this.def, current.id);
  }

  async bump(next: Doc, tx: WriteTx): Promise<Doc> {
    return writeRevision(this.def, next, tx);
  }

  async tags(ctx: RequestContext, id: string): Promise<string[]> {
    const doc = await this.show(ctx, id);
    return doc.tags as string[];
  }

  async hasTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const tags = await this.tags(ctx, id);
    if (!tags.includes(tag)) throw new TagNotFound(`Tag ${tag} could not be found.`);
  }

  /** Applies `change` to the tag list under the row's write lock; returns the new list. */
  async changeTags(ctx: RequestContext, id: string, change: (tags: string[]) => string[]): Promise<string[]> {
    return this.store.write(async (tx) => {
      const current = await this.findOwned(ctx, id, 'update', tx);
      const before = current.tags as string[];
      const tags = change([...before]);
      // As Neutron: a change that changes nothing writes nothing, revision included.
      if (tags.length !== before.length || tags.some((t, i) => t !== before[i])) await this.bump({ ...current, tags }, tx);
      return tags;
    });
  }

  async expanded(docs: Doc[]): Promise<Doc[]> {
    if (!this.hooks.expand) return docs;
    await this.store.read((tx) => this.hooks.expand!(docs, tx));
    return docs;
  }
}

/**
 * Neutron's tagging extension's validate_tags on a PUT /tags body: a dict with a `tags` list of
 * unique strings of at most 255 characters (commas and all: Neutron stores "a,b", which its
 * comma-separated filters then cannot name). Each failure is InvalidInput, in the validator's words.
 */
export function checkTags(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('tags' in body)) {
    throw new InvalidInput('Invalid input for operation: Invalid tags body.');
  }
  const msg = validateListOfUniqueStrings((body as { tags: unknown }).tags, MAX_TAG_LEN);
  if (msg) throw new InvalidInput(`Invalid input for operation: ${msg}.`);
  return (body as { tags: string[] }).tags;
}

/** Neutron's validate_tag for PUT /tags/{tag}: a string of at most 255 characters, else InvalidInput. */
export function checkTag(tag: string): string {
  const msg = validateString(tag, MAX_TAG_LEN);
  if (msg) throw new InvalidInput(`Invalid input for operation: ${msg}.`);
  return tag;
}

/**
 * Neutron's answer to a POST of a resource without allow_post attributes (agents): its API layer
 * adds the caller's project to the body, finds the resource has no such attributes, and refuses
 * them first; a bulk POST is refused before that.
 */
export function notCreatable(def: ResourceDef, bodies: readonly unknown[]): NeutronError {
  if (bodies.length !== 1) return new BadRequest('Bulk operation not supported');
  const body = bodies[0];
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
  const unknown = keys.filter((k) => !Object.hasOwn(def.attributes, k) && k !== 'tenant_id' && k !== 'project_id');
  return new BadRequest(`Unrecognized attribute(s) '${['tenant_id', 'project_id', ...unknown].join(', ')}'`);
}

function checkRevision(doc: Doc, ifMatch: IfMatch): void {
  if (ifMatch.revisionNumber !== undefined && ifMatch.revisionNumber !== doc.revision_number) {
    throw new PreconditionFailed(
      `Constrained to ${ifMatch.revisionNumber}, but current revision is ${String(doc.revision_number)}`,
    );
  }
}

export { UniqueViolation };
