#!/usr/bin/env node
// OpenStack's own API tests against the controller: Tempest's network tests (and Neutron's Tempest
// plugin where it loads), behind the real Keystone, with the extensions the controller really
// serves, and two host agents (fake data plane; the first a gateway host) registered, as the agents and router tests need. Prints
// passed / failed / skipped, lists every failure, exits 1 if any test failed.
//   npm run conformance -- [--regex REGEX] [--concurrency N] [--target URL [--southbound URL]] [--agents N]
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureKeystone, Keystone, KEYSTONE_URL } from '../dist/src/bench/keystone-admin.js';
import { startControllerProcess } from '../dist/src/cli/controller-process.js';

const root = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    regex: { type: 'string', default: '^(tempest\\.api\\.network|neutron_tempest_plugin\\.api)\\.' },
    concurrency: { type: 'string', default: '2' },
    target: { type: 'string' },
    // Where the agents connect; our own controller's southbound unless --target is given.
    southbound: { type: 'string' },
    agents: { type: 'string', default: '2' },
  },
});
const BIN = join(root, 'bin', 'alcor.js');

// Tempest's router tests need the cloud's external network, as a real deployment has one.
async function publicNetwork(url, token) {
  const call = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: body && JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const { network } = await call('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } });
  await call('POST', '/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '172.24.4.0/24', name: 'public-subnet' } });
  // Default subnet pools, as devstack makes them: the auto-allocated topology tests need one
  // (they skip with "No default subnetpool" otherwise). Outside every range Tempest allocates from.
  await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'shared-default-subnetpool-v4', prefixes: ['10.200.0.0/16'], default_prefixlen: 26, shared: true, is_default: true } });
  await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'shared-default-subnetpool-v6', prefixes: ['fd00:200::/48'], default_prefixlen: 64, shared: true, is_default: true } });
  return network.id;
}

// Host agents with the fake data plane, as processes of their own: Neutron's agent tests list,
// show and update real agents (two of them: the description test updates one the others leave).
function startAgents(count, southboundUrl, logDir) {
  const agents = [];
  for (let i = 1; i <= count; i++) {
    const host = `conformance-host-${i}`;
    const log = openSync(join(logDir, `${host}.log`), 'w');
    // The first carries routers' centralized part (Neutron's dvr_snat node): their ports bind there
    // and go ACTIVE once it has them, as Tempest's router interface status tests wait for.
    const child = spawn(process.execPath, [BIN, 'agent', '--host', host, '--vtep', `198.18.0.${i}`, '--controller', southboundUrl,
      '--dataplane', 'fake', '--log-level', 'warn', ...(i === 1 ? ['--gateway'] : [])], { stdio: ['ignore', log, log] });
    agents.push({ host, child, exited: new Promise((r) => child.once('exit', r)) });
  }
  return agents;
}

async function stopAgents(agents) {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) process.kill(a.child.pid, 'SIGTERM');
  await Promise.race([Promise.all(agents.map((a) => a.exited)), new Promise((r) => setTimeout(r, 10_000).unref())]);
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) process.kill(a.child.pid, 'SIGKILL');
}

// Until GET /v2.0/agents (as admin) lists every host, alive.
async function waitForAgents(url, token, agents) {
  const hosts = agents.map((a) => a.host);
  let listed = [];
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const dead = agents.find((a) => a.child.exitCode !== null || a.child.signalCode !== null);
    if (dead) throw new Error(`alcor agent --host ${dead.host} exited (${dead.child.exitCode ?? dead.child.signalCode}); see .tempest/${dead.host}.log`);
    const res = await fetch(`${url}/v2.0/agents`, { headers: { 'x-auth-token': token } });
    if (res.ok) {
      listed = (await res.json()).agents;
      if (hosts.every((h) => listed.some((a) => a.host === h && a.alive))) return listed;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET /v2.0/agents did not list ${hosts.join(', ')} within 30 s: ${JSON.stringify(listed)}`);
}

function tempestConf(extensions, publicNetworkId) {
  const admin = process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin';
  return `[DEFAULT]
log_file = ${join(root, '.tempest', 'tempest.log')}
[auth]
use_dynamic_credentials = true
create_isolated_networks = false
admin_username = admin
admin_password = ${admin}
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default
tempest_roles = member
[identity]
uri_v3 = ${KEYSTONE_URL}
auth_version = v3
region = RegionOne
[identity-feature-enabled]
api_v2 = false
[service_available]
neutron = true
nova = false
glance = false
cinder = false
swift = false
heat = false
[network]
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64
project_networks_reachable = false
public_network_id = ${publicNetworkId}
region = RegionOne
endpoint_type = publicURL
[network-feature-enabled]
api_extensions = ${extensions.join(',')}
ipv6 = true
ipv6_subnet_attributes = true
port_security = true
[neutron_plugin_options]
available_type_drivers = vxlan
[enforce_scope]
neutron = false
[validation]
run_validation = false
`;
}

// One run at a time: runs share .tempest/ and Keystone's one network endpoint, so a second run
// would point the first one's Tempest at its own controller. A later run waits for the earlier.
const lock = join(root, '.tempest', 'run.lock');
mkdirSync(join(root, '.tempest'), { recursive: true });
for (let waited = 0; ; waited++) {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    break;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    const holder = Number(readFileSync(lock, 'utf8'));
    let alive = false;
    try { alive = Number.isInteger(holder) && holder > 0 && process.kill(holder, 0); } catch { alive = false; }
    if (!alive) { rmSync(lock, { force: true }); continue; }
    if (waited === 0) console.log(`waiting for the conformance run of pid ${holder} to finish`);
    if (waited > 60 * 60) throw new Error(`another conformance run (pid ${holder}) has held ${lock} for an hour`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
process.once('exit', () => {
  try {
    if (readFileSync(lock, 'utf8') === String(process.pid)) rmSync(lock, { force: true });
  } catch {
    // Gone already.
  }
});

await ensureKeystone();
const controller = values.target
  ? { url: values.target, southboundUrl: values.southbound, stop: async () => {} }
  : await startControllerProcess({ keystone: true, quiet: true });
const workspace = join(root, '.tempest');
mkdirSync(join(workspace, 'etc'), { recursive: true });
let agents = [];
// Whatever ends this process, the agents it started go with it.
const killAgents = () => { for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM'); };
process.once('exit', killAgents);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAgents();
    controller.stop().finally(() => process.exit(130));
  });
}
let code = 1;
try {
  await (await Keystone.admin()).setNetworkEndpoint(controller.url);
  // Exactly the extensions the controller lists, so no test is skipped by hiding one.
  const token = (await Keystone.passwordToken('admin', process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin', { name: 'admin' })).token;
  const extensions = (await (await fetch(`${controller.url}/v2.0/extensions`, { headers: { 'x-auth-token': token } })).json())
    .extensions.map((e) => e.alias);
  const agentCount = Number(values.agents);
  if (!Number.isInteger(agentCount) || agentCount < 0) throw new Error(`--agents must be a whole number, not ${values.agents}`);
  if (agentCount > 0 && controller.southboundUrl) {
    agents = startAgents(agentCount, controller.southboundUrl, workspace);
    const listed = await waitForAgents(controller.url, token, agents);
    console.log(`agents: ${listed.map((a) => `${a.host} (${a.agent_type}, alive ${a.alive})`).join(', ')}`);
  } else if (agentCount > 0) {
    console.log('agents: none started (--target without --southbound); the agents API tests need some registered');
  }
  writeFileSync(join(workspace, 'etc', 'tempest.conf'), tempestConf(extensions, await publicNetwork(controller.url, token)));
  // Debian's Tempest sleeps 10 s before every subnet delete, a wait for agents to let go of ports;
  // no agent of ours holds a subnet's ports, and with hundreds of subnets the sleeps alone take hours.
  mkdirSync(join(workspace, 'site'), { recursive: true });
  writeFileSync(join(workspace, 'site', 'sitecustomize.py'), [
    'import types',
    'from tempest.lib.services.network import subnets_client',
    'subnets_client.time = types.SimpleNamespace(sleep=lambda seconds: None)',
    '',
  ].join('\n'));
  writeFileSync(join(workspace, '.stestr.conf'), '[DEFAULT]\ntest_path=/usr/lib/python3/dist-packages/tempest/test_discover\ntop_dir=/usr/lib/python3/dist-packages\n');

  const output = await new Promise((res, rej) => {
    let text = '';
    const child = spawn('tempest', ['run', '--regex', values.regex, '--concurrency', values.concurrency], {
      cwd: workspace,
      env: { ...process.env, TEMPEST_CONFIG_DIR: join(workspace, 'etc'), TEMPEST_CONFIG: 'tempest.conf', PYTHONPATH: join(workspace, 'site') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    child.on('error', rej);
    child.on('exit', () => res(text));
  });
  writeFileSync(join(workspace, 'last-run.log'), output);
  const count = (what) => Number(new RegExp(`- ${what}: (\\d+)`).exec(output)?.[1] ?? NaN);
  const summary = { passed: count('Passed'), failed: count('Failed'), skipped: count('Skipped') };
  const failures = [...output.matchAll(/^\{\d+\} (\S+) \[[\d.]+s\] \.\.\. FAILED$/gm)].map((m) => m[1]);
  console.log(failures.map((f) => `FAILED ${f}`).join('\n'));
  console.log(`passed ${summary.passed}, failed ${summary.failed}, skipped ${summary.skipped} (log: ${join(workspace, 'last-run.log')})`);
  console.log(JSON.stringify({ ...summary, failures }));
  code = Number.isFinite(summary.passed) && summary.failed === 0 ? 0 : 1;
} finally {
  await stopAgents(agents);
  await controller.stop();
}
process.exitCode = code;
