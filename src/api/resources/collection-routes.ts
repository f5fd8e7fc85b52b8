/**
 * The generic controller: list, show, create (single or bulk), update and delete for any resource,
 * and the tags API, all driven by the resource definition.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, MethodNotAllowed } from '../../core/errors.js';
import type { Collection } from '../../domain/collection.js';
import type { Writes } from '../../domain/writes.js';
import type { ResourceDef } from '../../model/resource.js';
import { checkTag, checkTags, notCreatable } from '../../domain/collection.js';
import { hiddenAttributes } from '../../domain/policy.js';
import { uuid } from '../../model/validators.js';
import { baseUrl, ctxOf, ifMatchOf } from '../context.js';
import { paginationLinks } from '../links.js';
import type { RawQuery } from '../query.js';
import { parseListQuery } from '../query.js';
import { view } from '../render.js';

type IdParams = { id: string };

/** Keeps the request line under Node's 16 KiB header limit with room to spare. */
const MAX_BULK_DELETE = 300;
type TagParams = { id: string; tag: string };

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest('Resource body required');
  }
  return body as Record<string, unknown>;
}

/**
 * A POST body's checks in prepare_request_body's order and words: no body at all has no resource in
 * it, an empty one is no body, one that is not an object invalid data. Unlike Neutron, which reads
 * the collection (bulk) or member key and ignores the rest, a body with other keys is refused: we
 * keep that stricter reading (a typo'd key beside the right one is a client bug worth telling).
 */
const CORE = new Set(['networks', 'subnets', 'ports']);

function createBody(def: ResourceDef, body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) throw new BadRequest(`Unable to find '${def.member}' in request body`);
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('Body contains invalid data');
  const o = body as Record<string, unknown>;
  // Observed in the differential run: Neutron answers {} for its core resources (networks, subnets,
  // ports) as a body without the resource, for the others as no body.
  if (Object.keys(o).length === 0) {
    throw new BadRequest(CORE.has(def.collection) ? `Unable to find '${def.member}' in request body` : 'Resource body required');
  }
  const keys = Object.keys(o);
  if (keys.length !== 1 || (keys[0] !== def.member && keys[0] !== def.collection) || o[keys[0]] === null) {
    throw new BadRequest(`Unable to find '${def.member}' in request body`);
  }
  return o;
}

function rawQueryString(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? '' : req.url.slice(q + 1);
}

export function collectionRoutes(app: FastifyInstance, collection: Collection, writes: Writes, maxBulkItems = 1000): void {
  const { def } = collection;
  const name = def.collection;
  const base = `/v2.0/${def.path}`;

  app.get(base, async (req, reply) => {
    const parsed = parseListQuery(def, req.query as RawQuery);
    const ctx = ctxOf(req);
    const linksFor = (rows: ReadonlyArray<{ id: string }>) =>
      paginationLinks(`${baseUrl(req)}${base}`, rawQueryString(req), rows, parsed.limit, parsed.pageReverse);
    const hidden = hiddenAttributes(ctx, def);
    if (parsed.fields === undefined && collection.rawListable) {
      // Stored documents are what a full list shows, less what policy hides: splice them in.
      const rows = await collection.listRaw(ctx, parsed.query, hidden);
      const links = linksFor(rows);
      const tail = links.length ? `,${JSON.stringify(`${def.collection}_links`)}:${JSON.stringify(links)}` : '';
      reply.type('application/json; charset=utf-8');
      return `{${JSON.stringify(def.collection)}:[${rows.map((r) => r.json).join(',')}]${tail}}`;
    }
    const docs = await collection.list(ctx, parsed.query);
    const body: Record<string, unknown> = { [def.collection]: docs.map((d) => view(def, d, parsed.fields, hidden)) };
    const links = linksFor(docs);
    if (links.length) body[`${def.collection}_links`] = links;
    return body;
  });

  app.get<{ Params: IdParams }>(`${base}/:id`, async (req) => {
    const fields = parseListQuery(def, pick(req.query as RawQuery, 'fields')).fields;
    const ctx = ctxOf(req);
    const doc = await collection.show(ctx, req.params.id);
    return { [def.member]: view(def, doc, fields, hiddenAttributes(ctx, def)) };
  });

  app.post(base, async (req, reply) => {
    const body = createBody(def, req.body);
    const keys = Object.keys(body);
    // Answered here, as Neutron's API layer answers it, without a trip to the writer.
    if (!collection.creatable) throw notCreatable(def, keys[0] === def.collection ? [] : [body[def.member]]);
    reply.code(201);
    const ctx = ctxOf(req);
    const hidden = hiddenAttributes(ctx, def);
    if (keys[0] === def.collection) {
      const items = body[def.collection];
      if (!Array.isArray(items) || items.length === 0) throw new BadRequest('Resources required');
      if (items.length > maxBulkItems) throw new BadRequest(`At most ${maxBulkItems} resources in one bulk create.`);
      const bodies = items.map((item) => {
        const o = bodyObject(item);
        return def.member in o && Object.keys(o).length === 1 ? o[def.member] : o;
      });
      const docs = await writes.create(name, ctx, bodies);
      return { [def.collection]: docs.map((d) => view(def, d, undefined, hidden, true)) };
    }
    const [doc] = await writes.create(name, ctx, [body[def.member]]);
    return { [def.member]: view(def, doc, undefined, hidden, true) };
  });

  app.put<{ Params: IdParams }>(`${base}/:id`, async (req) => {
    const body = bodyObject(req.body);
    if (Object.keys(body).length !== 1 || !(def.member in body)) {
      throw new BadRequest(`Unable to find '${def.member}' in request body`);
    }
    const ctx = ctxOf(req);
    const doc = await writes.update(name, ctx, req.params.id, body[def.member], ifMatchOf(req));
    return { [def.member]: view(def, doc, undefined, hiddenAttributes(ctx, def)) };
  });

  app.delete<{ Params: IdParams }>(`${base}/:id`, async (req, reply) => {
    await writes.remove(name, ctxOf(req), req.params.id, ifMatchOf(req));
    reply.code(204).send();
  });

  // Neutron answers 405 for a method a path does not take, not 404.
  const notAllowed = async (req: FastifyRequest) => {
    throw new MethodNotAllowed(`The method ${req.method} is not allowed for this resource.`);
  };
  app.route({ method: ['PUT', 'PATCH'], url: base, handler: notAllowed });

  // The bulk-delete extension: DELETE /v2.0/{collection}?id=A&id=B removes them all or none.
  // Without ids it stays Neutron's 405.
  app.delete(base, async (req, reply) => {
    const raw = (req.query as RawQuery).id;
    if (raw === undefined) return notAllowed(req);
    const ids = (Array.isArray(raw) ? raw : [raw]).map((id) => uuid(id, 'id') as string);
    if (ids.length > MAX_BULK_DELETE) throw new BadRequest(`At most ${MAX_BULK_DELETE} ids in one bulk delete.`);
    await writes.removeMany(name, ctxOf(req), ids);
    reply.code(204).send();
  });
  app.route({ method: ['POST', 'PATCH'], url: `${base}/:id`, handler: notAllowed });

  if (!def.taggable) return;

  app.get<{ Params: IdParams }>(`${base}/:id/tags`, async (req) => ({ tags: await collection.tags(ctxOf(req), req.params.id) }));

  app.put<{ Params: IdParams }>(`${base}/:id/tags`, async (req) => {
    const tags = checkTags(req.body);
    return { tags: await writes.changeTags(name, ctxOf(req), req.params.id, { set: tags }) };
  });

  app.delete<{ Params: IdParams }>(`${base}/:id/tags`, async (req, reply) => {
    await writes.changeTags(name, ctxOf(req), req.params.id, { set: [] });
    reply.code(204).send();
  });

  app.get<{ Params: TagParams }>(`${base}/:id/tags/:tag`, async (req, reply) => {
    await collection.hasTag(ctxOf(req), req.params.id, req.params.tag);
    reply.code(204).send();
  });

  app.put<{ Params: TagParams }>(`${base}/:id/tags/:tag`, async (req, reply) => {
    const tag = checkTag(req.params.tag);
    await writes.changeTags(name, ctxOf(req), req.params.id, { add: tag });
    reply.code(201).send();
  });

  app.delete<{ Params: TagParams }>(`${base}/:id/tags/:tag`, async (req, reply) => {
    await collection.hasTag(ctxOf(req), req.params.id, req.params.tag);
    await writes.changeTags(name, ctxOf(req), req.params.id, { remove: req.params.tag });
    reply.code(204).send();
  });
}

function pick(q: RawQuery, key: string): RawQuery {
  return q[key] === undefined ? {} : { [key]: q[key] };
}
