import type { AttributeDef, ResourceDef } from './resource.js';
import { InvalidCIDR, SecurityGroupRuleInvalidEtherType } from '../core/errors.js';
import { canonicalIp, parseCidr } from '../core/ip.js';
import { pyStr } from '../core/objects.js';
import * as v from './validators.js';

const NAME = v.string(255);
const DESCRIPTION = v.string(255);

/** Attributes every resource carries (neutron's standard attributes, project and tags). */
function standard(extra: { tags?: boolean } = {}): Record<string, AttributeDef> {
  const attrs: Record<string, AttributeDef> = {
    id: { post: false, put: false, sort: true },
    project_id: { post: true, put: false, derived: true, convert: v.projectId, sort: true },
    tenant_id: { post: true, put: false, derived: true, convert: v.projectId, sort: true },
    name: { post: true, put: true, default: '', convert: NAME, sort: true },
    description: { post: true, put: true, default: '', convert: DESCRIPTION, sort: true },
    created_at: { post: false, put: false, sort: true },
    updated_at: { post: false, put: false, sort: true },
    revision_number: { post: false, put: false, filter: 'integer', sort: true },
  };
  if (extra.tags !== false) attrs.tags = { post: false, put: false, filter: false };
  return attrs;
}

const STANDARD_COLUMNS = { id: 'id', project_id: 'project_id', tenant_id: 'project_id', name: 'name' };

export const network: ResourceDef = {
  member: 'network',
  collection: 'networks',
  path: 'networks',
  taggable: true,
  columns: { ...STANDARD_COLUMNS, shared: 'shared', 'router:external': 'external' },
  adminRead: ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'segments'],
  attributes: {
    ...standard(),
    admin_state_up: { post: true, put: true, default: true, convert: v.toBoolean, sort: true },
    shared: { post: true, put: true, default: false, convert: v.toBoolean, sort: true },
    'router:external': { post: true, put: true, default: false, convert: v.toBoolean },
    // auto-allocated-topology: the external network a project's auto-allocated router goes out by.
    // Neutron's _extend_external_network_default shows it on external networks only; a create's
    // answer carries it on every network (the request's attribute, default false, as ML2 returns it).
    is_default: {
      post: true, put: true, default: false, convert: v.toBoolean, filter: 'boolean',
      shownOn: (d, created) => created || d['router:external'] === true,
    },
    status: { post: false, put: false, filter: 'string', sort: true },
    subnets: { post: false, put: false, filter: false },
    mtu: { post: true, put: true, derived: true, convert: v.integer(68, 65535), filter: 'integer', sort: true },
    port_security_enabled: { post: true, put: true, default: true, convert: v.toBoolean },
    // As Neutron's provider extension: type:string (the type driver names an unknown type, an
    // InvalidInput), allow_put True (ML2 refuses most changes itself: networks.ts's update).
    'provider:network_type': {
      post: true, put: true, derived: true, filter: 'string',
      convert: v.string(32),
    },
    'provider:physical_network': {
      post: true, put: true, derived: true, filter: 'string',
      convert: v.string(64, { nullable: true }),
    },
    'provider:segmentation_id': {
      post: true, put: true, derived: true, filter: 'integer',
      convert: v.integer(0, 16777215, { nullable: true }),
    },
    availability_zone_hints: { post: true, put: false, default: [], convert: v.listOf(v.string(255)) },
    availability_zones: { post: false, put: false, filter: false },
    ipv4_address_scope: { post: false, put: false, filter: false },
    ipv6_address_scope: { post: false, put: false, filter: false },
    l2_adjacency: { post: false, put: false, filter: false },
  },
};

const allocationPool = v.shape({ start: v.ipAddress, end: v.ipAddress }, ['start', 'end']);
const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', null] as const;

export const subnet: ResourceDef = {
  member: 'subnet',
  collection: 'subnets',
  path: 'subnets',
  taggable: true,
  columns: { ...STANDARD_COLUMNS, network_id: 'network_id', cidr: 'cidr', ip_version: 'ip_version', subnetpool_id: 'subnetpool_id' },
  attributes: {
    ...standard(),
    network_id: { post: true, put: false, convert: v.uuid, sort: true },
    // Neutron's hidden, filter-only attribute: whether the subnet's network is shared.
    shared: {
      post: false, put: false, visible: false, filter: 'boolean',
      filterThrough: { column: 'network_id', table: 'networks', targetColumn: 'shared' },
    },
    // convert_to_int, then type:values [4, 6] (5 is a validation 400, 'four' the converter's InvalidInput).
    ip_version: { post: true, put: false, convert: v.integerIn([4, 6]), filter: 'integer', sort: true },
    cidr: { post: true, put: false, derived: true, convert: v.subnetCidrConverted, sort: true },
    prefixlen: { post: true, put: false, derived: true, visible: false, convert: v.integer(0, 128) },
    subnetpool_id: { post: true, put: false, default: null, convert: v.uuidOrNull },
    use_default_subnetpool: { post: true, put: false, default: false, visible: false, convert: v.toBoolean },
    gateway_ip: { post: true, put: true, derived: true, convert: v.ipAddressOrNull, sort: true },
    allocation_pools: { post: true, put: true, derived: true, convert: v.listOf(allocationPool), filter: false },
    dns_nameservers: { post: true, put: true, default: [], convert: v.nameservers, filter: false },
    // type:hostroutes, as a router's routes; null is convert_none_to_empty_list's [].
    host_routes: { post: true, put: true, default: [], convert: (x, a) => (x === null ? [] : v.hostRoutes(x, a)), filter: false },
    enable_dhcp: { post: true, put: true, default: true, convert: v.toBoolean, sort: true },
    ipv6_ra_mode: { post: true, put: false, default: null, convert: v.oneOf(IPV6_MODES), filter: 'string' },
    ipv6_address_mode: { post: true, put: false, default: null, convert: v.oneOf(IPV6_MODES), filter: 'string' },
    service_types: { post: true, put: true, default: [], convert: v.listOf(v.subnetServiceType, { unique: true }), filter: false },
    segment_id: { post: true, put: false, default: null, convert: v.uuidOrNull, filter: 'string' },
  },
};

export const port: ResourceDef = {
  member: 'port',
  collection: 'ports',
  path: 'ports',
  taggable: true,
  adminRead: ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details'],
  columns: {
    ...STANDARD_COLUMNS,
    network_id: 'network_id',
    device_id: 'device_id',
    device_owner: 'device_owner',
    mac_address: 'mac_address',
    'binding:host_id': 'host_id',
  },
  attributes: {
    ...standard(),
    network_id: { post: true, put: false, convert: v.uuid, sort: true },
    admin_state_up: { post: true, put: true, default: true, convert: v.toBoolean, sort: true },
    mac_address: { post: true, put: true, derived: true, convert: v.macAddressOrNull, sort: true },
    fixed_ips: { post: true, put: true, derived: true, convert: v.fixedIps, filter: false },
    device_id: { post: true, put: true, default: '', convert: v.string(255), sort: true },
    device_owner: { post: true, put: true, default: '', convert: v.string(255), sort: true },
    status: { post: false, put: false, filter: 'string', sort: true },
    security_groups: { post: true, put: true, derived: true, convert: v.listOf(v.uuid, { unique: true }), filter: false },
    allowed_address_pairs: { post: true, put: true, default: [], convert: v.allowedAddressPairs, filter: false },
    port_security_enabled: { post: true, put: true, derived: true, convert: v.toBoolean, filter: 'boolean' },
    extra_dhcp_opts: { post: true, put: true, default: [], convert: v.extraDhcpOpts, filter: false },
    'binding:host_id': { post: true, put: true, default: '', convert: v.hostId },
    'binding:vnic_type': {
      post: true, put: true, default: 'normal',
      convert: v.oneOf(['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'remote-managed']),
    },
    'binding:profile': { post: true, put: true, default: {}, convert: v.dictOrNull, filter: false },
    'binding:vif_type': { post: false, put: false, filter: 'string' },
    'binding:vif_details': { post: false, put: false, filter: false },
    // binding-extended: bindings on other hosts (live migration's destination), at /ports/{id}/bindings only.
    bindings_inactive: { post: false, put: false, visible: false, filter: false },
    ip_allocation: { post: false, put: false, filter: false },
    // tag-ports-during-bulk-creation: a port's tags may come with its create (bulk too); later
    // changes go through the tags API, as in Neutron.
    tags: { post: true, put: false, default: [], convert: v.tagList, filter: false },
  },
};

export const securityGroup: ResourceDef = {
  member: 'security_group',
  collection: 'security_groups',
  path: 'security-groups',
  taggable: true,
  columns: { ...STANDARD_COLUMNS },
  attributes: {
    ...standard(),
    stateful: { post: true, put: true, default: true, convert: v.toBoolean },
    security_group_rules: { post: false, put: false, filter: false },
  },
};

/** neutron-lib's IP_PROTOCOL_MAP, in its order (Neutron's refusal lists the names so). */
export const PROTOCOL_NAMES: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4, 'ipv6-encap': 41,
  'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89,
  pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};

/** Neutron's convert_ethertype_to_case_insensitive. */
const ETHERTYPES = ['IPv4', 'IPv6'];
const ethertype: v.Converter = (x) => {
  const found = typeof x === 'string' ? ETHERTYPES.find((e) => e.toLowerCase() === x.toLowerCase()) : undefined;
  if (!found) {
    throw new SecurityGroupRuleInvalidEtherType(`Security group rule for ethertype '${pyStr(x)}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
  }
  return found;
};

/**
 * Neutron's convert_ip_prefix_to_cidr (str(netaddr.IPNetwork(x))): the address as given, host bits
 * and all, with its length (a bare address is a /32 or /128); the rule's normalized_cidr is its
 * network.
 */
const ipPrefix: v.Converter = (x) => {
  if (x === null || x === '') return null;
  const text = typeof x === 'string' ? x : '';
  const [address, len, extra] = text.split('/');
  const ip = canonicalIp(address);
  const full = ip === undefined || extra !== undefined ? undefined : `${ip}/${len ?? (ip.includes(':') ? 128 : 32)}`;
  if (full === undefined || !parseCidr(full)) throw new InvalidCIDR(`Invalid CIDR ${pyStr(x)} given as IP prefix.`);
  return full;
};

const ruleStandard = standard({ tags: false });
delete (ruleStandard as Record<string, AttributeDef>).name;

export const securityGroupRule: ResourceDef = {
  member: 'security_group_rule',
  collection: 'security_group_rules',
  path: 'security-group-rules',
  taggable: false,
  columns: { id: 'id', project_id: 'project_id', tenant_id: 'project_id', security_group_id: 'security_group_id' },
  attributes: {
    ...ruleStandard,
    security_group_id: { post: true, put: false, convert: v.uuid, sort: true },
    direction: { post: true, put: false, convert: v.oneOf(['ingress', 'egress']), sort: true },
    ethertype: { post: true, put: false, default: 'IPv4', convert: ethertype, sort: true },
    protocol: { post: true, put: false, default: null, convert: v.protocol, filter: 'string', sort: true },
    port_range_min: { post: true, put: false, default: null, convert: v.portValue, filter: 'integer', sort: true },
    port_range_max: { post: true, put: false, default: null, convert: v.portValue, filter: 'integer', sort: true },
    remote_ip_prefix: { post: true, put: false, default: null, convert: ipPrefix, filter: 'string' },
    // Any string: a group that does not exist is a 404 (SecurityGroupNotFound), as in Neutron.
    remote_group_id: { post: true, put: false, default: null, convert: v.string(255, { nullable: true }), filter: 'string' },
    remote_address_group_id: { post: false, put: false, filter: 'string' },
    normalized_cidr: { post: false, put: false, filter: false },
    belongs_to_default_sg: { post: false, put: false, filter: 'boolean' },
  },
};

function isEmptyDict(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 0;
}

const externalFixedIp = v.shape({ subnet_id: v.uuid, ip_address: v.ipAddress });
const GATEWAY_FIELDS: Record<string, v.Converter> = {
  network_id: v.uuid,
  enable_snat: v.toBoolean,
  external_fixed_ips: v.listOf(externalFixedIp),
};

/**
 * neutron-lib's validate_dict for external_gateway_info: network_id required, no other keys than
 * Neutron's, each value checked as the whole attribute (its messages name external_gateway_info).
 */
export const gatewayInfo: v.Converter = (x, attr) => {
  const d = v.dict(x, attr) as Record<string, unknown>;
  const keys = Object.keys(d);
  if (!keys.includes('network_id')) {
    v.invalid(attr, `Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {${keys.map((k) => `'${k}'`).join(', ')}}`);
  }
  const unexpected = keys.filter((k) => !(k in GATEWAY_FIELDS));
  if (unexpected.length) v.invalid(attr, `Unexpected keys supplied: ${unexpected.join(', ')}`);
  return Object.fromEntries(keys.map((k) => [k, GATEWAY_FIELDS[k](d[k], attr)]));
};

export const router: ResourceDef = {
  member: 'router',
  collection: 'routers',
  path: 'routers',
  taggable: true,
  columns: { ...STANDARD_COLUMNS },
  attributes: {
    ...standard(),
    admin_state_up: { post: true, put: true, default: true, convert: v.toBoolean, sort: true },
    status: { post: false, put: false, filter: 'string', sort: true },
    external_gateway_info: {
      post: true, put: true, default: null, filter: false,
      // An empty dict means no gateway, as Neutron's dict_or_nodata reads it.
      convert: (x, a) => (x === null || isEmptyDict(x) ? null : gatewayInfo(x, a)),
    },
    // null clears the routes, as Neutron's convert_none_to_empty_list reads it.
    routes: { post: false, put: true, default: [], convert: (x, a) => (x === null ? [] : v.hostRoutes(x, a)), filter: false },
    availability_zone_hints: { post: true, put: false, default: [], convert: v.listOf(v.string(255)), filter: false },
    availability_zones: { post: false, put: false, filter: false },
  },
};

/** Subnet pools: stored, listed, updated, tagged, and allocated from (subnet-allocation.ts). */
export const subnetpool: ResourceDef = {
  member: 'subnetpool',
  collection: 'subnetpools',
  path: 'subnetpools',
  taggable: true,
  columns: { ...STANDARD_COLUMNS, shared: 'shared', address_scope_id: 'address_scope_id' },
  attributes: {
    ...standard(),
    // Neutron's type:not_empty_string with no default: a pool must be named.
    name: { post: true, put: true, convert: v.notEmptyString(255), sort: true },
    prefixes: { post: true, put: true, convert: v.listOf(v.subnetCidr), filter: false },
    ip_version: { post: false, put: false, filter: 'integer', sort: true },
    default_prefixlen: { post: true, put: true, derived: true, convert: v.integer(0, 128), filter: 'string', sort: true },
    min_prefixlen: { post: true, put: true, derived: true, convert: v.integer(0, 128), filter: 'string', sort: true },
    max_prefixlen: { post: true, put: true, derived: true, convert: v.integer(0, 128), filter: 'string', sort: true },
    shared: { post: true, put: false, default: false, convert: v.toBoolean, filter: 'boolean' },
    is_default: { post: true, put: true, default: false, convert: v.toBoolean, filter: 'boolean' },
    address_scope_id: { post: true, put: true, default: null, convert: v.uuidOrNull, filter: 'string' },
    default_quota: { post: true, put: true, default: null, convert: v.integer(0, 2 ** 31 - 1, { nullable: true }), filter: 'integer' },
  },
};

/**
 * Neutron's address_scope (the address-scope extension): no standard attributes (no description,
 * timestamps, revisions or tags); shared scopes are every project's to see and to put pools in.
 */
export const addressScope: ResourceDef = {
  member: 'address_scope',
  collection: 'address_scopes',
  path: 'address-scopes',
  taggable: false,
  revisions: false,
  columns: { ...STANDARD_COLUMNS, shared: 'shared', ip_version: 'ip_version' },
  attributes: {
    id: { post: false, put: false, sort: true },
    name: { post: true, put: true, default: '', convert: NAME, sort: true },
    project_id: { post: true, put: false, derived: true, convert: v.projectId, sort: true },
    tenant_id: { post: true, put: false, derived: true, convert: v.projectId, sort: true },
    shared: { post: true, put: true, default: false, convert: v.toBoolean, sort: true },
    ip_version: { post: true, put: false, convert: v.integerIn([4, 6]), filter: 'integer', sort: true },
  },
};

// Floating IPs have the standard attributes but no name.
const { name: _unnamed, ...unnamedStandard } = standard();

export const floatingip: ResourceDef = {
  member: 'floatingip',
  collection: 'floatingips',
  path: 'floatingips',
  taggable: true,
  columns: {
    id: 'id', project_id: 'project_id', tenant_id: 'project_id', port_id: 'port_id',
    floating_network_id: 'floating_network_id', router_id: 'router_id',
  },
  attributes: {
    ...unnamedStandard,
    floating_network_id: { post: true, put: false, convert: v.uuid, sort: true },
    floating_ip_address: { post: true, put: false, derived: true, convert: v.ipAddress, filter: 'string', sort: true },
    subnet_id: { post: true, put: false, default: null, visible: false, convert: v.uuidOrNull, filter: false },
    port_id: { post: true, put: true, default: null, convert: v.uuidOrNull, filter: 'string', sort: true },
    fixed_ip_address: { post: true, put: true, default: null, convert: v.ipAddressOrNull, filter: 'string', sort: true },
    router_id: { post: false, put: false, filter: 'string', sort: true },
    status: { post: false, put: false, filter: 'string', sort: true },
    // fip-port-details: the associated port's summary, read with the floating IP.
    port_details: { post: false, put: false, filter: false },
  },
};

/**
 * Neutron's agents (the agent extension): rows the agents' own reports make, never POSTed. No
 * project, revision, name or tags; `alive` is computed when read, never stored; timestamps are in
 * Neutron's agent form "YYYY-MM-DD HH:MM:SS". Only admins see them.
 */
export const agent: ResourceDef = {
  member: 'agent',
  collection: 'agents',
  path: 'agents',
  taggable: false,
  standardAttributes: false,
  columns: { id: 'id', host: 'host', agent_type: 'agent_type', binary: 'binary', topic: 'topic' },
  attributes: {
    id: { post: false, put: false, filter: 'string', sort: true },
    agent_type: { post: false, put: false, filter: 'string', sort: true },
    binary: { post: false, put: false, filter: 'string', sort: true },
    topic: { post: false, put: false, filter: 'string', sort: true },
    host: { post: false, put: false, filter: 'string', sort: true },
    admin_state_up: { post: false, put: true, convert: v.toBoolean, filter: 'boolean', sort: true },
    created_at: { post: false, put: false, filter: false, sort: true },
    started_at: { post: false, put: false, filter: false, sort: true },
    heartbeat_timestamp: { post: false, put: false, filter: false, sort: true },
    alive: { post: false, put: false, filter: 'boolean' },
    configurations: { post: false, put: false, filter: false },
    description: { post: false, put: true, convert: v.string(255, { nullable: true }), filter: 'string', sort: true },
    availability_zone: { post: false, put: false, filter: 'string' },
    resources_synced: { post: false, put: false, filter: false },
  },
};

/** The resources of the v2.0 document (agents are an extension's, as in Neutron). */
export const RESOURCES: readonly ResourceDef[] = [network, subnet, port, securityGroup, securityGroupRule, router, subnetpool, floatingip];

/**
 * Neutron's rbac_policy (the rbac-policies extension): who besides its owner may use a network.
 * It has no standard attributes (no name, timestamps, revisions or tags); object_type, object_id
 * and action are fixed once made, only target_tenant changes.
 */
export const rbacPolicy: ResourceDef = {
  member: 'rbac_policy',
  collection: 'rbac_policies',
  path: 'rbac-policies',
  taggable: false,
  revisions: false,
  columns: { id: 'id', project_id: 'project_id', tenant_id: 'project_id', object_type: 'object_type', object_id: 'object_id', action: 'action', target_tenant: 'target_tenant' },
  attributes: {
    id: { post: false, put: false, sort: true },
    project_id: { post: true, put: false, derived: true, convert: v.projectId, sort: true },
    action: { post: true, put: false, convert: v.string(255), sort: true },
    object_id: { post: true, put: false, convert: v.uuid, sort: true },
    target_tenant: { post: true, put: true, convert: v.string(255), sort: true },
    object_type: { post: true, put: false, convert: v.string(255), sort: true },
    tenant_id: { post: true, put: false, derived: true, convert: v.projectId, sort: true },
  },
};
