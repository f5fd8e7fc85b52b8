/**
 * The one error catalog. Every failure the API can answer is a NeutronError: its `type` is the name
 * Neutron gives the same fault, its `status` the HTTP code Neutron's fault map gives it, so a client
 * written against Neutron can branch on either.
 */
export class NeutronError extends Error {
  readonly status: number;
  readonly type: string;
  readonly detail: string;

  constructor(status: number, type: string, message: string, detail = '') {
    super(message);
    this.status = status;
    this.type = type;
    this.detail = detail;
  }
}

export type Fault = (new (message: string) => NeutronError) & { readonly status: number; readonly type: string };

function fault(status: number, type: string): Fault {
  const cls = class extends NeutronError {
    constructor(message: string) {
      super(status, type, message);
    }
  };
  Object.defineProperty(cls, 'name', { value: type });
  return Object.assign(cls, { status, type });
}

export const BadRequest = fault(400, 'HTTPBadRequest');
export const InvalidInput = fault(400, 'InvalidInput');
/** netaddr's own error, which Neutron's fault map answers as a 400 (a bad prefix in a pool action). */
export const AddrFormatError = fault(400, 'AddrFormatError');
export const IllegalSubnetPoolPrefixBounds = fault(400, 'IllegalSubnetPoolPrefixBounds');
export const IllegalSubnetPoolPrefixUpdate = fault(400, 'IllegalSubnetPoolPrefixUpdate');
export const IllegalSubnetPoolUpdate = fault(400, 'IllegalSubnetPoolUpdate');
export const IllegalSubnetPoolIpVersionAssociationToAddressScope = fault(400, 'IllegalSubnetPoolIpVersionAssociationToAddressScope');
export const EmptySubnetPoolPrefixList = fault(400, 'EmptySubnetPoolPrefixList');
export const PrefixVersionMismatch = fault(400, 'PrefixVersionMismatch');
export const AddressScopeUpdateError = fault(400, 'AddressScopeUpdateError');
export const NetworkAddressScopeAffinityError = fault(400, 'NetworkAddressScopeAffinityError');
export const AddressScopePrefixConflict = fault(409, 'AddressScopePrefixConflict');
export const MinPrefixSubnetAllocationError = fault(400, 'MinPrefixSubnetAllocationError');
export const MaxPrefixSubnetAllocationError = fault(400, 'MaxPrefixSubnetAllocationError');
export const NetworkSubnetPoolAffinityError = fault(400, 'NetworkSubnetPoolAffinityError');
/** Neutron leaves it unmapped (a 500); it is the pool's space in conflict with the request. */
export const SubnetAllocationError = fault(409, 'SubnetAllocationError');
export const SubnetPoolQuotaExceeded = fault(409, 'SubnetPoolQuotaExceeded');
export const SubnetPoolInUse = fault(409, 'SubnetPoolInUse');
export const InvalidIpForSubnet = fault(400, 'InvalidIpForSubnet');
export const InvalidIpForNetwork = fault(400, 'InvalidIpForNetwork');
/** Neutron's ipam AllocationOnAutoAddressSubnet (an InvalidInput of its own type). */
export const AllocationOnAutoAddressSubnet = fault(400, 'AllocationOnAutoAddressSubnet');
/** neutron-lib's AllowedAddressPairsMissingIP, which its allowed-address-pairs validator raises. */
export const AllowedAddressPairsMissingIP = fault(400, 'AllowedAddressPairsMissingIP');
export const InvalidAllocationPool = fault(400, 'InvalidAllocationPool');
export const OverlappingAllocationPools = fault(409, 'OverlappingAllocationPools');
export const DNSNameServersExhausted = fault(400, 'DNSNameServersExhausted');
export const HostRoutesExhausted = fault(400, 'HostRoutesExhausted');
export const OutOfBoundsAllocationPool = fault(400, 'OutOfBoundsAllocationPool');
export const GatewayConflictWithAllocationPools = fault(409, 'GatewayConflictWithAllocationPools');
export const InvalidSharedSetting = fault(409, 'InvalidSharedSetting');
export const SecurityGroupRuleInvalidProtocol = fault(400, 'SecurityGroupRuleInvalidProtocol');
export const SecurityGroupInvalidPortRange = fault(400, 'SecurityGroupInvalidPortRange');
export const SecurityGroupInvalidPortValue = fault(400, 'SecurityGroupInvalidPortValue');
export const SecurityGroupRuleParameterConflict = fault(400, 'SecurityGroupRuleParameterConflict');
export const SecurityGroupMultipleRemoteEntites = fault(400, 'SecurityGroupMultipleRemoteEntites');
export const SecurityGroupRuleInvalidEtherType = fault(400, 'SecurityGroupRuleInvalidEtherType');
export const InvalidCIDR = fault(400, 'InvalidCIDR');
export const SecurityGroupMissingIcmpType = fault(400, 'SecurityGroupMissingIcmpType');
export const SecurityGroupInvalidIcmpValue = fault(400, 'SecurityGroupInvalidIcmpValue');
export const SecurityGroupProtocolRequiredWithPorts = fault(400, 'SecurityGroupProtocolRequiredWithPorts');
export const SecurityGroupInvalidProtocolForPort = fault(400, 'SecurityGroupInvalidProtocolForPort');
export const SecurityGroupEthertypeConflictWithProtocol = fault(400, 'SecurityGroupEthertypeConflictWithProtocol');
export const InvalidRoutes = fault(400, 'InvalidRoutes');
/** Neutron's exceptions.BadRequest ("Bad <resource> request: ..."), answered with its own type. */
export const BadResourceRequest = fault(400, 'BadRequest');
export const BadRouterRequest = BadResourceRequest;
export const RoutesExhausted = fault(400, 'RoutesExhausted');
export const AddressPairAndPortSecurityRequired = fault(409, 'AddressPairAndPortSecurityRequired');
export const PortSecurityAndIPRequiredForSecurityGroups = fault(400, 'PortSecurityAndIPRequiredForSecurityGroups');
export const DuplicateAddressPairInRequest = fault(400, 'DuplicateAddressPairInRequest');

export const Unauthorized = fault(401, 'HTTPUnauthorized');
export const PolicyNotAuthorized = fault(403, 'PolicyNotAuthorized');
export const NotAuthorized = fault(403, 'NotAuthorized');
export const AutoAllocationFailure = fault(409, 'AutoAllocationFailure');
export const DefaultExternalNetworkExists = fault(409, 'DefaultExternalNetworkExists');

export const NotFound = fault(404, 'HTTPNotFound');
export const NetworkNotFound = fault(404, 'NetworkNotFound');
export const AvailabilityZoneNotFound = fault(404, 'AvailabilityZoneNotFound');
export const SubnetNotFound = fault(404, 'SubnetNotFound');
export const SubnetPoolNotFound = fault(404, 'SubnetPoolNotFound');
export const AddressScopeNotFound = fault(404, 'AddressScopeNotFound');
export const PortNotFound = fault(404, 'PortNotFound');
export const SecurityGroupNotFound = fault(404, 'SecurityGroupNotFound');
export const SecurityGroupRuleNotFound = fault(404, 'SecurityGroupRuleNotFound');
export const RouterNotFound = fault(404, 'RouterNotFound');
export const FloatingIPNotFound = fault(404, 'FloatingIPNotFound');
export const ExternalGatewayForFloatingIPNotFound = fault(404, 'ExternalGatewayForFloatingIPNotFound');
export const RouterInterfaceNotFound = fault(404, 'RouterInterfaceNotFound');
export const RouterInterfaceNotFoundForSubnet = fault(404, 'RouterInterfaceNotFoundForSubnet');
export const TagNotFound = fault(404, 'TagNotFound');
export const AgentNotFound = fault(404, 'AgentNotFound');

export const MethodNotAllowed = fault(405, 'HTTPMethodNotAllowed');

export const NetworkInUse = fault(409, 'NetworkInUse');
export const SubnetInUse = fault(409, 'SubnetInUse');
export const PortInUse = fault(409, 'PortInUse');
export const RouterInUse = fault(409, 'RouterInUse');
export const SecurityGroupInUse = fault(409, 'SecurityGroupInUse');
export const AddressScopeInUse = fault(409, 'AddressScopeInUse');
export const FloatingIPPortAlreadyAssociated = fault(409, 'FloatingIPPortAlreadyAssociated');
export const PortSecurityPortHasSecurityGroup = fault(409, 'PortSecurityPortHasSecurityGroup');
export const SecurityGroupCannotRemoveDefault = fault(409, 'SecurityGroupCannotRemoveDefault');
export const SecurityGroupCannotUpdateDefault = fault(409, 'SecurityGroupCannotUpdateDefault');
export const SecurityGroupRuleExists = fault(409, 'SecurityGroupRuleExists');
export const SecurityGroupDefaultAlreadyExists = fault(409, 'SecurityGroupDefaultAlreadyExists');
export const TunnelIdInUse = fault(409, 'TunnelIdInUse');
export const VlanIdInUse = fault(409, 'VlanIdInUse');
export const FlatNetworkInUse = fault(409, 'FlatNetworkInUse');
export const PortBound = fault(409, 'PortBound');
export const PortBindingNotFound = fault(404, 'PortBindingNotFound');
export const PortBindingAlreadyActive = fault(409, 'PortBindingAlreadyActive');
export const PortBindingAlreadyExists = fault(409, 'PortBindingAlreadyExists');
/** Neutron leaves it unmapped (a 500); it is the host's state (no live agent there) in conflict. */
export const PortBindingError = fault(409, 'PortBindingError');
export const ServicePortInUse = fault(409, 'ServicePortInUse');
export const RouterInterfaceInUseByRoute = fault(409, 'RouterInterfaceInUseByRoute');
export const RouterInterfaceInUseByFloatingIP = fault(409, 'RouterInterfaceInUseByFloatingIP');
export const RouterExternalGatewayInUseByFloatingIp = fault(409, 'RouterExternalGatewayInUseByFloatingIp');
export const IpAddressAlreadyAllocated = fault(409, 'IpAddressAlreadyAllocated');
export const IpAddressGenerationFailure = fault(409, 'IpAddressGenerationFailure');
export const IpAddressGenerationFailureNoMatchingSubnet = fault(409, 'IpAddressGenerationFailureNoMatchingSubnet');
export const InvalidSubnetServiceType = fault(400, 'InvalidSubnetServiceType');
export const InvalidInputSubnetServiceType = fault(400, 'InvalidInputSubnetServiceType');
export const MacAddressInUse = fault(409, 'MacAddressInUse');
export const MacAddressGenerationFailure = fault(503, 'MacAddressGenerationFailure');
export const NoNetworkAvailable = fault(503, 'NoNetworkAvailable');
export const IdentityUnavailable = fault(503, 'HTTPServiceUnavailable');

export const PreconditionFailed = fault(412, 'RevisionNumberConstraintFailed');

export const OverQuota = fault(409, 'OverQuota');
export const TenantQuotaNotFound = fault(404, 'TenantQuotaNotFound');
export const AdminRequired = fault(403, 'AdminRequired');
export const QuotaMissingTenant = fault(400, 'QuotaMissingTenant');
export const NotImplemented = fault(501, 'HTTPNotImplemented');
export const DuplicateRbacPolicy = fault(409, 'DuplicateRbacPolicy');
export const RbacPolicyInUse = fault(409, 'RbacPolicyInUse');
export const RbacPolicyNotFound = fault(404, 'RbacPolicyNotFound');
export const InvalidActionForType = fault(400, 'InvalidActionForType');
export const HTTPForbidden = fault(403, 'HTTPForbidden');

// Limits of one request (src/api/limits.ts) and faults of the machine, answered as what they are.
export const RequestUriTooLong = fault(414, 'HTTPRequestURITooLong');
export const RequestHeaderFieldsTooLarge = fault(431, 'HTTPRequestHeaderFieldsTooLarge');
/** The data directory cannot be written (full, read-only, I/O error): reads go on, writes wait for it. */
export const StoreUnavailable = fault(503, 'StoreUnavailable');
