import type { FastifyInstance } from 'fastify';
import { BadRequest, NeutronError } from '../../core/errors.js';
import type { Collection } from '../../domain/collection.js';
import { hiddenAttributes } from '../../domain/policy.js';
import type { Writes } from '../../domain/writes.js';
import { ctxOf } from '../context.js';
import { view } from '../render.js';

type Route = { destination: string; nexthop: string };

/** Neutron's extraroute-atomic merge: exact duplicates are one route; the order is by destination seen. */
function routeSet(routes: readonly Route[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const r of routes) {
    if (!m.has(r.destination)) m.set(r.destination, new Set());
    m.get(r.destination)!.add(r.nexthop);
  }
  return m;
}
const flat = (m: Map<string, Set<string>>): Route[] => [...m].flatMap(([destination, hops]) => [...hops].map((nexthop) => ({ destination, nexthop })));
const MERGE: Record<string, (old: Route[], given: Route[]) => Route[]> = {
  add_extraroutes: (old, add) => flat(routeSet([...old, ...add])),
  remove_extraroutes: (old, remove) => {
    const m = routeSet(old);
    for (const r of remove) m.get(r.destination)?.delete(r.nexthop);
    return flat(m);
  },
};

/** `{"router": {"routes": [...]}}`, each route an object; the update validates the result as a whole. */
function givenRoutes(body: unknown): Route[] {
  const router = (body as { router?: unknown } | null)?.router;
  const routes = (router as { routes?: unknown } | null)?.routes;
  if (router === null || typeof router !== 'object' || !Array.isArray(routes)) {
    throw new BadRequest("Bad request: the body must be {\"router\": {\"routes\": [...]}}.");
  }
  for (const r of routes) {
    if (r === null || typeof r !== 'object' || typeof (r as Route).destination !== 'string' || typeof (r as Route).nexthop !== 'string') {
      throw new BadRequest(`Invalid input for routes. Reason: ${JSON.stringify(r)} is not a valid route (destination and nexthop).`);
    }
  }
  return routes as Route[];
}

export function routerActionRoutes(app: FastifyInstance, writes: Writes, routers: Collection): void {
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/add_router_interface', async (req) =>
    writes.addRouterInterface(ctxOf(req), req.params.id, req.body));
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/remove_router_interface', async (req) =>
    writes.removeRouterInterface(ctxOf(req), req.params.id, req.body));
  // extraroute-atomic: the routes sent are added to (or taken from) the router's, atomically: the
  // merge is written with If-Match on the revision it was made from, and made again if another
  // change came between (Neutron does it in one transaction; the writer here takes whole requests).
  for (const [action, merge] of Object.entries(MERGE)) {
    app.put<{ Params: { id: string } }>(`/v2.0/routers/:id/${action}`, async (req) => {
      const given = givenRoutes(req.body);
      const ctx = ctxOf(req);
      for (let attempt = 0; ; attempt++) {
        const current = await routers.show(ctx, req.params.id);
        try {
          const doc = await writes.update('routers', ctx, req.params.id, { routes: merge(current.routes as Route[], given) },
            { revisionNumber: current.revision_number as number });
          return { router: view(routers.def, doc, undefined, hiddenAttributes(ctx, routers.def)) };
        } catch (err) {
          if (err instanceof NeutronError && err.type === 'RevisionNumberConstraintFailed' && attempt < 50) continue;
          throw err;
        }
      }
    });
  }
}
