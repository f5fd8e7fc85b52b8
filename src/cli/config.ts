/**
 * Configuration: defaults, then a JSON file (--config or ALCOR_CONFIG), then environment
 * variables, then flags; the last one to speak wins. Everything is checked before anything starts.
 */
import { readFileSync } from 'node:fs';
import type { IdRange, VlanRanges } from '../core/config.js';
import { canonicalMac } from '../core/mac.js';
import { DEFAULT_LIMITS } from '../api/limits.js';
import type { RequestLimits } from '../api/limits.js';

export interface Config {
  listen: { host: string; port: number };
  /** Where agents connect (the southbound's HTTP/2 carrier). */
  southboundListen: { host: string; port: number };
  dataDir: string;
  baseMac: string;
  vniRange: { min: number; max: number };
  physicalMtu: number;
  logLevel: string;
  authStrategy: 'noauth' | 'keystone';
  keystone: KeystoneConfig;
  /** The project an un-scoped noauth request acts in. */
  noauthProject: string;
  /** What one request may be (src/api/limits.ts). */
  limits: RequestLimits;
  synchronous: 'FULL' | 'NORMAL';
  /** Seconds without a heartbeat after which an agent is down (Neutron's agent_down_time). */
  agentDownTime: number;
  /** Neutron's network_vlan_ranges: physical networks of VLAN networks and the ids allocated on each. */
  networkVlanRanges: VlanRanges[];
  /** Neutron's flat_networks: physical networks of flat networks, '*' for any. */
  flatNetworks: '*' | string[];
  /** Neutron's [quotas] quota_<resource>: default limits per project (-1 unlimited); unnamed ones stay Neutron's. */
  defaultQuotas: Record<string, number>;
  /** Neutron's [nova] section: the user Nova's external events are sent as (an empty authUrl is
   * keystone.authUrl); no password, no events. */
  nova: NovaConfig;
}

/** A service user in Keystone, as keystoneauth's password options name it. */
export interface ServiceUserConfig {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

export interface NovaConfig extends ServiceUserConfig {
  /** The catalog's interface and region to find Nova at (Neutron's endpoint_type, region_name). */
  interface: string;
  region: string;
  /** Neutron's send_events_interval, in ms: how long a batch of events gathers before it goes. */
  sendEventsIntervalMs: number;
}

export interface KeystoneConfig extends ServiceUserConfig {
  tokenCacheSeconds: number;
}

export const DEFAULTS: Config = {
  listen: { host: '127.0.0.1', port: 9696 },
  southboundListen: { host: '127.0.0.1', port: 9697 },
  dataDir: './data',
  baseMac: 'fa:16:3e:00:00:00',
  vniRange: { min: 1, max: 65535 },
  physicalMtu: 1500,
  logLevel: 'info',
  authStrategy: 'noauth',
  keystone: {
    authUrl: 'http://127.0.0.1:5000/v3',
    username: 'alcor',
    password: '',
    projectName: 'service',
    userDomainName: 'Default',
    projectDomainName: 'Default',
    tokenCacheSeconds: 300,
  },
  noauthProject: 'admin',
  limits: DEFAULT_LIMITS,
  synchronous: 'FULL',
  agentDownTime: 75,
  networkVlanRanges: [],
  flatNetworks: '*',
  defaultQuotas: {},
  nova: {
    authUrl: '',
    username: 'nova',
    password: '',
    projectName: 'service',
    userDomainName: 'Default',
    projectDomainName: 'Default',
    interface: 'public',
    region: '',
    sendEventsIntervalMs: 200,
  },
};

export const CONFIG_HELP = `Configuration (flag / environment variable / key in the JSON config file):
  --listen HOST:PORT     ALCOR_LISTEN        listen        address to serve on (default 127.0.0.1:9696)
  --southbound-listen HOST:PORT ALCOR_SOUTHBOUND_LISTEN southboundListen where agents connect, or unix:/PATH (default 127.0.0.1:9697)
  --data DIR             ALCOR_DATA_DIR      dataDir       SQLite data directory (default ./data)
  --base-mac MAC         ALCOR_BASE_MAC      baseMac       MAC prefix; zero octets are random (default fa:16:3e:00:00:00)
  --vni-range MIN:MAX    ALCOR_VNI_RANGE     vniRange      VXLAN VNIs for tenant networks (default 1:65535)
  --physical-mtu N       ALCOR_PHYSICAL_MTU  physicalMtu   underlay MTU; VXLAN networks get N-50 (default 1500)
  --log-level LEVEL      ALCOR_LOG_LEVEL     logLevel      trace, debug, info, warn, error (default info)
  --noauth-project ID    ALCOR_NOAUTH_PROJECT noauthProject project of requests without X-Project-Id (default admin)
  --synchronous MODE     ALCOR_SYNCHRONOUS   synchronous   FULL (survives power loss) or NORMAL (default FULL)
  --agent-down-time N    ALCOR_AGENT_DOWN_TIME agentDownTime seconds without a heartbeat before an agent is down (default 75)
  --network-vlan-ranges R ALCOR_NETWORK_VLAN_RANGES networkVlanRanges physical networks of VLAN networks, PHYSNET[:MIN:MAX],...;
                         ids without a range: 1 to 4094 (default none: no VLAN networks)
  --flat-networks L      ALCOR_FLAT_NETWORKS flatNetworks  physical networks of flat networks, PHYSNET,... or * for any, empty for none (default *)
  --default-quotas Q     ALCOR_DEFAULT_QUOTAS defaultQuotas default limits per project, RESOURCE=N,... (-1 unlimited; default
                         Neutron's: network=100,subnet=100,subnetpool=-1,port=500,router=10,floatingip=50,
                         rbac_policy=10,security_group=10,security_group_rule=100)
  --auth-strategy S      ALCOR_AUTH_STRATEGY authStrategy  noauth (default) or keystone
  --keystone-url URL     ALCOR_KEYSTONE_URL  keystoneUrl   Keystone v3 endpoint (default http://127.0.0.1:5000/v3)
  --keystone-user NAME   ALCOR_KEYSTONE_USER keystoneUser  the controller's service user (default alcor)
                         ALCOR_KEYSTONE_PASSWORD keystonePassword  its password (required with keystone)
  --keystone-project P   ALCOR_KEYSTONE_PROJECT keystoneProject its project, domain Default (default service)
  --token-cache-seconds N ALCOR_TOKEN_CACHE_SECONDS tokenCacheSeconds how long a validated token is trusted (default 300)
  --nova-user NAME       ALCOR_NOVA_USER     novaUser      the user Nova's events are sent as (default nova)
                         ALCOR_NOVA_PASSWORD novaPassword  its password; without one, Nova is not told of ports
  --nova-project P       ALCOR_NOVA_PROJECT  novaProject   its project, domain Default (default service)
  --nova-keystone-url URL ALCOR_NOVA_KEYSTONE_URL novaKeystoneUrl its Keystone (default: --keystone-url)
  --nova-interface I     ALCOR_NOVA_INTERFACE novaInterface the catalog interface Nova is found at (default public)
  --nova-region R        ALCOR_NOVA_REGION   novaRegion    the catalog region (default any)
  --send-events-interval-ms N ALCOR_SEND_EVENTS_INTERVAL_MS sendEventsIntervalMs how long Nova's events gather
                         into one request (Neutron's send_events_interval; default 200, Neutron's 2000)
  --max-body-bytes N     ALCOR_MAX_BODY_BYTES maxBodyBytes  largest request body (413 above; default 1048576)
  --max-body-depth N     ALCOR_MAX_BODY_DEPTH maxBodyDepth  deepest nesting of a JSON body (400 deeper; default 32)
  --max-url-bytes N      ALCOR_MAX_URL_BYTES maxUrlBytes    longest URL, path and query (414 longer; default 12288)
  --max-header-bytes N   ALCOR_MAX_HEADER_BYTES maxHeaderBytes largest request line and headers (431 larger; default 16384)
  --max-bulk-items N     ALCOR_MAX_BULK_ITEMS maxBulkItems  most resources in one bulk create (400 more; default 1000)
  --config FILE          ALCOR_CONFIG                      JSON file with any of the keys above`;

const KEYS = ['listen', 'southboundListen', 'dataDir', 'baseMac', 'vniRange', 'physicalMtu', 'logLevel', 'noauthProject', 'synchronous', 'agentDownTime',
  'networkVlanRanges', 'flatNetworks', 'defaultQuotas',
  'authStrategy', 'keystoneUrl', 'keystoneUser', 'keystonePassword', 'keystoneProject', 'tokenCacheSeconds',
  'novaUser', 'novaPassword', 'novaProject', 'novaKeystoneUrl', 'novaInterface', 'novaRegion', 'sendEventsIntervalMs',
  'maxBodyBytes', 'maxBodyDepth', 'maxUrlBytes', 'maxHeaderBytes', 'maxBulkItems'] as const;

const LIMIT_KEYS = {
  maxBodyBytes: ['bodyBytes', 64, 1 << 30], maxBodyDepth: ['bodyDepth', 4, 1000], maxUrlBytes: ['urlBytes', 256, 1 << 20],
  maxHeaderBytes: ['headerBytes', 1024, 1 << 20], maxBulkItems: ['bulkItems', 1, 100_000],
} as const;

export type Overrides = Partial<Record<(typeof KEYS)[number], string>>;

function fail(what: string, value: unknown, expected: string): never {
  throw new Error(`invalid ${what} ${JSON.stringify(value)}: expected ${expected}`);
}

function parseListen(v: string): Config['listen'] {
  const m = /^(.*):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) fail('listen address', v, 'HOST:PORT');
  return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

function parseVniRange(v: string): Config['vniRange'] {
  const m = /^(\d+):(\d+)$/.exec(v);
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min < 1 || max > 16777215 || min > max) fail('VNI range', v, 'MIN:MAX within 1:16777215');
  return { min, max };
}

/** Neutron's physical network names: what a Linux interface mapping or a config list can carry. */
const PHYSNET = /^[^\s,:]{1,64}$/;

/**
 * Neutron's network_vlan_ranges (neutron_lib's parse_network_vlan_ranges): `physnet:min:max` or a
 * bare `physnet` (every VLAN id), comma separated; one physical network may have several ranges.
 */
export function parseVlanRanges(v: string): VlanRanges[] {
  const byPhysnet = new Map<string, IdRange[] | 'all'>();
  for (const raw of v.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parts = entry.split(':');
    const physnet = parts[0];
    if (!PHYSNET.test(physnet) || (parts.length !== 1 && parts.length !== 3)) {
      fail('network VLAN ranges', v, 'PHYSNET or PHYSNET:MIN:MAX, comma separated (PHYSNET up to 64 characters, no spaces)');
    }
    if (parts.length === 1) {
      byPhysnet.set(physnet, 'all');
      continue;
    }
    const [min, max] = [parts[1], parts[2]].map((n) => (/^\d+$/.test(n) ? Number(n) : NaN));
    if (!(min >= 1 && max <= 4094 && min <= max)) fail('network VLAN range', entry, 'MIN:MAX with 1 <= MIN <= MAX <= 4094');
    const known = byPhysnet.get(physnet);
    if (known === 'all') continue;
    byPhysnet.set(physnet, [...(known ?? []), { min, max }]);
  }
  return [...byPhysnet].map(([physnet, r]) => ({ physnet, ranges: r === 'all' ? [{ min: 1, max: 4094 }] : r }));
}

/** Neutron's flat_networks: `*` for any physical network, a comma-separated list, or empty for none. */
export function parseFlatNetworks(v: string): '*' | string[] {
  const names = v.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.includes('*')) {
    if (names.length > 1) fail('flat networks', v, '* alone, or a list of physical networks');
    return '*';
  }
  for (const n of names) if (!PHYSNET.test(n)) fail('flat network', n, 'a physical network name of up to 64 characters, no spaces, commas or colons');
  return [...new Set(names)];
}

const QUOTA_RESOURCES = ['network', 'subnet', 'subnetpool', 'port', 'router', 'floatingip', 'rbac_policy', 'security_group', 'security_group_rule'];

/** `port=-1,network=200`: Neutron's quota_<resource> options, as one list. */
export function parseDefaultQuotas(v: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of v.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^([a-z_]+)=(-1|\d{1,10})$/.exec(entry);
    if (!m || !QUOTA_RESOURCES.includes(m[1]) || Number(m[2]) > 2 ** 31 - 1) {
      fail('default quotas', v, `RESOURCE=N,... with RESOURCE one of ${QUOTA_RESOURCES.join(', ')} and N from -1 to 2147483647`);
    }
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function apply(config: Config, o: Overrides): void {
  if (o.listen !== undefined) config.listen = parseListen(o.listen);
  if (o.southboundListen !== undefined) {
    // A unix socket (`unix:/path`) serves agents that reach it through a relay (namespaced test hosts).
    config.southboundListen = o.southboundListen.startsWith('unix:/') ? { host: o.southboundListen, port: 0 } : parseListen(o.southboundListen);
  }
  if (o.dataDir !== undefined) config.dataDir = o.dataDir;
  if (o.baseMac !== undefined) {
    const mac = canonicalMac(o.baseMac);
    if (!mac || (parseInt(mac.slice(0, 2), 16) & 1) === 1) fail('base MAC', o.baseMac, 'a unicast MAC such as fa:16:3e:00:00:00');
    config.baseMac = mac;
  }
  if (o.vniRange !== undefined) config.vniRange = parseVniRange(o.vniRange);
  if (o.physicalMtu !== undefined) {
    const n = Number(o.physicalMtu);
    if (!Number.isInteger(n) || n < 1280 || n > 9216) fail('physical MTU', o.physicalMtu, 'an integer from 1280 to 9216');
    config.physicalMtu = n;
  }
  if (o.logLevel !== undefined) {
    if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(o.logLevel)) fail('log level', o.logLevel, 'trace|debug|info|warn|error|fatal|silent');
    config.logLevel = o.logLevel;
  }
  if (o.noauthProject !== undefined) config.noauthProject = o.noauthProject;
  if (o.synchronous !== undefined) {
    if (o.synchronous !== 'FULL' && o.synchronous !== 'NORMAL') fail('synchronous mode', o.synchronous, 'FULL or NORMAL');
    config.synchronous = o.synchronous;
  }
  for (const [key, [field, min, max]] of Object.entries(LIMIT_KEYS)) {
    const raw = o[key as keyof typeof LIMIT_KEYS];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) fail(key, raw, `an integer from ${min} to ${max}`);
    config.limits = { ...config.limits, [field]: n };
  }
  if (o.agentDownTime !== undefined) {
    const n = Number(o.agentDownTime);
    if (!Number.isInteger(n) || n < 1 || n > 86400) fail('agent down time', o.agentDownTime, 'seconds from 1 to 86400');
    config.agentDownTime = n;
  }
  if (o.networkVlanRanges !== undefined) config.networkVlanRanges = parseVlanRanges(o.networkVlanRanges);
  if (o.flatNetworks !== undefined) config.flatNetworks = parseFlatNetworks(o.flatNetworks);
  if (o.defaultQuotas !== undefined) config.defaultQuotas = { ...config.defaultQuotas, ...parseDefaultQuotas(o.defaultQuotas) };
  if (o.authStrategy !== undefined) {
    if (o.authStrategy !== 'noauth' && o.authStrategy !== 'keystone') fail('auth strategy', o.authStrategy, 'noauth or keystone');
    config.authStrategy = o.authStrategy;
  }
  const k = config.keystone;
  if (o.keystoneUrl !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(o.keystoneUrl)) fail('Keystone URL', o.keystoneUrl, 'http(s)://HOST:PORT/v3');
    k.authUrl = o.keystoneUrl;
  }
  if (o.keystoneUser !== undefined) k.username = o.keystoneUser;
  if (o.keystonePassword !== undefined) k.password = o.keystonePassword;
  if (o.keystoneProject !== undefined) k.projectName = o.keystoneProject;
  if (o.tokenCacheSeconds !== undefined) {
    const n = Number(o.tokenCacheSeconds);
    if (!Number.isInteger(n) || n < 0 || n > 86400) fail('token cache time', o.tokenCacheSeconds, 'seconds from 0 to 86400');
    k.tokenCacheSeconds = n;
  }
  const nova = config.nova;
  if (o.novaUser !== undefined) nova.username = o.novaUser;
  if (o.novaPassword !== undefined) nova.password = o.novaPassword;
  if (o.novaProject !== undefined) nova.projectName = o.novaProject;
  if (o.novaKeystoneUrl !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(o.novaKeystoneUrl)) fail('Nova\'s Keystone URL', o.novaKeystoneUrl, 'http(s)://HOST:PORT/v3');
    nova.authUrl = o.novaKeystoneUrl;
  }
  if (o.novaInterface !== undefined) {
    if (!['public', 'internal', 'admin'].includes(o.novaInterface)) fail('Nova interface', o.novaInterface, 'public, internal or admin');
    nova.interface = o.novaInterface;
  }
  if (o.novaRegion !== undefined) nova.region = o.novaRegion;
  if (o.sendEventsIntervalMs !== undefined) {
    const n = Number(o.sendEventsIntervalMs);
    if (!Number.isInteger(n) || n < 0 || n > 60_000) fail('send events interval', o.sendEventsIntervalMs, 'milliseconds from 0 to 60000');
    nova.sendEventsIntervalMs = n;
  }
}

function fromFile(path: string): Overrides {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail('config file', path, 'a JSON object');
  const out: Overrides = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new Error(`unknown key "${key}" in config file ${path}`);
    }
    out[key as keyof Overrides] = String(value);
  }
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Overrides {
  return {
    listen: env.ALCOR_LISTEN,
    southboundListen: env.ALCOR_SOUTHBOUND_LISTEN,
    dataDir: env.ALCOR_DATA_DIR,
    baseMac: env.ALCOR_BASE_MAC,
    vniRange: env.ALCOR_VNI_RANGE,
    physicalMtu: env.ALCOR_PHYSICAL_MTU,
    logLevel: env.ALCOR_LOG_LEVEL,
    noauthProject: env.ALCOR_NOAUTH_PROJECT,
    synchronous: env.ALCOR_SYNCHRONOUS,
    agentDownTime: env.ALCOR_AGENT_DOWN_TIME,
    networkVlanRanges: env.ALCOR_NETWORK_VLAN_RANGES,
    flatNetworks: env.ALCOR_FLAT_NETWORKS,
    defaultQuotas: env.ALCOR_DEFAULT_QUOTAS,
    authStrategy: env.ALCOR_AUTH_STRATEGY,
    keystoneUrl: env.ALCOR_KEYSTONE_URL,
    keystoneUser: env.ALCOR_KEYSTONE_USER,
    keystonePassword: env.ALCOR_KEYSTONE_PASSWORD,
    keystoneProject: env.ALCOR_KEYSTONE_PROJECT,
    tokenCacheSeconds: env.ALCOR_TOKEN_CACHE_SECONDS,
    novaUser: env.ALCOR_NOVA_USER,
    novaPassword: env.ALCOR_NOVA_PASSWORD,
    novaProject: env.ALCOR_NOVA_PROJECT,
    novaKeystoneUrl: env.ALCOR_NOVA_KEYSTONE_URL,
    novaInterface: env.ALCOR_NOVA_INTERFACE,
    novaRegion: env.ALCOR_NOVA_REGION,
    sendEventsIntervalMs: env.ALCOR_SEND_EVENTS_INTERVAL_MS,
    maxBodyBytes: env.ALCOR_MAX_BODY_BYTES,
    maxBodyDepth: env.ALCOR_MAX_BODY_DEPTH,
    maxUrlBytes: env.ALCOR_MAX_URL_BYTES,
    maxHeaderBytes: env.ALCOR_MAX_HEADER_BYTES,
    maxBulkItems: env.ALCOR_MAX_BULK_ITEMS,
  };
}

export function loadConfig(flags: Overrides & { config?: string }, env: NodeJS.ProcessEnv = process.env): Config {
  const config: Config = structuredClone(DEFAULTS);
  const file = flags.config ?? env.ALCOR_CONFIG;
  if (file) apply(config, fromFile(file));
  apply(config, fromEnv(env));
  apply(config, flags);
  if (config.authStrategy === 'keystone' && config.keystone.password === '') {
    throw new Error('auth strategy keystone needs the service user\'s password (ALCOR_KEYSTONE_PASSWORD or keystonePassword)');
  }
  return config;
}
