/**
 * Neutron's quota API (`quotas`, `quota_details`, `quota-check-limit`): every path also with the
 * `.json` suffix python-neutronclient and gophercloud send. Reads are served here; changes go to the
 * writer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotImplemented, QuotaMissingTenant } from '../../core/errors.js';
import type { Quotas } from '../../domain/quotas.js';
import type { Writes } from '../../domain/writes.js';
import { ctxOf } from '../context.js';

type ProjectParams = { project: string };

/** `/quotas/{project}.json` names the project without its format suffix, as Neutron's routes do. */
function projectOf(req: FastifyRequest<{ Params: ProjectParams }>): string {
  const p = req.params.project;
  return p.endsWith('.json') ? p.slice(0, -'.json'.length) : p;
}

const both = (path: string): string[] => [path, `${path}.json`];

export function quotaRoutes(app: FastifyInstance, quotas: Quotas, writes: Writes): void {
  for (const path of both('/v2.0/quotas')) {
    app.get(path, async (req) => ({ quotas: await quotas.list(ctxOf(req)) }));
    app.post(path, async () => {
      throw new NotImplemented('POST requests are not supported on this resource.');
    });
  }
  // The caller's own project, as Neutron's `tenant` (deprecated) and `project` collection actions.
  for (const key of ['tenant', 'project'] as const) {
    for (const path of both(`/v2.0/quotas/${key}`)) {
      app.get(path, async (req) => {
        const ctx = ctxOf(req);
        if (!ctx.projectId) throw new QuotaMissingTenant('Tenant-id was missing from quota request.');
        return { [key]: { [`${key}_id`]: ctx.projectId } };
      });
    }
  }
  app.get<{ Params: ProjectParams }>('/v2.0/quotas/:project', async (req) => ({ quota: await quotas.show(ctxOf(req), projectOf(req)) }));
  app.put<{ Params: ProjectParams }>('/v2.0/quotas/:project', async (req) => ({
    quota: await writes.updateQuota(ctxOf(req), projectOf(req), req.body),
  }));
  app.delete<{ Params: ProjectParams }>('/v2.0/quotas/:project', async (req, reply) => {
    await writes.resetQuota(ctxOf(req), projectOf(req));
    reply.code(204).send();
  });
  for (const path of both('/v2.0/quotas/:project/default')) {
    app.get<{ Params: ProjectParams }>(path, async (req) => ({ quota: quotas.defaults(ctxOf(req), req.params.project) }));
  }
  for (const path of both('/v2.0/quotas/:project/details')) {
    app.get<{ Params: ProjectParams }>(path, async (req) => ({ quota: await quotas.details(ctxOf(req), req.params.project) }));
  }
}
