/** MAC addresses: random under the base MAC, unique per network (as Neutron's constraint is). */
import { MacAddressGenerationFailure, MacAddressInUse } from '../core/errors.js';
import { randomMac } from '../core/mac.js';
import type { ReadTx } from '../store/store.js';

const ATTEMPTS = 16;

export async function pickMac(tx: ReadTx, networkId: string, baseMac: string): Promise<string> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const mac = randomMac(baseMac);
    if (!(await tx.macInUse(networkId, mac))) return mac;
  }
  throw new MacAddressGenerationFailure(`Unable to generate unique mac on network ${networkId}.`);
}

export async function claimMac(tx: ReadTx, networkId: string, mac: string): Promise<string> {
  if (await tx.macInUse(networkId, mac)) {
    throw new MacAddressInUse(`Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
  }
  return mac;
}
