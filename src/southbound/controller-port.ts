/**
 * What the southbound needs from the rest of the controller, as an interface it owns: the
 * composition root wires it to the writer (agent rows, heartbeats, port status).
 */
import type { Hello } from '../protocol/messages.js';
import type { StatusUpdate } from './readiness.js';

export interface ControllerPort {
  /** Records the agent (Neutron's agents table) and returns its id. */
  registerAgent(hello: Hello): Promise<{ id: string }>;
  heartbeats(beats: Array<{ host: string; agentType: string; at: number }>): Promise<void>;
  /** Applies each update whose port is still bound to that host; answers those applied. */
  setPortStatuses(updates: StatusUpdate[]): Promise<Array<{ id: string; status: string }>>;
}

/** pino's shape, narrowed to what the southbound logs. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
