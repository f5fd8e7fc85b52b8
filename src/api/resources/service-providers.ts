/**
 * `service-type`: GET /v2.0/service-providers. The one provider here is the L3 service's: our
 * routers are distributed with centralized SNAT, Neutron's "dvr" provider, so that is the one we
 * name (Neutron's L3 plugin lists dvr, dvrha, ha and single_node, none default; we do no HA and no
 * single-node routers, so listing them would promise what is not there).
 */
import type { FastifyInstance } from 'fastify';
import type { RawQuery } from '../query.js';
import { fieldsOf, filtersOf, pick } from './plain-lists.js';

const PROVIDERS = [{ service_type: 'L3_ROUTER_NAT', name: 'dvr', default: true }] as const;
const FILTERS = new Set(['service_type', 'name', 'default']);

export function serviceProviderRoutes(app: FastifyInstance): void {
  app.get('/v2.0/service-providers', async (req) => {
    const raw = req.query as RawQuery;
    const f = filtersOf(raw, FILTERS);
    const rows = PROVIDERS.filter((p) => Object.entries(f).every(([k, vs]) => vs.includes(String(p[k as keyof typeof p]))));
    const fields = fieldsOf(raw);
    return { service_providers: rows.map((r) => pick(r, fields)) };
  });
}
