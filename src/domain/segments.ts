/**
 * VXLAN segment (VNI) allocation from the configured range: random probes on the unique
 * segmentation-id index, then an ordered gap walk. A VNI is free again once its network is gone.
 */
import { InvalidInput, NoNetworkAvailable, TunnelIdInUse } from '../core/errors.js';
import type { ReadTx } from '../store/store.js';

export async function allocateVni(tx: ReadTx, range: { min: number; max: number }): Promise<number> {
  const size = range.max - range.min + 1;
  for (let i = 0; i < 8; i++) {
    const candidate = range.min + Math.floor(Math.random() * size);
    if (!(await tx.segmentInUse(candidate))) return candidate;
  }
  let cursor = range.min;
  for (;;) {
    const used = await tx.usedSegments(cursor, range.max, 512);
    for (const id of used) {
      if (id > cursor) return cursor;
      cursor = id + 1;
    }
    if (used.length < 512) break;
  }
  if (cursor <= range.max) return cursor;
  throw new NoNetworkAvailable('Unable to create the network. No tenant network is available for allocation.');
}

export async function claimVni(tx: ReadTx, range: { min: number; max: number }, id: number): Promise<number> {
  if (id < range.min || id > range.max) {
    // Neutron accepts any VNI outside its tenant range for an admin's provider network.
    if (id < 1 || id > 16777215) throw new InvalidInput(`Invalid input for operation: segmentation_id ${id} out of range.`);
  }
  if (await tx.segmentInUse(id)) throw new TunnelIdInUse(`Unable to create the network. The tunnel ID ${id} is in use.`);
  return id;
}
