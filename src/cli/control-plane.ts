/**
 * The controller's control plane: the change feed, the goal-state compiler following it, and the
 * southbound serving agents, wired to the writer for agent rows, heartbeats and port status.
 */
import type { Logger } from 'pino';
import type { Writes } from '../domain/index.js';
import { Compiler } from '../goalstate/compiler.js';
import type { FeedObserver } from '../goalstate/follower.js';
import { Follower } from '../goalstate/follower.js';
import { GrpcServerCarrier } from '../protocol/grpc/carrier.js';
import type { ControllerPort } from '../southbound/controller-port.js';
import type { SouthboundOptions } from '../southbound/southbound.js';
import { DEFAULT_SOUTHBOUND, Southbound } from '../southbound/southbound.js';
import { SqliteChangeFeed } from '../store/sqlite/change-feed.js';

export interface ControlPlaneOptions {
  readonly dataDir: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly writes: Writes;
  readonly logger: Logger;
  readonly agentDownTime: number;
  readonly southbound?: Partial<SouthboundOptions>;
  /** Readers of the change log besides the compiler (Nova's notifier). */
  readonly observers?: readonly FeedObserver[];
}

export interface ControlPlane {
  readonly compiler: Compiler;
  readonly follower: Follower;
  readonly southbound: Southbound;
  /** The southbound's address, as an agent's --controller takes it. */
  readonly url: string;
  /** Feed it every commit notification. */
  committed(revision: number, at: number): void;
  close(): Promise<void>;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const log = o.logger.child({ component: 'southbound' });
  const compiler = new Compiler();
  let southbound: Southbound | undefined;
  const follower = new Follower(new SqliteChangeFeed(o.dataDir), compiler, (round) => southbound?.publish(round),
    (err) => log.error({ err }, 'goal-state round failed'));
  for (const observer of o.observers ?? []) follower.observe(observer);
  await follower.start();
  const port: ControllerPort = {
    registerAgent: (h) => o.writes.registerAgent({
      host: h.host, agentType: h.agentType, binary: h.binary, topic: 'N/A',
      configurations: h.configurations ?? {}, startedAt: h.startedAt, resourcesSynced: null,
      availabilityZone: typeof h.configurations?.availability_zone === 'string' ? h.configurations.availability_zone : 'nova',
    }).then((d) => ({ id: d.id })),
    heartbeats: (beats) => o.writes.agentHeartbeats(beats),
    setPortStatuses: (updates) => o.writes.setPortStatuses(updates),
  };
  // Agents beat well inside agent_down_time (Neutron: report_interval 30 s against 75 s).
  const heartbeatSeconds = Math.max(1, Math.min(30, Math.floor(o.agentDownTime / 2.5)));
  southbound = new Southbound(new GrpcServerCarrier(o.listen.host, o.listen.port), compiler, follower, port, log,
    { ...DEFAULT_SOUTHBOUND, heartbeatSeconds, ...o.southbound });
  const address = await southbound.listen();
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${address.port}`;
  log.info({ url, revision: compiler.revision }, 'southbound listening');
  return {
    compiler,
    follower,
    southbound,
    url,
    committed: (revision, at) => follower.committed(revision, at),
    async close() {
      await southbound!.close();
      await follower.close();
    },
  };
}
