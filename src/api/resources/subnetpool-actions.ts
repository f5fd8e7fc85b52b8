/** subnetpool-prefix-ops: PUT /v2.0/subnetpools/{id}/add_prefixes and remove_prefixes, body {"prefixes": [...]}. */
import type { FastifyInstance } from 'fastify';
import type { Writes } from '../../domain/writes.js';
import { ctxOf } from '../context.js';

export function subnetpoolActionRoutes(app: FastifyInstance, writes: Writes): void {
  for (const action of ['add_prefixes', 'remove_prefixes'] as const) {
    app.put<{ Params: { id: string } }>(`/v2.0/subnetpools/:id/${action}`, async (req) =>
      writes.subnetpoolPrefixes(ctxOf(req), req.params.id, action, req.body));
  }
}
