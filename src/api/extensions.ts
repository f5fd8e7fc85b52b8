/**
 * The extensions this server really implements, by Neutron alias. Clients (openstack, Tempest)
 * decide what to call from this list, so an alias is added here only with the behaviour behind it.
 */
export interface Extension {
  readonly alias: string;
  readonly name: string;
  readonly description: string;
}

export const EXTENSIONS: readonly Extension[] = [
  { alias: 'address-scope', name: 'Address scope', description: 'Address scopes extension.' },
  { alias: 'agent', name: 'agent', description: 'The agent management extension.' },
  { alias: 'allowed-address-pairs', name: 'Allowed Address Pairs', description: 'Provides allowed address pairs' },
  { alias: 'auto-allocated-topology', name: 'Auto Allocated Topology Services', description: 'Auto Allocated Topology Services.' },
  { alias: 'availability_zone', name: 'Availability Zone', description: 'The availability zone extension.' },
  { alias: 'availability_zone_filter', name: 'Availability Zone Filter Extension', description: 'Add filter parameters to AvailabilityZone resource' },
  { alias: 'binding', name: 'Port Binding', description: 'Expose port bindings of a virtual port to external application' },
  { alias: 'binding-extended', name: 'Port Bindings Extended', description: 'Expose port bindings of a virtual port to external application' },
  { alias: 'external-net', name: 'Neutron external network', description: 'Adds external network attribute to network resource.' },
  { alias: 'extra_dhcp_opt', name: 'Neutron Extra DHCP options', description: 'Extra options configuration for DHCP.' },
  { alias: 'extraroute', name: 'Neutron Extra Route', description: 'Extra routes configuration for L3 router' },
  { alias: 'extraroute-atomic', name: 'Atomically add/remove extra routes', description: 'Edit extra routes of a router on server side by atomically adding/removing extra routes' },
  { alias: 'ext-gw-mode', name: 'Neutron L3 Configurable external gateway mode', description: 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway' },
  { alias: 'default-subnetpools', name: 'Default Subnetpools', description: 'Provides ability to mark and use a subnetpool as the default.' },
  { alias: 'fields', name: 'Fields', description: 'Select the attributes of a resource that a list or show returns.' },
  { alias: 'fip-port-details', name: 'Floating IP Port Details Extension', description: 'Add port_details attribute to Floating IP resource' },
  { alias: 'floatingip-pools', name: 'Floating IP Pools Extension', description: 'Provides a floating IP pools API.' },
  { alias: 'ip-substring-filtering', name: 'IP address substring filtering', description: 'Provides IP address substring filtering when listing ports' },
  { alias: 'security-groups-normalized-cidr', name: 'Normalized CIDR field for security group rules', description: 'Add new field with normalized remote_ip_prefix cidr in SG rule' },
  { alias: 'tag-ports-during-bulk-creation', name: 'Tag Ports During Bulk Creation', description: 'Allow to tag ports during bulk creation' },
  { alias: 'filter-validation', name: 'Filter parameters validation', description: 'Provides validation on filtering parameters.' },
  { alias: 'net-mtu', name: 'Network MTU', description: 'Provides MTU attribute for a network resource.' },
  { alias: 'net-mtu-writable', name: 'Network MTU (writable)', description: 'Provides a writable MTU attribute for a network resource.' },
  { alias: 'network_availability_zone', name: 'Network Availability Zone', description: 'Availability zone support for network.' },
  { alias: 'network-ip-availability', name: 'Network IP Availability', description: 'Provides IP availability data for each network and subnet.' },
  { alias: 'pagination', name: 'Pagination support', description: 'Extension that indicates that pagination is enabled.' },
  { alias: 'port-security', name: 'Port Security', description: 'Provides port security' },
  { alias: 'project-id', name: 'project_id field enabled', description: 'Extension that indicates that project_id field is enabled.' },
  { alias: 'provider', name: 'Provider Network', description: 'Expose mapping of virtual networks to physical networks' },
  { alias: 'revision-if-match', name: 'If-Match constraints based on revision_number', description: 'Extension indicating that If-Match based on revision_number is supported.' },
  { alias: 'quotas', name: 'Quota management support', description: 'Expose functions for quotas management per project' },
  { alias: 'quota_details', name: 'Quota details management support', description: 'Expose functions for quotas usage statistics per project' },
  { alias: 'quota-check-limit', name: 'Quota engine limit check', description: 'Support for checking the resource usage before applying a new quota limit' },
  { alias: 'rbac-address-scope', name: 'Add address_scope type to RBAC', description: 'Add address_scope type to RBAC' },
  { alias: 'rbac-policies', name: 'RBAC Policies', description: 'Allows creation and modification of policies that control tenant access to resources.' },
  { alias: 'router', name: 'Neutron L3 Router', description: 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.' },
  { alias: 'router_availability_zone', name: 'Router Availability Zone', description: 'Availability zone support for router.' },
  { alias: 'security-group', name: 'security-group', description: 'The security groups extension.' },
  { alias: 'sorting', name: 'Sorting support', description: 'Extension that indicates that sorting is enabled.' },
  { alias: 'subnetpool-prefix-ops', name: 'Subnet Pool Prefix Operations', description: 'Provides support for adjusting the prefix list of subnet pools' },
  { alias: 'subnet_allocation', name: 'Subnet Allocation', description: 'Enables allocation of subnets from a subnet pool' },
  { alias: 'standard-attr-description', name: 'standard-attr-description', description: 'Extension to add descriptions to standard attributes' },
  { alias: 'standard-attr-revisions', name: 'Resource revision numbers', description: 'This extension will display the revision number of neutron resources.' },
  { alias: 'standard-attr-tag', name: 'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip', description: 'Enables to set tag on resources with standard attribute.' },
  { alias: 'standard-attr-timestamp', name: 'Resource timestamps', description: 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.' },
  { alias: 'bulk-delete', name: 'Bulk delete (Alcor)', description: 'DELETE /v2.0/{collection}?id=A&id=B deletes up to 300 resources of one kind in one request, all or none.' },
  { alias: 'subnet-service-types', name: 'Subnet service types', description: 'Provides ability to set the subnet service_types field' },
  { alias: 'port-mac-address-regenerate', name: 'Neutron Port MAC address regenerate', description: 'Network port MAC address regenerate' },
  { alias: 'service-type', name: 'Neutron Service Type Management', description: 'API for retrieving service providers for Neutron advanced services' },
  { alias: 'stateful-security-group', name: 'Stateful security group', description: 'Indicates if the security group is stateful or not' },
];

export function extensionView(e: Extension): Record<string, unknown> {
  return { alias: e.alias, name: e.name, description: e.description, updated: '2026-11-25T00:00:00-00:00', links: [] };
}
