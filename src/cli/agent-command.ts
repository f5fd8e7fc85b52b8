/** `alcor agent` and `alcor sim`: a host agent, or many simulated ones, against a controller's southbound. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { runAgent } from '../agent/agent.js';
import type { DataPlane } from '../agent/dataplane/dataplane.js';
import { FakeDataPlane } from '../agent/dataplane/fake.js';
import { LinuxDataPlane } from '../agent/dataplane/linux/linux.js';
import type { MetadataConfig } from '../agent/dataplane/linux/metadata.js';
import { Simulator } from '../agent/sim.js';
import { GrpcClientCarrier } from '../protocol/grpc/carrier.js';

const AGENT_USAGE = `Usage: alcor agent --host NAME --controller URL --dataplane fake|linux [options]

  --host NAME          this host's name, as Nova's binding:host_id names it (default: the hostname)
  --controller URL     the controller's southbound, e.g. http://127.0.0.1:9697
  --dataplane KIND     fake (records what it would program) or linux
  --vtep IP            this host's underlay address for VXLAN (required with linux)
  --vif-type TYPE      tap (default: Nova plugs a tap) or bridge (Nova plugs into our bridge)
  --physical-network PHYSNET=IFACE  this host's interface on a physical network, for flat and VLAN
                       networks (repeatable); reported as configurations.bridge_mappings, and
                       ports of flat or VLAN networks bind here only on physical networks it names
  --gateway            this host also carries routers' centralized part: their external gateway,
                       SNAT and floating IPs (Neutron's dvr_snat agent mode; others are dvr)
  --state-dir DIR      keeps goal state and cursors across restarts (default: memory only; with
                       linux, dnsmasq's files are kept there too, default /var/lib/alcor-agent/HOST)
  --availability-zone Z  reported to the controller (default nova)
  --metadata-url URL   with linux: serve http://169.254.169.254 to this host's servers through
                       Nova's metadata API at URL (e.g. http://127.0.0.1:8775), signing each
                       request's instance id with the secret Nova shares ([neutron]
                       metadata_proxy_shared_secret), read from --metadata-secret-file or from
                       ALCOR_METADATA_SECRET; needs haproxy
  --metadata-secret-file PATH  the shared secret, the file's first line
  --plug-delay-ms N    with fake: a port is plugged N ms after it comes, as a hypervisor plugs a
                       VM's tap after Nova bound its port (default 0: at once)
  --log-level LEVEL    (default info)`;

export async function agentCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      host: { type: 'string' }, controller: { type: 'string' }, dataplane: { type: 'string' }, vtep: { type: 'string' },
      'vif-type': { type: 'string' }, 'state-dir': { type: 'string' }, 'availability-zone': { type: 'string' },
      'physical-network': { type: 'string', multiple: true }, gateway: { type: 'boolean' },
      'log-level': { type: 'string' }, 'plug-delay-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      'metadata-url': { type: 'string' }, 'metadata-secret-file': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${AGENT_USAGE}\n`);
    return;
  }
  if (!values.controller) throw new Error(`--controller is required\n${AGENT_USAGE}`);
  const vifType = values['vif-type'] ?? 'tap';
  if (vifType !== 'tap' && vifType !== 'bridge') throw new Error(`--vif-type must be tap or bridge, not ${JSON.stringify(vifType)}`);
  const bridgeMappings = parseBridgeMappings(values['physical-network'] ?? []);
  const host = values.host ?? hostname();
  const log = pino({ level: values['log-level'] ?? 'info', base: { service: 'alcor-agent', host } });
  let dataplane: DataPlane;
  switch (values.dataplane) {
    case 'fake': {
      const delay = Number(values['plug-delay-ms'] ?? '0');
      if (!Number.isInteger(delay) || delay < 0 || delay > 600_000) throw new Error(`--plug-delay-ms must be milliseconds from 0 to 600000, not ${JSON.stringify(values['plug-delay-ms'])}`);
      dataplane = new FakeDataPlane(new Set(), true, delay);
      break;
    }
    case 'linux': {
      if (!values.vtep || !isIP(values.vtep)) throw new Error(`--vtep IP is required with --dataplane linux (this host's underlay address)\n${AGENT_USAGE}`);
      if (process.getuid?.() !== 0) throw new Error('--dataplane linux programs the kernel: it must run as root');
      const stateDir = values['state-dir'] ?? `/var/lib/alcor-agent/${host}`;
      const metadata = metadataConfig(values['metadata-url'], values['metadata-secret-file']);
      dataplane = new LinuxDataPlane({ host, vtep: values.vtep, stateDir: join(stateDir, 'linux'), log, physicalNetworks: bridgeMappings, metadata });
      break;
    }
    default:
      throw new Error(`--dataplane must be fake or linux\n${AGENT_USAGE}`);
  }
  const vtep = values.vtep ?? '127.0.0.1';
  const running = runAgent({
    identity: {
      host, vtep, agentType: 'Alcor agent', binary: 'alcor-agent', version: '0.1.0', vifType,
      configurations: {
        availability_zone: values['availability-zone'] ?? 'nova', dataplane: dataplane.name, bridge_mappings: bridgeMappings,
        agent_mode: values.gateway ? 'dvr_snat' : 'dvr',
      },
    },
    controller: values.controller, dataplane, carrier: new GrpcClientCarrier(), log, stateDir: values['state-dir'],
  });
  const stop = (): void => {
    running.stop().then(() => process.exit(0), (err) => {
      process.stderr.write(`alcor agent: shutdown failed: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The metadata proxy's settings, or undefined when it is off (no --metadata-url). */
export function metadataConfig(url: string | undefined, secretFile: string | undefined): MetadataConfig | undefined {
  if (url === undefined) {
    if (secretFile !== undefined) throw new Error('--metadata-secret-file needs --metadata-url');
    return undefined;
  }
  let parsed: URL;
  try { parsed = new URL(url); } catch { throw new Error(`--metadata-url must be an http URL, not ${JSON.stringify(url)}`); }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`--metadata-url must be an http URL, not ${JSON.stringify(url)}`);
  const secret = secretFile !== undefined ? readFileSync(secretFile, 'utf8').split('\n')[0].trim() : process.env.ALCOR_METADATA_SECRET;
  if (!secret) throw new Error('--metadata-url needs the secret shared with Nova: --metadata-secret-file PATH or ALCOR_METADATA_SECRET');
  if (spawnSync('sh', ['-c', 'command -v haproxy'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('--metadata-url needs haproxy (Debian package haproxy; scripts/ensure-dataplane-tools.sh installs it)');
  }
  return { url: parsed.toString().replace(/\/$/, ''), secret };
}

/**
 * `--physical-network PHYSNET=IFACE`, repeated: Neutron's linuxbridge agent's
 * physical_interface_mappings, reported as its bridge_mappings are (physnet -> interface).
 */
export function parseBridgeMappings(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const m = /^([^\s,:=]{1,64})=([^\s/:=]{1,15})$/.exec(entry);
    if (!m) throw new Error(`--physical-network must be PHYSNET=IFACE (a physical network and an interface name), not ${JSON.stringify(entry)}`);
    if (Object.hasOwn(out, m[1]) && out[m[1]] !== m[2]) throw new Error(`--physical-network ${m[1]} is given twice, with ${out[m[1]]} and ${m[2]}`);
    out[m[1]] = m[2];
  }
  return out;
}

const SIM_USAGE = `Usage: alcor sim --hosts N --controller URL [--prefix NAME] [--per-connection K] [--physical-network PHYSNET=IFACE ...]

Runs N simulated hosts (NAME-1 ... NAME-N, VTEPs from 198.18.0.0/15) with the fake data plane in
this process, K sessions per connection (default 500); each reports the physical networks given
(repeatable) as its bridge_mappings.`;

export async function simCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      hosts: { type: 'string' }, controller: { type: 'string' }, prefix: { type: 'string' },
      'per-connection': { type: 'string' }, 'physical-network': { type: 'string', multiple: true },
      'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SIM_USAGE}\n`);
    return;
  }
  const hosts = Number(values.hosts);
  if (!Number.isInteger(hosts) || hosts < 1) throw new Error(`--hosts must be a positive integer\n${SIM_USAGE}`);
  if (!values.controller) throw new Error(`--controller is required\n${SIM_USAGE}`);
  const perConnection = Number(values['per-connection'] ?? 500);
  if (!Number.isInteger(perConnection) || perConnection < 1) throw new Error('--per-connection must be a positive integer');
  const mappings = values['physical-network'] === undefined ? undefined : parseBridgeMappings(values['physical-network']);
  const log = pino({ level: values['log-level'] ?? 'warn', base: { service: 'alcor-sim' } });
  const sim = new Simulator({
    hosts, controller: values.controller, prefix: values.prefix ?? 'sim', perConnection, log, carrier: () => new GrpcClientCarrier(),
    bridgeMappings: mappings,
  });
  sim.start();
  const timer = setInterval(() => {
    const r = sim.hosts.reduce((a, h) => a + h.dataplane.record.rounds, 0);
    log.info({ hosts, synced: sim.synced(), rounds: r }, 'simulated hosts');
  }, 5_000);
  const stop = (): void => {
    clearInterval(timer);
    sim.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
