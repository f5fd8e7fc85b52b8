/**
 * What the agent asks of a host's networking: apply the goal state's changes, idempotently. The
 * fake records what it would program; the Linux data plane (bridges, VXLAN, nftables, DHCP)
 * implements the same interface.
 */
import type { LocalGoalState, StreamChanges } from '../goal-state.js';

export interface ApplyInput {
  readonly state: LocalGoalState;
  readonly changes: ReadonlyMap<string, StreamChanges>;
  readonly removed: ReadonlySet<string>;
  /** The controller revision this brings the host to. */
  readonly revision: number;
}

export interface ApplyResult {
  /** Ports that could not be programmed, with the kernel's reason; the rest were. */
  readonly failed: ReadonlyArray<{ readonly port: string; readonly error: string }>;
  /** Ports whose device vanished (a tap gone): reported DOWN. */
  readonly gone?: readonly string[];
}

export interface DataPlane {
  readonly name: string;
  apply(input: ApplyInput): Promise<ApplyResult>;
  close(): Promise<void>;
}
