/**
 * `GET /v2.0/network-ip-availabilities[/{network_id}]` and `GET /v2.0/availability_zones`, as
 * Neutron serves them: only their own filters (anything else is filter-validation's 400), `fields`,
 * and IPv6 totals past 2^53 written out as exact JSON integers, as Python's json writes them.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Availability } from '../../domain/availability.js';
import { ctxOf } from '../context.js';
import type { RawQuery } from '../query.js';
import { fieldsOf, filtersOf, pick } from './plain-lists.js';

/** JSON with bigints as bare integers. */
function sendJson(reply: FastifyReply, body: unknown): string {
  const marked = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v.toString()}` : v));
  reply.type('application/json; charset=utf-8');
  return marked.replace(/"\\u0000big:(\d+)"/g, '$1');
}

const IP_FILTERS = new Set(['network_id', 'network_name', 'tenant_id', 'project_id', 'ip_version']);
const AZ_FILTERS = new Set(['name', 'resource', 'state']);

export function availabilityRoutes(app: FastifyInstance, availability: Availability): void {
  app.get('/v2.0/network-ip-availabilities', async (req, reply) => {
    const raw = req.query as RawQuery;
    const f = filtersOf(raw, IP_FILTERS);
    const rows = await availability.ipAvailabilities(ctxOf(req), {
      network_id: f.network_id,
      network_name: f.network_name,
      project_id: f.project_id,
      tenant_id: f.tenant_id,
      ip_version: f.ip_version,
    });
    const fields = fieldsOf(raw);
    return sendJson(reply, { network_ip_availabilities: rows.map((r) => pick(r, fields)) });
  });

  app.get<{ Params: { id: string } }>('/v2.0/network-ip-availabilities/:id', async (req, reply) => {
    const row = await availability.ipAvailability(ctxOf(req), req.params.id);
    return sendJson(reply, { network_ip_availability: pick(row, fieldsOf(req.query as RawQuery)) });
  });

  app.get('/v2.0/availability_zones', async (req) => {
    const raw = req.query as RawQuery;
    const zones = await availability.zones(ctxOf(req), filtersOf(raw, AZ_FILTERS));
    const fields = fieldsOf(raw);
    return { availability_zones: zones.map((z) => pick(z, fields)) };
  });
}
