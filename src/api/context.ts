import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../core/context.js';
import { BadResourceRequest } from '../core/errors.js';
import type { IfMatch } from '../domain/collection.js';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

export function ctxOf(req: FastifyRequest): RequestContext {
  return req.ctx;
}

/** `If-Match: revision_number=N` (Neutron's revision-if-match); other entity tags are refused. */
export function ifMatchOf(req: FastifyRequest): IfMatch {
  const raw = req.headers['if-match'];
  if (raw === undefined) return {};
  const m = /^\s*revision_number=(\d+)\s*$/.exec(Array.isArray(raw) ? raw[0] : raw);
  // Neutron's check_request_for_revision_constraint raises exceptions.BadRequest(resource='if-match').
  if (!m) throw new BadResourceRequest('Bad if-match request: Revision number etag must be in the format of revision_number=<int>.');
  return { revisionNumber: Number(m[1]) };
}

export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}
