/**
 * `floatingip-pools` (at /v2.0/floatingip-pools and /v2.0/floatingip_pools, as Neutron): the subnets floating IPs can come from, as Neutron's get_floatingip_pools
 * lists them: every IPv4 subnet of every external network (read elevated: an external network is
 * usable by all; IPv6 ones only with fip64, not served), with the caller's project, as Neutron answers.
 */
import type { FastifyInstance } from 'fastify';
import type { Collection } from '../../domain/collection.js';
import { ctxOf } from '../context.js';

// Neutron's API layer shows project_id beside the tenant_id the plugin gives.
const FIELDS = ['subnet_id', 'subnet_name', 'tenant_id', 'project_id', 'network_id', 'cidr'] as const;

export function floatingIpPoolRoutes(app: FastifyInstance, networks: Collection, subnets: Collection): void {
  // Neutron answers at both: its collection path (hyphens) and the extension's API prefix (underscore).
  for (const path of ['/v2.0/floatingip-pools', '/v2.0/floatingip_pools']) app.get<{ Querystring: { fields?: string | string[] } }>(path, async (req) => {
    const ctx = ctxOf(req);
    const admin = { ...ctx, isAdmin: true };
    const external = await networks.list(admin, { conditions: [{ attr: 'router:external', values: [true] }] });
    const subs = external.length ? await subnets.list(admin, { conditions: [{ attr: 'network_id', values: external.map((n) => n.id) }, { attr: 'ip_version', values: [4] }] }) : [];
    const wanted = [req.query.fields ?? []].flat().filter((f) => (FIELDS as readonly string[]).includes(f));
    return {
      floatingip_pools: subs.map((s) => {
        const pool: Record<string, unknown> = { subnet_id: s.id, subnet_name: s.name, tenant_id: ctx.projectId, project_id: ctx.projectId, network_id: s.network_id, cidr: s.cidr };
        return wanted.length ? Object.fromEntries(wanted.map((f) => [f, pool[f]])) : pool;
      }),
    };
  });
}
