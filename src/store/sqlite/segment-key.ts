/**
 * The text a network's segment is kept unique by (networks.segment): 'vxlan:<VNI>',
 * 'vlan:<physnet>:<id>', 'flat:<physnet>'. Ids are zero-padded to a fixed width, so that within one
 * pool the unique index's order is numeric order and a gap search is a range scan of that index.
 * Schema v7 backfills the same text in SQL: the two must agree.
 */
import type { Segment, SegmentPool } from '../store.js';

/** Digits of a VNI (at most 16777215) and of a VLAN id (at most 4094). */
const WIDTH = { vxlan: 8, vlan: 4 } as const;

function padded(id: number, width: number): string {
  return String(id).padStart(width, '0');
}

/** What every key of the pool begins with. */
export function poolPrefix(pool: SegmentPool): string {
  return pool.type === 'vxlan' ? 'vxlan:' : `vlan:${pool.physnet}:`;
}

export function poolKey(pool: SegmentPool, id: number): string {
  return poolPrefix(pool) + padded(id, WIDTH[pool.type]);
}

export function segmentKey(segment: Segment): string {
  return segment.type === 'flat' ? `flat:${segment.physnet}` : poolKey(segment, segment.id);
}

/** The id a key of the pool ends with. */
export function keyId(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1));
}
