/** Settings the domain needs; the CLI reads them from file, environment and flags. */
export interface DomainConfig {
  /** e.g. fa:16:3e:00:00:00: octets that are zero are random. */
  readonly baseMac: string;
  readonly vniRange: { readonly min: number; readonly max: number };
  /** MTU of the physical network; VXLAN networks get this minus 50. */
  readonly physicalMtu: number;
  /** Seconds after its last heartbeat that an agent is still alive (Neutron's agent_down_time). */
  readonly agentDownTime: number;
}

export const DEFAULT_DOMAIN_CONFIG: DomainConfig = {
  baseMac: 'fa:16:3e:00:00:00',
  vniRange: { min: 1, max: 65535 },
  physicalMtu: 1500,
  agentDownTime: 75,
};
