import type { FastifyInstance } from 'fastify';
import type { Routers } from '../../domain/routers.js';
import { ctxOf } from '../context.js';

export function routerActionRoutes(app: FastifyInstance, routers: Routers): void {
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/add_router_interface', async (req) =>
    routers.addInterface(ctxOf(req), req.params.id, req.body));
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/remove_router_interface', async (req) =>
    routers.removeInterface(ctxOf(req), req.params.id, req.body));
}
