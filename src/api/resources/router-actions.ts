import type { FastifyInstance } from 'fastify';
import type { Writes } from '../../domain/writes.js';
import { ctxOf } from '../context.js';

export function routerActionRoutes(app: FastifyInstance, writes: Writes): void {
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/add_router_interface', async (req) =>
    writes.addRouterInterface(ctxOf(req), req.params.id, req.body));
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/remove_router_interface', async (req) =>
    writes.removeRouterInterface(ctxOf(req), req.params.id, req.body));
}
