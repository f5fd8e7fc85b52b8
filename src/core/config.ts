/** Settings the domain needs; the CLI reads them from file, environment and flags. */
export interface IdRange {
  readonly min: number;
  readonly max: number;
}

/** One physical network of Neutron's network_vlan_ranges and the VLAN ids allocated from it. */
export interface VlanRanges {
  readonly physnet: string;
  /** Named without a range: every VLAN id (Neutron's VLAN_VALID_RANGE). */
  readonly ranges: readonly IdRange[];
}

export interface DomainConfig {
  /** e.g. fa:16:3e:00:00:00: octets that are zero are random. */
  readonly baseMac: string;
  readonly vniRange: IdRange;
  /** MTU of the physical network; VXLAN networks get this minus 50, flat and VLAN networks all of it. */
  readonly physicalMtu: number;
  /** Seconds after its last heartbeat that an agent is still alive (Neutron's agent_down_time). */
  readonly agentDownTime: number;
  /**
   * Neutron's network_vlan_ranges, in configured order: the physical networks VLAN networks may use,
   * and the ids a VLAN network without one is given.
   */
  readonly networkVlanRanges: readonly VlanRanges[];
  /** Neutron's flat_networks: the physical networks flat networks may use; '*' any, none: flat is disabled. */
  readonly flatNetworks: '*' | readonly string[];
  /** Neutron's [quotas] quota_<resource>: limits of projects an admin set none for (absent: Neutron's defaults). */
  readonly defaultQuotas?: Readonly<Record<string, number>>;
}

export const DEFAULT_DOMAIN_CONFIG: DomainConfig = {
  baseMac: 'fa:16:3e:00:00:00',
  vniRange: { min: 1, max: 65535 },
  physicalMtu: 1500,
  agentDownTime: 75,
  networkVlanRanges: [],
  flatNetworks: '*',
};

