/** The `alcor` command. Thin: parses flags, builds config, calls the layers. */
import { parseArgs } from 'node:util';
import { agentCommand, simCommand } from './agent-command.js';
import { bench } from './bench-command.js';
import { goalstateCommand } from './goalstate-command.js';
import { CONFIG_HELP, loadConfig } from './config.js';
import { startServer } from './server.js';

const USAGE = `Usage: alcor <command> [options]

Commands:
  start     serve the Neutron API v2.0 (embedded SQLite store)
  agent     run a host agent against a controller's southbound
  sim       run many simulated host agents (fake data plane) in one process
  goalstate graph: the goal-state compiler's graph in DOT, with its counters
  bench     run a Rally task file against a Neutron API endpoint

Run "alcor <command> --help" for its options.`;

const START_OPTIONS = {
  listen: { type: 'string' },
  'southbound-listen': { type: 'string' },
  data: { type: 'string' },
  'base-mac': { type: 'string' },
  'vni-range': { type: 'string' },
  'physical-mtu': { type: 'string' },
  'log-level': { type: 'string' },
  'noauth-project': { type: 'string' },
  synchronous: { type: 'string' },
  'agent-down-time': { type: 'string' },
  'network-vlan-ranges': { type: 'string' },
  'flat-networks': { type: 'string' },
  'default-quotas': { type: 'string' },
  'auth-strategy': { type: 'string' },
  'keystone-url': { type: 'string' },
  'keystone-user': { type: 'string' },
  'keystone-project': { type: 'string' },
  'token-cache-seconds': { type: 'string' },
  'nova-user': { type: 'string' },
  'nova-project': { type: 'string' },
  'nova-keystone-url': { type: 'string' },
  'nova-interface': { type: 'string' },
  'nova-region': { type: 'string' },
  'send-events-interval-ms': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-body-depth': { type: 'string' },
  'max-url-bytes': { type: 'string' },
  'max-header-bytes': { type: 'string' },
  'max-bulk-items': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: START_OPTIONS, strict: true });
  if (values.help) {
    process.stdout.write(`Usage: alcor start [options]\n\n${CONFIG_HELP}\n`);
    return;
  }
  const config = loadConfig({
    listen: values.listen,
    southboundListen: values['southbound-listen'],
    dataDir: values.data,
    baseMac: values['base-mac'],
    vniRange: values['vni-range'],
    physicalMtu: values['physical-mtu'],
    logLevel: values['log-level'],
    noauthProject: values['noauth-project'],
    synchronous: values.synchronous,
    agentDownTime: values['agent-down-time'],
    networkVlanRanges: values['network-vlan-ranges'],
    flatNetworks: values['flat-networks'],
    defaultQuotas: values['default-quotas'],
    authStrategy: values['auth-strategy'],
    keystoneUrl: values['keystone-url'],
    keystoneUser: values['keystone-user'],
    keystoneProject: values['keystone-project'],
    tokenCacheSeconds: values['token-cache-seconds'],
    novaUser: values['nova-user'],
    novaProject: values['nova-project'],
    novaKeystoneUrl: values['nova-keystone-url'],
    novaInterface: values['nova-interface'],
    novaRegion: values['nova-region'],
    sendEventsIntervalMs: values['send-events-interval-ms'],
    maxBodyBytes: values['max-body-bytes'],
    maxBodyDepth: values['max-body-depth'],
    maxUrlBytes: values['max-url-bytes'],
    maxHeaderBytes: values['max-header-bytes'],
    maxBulkItems: values['max-bulk-items'],
    config: values.config,
  });
  const server = await startServer(config);
  const stop = (): void => {
    server.close().then(() => process.exit(0), (err) => {
      process.stderr.write(`alcor: shutdown failed: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'bench':
      return bench(rest);
    case 'agent':
      return agentCommand(rest);
    case 'sim':
      return simCommand(rest);
    case 'goalstate':
      return goalstateCommand(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new Error(`unknown command "${command}"\n${USAGE}`);
  }
}
