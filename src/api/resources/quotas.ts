/**
 * Neutron's quota API (`quotas`, `quota_details`, `quota-check-limit`); the `.json` suffix
 * python-neutronclient and gophercloud send is dropped before routing (../url.ts). Reads are served
 * here; changes go to the writer.
 */
import type { FastifyInstance } from 'fastify';
import { NotImplemented, QuotaMissingTenant } from '../../core/errors.js';
import type { Quotas } from '../../domain/quotas.js';
import type { Writes } from '../../domain/writes.js';
import { ctxOf } from '../context.js';

type ProjectParams = { project: string };


export function quotaRoutes(app: FastifyInstance, quotas: Quotas, writes: Writes): void {
  app.get('/v2.0/quotas', async (req) => ({ quotas: await quotas.list(ctxOf(req)) }));
  app.post('/v2.0/quotas', async () => {
    throw new NotImplemented('POST requests are not supported on this resource.');
  });
  // The caller's own project, as Neutron's `tenant` (deprecated) and `project` collection actions.
  for (const key of ['tenant', 'project'] as const) {
    app.get(`/v2.0/quotas/${key}`, async (req) => {
      const ctx = ctxOf(req);
      if (!ctx.projectId) throw new QuotaMissingTenant('Tenant-id was missing from quota request.');
      return { [key]: { [`${key}_id`]: ctx.projectId } };
    });
  }
  app.get<{ Params: ProjectParams }>('/v2.0/quotas/:project', async (req) => ({ quota: await quotas.show(ctxOf(req), req.params.project) }));
  app.put<{ Params: ProjectParams }>('/v2.0/quotas/:project', async (req) => ({
    quota: await writes.updateQuota(ctxOf(req), req.params.project, req.body),
  }));
  app.delete<{ Params: ProjectParams }>('/v2.0/quotas/:project', async (req, reply) => {
    await writes.resetQuota(ctxOf(req), req.params.project);
    reply.code(204).send();
  });
  app.get<{ Params: ProjectParams }>('/v2.0/quotas/:project/default', async (req) => ({ quota: quotas.defaults(ctxOf(req), req.params.project) }));
  app.get<{ Params: ProjectParams }>('/v2.0/quotas/:project/details', async (req) => ({ quota: await quotas.details(ctxOf(req), req.params.project) }));
}
