/**
 * A network's segment, as ML2's type drivers reserve it: a VXLAN VNI from the configured range, a
 * VLAN id on a physical network (given, or from that network's configured ranges), or a whole
 * physical network (flat). Allocation takes random probes on the store's unique segment index, then
 * an ordered gap walk; a segment is free again once its network is gone. The index has the last
 * word: a claim that loses a race fails its insert and is retried, and the retry finds it in use.
 */
import type { DomainConfig, IdRange } from '../core/config.js';
import { FlatNetworkInUse, InvalidInput, NoNetworkAvailable, TunnelIdInUse, VlanIdInUse } from '../core/errors.js';
import type { ReadTx, SegmentPool } from '../store/store.js';

/** Valid VLAN tags, Neutron's MIN_VLAN_TAG..MAX_VLAN_TAG. */
export const VLAN_TAGS: IdRange = { min: 1, max: 4094 };
const MAX_VNI = 16777215;

const noNetwork = () => new NoNetworkAvailable('Unable to create the network. No tenant network is available for allocation.');
const invalid = (reason: string) => new InvalidInput(`Invalid input for operation: ${reason}.`);

/** A free id of the pool within the ranges, or undefined when they are all taken. */
async function allocateIn(tx: ReadTx, pool: SegmentPool, ranges: readonly IdRange[]): Promise<number | undefined> {
  const sizes = ranges.map((r) => r.max - r.min + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  for (let i = 0; i < 8; i++) {
    let n = Math.floor(Math.random() * total);
    let r = 0;
    while (n >= sizes[r]) n -= sizes[r++];
    const candidate = ranges[r].min + n;
    if (!(await tx.segmentInUse(pool.type === 'vxlan' ? { type: 'vxlan', id: candidate } : { ...pool, id: candidate }))) return candidate;
  }
  for (const range of ranges) {
    let cursor = range.min;
    for (;;) {
      const used = await tx.usedSegments(pool, cursor, range.max, 512);
      for (const id of used) {
        if (id > cursor) return cursor;
        cursor = id + 1;
      }
      if (used.length < 512) break;
    }
    if (cursor <= range.max) return cursor;
  }
  return undefined;
}

export async function allocateVni(tx: ReadTx, range: IdRange): Promise<number> {
  const vni = await allocateIn(tx, { type: 'vxlan' }, [range]);
  if (vni === undefined) throw noNetwork();
  return vni;
}

export async function claimVni(tx: ReadTx, range: IdRange, id: number): Promise<number> {
  if (id < range.min || id > range.max) {
    // Neutron accepts any VNI outside its tenant range for an admin's provider network.
    if (id < 1 || id > MAX_VNI) throw new InvalidInput(`Invalid input for operation: segmentation_id ${id} out of range.`);
  }
  if (await tx.segmentInUse({ type: 'vxlan', id })) throw new TunnelIdInUse(`Unable to create the network. The tunnel ID ${id} is in use.`);
  return id;
}

/** What a network's provider attributes become. */
export interface ReservedSegment {
  readonly type: 'vxlan' | 'flat' | 'vlan';
  readonly physnet: string | null;
  readonly id: number | null;
}

/** ML2's flat type driver: validate_provider_segment, then the one allocation per physical network. */
async function reserveFlat(tx: ReadTx, config: DomainConfig, physnet: string | null, id: number | null): Promise<ReservedSegment> {
  if (!physnet) throw invalid('physical_network required for flat provider network');
  const allowed = config.flatNetworks;
  if (allowed !== '*' && allowed.length === 0) throw invalid('Flat provider networks are disabled');
  if (allowed !== '*' && !allowed.includes(physnet)) throw invalid(`physical_network '${physnet}' unknown for flat provider network`);
  // As Neutron's "if value": a segmentation id of 0 passes (and is shown as given).
  if (id) throw invalid('segmentation_id prohibited for flat provider network');
  if (await tx.segmentInUse({ type: 'flat', physnet })) {
    throw new FlatNetworkInUse(`Unable to create the flat network. Physical network ${physnet} is in use.`);
  }
  return { type: 'flat', physnet, id };
}

/** ML2's VLAN type driver: validate_provider_segment, then reserve_provider_segment. */
async function reserveVlan(tx: ReadTx, config: DomainConfig, physnet: string | null, id: number | null): Promise<ReservedSegment> {
  const ranges = config.networkVlanRanges;
  if (physnet) {
    if (!ranges.some((r) => r.physnet === physnet)) throw invalid(`physical_network '${physnet}' unknown for VLAN provider network`);
    if (id !== null && (id < VLAN_TAGS.min || id > VLAN_TAGS.max)) {
      throw invalid(`segmentation_id out of range (${VLAN_TAGS.min} through ${VLAN_TAGS.max})`);
    }
  } else if (id !== null) {
    throw invalid('segmentation_id requires physical_network for VLAN provider network');
  }
  if (physnet !== null && id !== null) {
    if (await tx.segmentInUse({ type: 'vlan', physnet, id })) {
      throw new VlanIdInUse(`Unable to create the network. The VLAN ${id} on physical network ${physnet} is in use.`);
    }
    return { type: 'vlan', physnet, id };
  }
  // Partially specified: an id from the named physical network's ranges, or from the first one in
  // configured order with room ('' names no physical network there is, as in Neutron).
  const candidates = physnet === null ? ranges : ranges.filter((r) => r.physnet === physnet);
  for (const c of candidates) {
    const found = await allocateIn(tx, { type: 'vlan', physnet: c.physnet }, c.ranges);
    if (found !== undefined) return { type: 'vlan', physnet: c.physnet, id: found };
  }
  throw noNetwork();
}

/**
 * Checks a network's requested provider attributes and reserves its segment, with Neutron's errors;
 * `type` is the network type asked for, VXLAN when none was.
 */
export async function reserveSegment(
  tx: ReadTx, config: DomainConfig, type: string, physnet: string | null, id: number | null,
): Promise<ReservedSegment> {
  switch (type) {
    case 'vxlan':
      if (physnet !== null) throw invalid('provider:physical_network specified for vxlan network');
      return { type, physnet: null, id: id === null ? await allocateVni(tx, config.vniRange) : await claimVni(tx, config.vniRange, id) };
    case 'flat':
      return reserveFlat(tx, config, physnet, id);
    case 'vlan':
      return reserveVlan(tx, config, physnet, id);
    default:
      throw invalid(`network_type value '${type}' not supported`);
  }
}
