/**
 * The torture suite's parts, each against a real controller and bounded in time: a seeded,
 * structure-aware fuzzer over every route, attribute and query parameter; SIGKILL of the controller
 * under concurrent creates, again and again on one data directory, then every acknowledged create
 * checked; a full disk (a tmpfs in a mount namespace of its own); thousands of idle and slow
 * connections beside ordinary clients. `npm run torture` runs them at full size
 * (scripts/torture.mjs), `npm test` smaller (test/torture/).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCES } from '../../src/model/definitions.js';
import { freePort } from '../../src/cli/controller-process.js';
import { ROOT } from './process.js';
import { Api } from './server.js';
import type { ApiResponse } from './server.js';

const BIN = join(ROOT, 'bin', 'alcor.js');
const ADMIN = { 'content-type': 'application/json', 'x-project-id': 'torture', 'x-roles': 'admin' };

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the controller as a process ----

export interface Controller {
  readonly url: string;
  readonly child: ChildProcess;
  readonly log: string[];
  readonly exited: Promise<number | null>;
}

/** `alcor start` on `dataDir` and `port`, its output kept; `wrap` runs it under another command (unshare). */
export async function startController(dataDir: string, port: number, wrap?: (argv: string[]) => string[]): Promise<Controller> {
  const argv = [process.execPath, BIN, 'start', '--listen', `127.0.0.1:${port}`, '--southbound-listen', `127.0.0.1:${await freePort()}`,
    '--data', dataDir, '--log-level', 'warn'];
  const [cmd, ...args] = wrap ? wrap(argv) : argv;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(url)).ok) break; } catch { /* not yet */ }
    if (child.exitCode !== null || i > 400) throw new Error(`the controller did not start: ${log.join('').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, log, exited };
}

/** A JSON call as the torture project's admin. */
const call = (url: string, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
  new Api(url, ADMIN).request(method, path, body);

/** The torture project's quotas unlimited: the pool, not Neutron's 500 ports, is what runs out. */
async function unlimited(url: string): Promise<void> {
  const r = await call(url, 'PUT', '/v2.0/quotas/torture', { quota: { port: -1, network: -1, subnet: -1, router: -1, security_group: -1, security_group_rule: -1 } });
  if (r.status !== 200) throw new Error(`quota: ${r.status} ${JSON.stringify(r.body)}`);
}

// ---- the fuzzer ----

export interface FuzzResult {
  readonly seed: number;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  /** Answers that were 5xx, or errors not in Neutron's shape (at most 20 kept). */
  readonly failures: string[];
}

const JUNK = ['', ' ', 'x'.repeat(300), '10.0.0.0/24', '::1', 'fa:16:3e:00:00:01', '1.2.3.4', '../../etc', '%00', '\u0000', 'é漢🙂', '__proto__',
  'constructor', 'true', '-1', '1e309', 'null', '{}', '[]', 'select 1;', "'; drop table ports; --", '\ud800', 'a'.repeat(70_000)];

/** `requests` requests over every route, seeded (the seed replays a run exactly, given the same ids). */
export async function fuzz(url: string, seed: number, requests: number, concurrency = 20): Promise<FuzzResult> {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const attrs = [...new Set(RESOURCES.flatMap((r) => Object.keys(r.attributes)))];
  await unlimited(url);
  const net = (await call(url, 'POST', '/v2.0/networks', { network: { name: 'fuzz' } })).body.network;
  const sub = (await call(url, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.250.0.0/16' } })).body.subnet;
  const port = (await call(url, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
  const sg = (await call(url, 'POST', '/v2.0/security-groups', { security_group: { name: 'fuzz' } })).body.security_group;
  const router = (await call(url, 'POST', '/v2.0/routers', { router: { name: 'fuzz' } })).body.router;
  const ids = [net.id, sub.id, port.id, sg.id, router.id, sg.security_group_rules[0].id];

  const value = (depth: number): unknown => {
    switch (Math.floor(rnd() * 11)) {
      case 0: return null;
      case 1: return rnd() < 0.5;
      case 2: return Math.floor((rnd() - 0.5) * 2 ** (rnd() * 70));
      case 3: return rnd() * 1e6 - 5e5;
      case 4: return pick(JUNK);
      case 5: return pick(ids);
      case 6: return depth > 2 ? [] : Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      case 7: return depth > 2 ? {} : object(depth + 1);
      case 8: return `${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.0.${Math.floor(rnd() * 256)}`;
      case 9: return [{ ip_address: pick(JUNK), subnet_id: pick(ids) }];
      default: return pick(attrs);
    }
  };
  const object = (depth: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    const n = Math.floor(rnd() * 5);
    for (let i = 0; i < n; i++) o[rnd() < 0.8 ? pick(attrs) : pick(JUNK)] = value(depth);
    return o;
  };
  // Every attribute of the resource, each given a value of the wrong kind in turn.
  const wrongTypes = (r: (typeof RESOURCES)[number]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const a of Object.keys(r.attributes)) if (rnd() < 0.5) o[a] = pick([1, -1, 2 ** 53, 'x', true, null, [], {}, [[]], { a: { b: 1 } }]);
    return o;
  };
  const body = (r: (typeof RESOURCES)[number]): string | Buffer | undefined => {
    switch (Math.floor(rnd() * 11)) {
      case 0: return undefined;
      case 1: return JSON.stringify(value(0));
      case 2: return JSON.stringify({ [r.member]: object(1) }).slice(0, Math.floor(rnd() * 40));
      case 3: return Buffer.from(Array.from({ length: 20 }, () => Math.floor(rnd() * 256)));
      case 4: return JSON.stringify({ [r.collection]: [object(1), object(1)] });
      case 5: return `{"__proto__": {"isAdmin": true}, "${r.member}": {"__proto__": {"x": 1}}}`;
      // Deep nesting, far past the limit.
      case 6: { const n = 50 + Math.floor(rnd() * 20_000); return `{"${r.member}": {"name": ${'['.repeat(n)}1${']'.repeat(n)}}}`; }
      // Invalid UTF-8 inside a JSON string.
      case 7: return Buffer.concat([Buffer.from(`{"${r.member}": {"name": "`), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from('"}}')]);
      case 8: return JSON.stringify({ [r.member]: wrongTypes(r) });
      case 9: return JSON.stringify({ [r.member]: { name: 'n'.repeat(Math.floor(rnd() * 100_000)) } });
      default: return JSON.stringify({ [r.member]: object(1) });
    }
  };
  // A lone surrogate cannot be encoded: sent as the bytes it would be, which are not UTF-8 at all.
  const enc = (v: string): string => { try { return encodeURIComponent(v); } catch { return '%ED%A0%80'; } };
  const query = (): string => {
    const keys = [...attrs, 'fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'fixed_ips', '%ZZ', 'a[b]', '__proto__', ''];
    const parts: string[] = [];
    for (let i = Math.floor(rnd() * 4); i > 0; i--) {
      const v = value(3);
      const key = rnd() < 0.05 ? 'k'.repeat(Math.floor(rnd() * 10_000)) : enc(pick(keys));
      parts.push(`${key}=${rnd() < 0.1 ? '%E0%A4%A' : enc(typeof v === 'string' ? v.slice(0, 3000) : JSON.stringify(v) ?? '')}`);
    }
    return parts.length ? `?${parts.join('&')}` : rnd() < 0.05 ? '?' : '';
  };
  const path = (r: (typeof RESOURCES)[number]): string => {
    const id = rnd() < 0.7 ? pick(ids) : rnd() < 0.5 ? 'i'.repeat(Math.floor(rnd() * 12_000)) : enc(pick(JUNK).slice(0, 2000) || 'x');
    const tag = enc(pick(JUNK).slice(0, 2000) || 't');
    return pick([
      '/', '/v2.0', '/v2.0/', '/v2.0//', '/v2.0/extensions', `/v2.0/extensions/${tag}`, `/v2.0/${r.path}.json`,
      `/v2.0/${r.path}`, `/v2.0/${r.path}`, `/v2.0/${r.path}`, `/v2.0/${r.path}/${id}`, `/v2.0/${r.path}/${id}`, `/v2.0/${r.path}/${id}/tags`,
      `/v2.0/${r.path}/${id}/tags/${tag}`, `/v2.0/routers/${id}/add_router_interface`, `/v2.0/routers/${id}/remove_router_interface`,
      `/v2.0/quotas/${id}`, `/v2.0/quotas/${id}/details`, `/v2.0/ports/${id}/bindings`, `/v2.0/network-ip-availabilities/${id}`,
      `/v2.0/subnetpools/${id}/add_prefixes`, `/v2.0/auto-allocated-topology/${id}`, '/metrics', '/v2.0/%E0%A4%A',
    ]);
  };

  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      const r = pick(RESOURCES.filter((x) => x.path));
      const method = pick(['GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'PUT', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
      const url2 = path(r) + query();
      const b = method === 'GET' || method === 'HEAD' ? undefined : method === 'DELETE' ? (rnd() < 0.1 ? '{}' : undefined) : body(r);
      const headers: Record<string, string> = { 'content-type': pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=latin1']) };
      if (rnd() < 0.2) headers['x-project-id'] = pick(['p1', 'p2', 'admin', 'x'.repeat(300)]);
      if (rnd() < 0.1) headers['x-roles'] = pick(['member', 'reader', 'admin', '', 'admin,member,,']);
      if (rnd() < 0.05) headers['if-match'] = pick(['revision_number=1', 'revision_number=x', '*', 'revision_number=99999999999999999999']);
      if (rnd() < 0.02) headers['x-big'] = 'h'.repeat(Math.floor(rnd() * 30_000));
      let status = 0;
      let text = '';
      try {
        const res = await fetch(url + url2, { method, headers, body: typeof b === 'string' || b === undefined ? b : new Uint8Array(b) });
        status = res.status;
        text = await res.text();
      } catch (err) {
        failures.push(`${method} ${url2.slice(0, 200)} -> no answer: ${String((err as Error).cause ?? err)}`);
        continue;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      const shown = () => `${method} ${url2.slice(0, 200)} ${typeof b === 'string' ? b.slice(0, 200) : b ? '<bytes>' : ''}`;
      if (status >= 500) failures.push(`${shown()} -> ${status} ${text.slice(0, 300)}`);
      else if (status >= 400 && method !== 'HEAD') {
        try {
          const e = JSON.parse(text).NeutronError;
          if (typeof e.type !== 'string' || typeof e.message !== 'string' || typeof e.detail !== 'string') throw new Error('shape');
        } catch {
          failures.push(`${shown()} -> ${status} not a NeutronError: ${text.slice(0, 200)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seed, requests, statuses, failures: failures.slice(0, 20) };
}

// ---- SIGKILL under load ----

export interface KillResult {
  readonly kills: number;
  readonly acknowledged: number;
  readonly present: number;
  readonly duplicateAddresses: number;
  readonly lost: string[];
  readonly poolSize: number;
  /** Creates that succeeded after everything was deleted: the whole pool, when nothing leaked. */
  readonly reallocated: number;
}

/** `kills` times: concurrent port creates, then SIGKILL mid-way; then what was acknowledged is checked. */
export async function killUnderLoad(kills: number, seed: number, concurrency = 16): Promise<KillResult> {
  const rnd = mulberry32(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'alcor-torture-kill-'));
  const port = await freePort();
  const acknowledged = new Map<string, string>();
  try {
    let c = await startController(dataDir, port);
    await unlimited(c.url);
    const net = (await call(c.url, 'POST', '/v2.0/networks', { network: { name: 'kill' } })).body.network;
    const sub = (await call(c.url, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.251.0.0/22' } })).body.subnet;
    const poolSize = (sub.allocation_pools as Array<{ start: string; end: string }>)
      .reduce((n, p) => n + ipNumber(p.end) - ipNumber(p.start) + 1, 0);
    for (let k = 0; k < kills; k++) {
      let stop = false;
      const worker = async () => {
        while (!stop) {
          try {
            const body = rnd() < 0.2
              ? { ports: [{ network_id: net.id }, { network_id: net.id }, { network_id: net.id }] }
              : { port: { network_id: net.id } };
            const r = await call(c.url, 'POST', '/v2.0/ports', body);
            if (r.status === 201) for (const p of r.body.ports ?? [r.body.port]) acknowledged.set(p.id, p.fixed_ips[0].ip_address);
          } catch { return; /* the controller is gone: whatever was not answered is not acknowledged */ }
        }
      };
      const workers = Array.from({ length: concurrency }, worker);
      await new Promise((r) => setTimeout(r, 200 + rnd() * 800));
      c.child.kill('SIGKILL');
      await c.exited;
      stop = true;
      await Promise.all(workers);
      c = await startController(dataDir, port);
    }
    const all = (await call(c.url, 'GET', `/v2.0/ports?network_id=${net.id}`)).body.ports as Array<{ id: string; fixed_ips: Array<{ ip_address: string }> }>;
    const byId = new Map(all.map((p) => [p.id, p.fixed_ips[0]?.ip_address]));
    const lost = [...acknowledged].filter(([id, ip]) => byId.get(id) !== ip).map(([id, ip]) => `${id} (${ip}): ${byId.get(id) ?? 'missing'}`);
    const addresses = all.flatMap((p) => p.fixed_ips.map((f) => f.ip_address));
    const duplicateAddresses = addresses.length - new Set(addresses).size;
    // Everything deleted, the whole pool must be allocatable again: no allocation leaked.
    for (let i = 0; i < all.length; i += 100) {
      const ids = all.slice(i, i + 100).map((p) => `id=${p.id}`).join('&');
      const r = await fetch(`${c.url}/v2.0/ports?${ids}`, { method: 'DELETE', headers: ADMIN });
      if (r.status !== 204) throw new Error(`bulk delete: ${r.status} ${await r.text()}`);
    }
    let reallocated = 0;
    for (;;) {
      const r = await call(c.url, 'POST', '/v2.0/ports', { ports: Array.from({ length: 50 }, () => ({ network_id: net.id })) });
      if (r.status === 201) { reallocated += 50; continue; }
      // The last partial batch: one at a time until the pool is exhausted.
      for (;;) {
        const one = await call(c.url, 'POST', '/v2.0/ports', { port: { network_id: net.id } });
        if (one.status !== 201) break;
        reallocated++;
      }
      break;
    }
    c.child.kill('SIGTERM');
    await c.exited;
    return { kills, acknowledged: acknowledged.size, present: acknowledged.size - lost.length, duplicateAddresses, lost: lost.slice(0, 10), poolSize, reallocated };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

// ---- a full disk ----

export interface DiskFullResult {
  readonly writeWhileFull: { status: number; type?: string };
  readonly readWhileFull: number;
  readonly writableGaugeWhileFull?: string;
  readonly writeAfter: number;
  readonly writableGaugeAfter?: string;
  /** Error lines the controller logged about it: one, however many writes were refused. */
  readonly errorLines: number;
}

/** Why a full disk cannot be made here (a mount namespace needs root and util-linux's unshare). */
export function diskFullMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'a tmpfs in a mount namespace needs root';
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) return 'unshare -m is not allowed here';
  return undefined;
}

export async function diskFull(): Promise<DiskFullResult> {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-torture-disk-'));
  const port = await freePort();
  // The mount is the namespace's own (private propagation): the machine never sees it, and it goes
  // when the controller, its last process, exits.
  const c = await startController(join(dir, 'data'), port, (argv) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs -o size=16m alcor-torture "${dir}" && mkdir -p "${dir}/data" && exec "$0" "$@"`, ...argv]);
  const inNs = (script: string) => spawnSync('nsenter', ['-t', String(c.child.pid), '-m', 'sh', '-c', script], { encoding: 'utf8' });
  const gauge = async () => /^alcor_store_writable (\d)/m.exec(await (await fetch(`${c.url}/metrics`)).text())?.[1];
  try {
    const net = (await call(c.url, 'POST', '/v2.0/networks', { network: { name: 'before' } })).body.network;
    inNs(`dd if=/dev/zero of="${dir}/fill" bs=64k 2>/dev/null; true`);
    let full = { status: 0, body: undefined as any };
    for (let i = 0; i < 20; i++) {
      full = await call(c.url, 'POST', '/v2.0/networks', { network: { name: `while-full-${i}` } });
      if (full.status === 503) break;
    }
    // Many refused writes: still one line in the log.
    for (let i = 0; i < 10; i++) await call(c.url, 'POST', '/v2.0/ports', { port: { network_id: net.id } });
    const readWhileFull = (await call(c.url, 'GET', `/v2.0/networks/${net.id}`)).status;
    const writableGaugeWhileFull = await gauge();
    inNs(`rm -f "${dir}/fill"`);
    let after = 0;
    for (let i = 0; i < 50 && after !== 201; i++) {
      after = (await call(c.url, 'POST', '/v2.0/networks', { network: { name: 'after' } })).status;
      if (after !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    const writableGaugeAfter = await gauge();
    const errorLines = c.log.join('').split('\n').filter((l) => l.includes('the store cannot write')).length;
    return { writeWhileFull: { status: full.status, type: full.body?.NeutronError?.type }, readWhileFull, writableGaugeWhileFull, writeAfter: after, writableGaugeAfter, errorLines };
  } finally {
    c.child.kill('SIGKILL');
    await c.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- slow and idle clients ----

export interface SlowResult {
  readonly idle: number;
  readonly slow: number;
  readonly requests: number;
  readonly answered: number;
  readonly p99Ms: number;
}

/**
 * `idle` connections that send nothing and `slow` ones that send a header a byte at a time, held
 * open while ordinary clients make `requests` requests: every one must be answered.
 */
export async function slowClients(url: string, idle: number, slow: number, requests: number): Promise<SlowResult> {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  const open = () => new Promise<Socket>((resolve) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.on('error', () => { /* the server may close them: that is its right */ });
  });
  for (let i = 0; i < idle; i++) sockets.push(await open());
  const slowOnes: Socket[] = [];
  for (let i = 0; i < slow; i++) {
    const s = await open();
    s.write('GET /v2.0/networks HTTP/1.1\r\nHost: x\r\n');
    slowOnes.push(s);
    sockets.push(s);
  }
  const drip = setInterval(() => { for (const s of slowOnes) if (!s.destroyed) s.write('X'); }, 500);
  const times: number[] = [];
  let answered = 0;
  try {
    let next = 0;
    const worker = async () => {
      while (next < requests) {
        next++;
        const t0 = performance.now();
        const r = await fetch(`${url}/v2.0/networks?limit=1`, { headers: ADMIN, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        if (r?.status === 200) answered++;
        await r?.text();
        times.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
  } finally {
    clearInterval(drip);
    for (const s of sockets) s.destroy();
  }
  times.sort((a, b) => a - b);
  return { idle, slow, requests, answered, p99Ms: Math.round(times[Math.floor(times.length * 0.99)] ?? 0) };
}

// ---- agents ----

export interface AgentsResult {
  readonly garbageFrames: number;
  /** Ports bound to the real agent that went ACTIVE, of those bound: through garbage and both kills. */
  readonly active: number;
  readonly bound: number;
  readonly controllerKills: number;
  readonly agentKills: number;
}

/**
 * A real agent (its own process, fake data plane) beside a peer sending `frames` malformed or
 * out-of-protocol southbound frames; then the controller SIGKILLed while the agent streams, and the
 * agent SIGKILLed while ports are being bound to it. Every port bound to it must end ACTIVE.
 */
export async function agentsUnderFire(seed: number, frames: number): Promise<AgentsResult> {
  const { GrpcClientCarrier } = await import('../../src/protocol/grpc/carrier.js');
  const rnd = mulberry32(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'alcor-torture-agents-'));
  const port = await freePort();
  const sbPort = await freePort();
  const southbound = `127.0.0.1:${sbPort}`;
  const wrapSb = (argv: string[]) => argv.map((a, i) => (argv[i - 1] === '--southbound-listen' ? southbound : a));
  const host = 'torture-host';
  const startAgent = () => {
    const child = spawn(process.execPath, [BIN, 'agent', '--host', host, '--controller', `http://${southbound}`, '--dataplane', 'fake',
      '--vtep', '198.18.9.9', '--log-level', process.env.TORTURE_DEBUG ?? 'error'], { stdio: process.env.TORTURE_DEBUG ? 'inherit' : 'ignore' });
    return { child, exited: new Promise<void>((r) => child.once('exit', () => r())) };
  };
  let c = await startController(dataDir, port, wrapSb);
  let agent = startAgent();
  const ports: string[] = [];
  const bind = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await call(c.url, 'POST', '/v2.0/ports', { port: { network_id: netId, device_owner: 'compute:nova', device_id: `vm-${ports.length}`, 'binding:host_id': host } });
      if (r.status !== 201) throw new Error(`bind: ${r.status} ${JSON.stringify(r.body)}`);
      ports.push(r.body.port.id);
    }
  };
  const allActive = async (ms: number): Promise<number> => {
    let active = 0;
    for (const until = Date.now() + ms; Date.now() < until;) {
      const listed = (await call(c.url, 'GET', `/v2.0/ports?binding:host_id=${host}&fields=id&fields=status`)).body.ports as Array<{ id: string; status: string }>;
      active = listed.filter((p) => p.status === 'ACTIVE' && ports.includes(p.id)).length;
      if (active === ports.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (process.env.TORTURE_DEBUG) {
      const listed = (await call(c.url, 'GET', `/v2.0/ports?binding:host_id=${host}&fields=id&fields=status`)).body.ports as Array<{ id: string; status: string }>;
      console.error('by order', ports.map((id) => listed.find((p) => p.id === id)?.status?.[0] ?? '?').join(''));
    }
    return active;
  };
  let netId = '';
  try {
    await unlimited(c.url);
    // Bound before its agent registered, a port fails to bind (binding_failed), as with Neutron.
    for (let i = 0; !(await call(c.url, 'GET', `/v2.0/agents?host=${host}`)).body.agents[0]?.alive; i++) {
      if (i > 200) throw new Error('the agent did not register');
      await new Promise((r) => setTimeout(r, 50));
    }
    netId = (await call(c.url, 'POST', '/v2.0/networks', { network: { name: 'agents' } })).body.network.id;
    await call(c.url, 'POST', '/v2.0/subnets', { subnet: { network_id: netId, ip_version: 4, cidr: '10.252.0.0/20' } });
    // Garbage from a peer, while the real agent works.
    const carrier = new GrpcClientCarrier();
    const channel = carrier.connect(`http://${southbound}`);
    const junk = ['', '\n', 'x', '1', '1 ', '1 {', '1 {}', '1 {"t":"hello"}', '1 {"t":"ack","revision":-1}', '99999999999999999999 {"t":"heartbeat"}',
      '2 {"t":"up","ports":["nope"]}', '3 {"t":"resync","streams":["host/other"]}', '\u0000\u0001\u0002', '4 ' + '['.repeat(10_000), '5 ' + JSON.stringify({ t: 'nack', revision: 1, error: 'e'.repeat(100_000) }),
      `6 {"t":"hello","protocol":1,"host":"${host}","agentType":"x","binary":"x","version":"x","vtep":"198.18.9.9","startedAt":"x","capabilities":{"vifType":"tap"},"cursors":{}}`];
    for (let i = 0; i < frames; i++) {
      channel.send(`${junk[Math.floor(rnd() * junk.length)]}${rnd() < 0.9 ? '\n' : ''}`);
      if (i % 100 === 0) { await bind(1); await new Promise((r) => setTimeout(r, 1)); }
    }
    channel.close();
    carrier.close();
    await bind(20);
    // The controller killed while the agent streams: restarted on its data, the agent catches up.
    const more = bind(20).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100 + rnd() * 200));
    c.child.kill('SIGKILL');
    await c.exited;
    await more;
    c = await startController(dataDir, port, wrapSb);
    // Ports whose create was not answered may exist: count what the controller holds.
    ports.splice(0, ports.length, ...((await call(c.url, 'GET', `/v2.0/ports?binding:host_id=${host}&fields=id`)).body.ports as Array<{ id: string }>).map((p) => p.id));
    await bind(10);
    // The agent killed while ports are being bound to it, then started again.
    const during = bind(20);
    await new Promise((r) => setTimeout(r, 50 + rnd() * 200));
    agent.child.kill('SIGKILL');
    await agent.exited;
    await during;
    agent = startAgent();
    const active = await allActive(30_000);
    return { garbageFrames: frames, active, bound: ports.length, controllerKills: 1, agentKills: 1 };
  } finally {
    agent.child.kill('SIGKILL');
    await agent.exited;
    c.child.kill('SIGKILL');
    await c.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}
