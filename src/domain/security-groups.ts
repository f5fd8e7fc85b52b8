import { merged } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import {
  SecurityGroupCannotRemoveDefault, SecurityGroupDefaultAlreadyExists, SecurityGroupCannotUpdateDefault, SecurityGroupInUse,
  SecurityGroupNotFound,
} from '../core/errors.js';
import { newId, timestamp } from '../core/ids.js';
import * as defs from '../model/definitions.js';
import type { Doc, ReadTx, Store, WriteTx } from '../store/store.js';
import type { ResourceHooks } from './collection.js';
import { allowed } from './policy.js';
import type { Quotas } from './quotas.js';
import type { Writes } from './writes.js';

type RuleSeed = Pick<Doc, never> & {
  direction: string; ethertype: string; remote_group_id: string | null;
};

function ruleDoc(sg: Doc, seed: RuleSeed, isDefault: boolean): Doc {
  const now = timestamp();
  return {
    id: newId(),
    project_id: sg.project_id,
    tenant_id: sg.project_id,
    security_group_id: sg.id,
    // Neutron makes these rules without a description: null, where a rule made by a caller has ''.
    description: null,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_address_group_id: null,
    normalized_cidr: null,
    belongs_to_default_sg: isDefault,
    created_at: now,
    updated_at: now,
    revision_number: 1,
    ...seed,
  };
}

/** Every new group lets all traffic out, as Neutron's do. */
const EGRESS: RuleSeed[] = [
  { direction: 'egress', ethertype: 'IPv4', remote_group_id: null },
  { direction: 'egress', ethertype: 'IPv6', remote_group_id: null },
];

export class SecurityGroups {
  /** `writes` may be another thread's: a list in the request thread cannot write itself. */
  constructor(private readonly store: Store, private readonly writes: () => Writes, private readonly quotas: () => Quotas | undefined = () => undefined) {}

  /** The project's default group, created with Neutron's default rules on first need. */
  async ensureDefault(projectId: string, tx: WriteTx): Promise<string> {
    const existing = await tx.defaultSecurityGroup(projectId);
    if (existing) return existing;
    const now = timestamp();
    const sg: Doc = {
      id: newId(), project_id: projectId, tenant_id: projectId, name: 'default',
      description: 'Default security group', stateful: true, tags: [],
      created_at: now, updated_at: now, revision_number: 1,
    };
    await tx.insert(defs.securityGroup, sg);
    await tx.setDefaultSecurityGroup(projectId, sg.id);
    const seeds: RuleSeed[] = [
      ...EGRESS,
      { direction: 'ingress', ethertype: 'IPv4', remote_group_id: sg.id },
      { direction: 'ingress', ethertype: 'IPv6', remote_group_id: sg.id },
    ];
    for (const seed of seeds) await tx.insert(defs.securityGroupRule, ruleDoc(sg, seed, true));
    return sg.id;
  }

  /** In a transaction of its own (a list found none); ensureDefault looks again inside it. */
  async ensureDefaultOutside(projectId: string): Promise<void> {
    await this.store.write((tx) => this.ensureDefault(projectId, tx));
  }

  hooks(): ResourceHooks {
    return {
      def: defs.securityGroup,
      notFound: (id) => new SecurityGroupNotFound(`Security group ${id} does not exist`),
      beforeList: async (ctx: RequestContext) => {
        if (ctx.readOnly) return;
        const exists = await this.store.read((tx) => tx.defaultSecurityGroup(ctx.projectId));
        if (!exists) await this.writes().ensureDefaultSecurityGroup(ctx.projectId);
      },

      create: async (_ctx, attrs, base, tx) => {
        if (attrs.name === 'default') {
          await this.ensureDefault(base.project_id as string, tx);
          throw new SecurityGroupDefaultAlreadyExists('Default security group already exists.');
        }
        await this.ensureDefault(base.project_id as string, tx);
        const sg = merged<Doc>(base, attrs);
        // A group's own egress rules count against the rule quota and are refused over it, as in
        // Neutron (the project's default group, made on first need, is not).
        await this.quotas()?.check(tx, 'security_group_rule', EGRESS.map(() => sg.project_id as string));
        for (const seed of EGRESS) await tx.insert(defs.securityGroupRule, ruleDoc(sg, seed, false));
        return sg;
      },

      update: async (_ctx, current, changes, tx) => {
        const isDefault = (await tx.defaultSecurityGroup(current.project_id as string)) === current.id;
        if (isDefault && 'name' in changes && changes.name !== 'default') {
          throw new SecurityGroupCannotUpdateDefault('Updating default security group not allowed.');
        }
        if (!isDefault && changes.name === 'default') {
          throw new SecurityGroupDefaultAlreadyExists('Default security group already exists.');
        }
        return merged<Doc>(current, changes);
      },

      delete: async (ctx, current, tx) => {
        // Neutron's order: a group in use is that, default or not.
        if ((await tx.portsUsingSecurityGroup(current.id)) > 0) {
          throw new SecurityGroupInUse(`Security Group ${current.id} in use.`);
        }
        const isDefault = (await tx.defaultSecurityGroup(current.project_id as string)) === current.id;
        if (isDefault && !allowed(ctx, 'delete_security_group:default')) {
          throw new SecurityGroupCannotRemoveDefault('Insufficient rights for removing default security group.');
        }
        const rules = await tx.list(defs.securityGroupRule, {
          conditions: [{ attr: 'security_group_id', values: [current.id] }],
        });
        for (const r of rules) await tx.delete(defs.securityGroupRule, r.id);
        if (isDefault) await tx.setDefaultSecurityGroup(current.project_id as string, null);
      },

      expand: async (docs: Doc[], tx: ReadTx) => {
        if (docs.length === 0) return;
        const byGroup = new Map<string, Doc[]>(docs.map((d) => [d.id, []]));
        const rules = await tx.list(defs.securityGroupRule, {
          conditions: [{ attr: 'security_group_id', values: [...byGroup.keys()] }],
        });
        for (const r of rules) byGroup.get(r.security_group_id as string)?.push(r);
        for (const d of docs) d.security_group_rules = byGroup.get(d.id);
      },
    };
  }
}
