/**
 * The goal-state engine seen from the API's port, for operators (admin only): the graph in DOT
 * with each node's counters (`alcor goalstate graph`), and the southbound's figures (the bench).
 */
import type { FastifyInstance } from 'fastify';
import { PolicyNotAuthorized } from '../core/errors.js';
import type { ControlPlane } from './control-plane.js';

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export function summary(values: number[]): { count: number; p50: number | null; p99: number | null; max: number | null } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? null };
}

export function goalStateRoutes(app: FastifyInstance, cp: ControlPlane): void {
  const adminOnly = (req: { ctx: { isAdmin: boolean } }): void => {
    if (!req.ctx.isAdmin) throw new PolicyNotAuthorized('(rule:get_goalstate) is disallowed by policy');
  };
  app.get('/goalstate/graph', async (req, reply) => {
    adminOnly(req);
    void reply.type('text/vnd.graphviz; charset=utf-8');
    return cp.compiler.graph.engine.dot();
  });
  app.get<{ Querystring: { reset?: string } }>('/goalstate/stats', async (req) => {
    adminOnly(req);
    const sb = cp.southbound;
    const out = {
      revision: cp.compiler.revision,
      rounds: cp.compiler.rounds,
      compileMs: cp.follower.compileMs,
      publishMs: cp.follower.publishMs,
      itemsSerialised: cp.compiler.graph.streams.serialised,
      nodes: cp.compiler.counters(),
      southbound: { sessions: sb.sessions, ...sb.stats },
      bindToActiveMs: summary(sb.readiness.bindToActive.take()),
      convergenceMs: summary(sb.readiness.convergence.take()),
      stagesMs: {
        commitToSent: summary(sb.readiness.stages.sent.take()),
        sentToAcked: summary(sb.readiness.stages.acked.take()),
        statusWrite: summary(sb.statuses.latency.take()),
      },
    };
    if (req.query.reset !== undefined) {
      sb.readiness.bindToActive.reset();
      sb.readiness.convergence.reset();
      for (const x of [sb.readiness.stages.sent, sb.readiness.stages.acked, sb.statuses.latency]) x.reset();
    }
    return out;
  });
}
