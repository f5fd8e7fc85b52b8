/**
 * The wiring of the goal-state graph, in one place:
 *
 *   ports ──────────────┬──> bindings ──┬──> subscriptions ──> host-parts
 *   agents ─────────────┘               ├──────────────────────> host-parts
 *   networks ───────────────────────────┼──> neighbours, host-parts
 *   subnets ────────────────────────────┘──> neighbours
 *   rules ──> group-rules, subscriptions
 *   ports ──> group-members
 *   ports, bindings, router rows, floating IP rows ──> routers ──> subscriptions
 */
import type { AgentRow, FloatingIpRow, NetworkRow, PortRow, RouterRow, RuleRow, SubnetRow } from './rows.js';
import { Engine } from './engine/engine.js';
import { BindingsNode } from './nodes/bindings.js';
import { HostPartsNode } from './nodes/host-parts.js';
import { InputNode } from './nodes/input.js';
import { NeighboursNode } from './nodes/neighbours.js';
import { RoutersNode } from './nodes/routers.js';
import { GroupMembersNode, GroupRulesNode } from './nodes/security-groups.js';
import { SubscriptionsNode } from './nodes/subscriptions.js';
import { StreamStore } from './streams.js';

export interface Graph {
  readonly engine: Engine;
  readonly streams: StreamStore;
  readonly ports: InputNode<PortRow>;
  readonly networks: InputNode<NetworkRow>;
  readonly subnets: InputNode<SubnetRow>;
  readonly rules: InputNode<RuleRow>;
  readonly agents: InputNode<AgentRow>;
  readonly routerRows: InputNode<RouterRow>;
  readonly fipRows: InputNode<FloatingIpRow>;
  readonly routers: RoutersNode;
  readonly bindings: BindingsNode;
  readonly subscriptions: SubscriptionsNode;
  readonly hostParts: HostPartsNode;
  readonly neighbours: NeighboursNode;
}

export function buildGraph(): Graph {
  const streams = new StreamStore();
  const ports = new InputNode<PortRow>('ports');
  const networks = new InputNode<NetworkRow>('networks');
  const subnets = new InputNode<SubnetRow>('subnets');
  const rules = new InputNode<RuleRow>('rules');
  const agents = new InputNode<AgentRow>('agents');
  const routerRows = new InputNode<RouterRow>('router-rows');
  const fipRows = new InputNode<FloatingIpRow>('floatingip-rows');
  const bindings = new BindingsNode(ports, agents);
  const routers = new RoutersNode(ports, routerRows, fipRows, bindings, streams);
  const subscriptions = new SubscriptionsNode(bindings, rules, routers);
  const hostParts = new HostPartsNode(bindings, networks, subscriptions, streams);
  const neighbours = new NeighboursNode(bindings, networks, subnets, streams);
  const groupRules = new GroupRulesNode(rules, streams);
  const groupMembers = new GroupMembersNode(ports, streams);
  const engine = new Engine([hostParts, neighbours, groupRules, groupMembers]);
  return { engine, streams, ports, networks, subnets, rules, agents, routerRows, fipRows, routers, bindings, subscriptions, hostParts, neighbours };
}
