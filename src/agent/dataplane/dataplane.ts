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
  /** Ports of this round whose device is not on the host yet: acked, but not up. */
  readonly pending?: readonly string[];
}

/** What a change of the host's devices did to the ports programmed before it. */
export interface DeviceChanges {
  /** Ports whose device appeared and is now programmed. */
  readonly up: readonly string[];
  readonly gone: readonly string[];
  readonly failed: ReadonlyArray<{ readonly port: string; readonly error: string }>;
}

export interface DataPlane {
  readonly name: string;
  apply(input: ApplyInput): Promise<ApplyResult>;
  /**
   * Calls back when the host's devices change (a tap appears or vanishes); the agent then calls
   * `devices()` in turn with its other work, never during an apply.
   */
  watch?(onChange: () => void): void;
  devices?(): Promise<DeviceChanges>;
  close(): Promise<void>;
}
