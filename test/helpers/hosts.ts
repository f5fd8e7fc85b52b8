/**
 * Hosts for goal-state tests: simulated agents (the real protocol over the real gRPC carrier, a
 * fake data plane each) against a real controller, and a way to wait until everything settled.
 */
import pino from 'pino';
import { runAgent } from '../../src/agent/agent.js';
import type { RunningAgent } from '../../src/agent/agent.js';
import type { DataPlane } from '../../src/agent/dataplane/dataplane.js';
import { Simulator } from '../../src/agent/sim.js';
import { GrpcClientCarrier } from '../../src/protocol/grpc/carrier.js';
import type { Api, TestServer } from './server.js';

export const quietLog = pino({ level: 'silent' });

export async function startSim(t: TestServer, hosts: number, prefix = 'h', perConnection = 500): Promise<Simulator> {
  const sim = new Simulator({ hosts, controller: t.server.controlPlane.url, prefix, perConnection, log: quietLog, carrier: () => new GrpcClientCarrier() });
  sim.start();
  const until = Date.now() + 20_000;
  while (sim.synced() < hosts) {
    if (Date.now() > until) throw new Error(`only ${sim.synced()} of ${hosts} simulated hosts synced`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await settle(t);
  return sim;
}

/** Every round compiled, sent, acked, and every status written. */
export async function settle(t: TestServer): Promise<void> {
  await t.server.controlPlane.southbound.quiet();
}

/** A network with one IPv4 subnet; returns the network. */
export async function network(api: Api, cidr = '10.0.0.0/24', attrs: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const net = await api.create('networks', 'network', { name: `net-${cidr}`, ...attrs });
  await api.create('subnets', 'subnet', { network_id: net.id, cidr, ip_version: 4 });
  return net;
}

/** A port bound to a host as Nova binds it (admin, compute owner). */
export async function boundPort(api: Api, networkId: string, host: string, attrs: Record<string, unknown> = {}): Promise<Record<string, any>> {
  return api.create('ports', 'port', { network_id: networkId, device_owner: 'compute:nova', device_id: 'vm', 'binding:host_id': host, ...attrs });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function portStatus(api: Api, id: string): Promise<string> {
  const res = await api.get(`/v2.0/ports/${id}`);
  return res.body.port.status;
}

/** One in-process agent (the real client and carrier) with the data plane given. */
export function agentOn(url: string, host: string, dataplane: DataPlane, stateDir?: string): RunningAgent {
  return runAgent({
    identity: { host, vtep: '198.18.0.9', agentType: 'Alcor agent', binary: 'alcor-agent', version: 'test', vifType: 'tap' },
    controller: url, dataplane, carrier: new GrpcClientCarrier(), log: quietLog, stateDir,
  });
}

