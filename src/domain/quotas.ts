/**
 * Neutron's quotas (`quotas`, `quota_details`, `quota-check-limit`): per-project limits on each
 * kind, Neutron's defaults where none was set, -1 for unlimited. Usage is what the store keeps on
 * every insert and delete (never counted per request); a create through the API checks it inside
 * its write transaction, and the store has one writer that runs transactions one after another, so
 * the check is exact however many creates race. Internal creations (router interface ports, the
 * default security group and its rules) count, as in Neutron, but are never refused: Neutron
 * reserves quota only for what the API is asked to create.
 */
import { pyStr } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import { AdminRequired, BadRequest, InvalidInput, OverQuota, PolicyNotAuthorized, TenantQuotaNotFound } from '../core/errors.js';
import type { ReadTx, Store, WriteTx } from '../store/store.js';

/** Neutron's [quotas] defaults, in the order Neutron lists its resources. */
export const QUOTA_DEFAULTS: Readonly<Record<string, number>> = {
  network: 100,
  subnet: 100,
  subnetpool: -1,
  port: 500,
  router: 10,
  floatingip: 50,
  rbac_policy: 10,
  security_group: 10,
  security_group_rule: 100,
};
const RESOURCES = Object.keys(QUOTA_DEFAULTS);
/** Neutron's DB_INTEGER_MAX_VALUE. */
const MAX_LIMIT = 2 ** 31 - 1;

export type QuotaSet = Record<string, number>;
export interface QuotaDetail {
  readonly limit: number;
  readonly used: number;
  readonly reserved: number;
}

function inOrder(limits: Readonly<Record<string, number>>, defaults: Readonly<Record<string, number>>): QuotaSet {
  return Object.fromEntries(RESOURCES.map((r) => [r, limits[r] ?? defaults[r]]));
}

/** Python's truthiness, as Neutron tests `force` and `check_limit`. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** neutron_lib's convert_to_int (Python's int()), then the range check of the quota attributes. */
function limitValue(resource: string, v: unknown): number {
  let n: number | undefined;
  if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'number' && Number.isFinite(v)) n = Math.trunc(v);
  else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) n = Number(v.trim());
  if (n === undefined) throw new InvalidInput(`Invalid input for operation: '${pyStr(v)}' is not an integer.`);
  if (n < -1) throw new BadRequest(`Invalid input for ${resource}. Reason: '${n}' is too small - must be at least '-1'.`);
  if (n > MAX_LIMIT) throw new BadRequest(`Invalid input for ${resource}. Reason: '${n}' is too large - must be no larger than '${MAX_LIMIT}'.`);
  return n;
}

/** Neutron's get_quota (and friends): one's own project, or an admin. */
function mayRead(ctx: RequestContext, projectId: string): void {
  if (projectId !== ctx.projectId && !ctx.isAdmin) throw new PolicyNotAuthorized('rule:get_quota is disallowed by policy');
}

function adminOnly(ctx: RequestContext, rule: string): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(`rule:${rule} is disallowed by policy`);
}

export class Quotas {
  /** Neutron's defaults, less what the configuration (`--default-quotas`) changes. */
  readonly defaultLimits: Readonly<Record<string, number>>;

  constructor(private readonly store: Store, configured: Readonly<Record<string, number>> = {}) {
    this.defaultLimits = inOrder(configured, QUOTA_DEFAULTS);
  }

  /** The resources quotas apply to. */
  static counts(resource: string): boolean {
    return Object.hasOwn(QUOTA_DEFAULTS, resource);
  }

  private async limitsOf(tx: ReadTx, projectId: string): Promise<QuotaSet> {
    return inOrder((await tx.quotaLimits(projectId)).get(projectId) ?? {}, this.defaultLimits);
  }

  /** GET /quotas: every project that has limits of its own (admin only). */
  async list(ctx: RequestContext): Promise<Array<Record<string, unknown>>> {
    adminOnly(ctx, 'get_quota');
    return this.store.read(async (tx) => {
      const all = await tx.quotaLimits();
      return [...all].map(([projectId, limits]) => ({ ...inOrder(limits, this.defaultLimits), project_id: projectId, tenant_id: projectId }));
    });
  }

  async show(ctx: RequestContext, projectId: string): Promise<QuotaSet> {
    mayRead(ctx, projectId);
    return this.store.read((tx) => this.limitsOf(tx, projectId));
  }

  defaults(ctx: RequestContext, projectId: string): QuotaSet {
    mayRead(ctx, projectId);
    return { ...this.defaultLimits };
  }

  async details(ctx: RequestContext, projectId: string): Promise<Record<string, QuotaDetail>> {
    if (projectId !== ctx.projectId && !ctx.isAdmin) {
      throw new AdminRequired('User does not have admin privileges: Only admin is authorized to access quotas for another project.');
    }
    return this.store.read(async (tx) => {
      const limits = await this.limitsOf(tx, projectId);
      const used = await tx.quotaUsage(projectId);
      return Object.fromEntries(RESOURCES.map((r) => [r, { limit: limits[r], used: used[r] ?? 0, reserved: 0 }]));
    });
  }

  /**
   * PUT /quotas/{project}: `{"quota": {resource: limit, ...}}`. A limit below what the project
   * already uses is refused only when the body says `check_limit` (quota-check-limit), as Debian's
   * Neutron 21 does and its Tempest plugin expects (it lowers limits below usage and reads them back).
   */
  async update(ctx: RequestContext, projectId: string, body: unknown): Promise<QuotaSet> {
    adminOnly(ctx, 'update_quota');
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('Resource body required');
    const given = (body as Record<string, unknown>).quota;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new BadRequest("Unable to find 'quota' in request body");
    const { force: _force, check_limit: checkLimit, ...rest } = given as Record<string, unknown>;
    const unknown = Object.keys(rest).filter((k) => !Quotas.counts(k));
    if (unknown.length > 0) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const converted = new Map<string, number>();
    for (const r of RESOURCES) if (Object.hasOwn(rest, r)) converted.set(r, limitValue(r, rest[r]));
    // Checked and written in the order the body named them, as Neutron does.
    const limits = Object.keys(rest).map((r) => [r, converted.get(r)!] as const);
    return this.store.write(async (tx: WriteTx) => {
      if (truthy(checkLimit)) {
        const used = await tx.quotaUsage(projectId);
        for (const [resource, limit] of limits) {
          const inUse = used[resource] ?? 0;
          if (limit !== -1 && inUse > limit) {
            throw new BadRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${inUse}`);
          }
        }
      }
      for (const [resource, limit] of limits) await tx.setQuotaLimit(projectId, resource, limit);
      return this.limitsOf(tx, projectId);
    });
  }

  /** DELETE /quotas/{project}: back to the defaults; Neutron's 404 when none were set. */
  async reset(ctx: RequestContext, projectId: string): Promise<void> {
    adminOnly(ctx, 'delete_quota');
    await this.store.write(async (tx) => {
      if ((await tx.deleteQuotaLimits(projectId)) === 0) throw new TenantQuotaNotFound(`Quota for tenant ${projectId} could not be found.`);
    });
  }

  /**
   * Inside a create's write transaction, before anything is written: `projects` names the owner of
   * each item about to be created (a bulk create counts them all). Neutron's OverQuota if any
   * project would go over its limit.
   */
  async check(tx: ReadTx, resource: string, projects: readonly string[]): Promise<void> {
    if (!Quotas.counts(resource)) return;
    const wanted = new Map<string, number>();
    for (const p of projects) wanted.set(p, (wanted.get(p) ?? 0) + 1);
    for (const [projectId, n] of wanted) {
      const { used, limit } = await tx.quotaState(projectId, resource);
      const max = limit ?? this.defaultLimits[resource];
      if (max >= 0 && used + n > max) throw new OverQuota(`Quota exceeded for resources: ['${resource}'].`);
    }
  }
}
