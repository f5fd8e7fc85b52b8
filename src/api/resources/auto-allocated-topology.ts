/**
 * `auto-allocated-topology`, which Nova calls without looking at the extension list when a server
 * is created with `--nic auto`. Building the topology needs a default external network
 * (`is_default`) and default subnet pools, which this controller does not have yet: the answer is
 * Neutron's own when a deployment has none (409 AutoAllocationFailure), never a 404 that a client
 * would take for a missing API. The extension is not listed, as it is not served.
 */
import type { FastifyInstance } from 'fastify';
import { AutoAllocationFailure, BadRequest, NotAuthorized } from '../../core/errors.js';
import type { RequestContext } from '../../core/context.js';
import { ctxOf } from '../context.js';

/** Neutron's _validate: 'None' means the caller's own project; only an admin names another. */
function project(ctx: RequestContext, id: string): string {
  const p = id === 'None' ? ctx.projectId : id;
  if (!ctx.isAdmin && p !== ctx.projectId) throw new NotAuthorized('Not authorized.');
  return p;
}

export function autoAllocatedTopologyRoutes(app: FastifyInstance): void {
  app.get<{ Params: { project: string }; Querystring: { fields?: string | string[] } }>('/v2.0/auto-allocated-topology/:project', async (req) => {
    project(ctxOf(req), req.params.project);
    const fields = [req.query.fields ?? []].flat();
    if (fields.length && !fields.includes('dry-run')) throw new BadRequest('Bad auto_allocate request: Unrecognized field.');
    throw new AutoAllocationFailure('Deployment error: No default router:external network.');
  });
  // Nothing was ever allocated, so there is nothing to delete: Neutron's 204.
  app.delete<{ Params: { project: string } }>('/v2.0/auto-allocated-topology/:project', async (req, reply) => {
    project(ctxOf(req), req.params.project);
    reply.code(204).send();
  });
}
