import { merged } from '../core/objects.js';
import type { RequestContext } from '../core/context.js';
import {
  SecurityGroupEthertypeConflictWithProtocol, SecurityGroupInvalidIcmpValue, SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue, SecurityGroupInvalidProtocolForPort, SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupMissingIcmpType, SecurityGroupMultipleRemoteEntites, SecurityGroupRuleExists,
  SecurityGroupRuleInvalidProtocol, SecurityGroupRuleNotFound, SecurityGroupRuleParameterConflict,
} from '../core/errors.js';
import { formatCidr, parseCidr } from '../core/ip.js';
import * as defs from '../model/definitions.js';
import { PROTOCOL_NAMES } from '../model/definitions.js';
import type { Doc, WriteTx } from '../store/store.js';
import type { Attrs } from './attributes.js';
import type { Collection, ResourceHooks } from './collection.js';

const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

/** IPv6 extension headers and ICMPv6: never in an IPv4 rule. */
const IPV6_ONLY_PROTOCOLS = new Set([41, 43, 44, 58, 59, 60]);

/** The protocol number a rule means, or null for any; names and numbers compare equal. */
function protocolNumber(protocol: unknown): number | null {
  if (protocol === null || protocol === undefined || protocol === 'any') return null;
  const text = String(protocol).toLowerCase();
  if (text in PROTOCOL_NAMES) return PROTOCOL_NAMES[text];
  if (/^\d+$/.test(text) && Number(text) <= 255) return Number(text);
  throw new SecurityGroupRuleInvalidProtocol(
    `Security group rule protocol ${String(protocol)} not supported. Only protocol values [None, ${Object.keys(PROTOCOL_NAMES).map((n) => `'${n}'`).join(', ')}] and integer representations [0 to 255] are supported.`,
  );
}

/**
 * The protocol as stored: lower case, none for `any`, and in an IPv6 rule the legacy ICMP names
 * (icmp, icmpv6) and number 1 made ICMPv6's, as Neutron's _make_canonical_ipv6_icmp_protocol does.
 */
function canonicalProtocol(protocol: unknown, ethertype: string): string | null {
  if (protocol === null || protocol === undefined || protocol === 'any') return null;
  const text = String(protocol).toLowerCase();
  if (ethertype === 'IPv6') {
    if (text === 'icmp' || text === 'icmpv6') return 'ipv6-icmp';
    if (text === '1') return '58';
  }
  return text;
}

function checkPorts(attrs: Attrs, proto: number | null): void {
  const min = attrs.port_range_min as number | null;
  const max = attrs.port_range_max as number | null;
  if (min === null && max === null) return;
  if (proto === null) {
    throw new SecurityGroupProtocolRequiredWithPorts('Must also specify protocol if port range is given.');
  }
  if (PORT_PROTOCOLS.has(proto)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue('Invalid value for port 0');
    if (min === null || max === null || min > max) {
      throw new SecurityGroupInvalidPortRange('For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
    return;
  }
  if (ICMP_PROTOCOLS.has(proto)) {
    for (const [name, value] of [['type', min], ['code', max]] as const) {
      if (value !== null && value > 255) {
        throw new SecurityGroupInvalidIcmpValue(`Invalid value for ICMP ${name} (port_range_${name === 'type' ? 'min' : 'max'}) ${value}. It must be 0 to 255.`);
      }
    }
    if (min === null && max !== null) {
      throw new SecurityGroupMissingIcmpType(`ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
    }
    return;
  }
  throw new SecurityGroupInvalidProtocolForPort(`Ports cannot be specified for protocol ${proto}. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.`);
}

/** Neutron treats "any address" and no prefix as the same rule. */
function prefixKey(prefix: unknown): string | null {
  if (prefix === null || prefix === '0.0.0.0/0' || prefix === '::/0') return null;
  return prefix as string;
}

function sameRule(a: Doc, b: Attrs): boolean {
  return a.direction === b.direction
    && a.ethertype === b.ethertype
    && protocolNumber(a.protocol) === protocolNumber(b.protocol)
    && a.port_range_min === b.port_range_min
    && a.port_range_max === b.port_range_max
    && prefixKey(a.remote_ip_prefix) === prefixKey(b.remote_ip_prefix)
    && a.remote_group_id === b.remote_group_id;
}

export function securityGroupRuleHooks(groups: () => Collection): ResourceHooks {
  return {
    def: defs.securityGroupRule,
    notFound: (id) => new SecurityGroupRuleNotFound(`Security group rule ${id} does not exist`),
    // As Neutron's get_security_group_rules: a project listing rules gets its default group first
    // (a client counting its rules before it made any sees the default group's four).
    beforeList: async (ctx) => groups().hooks.beforeList?.(ctx),
    // As Neutron: the owner of a group sees every rule in it, an admin's included.
    sharedScope: 'group-of-row',
    async sharedVisible(doc, tx, ctx) {
      const sg = await tx.get(defs.securityGroup, doc.security_group_id as string);
      return sg !== undefined && sg.project_id === ctx.projectId;
    },

    async create(ctx: RequestContext, given: Attrs, base: Doc, tx: WriteTx) {
      const sg = await groups().find(ctx, given.security_group_id as string, tx);
      // The whole range is no range, as Neutron's _make_canonical_port_range makes it.
      const attrs = given.port_range_min === 1 && given.port_range_max === 65535
        ? { ...given, port_range_min: null, port_range_max: null } : given;
      protocolNumber(attrs.protocol); // refused as given, before it is made canonical
      const protocol = canonicalProtocol(attrs.protocol, attrs.ethertype as string);
      const proto = protocolNumber(protocol);
      if (proto !== null && IPV6_ONLY_PROTOCOLS.has(proto) && attrs.ethertype === 'IPv4') {
        throw new SecurityGroupEthertypeConflictWithProtocol(`Invalid ethertype IPv4 for protocol ${String(attrs.protocol)}.`);
      }
      checkPorts(attrs, proto);
      if (attrs.remote_ip_prefix !== null && attrs.remote_group_id !== null) {
        throw new SecurityGroupMultipleRemoteEntites('Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
      }
      // The prefix is kept as given (its host bits too), as Neutron keeps it; the data plane and
      // clients that want the network read normalized_cidr.
      const prefix = attrs.remote_ip_prefix as string | null;
      const network = prefix === null ? null : parseCidr(prefix)!;
      if (network && (network.version === 4) !== (attrs.ethertype === 'IPv4')) {
        throw new SecurityGroupRuleParameterConflict(`Conflicting value ethertype ${String(attrs.ethertype)} for CIDR ${prefix}`);
      }
      if (attrs.remote_group_id !== null) await groups().find(ctx, attrs.remote_group_id as string, tx);
      // A group's revision counts its rules' comings and goings, as Neutron's does.
      await groups().bump(sg, tx);
      const rule: Doc = merged<Doc>(base, attrs, {
        protocol,
        remote_ip_prefix: prefix,
        normalized_cidr: network && formatCidr(network),
        remote_address_group_id: null,
        belongs_to_default_sg: (await tx.defaultSecurityGroup(sg.project_id as string)) === sg.id,
      });
      const siblings = await tx.list(defs.securityGroupRule, { conditions: [{ attr: 'security_group_id', values: [sg.id] }] });
      const dup = siblings.find((r) => sameRule(r, rule));
      if (dup) throw new SecurityGroupRuleExists(`Security group rule already exists. Rule id is ${dup.id}.`);
      return rule;
    },

    async delete(_ctx, current, tx) {
      const sg = await tx.get(defs.securityGroup, current.security_group_id as string);
      if (sg) await groups().bump(sg, tx);
    },
  };
}
