/**
 * Rally task files, read as they are: the flat form of ../shared/rally-tasks (one "scenario" with
 * "contexts" and "runner": {"constant": {...}}) and Rally's own form
 * ({"Scenario.name": [{"args", "runner": {"type": ...}, "context", "sla"}]}). Everything is checked
 * before any load is sent, and every problem names where it is.
 */
export const SCENARIOS = [
  'NeutronNetworks.create_and_list_networks',
  'NeutronNetworks.create_and_list_subnets',
  'NeutronNetworks.create_and_list_ports',
  'NeutronNetworks.create_and_delete_ports',
  'NeutronNetworks.create_and_update_ports',
  'NeutronNetworks.create_and_list_security_groups',
  'NeutronPerformancePlugin.neutron_network_scalability',
  'AlcorPortPerformancePlugin.alcor_port_scalability',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

/** The end-to-end scenarios: they boot VMs, on hosts with agents. */
export const VM_SCENARIOS: ReadonlySet<ScenarioName> = new Set(['NeutronPerformancePlugin.neutron_network_scalability', 'AlcorPortPerformancePlugin.alcor_port_scalability']);

/**
 * The VM scenarios' counts, checked before any load; `flavor`, `image` and
 * `instance_booting_requests` are Nova's and accepted as they are.
 */
function checkVmArgs(scenario: ScenarioName, args: Json, where: string): void {
  if (!VM_SCENARIOS.has(scenario)) return;
  const counts = ['number_of_networks', 'instances_per_network', ...(scenario.startsWith('Alcor') ? ['ports_per_instance'] : [])];
  for (const key of counts) {
    if (args[key] !== undefined) positiveInt(args[key], `${where}.${key}`, key === 'ports_per_instance' ? 0 : 1);
  }
  if (args.instance_booting_requests !== undefined) positiveInt(args.instance_booting_requests, `${where}.instance_booting_requests`);
}

export type Runner =
  | { readonly type: 'constant'; readonly times: number; readonly concurrency: number; readonly timeout?: number }
  | { readonly type: 'constant_for_duration'; readonly duration: number; readonly concurrency: number; readonly timeout?: number };

export interface Contexts {
  readonly users?: { readonly tenants: number; readonly usersPerTenant: number };
  readonly network?: { readonly startCidr: string; readonly networksPerTenant: number };
  readonly quotas?: unknown;
}

export interface Task {
  readonly title: string;
  readonly scenario: ScenarioName;
  readonly args: Readonly<Record<string, unknown>>;
  readonly runner: Runner;
  readonly contexts: Contexts;
  readonly sla: { readonly failureRateMax?: number };
}

export class TaskError extends Error {}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function need(cond: boolean, where: string, what: string): asserts cond {
  if (!cond) throw new TaskError(`${where}: ${what}`);
}

function positiveInt(v: unknown, where: string, min = 1): number {
  need(typeof v === 'number' && Number.isInteger(v) && v >= min, where, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function positiveNumber(v: unknown, where: string): number {
  need(typeof v === 'number' && Number.isFinite(v) && v > 0, where, `must be a number > 0, got ${JSON.stringify(v)}`);
  return v;
}

function parseRunner(raw: unknown, at: string): Runner {
  let where = at;
  need(isObject(raw), where, 'must be an object');
  let type: unknown;
  let cfg: Json;
  if (typeof raw.type === 'string') {
    type = raw.type;
    cfg = raw;
  } else {
    const keys = Object.keys(raw);
    need(keys.length === 1, where, `must name exactly one runner, got ${JSON.stringify(keys)}`);
    type = keys[0];
    where = `${where}.${keys[0]}`;
    need(isObject(raw[keys[0]]), where, 'must be an object');
    cfg = raw[keys[0]] as Json;
  }
  const timeout = cfg.timeout === undefined ? undefined : positiveNumber(cfg.timeout, `${where}.timeout`);
  const concurrency = cfg.concurrency === undefined ? 1 : positiveInt(cfg.concurrency, `${where}.concurrency`);
  if (type === 'constant') {
    return { type, times: cfg.times === undefined ? 1 : positiveInt(cfg.times, `${where}.times`), concurrency, timeout };
  }
  if (type === 'constant_for_duration') {
    return { type, duration: positiveNumber(cfg.duration, `${where}.duration`), concurrency, timeout };
  }
  throw new TaskError(`${at}: unknown runner ${JSON.stringify(type)} (supported: constant, constant_for_duration)`);
}

function parseContexts(raw: unknown, where: string): Contexts {
  if (raw === undefined) return {};
  need(isObject(raw), where, 'must be an object');
  const out: { users?: Contexts['users']; network?: Contexts['network']; quotas?: unknown } = {};
  for (const [name, value] of Object.entries(raw)) {
    const at = `${where}.${name}`;
    need(isObject(value), at, 'must be an object');
    if (name === 'users') {
      out.users = {
        tenants: value.tenants === undefined ? 1 : positiveInt(value.tenants, `${at}.tenants`),
        usersPerTenant: value.users_per_tenant === undefined ? 1 : positiveInt(value.users_per_tenant, `${at}.users_per_tenant`),
      };
    } else if (name === 'network') {
      const start = value.start_cidr ?? '10.2.0.0/24';
      need(typeof start === 'string' && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(start), `${at}.start_cidr`, `must be an IPv4 cidr, got ${JSON.stringify(start)}`);
      out.network = {
        startCidr: start,
        networksPerTenant: value.networks_per_tenant === undefined ? 1 : positiveInt(value.networks_per_tenant, `${at}.networks_per_tenant`),
      };
    } else if (name === 'quotas') {
      out.quotas = value;
    } else {
      throw new TaskError(`${at}: unknown context (supported: users, network, quotas)`);
    }
  }
  return out;
}

function parseSla(raw: unknown, where: string): Task['sla'] {
  if (raw === undefined) return {};
  need(isObject(raw), where, 'must be an object');
  const out: { failureRateMax?: number } = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'failure_rate') {
      need(isObject(value), `${where}.failure_rate`, 'must be an object');
      if (value.max !== undefined) {
        need(typeof value.max === 'number' && value.max >= 0 && value.max <= 100, `${where}.failure_rate.max`, 'must be a percentage from 0 to 100');
        out.failureRateMax = value.max;
      }
    } else {
      throw new TaskError(`${where}.${name}: unknown SLA (supported: failure_rate)`);
    }
  }
  return out;
}

function scenarioName(name: string, where: string): ScenarioName {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new TaskError(`${where}: unknown scenario ${JSON.stringify(name)} (supported: ${SCENARIOS.join(', ')})`);
  }
  return name as ScenarioName;
}

function argsOf(raw: unknown, where: string): Record<string, unknown> {
  if (raw === undefined) return {};
  need(isObject(raw), where, 'must be an object');
  return raw;
}

/** Parses a task file's text; `source` names it in messages. */
export function parseTask(text: string, source = 'task'): Task {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TaskError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  need(isObject(doc), source, 'must be a JSON object');
  if ('scenario' in doc) {
    need(isObject(doc.scenario), `${source}: scenario`, 'must be an object naming one scenario');
    const names = Object.keys(doc.scenario);
    need(names.length === 1, `${source}: scenario`, `must name exactly one scenario, got ${names.length}`);
    need(doc.runner !== undefined, `${source}: runner`, 'is required');
    const scenario = scenarioName(names[0], `${source}: scenario`);
    const args = argsOf(doc.scenario[names[0]], `${source}: scenario.${names[0]}`);
    checkVmArgs(scenario, args, `${source}: scenario.${names[0]}`);
    return {
      title: typeof doc.title === 'string' ? doc.title : names[0],
      scenario,
      args,
      runner: parseRunner(doc.runner, `${source}: runner`),
      contexts: parseContexts(doc.contexts, `${source}: contexts`),
      sla: parseSla(doc.sla, `${source}: sla`),
    };
  }
  const names = Object.keys(doc);
  need(names.length === 1, source, `must hold one scenario (or use the "scenario" form), got ${JSON.stringify(names)}`);
  const name = names[0];
  const entries = doc[name];
  need(Array.isArray(entries) && entries.length === 1 && isObject(entries[0]), `${source}: ${name}`, 'must be a list with one workload');
  const w = entries[0] as Json;
  const scenario = scenarioName(name, source);
  const args = argsOf(w.args, `${source}: ${name}[0].args`);
  checkVmArgs(scenario, args, `${source}: ${name}[0].args`);
  return {
    title: name,
    scenario,
    args,
    runner: parseRunner(w.runner ?? { type: 'constant' }, `${source}: ${name}[0].runner`),
    contexts: parseContexts(w.context, `${source}: ${name}[0].context`),
    sla: parseSla(w.sla, `${source}: ${name}[0].sla`),
  };
}
