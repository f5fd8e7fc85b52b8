/**
 * `alcor agent`: one host's agent. It connects to the controller's southbound, registers its host,
 * VTEP and capabilities, keeps its goal state (and cursors) in its state directory, and programs
 * the data plane it was given.
 */
import type { ClientCarrier } from '../protocol/transport.js';
import type { DataPlane } from './dataplane/dataplane.js';
import type { AgentLog, HostIdentity } from './host-agent.js';
import { HostAgent } from './host-agent.js';
import { Link } from './link.js';
import { StateFile } from './state-file.js';

export interface AgentOptions {
  readonly identity: HostIdentity;
  readonly controller: string;
  readonly dataplane: DataPlane;
  readonly carrier: ClientCarrier;
  readonly log: AgentLog;
  /** Where the goal state and cursors are kept across restarts; none keeps them in memory only. */
  readonly stateDir?: string;
}

export interface RunningAgent {
  readonly agent: HostAgent;
  readonly link: Link;
  stop(): Promise<void>;
}

export function runAgent(o: AgentOptions): RunningAgent {
  const link = new Link(o.carrier, o.controller, o.log);
  const agent = new HostAgent(o.identity, o.dataplane, link.sender(0), o.log);
  const file = o.stateDir ? new StateFile(o.stateDir, agent) : undefined;
  const saved = file?.load();
  if (saved) {
    agent.restore(saved);
    Object.assign(agent.counters, saved.counters);
    o.log.info({ host: o.identity.host, streams: Object.keys(saved.streams).length, applied: saved.applied }, 'resuming from saved cursors');
  }
  if (file) agent.onApplied = () => file.schedule();
  link.add(0, agent);
  link.start();
  return {
    agent,
    link,
    async stop() {
      link.close();
      await agent.settled();
      file?.save();
      await o.dataplane.close();
      o.carrier.close();
    },
  };
}
