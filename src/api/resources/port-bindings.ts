/** `binding-extended`: a port's bindings, one per host, at /v2.0/ports/{id}/bindings (src/domain/port-bindings.ts). */
import type { FastifyInstance } from 'fastify';
import type { Domain } from '../../domain/index.js';
import { ctxOf } from '../context.js';

export function portBindingRoutes(app: FastifyInstance, domain: Domain): void {
  type P = { Params: { id: string; host: string } };
  const base = '/v2.0/ports/:id/bindings';
  app.get<P>(base, async (req) => ({ bindings: await domain.portBindings.list(ctxOf(req), req.params.id) }));
  app.post<P>(base, async (req, reply) => {
    reply.code(201);
    return { binding: await domain.writes.createPortBinding(ctxOf(req), req.params.id, req.body) };
  });
  app.get<P>(`${base}/:host`, async (req) => ({ binding: await domain.portBindings.show(ctxOf(req), req.params.id, req.params.host) }));
  app.put<P>(`${base}/:host`, async (req) => ({ binding: await domain.writes.updatePortBinding(ctxOf(req), req.params.id, req.params.host, req.body) }));
  app.put<P>(`${base}/:host/activate`, async (req) => ({ binding: await domain.writes.activatePortBinding(ctxOf(req), req.params.id, req.params.host) }));
  app.delete<P>(`${base}/:host`, async (req, reply) => {
    await domain.writes.deletePortBinding(ctxOf(req), req.params.id, req.params.host);
    reply.code(204).send();
  });
}
