/**
 * The names of what the agent owns on a host. Nova, os-vif and Neutron's Linux bridge agent use the
 * same ones (`tap` and `brq` + 11 characters of the id, `vxlan-<VNI>`), so an operator recognises
 * them, and the agent recognises its own after a restart without a record of its own.
 */
export const tapName = (port: string): string => `tap${port.slice(0, 11)}`;
export const bridgeName = (network: string): string => `brq${network.slice(0, 11)}`;
export const vxlanName = (vni: number): string => `vxlan-${vni}`;
/** The host side of the veth to a network's DHCP namespace. */
export const dhcpLinkName = (network: string): string => `dhp${network.slice(0, 11)}`;
export const DHCP_INSIDE = 'dhcp0';
/** The host side of the veth to the metadata proxy's address in a network's DHCP namespace. */
export const metaLinkName = (network: string): string => `mdp${network.slice(0, 11)}`;
export const META_INSIDE = 'meta0';
export const isMetaLink = (n: string): boolean => /^mdp[0-9a-f-]{11}$/.test(n);

export const isBridge = (n: string): boolean => /^brq[0-9a-f-]{11}$/.test(n);
export const isVxlan = (n: string): boolean => /^vxlan-\d+$/.test(n);
export const isDhcpLink = (n: string): boolean => /^dhp[0-9a-f-]{11}$/.test(n);
export const isTap = (n: string): boolean => /^tap[0-9a-f-]{11}$/.test(n);

/** nftables tables the agent owns (and only these). */
export const NFT_BRIDGE_TABLE = 'alcor';
export const NFT_INET_TABLE = 'alcor';

/**
 * A router's veths: `qr` (interface), `qs` (centralized SNAT port), `qg` (external gateway) + 11
 * characters of the port id on the bridge side, as Neutron's qr-/sg-/qg- devices; inside the
 * router's namespace the same with `r` first (`ri`, `rs`, `rg`).
 */
export type RouterLinkKind = 'i' | 's' | 'g';
export const routerLinkName = (kind: RouterLinkKind, port: string): string => `q${kind === 'i' ? 'r' : kind}${port.slice(0, 11)}`;
export const routerInsideName = (kind: RouterLinkKind, port: string): string => `r${kind}${port.slice(0, 11)}`;
export const isRouterLink = (n: string): boolean => /^q[rsg][0-9a-f-]{11}$/.test(n);
/** A VLAN network's tagged sub-interface of its physical interface. */
export const vlanName = (iface: string, vid: number): string => `${iface.slice(0, 10)}.${vid}`;
/** The NAT table inside a router's namespace. */
export const NFT_NAT_TABLE = 'alcor_nat';
