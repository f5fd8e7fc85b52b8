/**
 * `auto-allocated-topology`, which Nova calls without looking at the extension list when a server
 * is created with `--nic auto`: GET builds (once) and names the project's network; `fields=dry-run`
 * only checks that it could (src/domain/auto-allocation.ts); DELETE takes it down.
 */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../../core/errors.js';
import type { Writes } from '../../domain/writes.js';
import { ctxOf } from '../context.js';

export function autoAllocatedTopologyRoutes(app: FastifyInstance, writes: Writes): void {
  app.get<{ Params: { project: string }; Querystring: { fields?: string | string[] } }>('/v2.0/auto-allocated-topology/:project', async (req) => {
    const fields = [req.query.fields ?? []].flat().flatMap((f) => f.split(','));
    const dryRun = fields.includes('dry-run');
    if (fields.length && !dryRun) throw new BadRequest('Bad auto_allocate request: Unrecognized field.');
    return { auto_allocated_topology: await writes.autoAllocateTopology(ctxOf(req), req.params.project, dryRun) };
  });
  app.delete<{ Params: { project: string } }>('/v2.0/auto-allocated-topology/:project', async (req, reply) => {
    await writes.deleteAutoAllocatedTopology(ctxOf(req), req.params.project);
    reply.code(204).send();
  });
}
