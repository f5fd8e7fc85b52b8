/**
 * `alcor sim`: many simulated hosts in one process (Calico's mock nodes, ovn-fake-multinode), each
 * a full protocol session with its own fake data plane, multiplexed over a few connections. It tests
 * compilation and fan-out at 1,000 or 10,000 hosts on one machine, not connection counts.
 */
import type { ClientCarrier } from '../protocol/transport.js';
import { FakeDataPlane } from './dataplane/fake.js';
import type { AgentLog } from './host-agent.js';
import { HostAgent } from './host-agent.js';
import { Link } from './link.js';

export interface SimOptions {
  readonly hosts: number;
  readonly controller: string;
  readonly prefix: string;
  /** Sessions per connection. */
  readonly perConnection: number;
  readonly carrier: () => ClientCarrier;
  readonly log: AgentLog;
  readonly vifType?: 'tap' | 'bridge';
  /** Every host's physical networks (physnet -> interface), reported as configurations.bridge_mappings. */
  readonly bridgeMappings?: Readonly<Record<string, string>>;
}

export interface SimHost {
  readonly agent: HostAgent;
  readonly dataplane: FakeDataPlane;
}

/** Underlay addresses from 198.18.0.0/15, the benchmarking range: host i gets 198.18.0.0 + i + 1. */
export function simVtep(i: number): string {
  const n = (198 << 24) + (18 << 16) + i + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class Simulator {
  readonly hosts: SimHost[] = [];
  private readonly links: Link[] = [];
  private readonly carriers: ClientCarrier[] = [];

  constructor(private readonly o: SimOptions) {
    if (o.hosts > 131_070) throw new Error('at most 131,070 simulated hosts fit in 198.18.0.0/15');
    for (let i = 0; i < o.hosts; i++) {
      const c = Math.floor(i / o.perConnection);
      if (!this.links[c]) {
        // One carrier per link: each is its own HTTP/2 connection.
        const carrier = o.carrier();
        this.carriers.push(carrier);
        this.links[c] = new Link(carrier, o.controller, o.log);
      }
      const link = this.links[c];
      const sid = i % o.perConnection;
      const dataplane = new FakeDataPlane(new Set(), false);
      const agent = new HostAgent({
        host: `${o.prefix}-${i + 1}`, vtep: simVtep(i), agentType: 'Alcor agent', binary: 'alcor-agent',
        version: 'sim', vifType: o.vifType ?? 'tap',
        configurations: o.bridgeMappings ? { simulated: true, bridge_mappings: { ...o.bridgeMappings } } : { simulated: true },
      }, dataplane, link.sender(sid), o.log);
      link.add(sid, agent);
      this.hosts.push({ agent, dataplane });
    }
  }

  start(): void {
    for (const l of this.links) l.start();
  }

  /** Hosts that have applied at least one sync. */
  synced(): number {
    return this.hosts.filter((h) => h.agent.counters.acks > 0).length;
  }

  get connections(): number {
    return this.links.length;
  }

  async stop(): Promise<void> {
    for (const l of this.links) l.close();
    await Promise.all(this.hosts.map((h) => h.agent.settled()));
    for (const c of this.carriers) c.close();
  }
}
