/**
 * Neutron's agents, controller side: the rows agents' reports make (registerAgent, heartbeats), the
 * agents API's reads with `alive` computed at read time, and the port statuses agents report back.
 * Every function here that writes runs where the store's writer is (the writer thread).
 */
import type { DomainConfig } from '../core/config.js';
import { AgentNotFound, BadRequest } from '../core/errors.js';
import { agentTimestamp, newId } from '../core/ids.js';
import * as defs from '../model/definitions.js';
import type { Condition, Doc, ListQuery, ReadTx, Store } from '../store/store.js';
import type { ResourceHooks } from './collection.js';
import { writeRevision } from './collection.js';

/** What an agent says about itself when it (re)connects: Neutron's agent state report. */
export interface AgentReport {
  readonly host: string;
  readonly agentType: string;
  readonly binary: string;
  readonly topic: string;
  readonly configurations: Record<string, unknown>;
  readonly availabilityZone?: string | null;
  /** When the agent process started: ISO 8601 or Neutron's "YYYY-MM-DD HH:MM:SS" (UTC). */
  readonly startedAt: string;
  readonly resourcesSynced?: boolean | null;
}

export interface AgentHeartbeat {
  readonly host: string;
  readonly agentType: string;
  /** When the agent was last heard from, epoch milliseconds. */
  readonly at: number;
}

export type PortStatus = 'ACTIVE' | 'DOWN' | 'ERROR';

export interface PortStatusUpdate {
  readonly id: string;
  readonly status: PortStatus;
  /** The host reporting it: a port bound elsewhere since is not this agent's to set. */
  readonly host: string;
}

export interface PortStatusApplied {
  readonly id: string;
  readonly status: string;
  readonly revision: number;
}

const PORT_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'DOWN', 'ERROR']);

/** Epoch ms of an agent timestamp ("YYYY-MM-DD HH:MM:SS", UTC), NaN if it is not one. */
function agentTimeMs(value: unknown): number {
  return typeof value === 'string' ? Date.parse(`${value.replace(' ', 'T')}Z`) : NaN;
}

/** Neutron's is_agent_down, negated: heard from within agent_down_time seconds. */
export function isAlive(agent: Doc, config: DomainConfig, now = Date.now()): boolean {
  const beat = agentTimeMs(agent.heartbeat_timestamp);
  return Number.isFinite(beat) && now - beat <= config.agentDownTime * 1000;
}

/**
 * The oldest stored heartbeat that is still alive. Stored timestamps are whole seconds, so alive
 * (now - beat <= downTime) is beat >= the next whole second at or after now - downTime.
 */
function aliveCutoff(config: DomainConfig, now = Date.now()): string {
  return agentTimestamp(new Date(Math.ceil((now - config.agentDownTime * 1000) / 1000) * 1000));
}

/** `alive` is not stored: a filter on it becomes one on the heartbeat's age. */
function aliveFilter(query: ListQuery, config: DomainConfig): ListQuery {
  const conditions = query.conditions ?? [];
  const alive = conditions.find((c) => c.attr === 'alive');
  if (!alive) return query;
  const rest = conditions.filter((c) => c !== alive);
  const wantAlive = alive.values.includes(true);
  const wantDead = alive.values.includes(false);
  if (wantAlive && wantDead) return { ...query, conditions: rest };
  const beat: Condition = { attr: 'heartbeat_timestamp', values: [aliveCutoff(config)], compare: wantAlive ? '>=' : '<' };
  return { ...query, conditions: [...rest, beat] };
}

/** The agent as the API shows it: `alive` added, in Neutron's place for it. */
export function agentView(agent: Doc, config: DomainConfig, now = Date.now()): Doc {
  const { configurations, ...rest } = agent;
  return { ...rest, alive: isAlive(agent, config, now), configurations };
}

export function agentHooks(config: DomainConfig): ResourceHooks {
  return {
    def: defs.agent,
    notFound: (id) => new AgentNotFound(`Agent ${id} could not be found.`),
    adminOnly: true,
    prepareQuery: (query) => aliveFilter(query, config),
    async expand(docs: Doc[]) {
      const now = Date.now();
      for (const d of docs) {
        // In place, in Neutron's order: alive, then configurations.
        const { configurations } = d;
        delete d.configurations;
        d.alive = isAlive(d, config, now);
        d.configurations = configurations;
      }
    },
  };
}

/** The agents on a host that can bind a port there: alive and administratively up. */
export async function usableAgentsOnHost(tx: ReadTx, host: string, config: DomainConfig): Promise<Doc[]> {
  const agents = await tx.list(defs.agent, { conditions: [{ attr: 'host', values: [host] }] });
  const now = Date.now();
  return agents.filter((a) => a.admin_state_up === true && isAlive(a, config, now));
}

/**
 * The hosts that can carry a router's centralized part (SNAT, floating IPs, the ports Neutron binds
 * to an L3 agent): agents alive and up that say `agent_mode: dvr_snat`, as Neutron's network nodes
 * do, and that reach the physical network of the router's external network when it has one.
 */
export async function gatewayHosts(tx: ReadTx, config: DomainConfig, physnet: string | null): Promise<string[]> {
  const agents = await tx.list(defs.agent, {});
  const now = Date.now();
  const hosts = new Set<string>();
  for (const a of agents) {
    const conf = (a.configurations ?? {}) as Record<string, unknown>;
    if (a.admin_state_up !== true || !isAlive(a, config, now) || conf.agent_mode !== 'dvr_snat') continue;
    const mappings = (conf.bridge_mappings ?? {}) as Record<string, unknown>;
    if (physnet !== null && typeof mappings[physnet] !== 'string') continue;
    hosts.add(a.host as string);
  }
  return [...hosts].sort();
}

function text(value: unknown, what: string, max = 255): string {
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw new BadRequest(`Invalid agent report: ${what} must be a string of 1 to ${max} characters.`);
  }
  return value;
}

function startTime(value: unknown): string {
  const ms = typeof value === 'string' ? (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(value) ? agentTimeMs(value) : Date.parse(value)) : NaN;
  if (!Number.isFinite(ms)) throw new BadRequest(`Invalid agent report: startedAt ${JSON.stringify(value)} is not a time.`);
  return agentTimestamp(new Date(ms));
}

export class Agents {
  constructor(private readonly store: Store, private readonly config: DomainConfig) {}

  /**
   * Neutron's create_or_update_agent: one row per (agent_type, host). A new agent gets an id,
   * created_at, admin_state_up true and no description; a known one keeps those and takes what it
   * now reports. Either way it was heard from now. Logged as a change (kind 'agent').
   */
  async register(report: AgentReport): Promise<Doc> {
    const host = text(report.host, 'host');
    const agentType = text(report.agentType, 'agentType');
    const configurations = report.configurations;
    if (configurations === null || typeof configurations !== 'object' || Array.isArray(configurations)) {
      throw new BadRequest('Invalid agent report: configurations must be a dictionary.');
    }
    const reported: Record<string, unknown> = {
      binary: text(report.binary, 'binary'),
      topic: text(report.topic, 'topic'),
      started_at: startTime(report.startedAt),
      configurations: structuredClone(configurations),
      availability_zone: report.availabilityZone ?? null,
    };
    if (report.resourcesSynced !== undefined) reported.resources_synced = report.resourcesSynced;
    const doc = await this.store.write(async (tx) => {
      const now = agentTimestamp();
      const [current] = await tx.list(defs.agent, {
        conditions: [{ attr: 'agent_type', values: [agentType] }, { attr: 'host', values: [host] }],
      });
      if (current) {
        const next: Doc = { ...current, ...reported, heartbeat_timestamp: now };
        await tx.update(defs.agent, next);
        return next;
      }
      // Neutron's column order; description is NULL until an admin sets one, as in Neutron.
      const created: Doc = {
        id: newId(),
        agent_type: agentType,
        binary: reported.binary,
        topic: reported.topic,
        host,
        admin_state_up: true,
        created_at: now,
        started_at: reported.started_at,
        heartbeat_timestamp: now,
        description: null,
        resources_synced: reported.resources_synced ?? null,
        availability_zone: reported.availability_zone,
        configurations: reported.configurations,
      };
      await tx.insert(defs.agent, created);
      return created;
    });
    return agentView(doc, this.config);
  }

  /** Agents heard from: their heartbeat_timestamp moves on, in one transaction, with no change rows. */
  async heartbeats(beats: readonly AgentHeartbeat[]): Promise<void> {
    const valid = beats.filter((b) => typeof b.host === 'string' && typeof b.agentType === 'string' && Number.isFinite(b.at));
    if (valid.length === 0) return;
    await this.store.write(async (tx) => {
      for (const b of valid) await tx.touchAgent(b.agentType, b.host, agentTimestamp(new Date(b.at)));
    });
  }

  /**
   * Port statuses an agent reports, in one transaction: each port still bound to that host whose
   * status differs takes it as its next revision (as Neutron's update_port_status does); a port
   * gone or bound elsewhere meanwhile is skipped. Returns those applied.
   */
  async setPortStatuses(updates: readonly PortStatusUpdate[]): Promise<PortStatusApplied[]> {
    for (const u of updates) {
      if (!PORT_STATUSES.has(u.status)) throw new BadRequest(`Invalid port status ${JSON.stringify(u.status)}: ACTIVE, DOWN or ERROR.`);
    }
    if (updates.length === 0) return [];
    return this.store.write(async (tx) => {
      const applied: PortStatusApplied[] = [];
      for (const u of updates) {
        const port = await tx.get(defs.port, u.id);
        if (!port) continue;
        if (port['binding:host_id'] !== u.host) {
          // An inactive binding's host (a live migration's destination) has the port ready, or not:
          // the port's status stays its active binding's; Nova hears of it (nova-events.ts).
          const inactive = port.bindings_inactive as Array<{ host: string; ready: boolean }> | undefined;
          const b = inactive?.find((x) => x.host === u.host);
          if (b && b.ready !== (u.status === 'ACTIVE')) {
            const bindings = inactive!.map((x) => (x === b ? { ...x, ready: u.status === 'ACTIVE' } : x));
            // Not among those applied: the port's own status did not change.
            await writeRevision(defs.port, { ...port, bindings_inactive: bindings }, tx);
          }
          continue;
        }
        if (port.status === u.status) continue;
        const next = await writeRevision(defs.port, { ...port, status: u.status }, tx);
        applied.push({ id: u.id, status: u.status, revision: next.revision_number as number });
      }
      return applied;
    });
  }
}
