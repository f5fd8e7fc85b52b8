/**
 * `alcor bench TASK.json`: checks the task file before any load, then runs it against --target, or
 * against a controller it starts for the run (its own process, a fresh data directory).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../bench/bench.js';
import { NeutronClient } from '../bench/client.js';
import { startOwnHosts, targetHosts } from '../bench/hosts.js';
import { ensureKeystone, Keystone } from '../bench/keystone-admin.js';
import { Lab, labMissing } from '../bench/lab.js';
import { ApiNova } from '../bench/api-nova.js';
import type { Servers } from '../bench/nova.js';
import { LabNova } from '../bench/nova.js';
import type { Task } from '../bench/task.js';
import { parseTask, VM_SCENARIOS } from '../bench/task.js';
import { KeystoneUsers } from '../bench/users.js';
import { startControllerProcess } from './controller-process.js';

export const BENCH_USAGE = `Usage: alcor bench TASK.json [--target URL] [--out DIR] [--repeat N] [--no-cleanup] [--hosts N]

Runs a Rally task file (NeutronNetworks.* scenarios, and the end-to-end
NeutronPerformancePlugin.neutron_network_scalability and
AlcorPortPerformancePlugin.alcor_port_scalability; runners constant and constant_for_duration;
contexts users, network, quotas; SLA failure_rate) against a Neutron API endpoint.
  --target URL   endpoint to load (default: start a fresh controller for the run)
  --out DIR      where results.json and report.html go (default bench-results/<task name>)
  --repeat N     run the task N times without cleanup in between (default 1)
  --no-cleanup   leave everything the run created in place
  --keystone     users are real Keystone projects and users (Keystone at ALCOR_KEYSTONE_URL, default
                 http://127.0.0.1:5000/v3, started by scripts/keystone.sh if need be); the
                 controller started for the run checks tokens against it
  --times N, --concurrency N, --set ARG=N
                 scale the task without editing it: the runner's times and concurrency, a
                 scenario argument (e.g. --set number_of_networks=2; repeatable)
The end-to-end scenarios boot VMs as Nova would on the network (root; network namespaces):
  --hosts N      hosts the bench starts for the run without --target (default 3): namespaces on an
                 underlay, each with its own \`alcor agent --dataplane linux\`; with --target the
                 live agents' hosts are used (namespaces of this machine named as the host)
  --underlay CIDR the /24 of the bench's underlay (default 198.19.77.0/24, inside 198.18.0.0/15)
  --nova         through a real Nova instead: servers booted, attached and deleted through Nova's
                 API (NOVA_URL, from \`scripts/nova.sh env\`) as the run's Keystone users; needs
                 --keystone and --target (the controller Nova uses, with its agents); reports
                 Nova's boot -> ACTIVE beside each port's bind -> ACTIVE`;

const UNLIMITED = 'network=-1,subnet=-1,port=-1,router=-1,floatingip=-1,security_group=-1,security_group_rule=-1';
let labs = 0;

/** --times, --concurrency and --set applied to the task as read: the file itself stays as it is. */
function scaled(task: Task, times?: string, concurrency?: string, sets: readonly string[] = []): Task {
  const int = (v: string, what: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got ${v}`);
    return n;
  };
  let runner = task.runner;
  if (times !== undefined) {
    if (runner.type !== 'constant') throw new Error('--times needs a constant runner');
    runner = { ...runner, times: int(times, '--times') };
  }
  if (concurrency !== undefined) runner = { ...runner, concurrency: Math.max(1, int(concurrency, '--concurrency')) };
  const args: Record<string, unknown> = { ...task.args };
  for (const kv of sets) {
    const m = /^([\w.]+)=(.*)$/.exec(kv);
    if (!m) throw new Error(`--set wants ARG=N, got ${kv}`);
    args[m[1]] = int(m[2], `--set ${m[1]}`);
  }
  return { ...task, runner, args };
}

function underlayNet(cidr: string): string {
  const m = /^(198\.(?:18|19)\.\d{1,3})\.0\/24$/.exec(cidr);
  if (!m || Number(m[1].split('.')[2]) > 255) throw new Error(`--underlay must be a /24 inside 198.18.0.0/15 (x.y.z.0/24), got ${cidr}`);
  return m[1];
}

function progressBar(): ((done: number, total: number | undefined) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    const width = 40;
    const filled = total ? Math.round((done / total) * width) : done % width;
    process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}${total ? `/${total}` : ''} iterations`);
    if (done === total) process.stderr.write('\n');
  };
}

export async function bench(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      out: { type: 'string' },
      repeat: { type: 'string' },
      'no-cleanup': { type: 'boolean' },
      keystone: { type: 'boolean' },
      hosts: { type: 'string' },
      underlay: { type: 'string' },
      nova: { type: 'boolean' },
      times: { type: 'string' },
      concurrency: { type: 'string' },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) throw new Error(`expected one task file\n${BENCH_USAGE}`);
  const file = positionals[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read task file ${file}: ${(err as Error).message}`);
  }
  const task = scaled(parseTask(text, file), values.times, values.concurrency, values.set);
  const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${values.repeat}`);
  let keystone: Keystone | undefined;
  if (values.keystone) {
    await ensureKeystone();
    keystone = await Keystone.admin();
  }
  const outDir = values.out ?? join('bench-results', basename(file).replace(/\.json$/, ''));
  const vm = VM_SCENARIOS.has(task.scenario);
  if (values.nova && (!vm || !keystone || values.target === undefined || !process.env.NOVA_URL)) {
    throw new Error('--nova boots through a real Nova: it needs a VM scenario, --keystone, --target (the controller Nova uses) and NOVA_URL (eval "$(scripts/nova.sh env)")');
  }
  const hostCount = values.hosts === undefined ? 3 : Number(values.hosts);
  if (!Number.isInteger(hostCount) || hostCount < 1) throw new Error(`--hosts must be a positive integer, got ${values.hosts}`);
  let lab: Lab | undefined;
  if (vm && !values.nova) {
    const missing = labMissing();
    if (missing) throw new Error(`${task.scenario} boots VMs in network namespaces here, and cannot: ${missing}`);
    Lab.sweep('abv');
    // Tagged with this process (base 36) so that a later run sweeps what a killed one left.
    lab = new Lab({ prefix: 'abv', net: underlayNet(values.underlay ?? '198.19.77.0/24'), tag: `${process.pid.toString(36)}-${labs++}` });
  }
  let own: Awaited<ReturnType<typeof startControllerProcess>> | undefined;
  try {
    if (lab && values.target === undefined) lab.addUnderlay(hostCount);
    // The VM scenarios' own controller runs without quotas, as the report's Alcor did.
    own = values.target === undefined ? await startControllerProcess({
      keystone: keystone !== undefined,
      southboundListen: lab ? `unix:${lab.socket}` : undefined,
      extraArgs: lab ? ['--default-quotas', UNLIMITED] : [],
    }) : undefined;
    let nova: Servers | undefined;
    if (values.nova) {
      const client = new NeutronClient(values.target!, 8);
      client.adminToken = keystone!.token;
      const image = (task.args.image as { name?: string } | undefined)?.name ?? 'cirros-healthcheck';
      const flavor = (task.args.flavor as { name?: string } | undefined)?.name ?? 'm1.tiny';
      nova = await ApiNova.connect(client, process.env.NOVA_URL!, keystone!.token, image, flavor);
    } else if (lab) {
      const client = new NeutronClient(values.target ?? own!.url, 4);
      client.adminToken = keystone?.token;
      try {
        nova = new LabNova(lab, own ? await startOwnHosts(lab, client) : await targetHosts(lab, client));
      } finally {
        await client.close();
      }
    }
    const result = await runBench(task, {
      nova,
      users: keystone ? new KeystoneUsers(keystone) : undefined,
      adminToken: keystone?.token,
      target: values.target ?? own!.url,
      repeat,
      cleanup: !values['no-cleanup'],
      outDir,
      log: (line) => process.stdout.write(`${line}\n`),
      progress: progressBar(),
    });
    if (result.runs.some((r) => !r.slaPassed)) process.exitCode = 3;
  } finally {
    // The agents' own logs, next to the report: what to read when a VM got no lease or no answer.
    if (lab && own) {
      mkdirSync(outDir, { recursive: true });
      for (const h of lab.hosts) writeFileSync(join(outDir, `agent-${h.name}.log`), h.log.join(''));
    }
    await lab?.close();
    await own?.stop();
  }
}
