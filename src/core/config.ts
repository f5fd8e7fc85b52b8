/** Settings the domain needs; the CLI reads them from file, environment and flags. */
export interface DomainConfig {
  /** e.g. fa:16:3e:00:00:00: octets that are zero are random. */
  readonly baseMac: string;
  readonly vniRange: { readonly min: number; readonly max: number };
  /** MTU of the physical network; VXLAN networks get this minus 50. */
  readonly physicalMtu: number;
}

export const DEFAULT_DOMAIN_CONFIG: DomainConfig = {
  baseMac: 'fa:16:3e:00:00:00',
  vniRange: { min: 1, max: 65535 },
  physicalMtu: 1500,
};
