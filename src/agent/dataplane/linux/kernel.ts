/**
 * What the host's kernel holds of the agent's own objects, read at a start so the first round can
 * compare it with the goal state and sweep the rest: bridges, VXLAN devices, their forwarding and
 * neighbour entries. Nothing that is not recognisably the agent's is read or touched.
 */
import { isBridge, isVxlan } from './names.js';
import { must } from './run.js';

export interface Link {
  readonly name: string;
  readonly kind: string;
  readonly master?: string;
  readonly mtu: number;
  readonly vni?: number;
  readonly local?: string;
}

export async function links(): Promise<Map<string, Link>> {
  const out = new Map<string, Link>();
  const raw = JSON.parse((await must('ip', ['-j', '-d', 'link', 'show'])) || '[]') as Array<{
    ifname: string; master?: string; mtu: number; linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string } };
  }>;
  for (const l of raw) {
    out.set(l.ifname, { name: l.ifname, kind: l.linkinfo?.info_kind ?? '', master: l.master, mtu: l.mtu, vni: l.linkinfo?.info_data?.id, local: l.linkinfo?.info_data?.local });
  }
  return out;
}

export interface VxlanFdb {
  /** Unicast MACs in the VXLAN device's own table, to their VTEP. */
  readonly remote: Map<string, string>;
  /** MACs the bridge forwards to the VXLAN port (static). */
  readonly master: Set<string>;
  /** Head-end replication targets (the all-zero MAC). */
  readonly flood: Set<string>;
}

export async function vxlanFdb(dev: string): Promise<VxlanFdb> {
  const out: VxlanFdb = { remote: new Map(), master: new Set(), flood: new Set() };
  const raw = JSON.parse((await must('bridge', ['-j', 'fdb', 'show', 'dev', dev])) || '[]') as Array<{
    mac: string; dst?: string; master?: string; flags?: string[]; state?: string;
  }>;
  for (const e of raw) {
    if (e.master) {
      if (e.state === 'static' || e.state === 'permanent') out.master.add(e.mac);
      continue;
    }
    if (!e.dst) continue;
    if (e.mac === '00:00:00:00:00:00') out.flood.add(e.dst);
    else out.remote.set(e.mac, e.dst);
  }
  return out;
}

/** Permanent neighbour entries on a bridge: address -> MAC. */
export async function neighbours(bridge: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const raw = JSON.parse((await must('ip', ['-j', 'neigh', 'show', 'dev', bridge, 'nud', 'permanent'])) || '[]') as Array<{ dst: string; lladdr?: string }>;
  for (const n of raw) if (n.lladdr) out.set(n.dst, n.lladdr);
  return out;
}

export const ownedBridges = (all: Map<string, Link>): Link[] => [...all.values()].filter((l) => l.kind === 'bridge' && isBridge(l.name));
export const ownedVxlans = (all: Map<string, Link>): Link[] => [...all.values()].filter((l) => l.kind === 'vxlan' && isVxlan(l.name));
