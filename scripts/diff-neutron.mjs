#!/usr/bin/env node
// A standing differential run against real Neutron: the same script of API calls against Debian's
// neutron-server (scripts/neutron-server.sh, noauth taking the caller from X-User-Id / X-Project-Id /
// X-Roles, Neutron's default quotas) and against our controller (in-process, noauth), compared call
// by call: HTTP status, NeutronError type (and, softer, message), attribute names of returned
// resources, values of created (and updated) resources after normalising what legitimately differs
// (ids, timestamps, MACs, generated addresses, segmentation ids), list contents and order, links.
// Known differences (scripts/diff-neutron-known.json, each with a reason) are reported apart; exit 1
// when there is a new one.
//   npm run diff:neutron [-- --neutron-port 9797] [--keep-neutron] [--verbose]
//   npm run diff:neutron -- --neutron-url http://127.0.0.1:9797   (a Neutron already running, started
//                                                               with NEUTRON_HEADER_CONTEXT=1 and a fresh database)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildScript } from './diff-neutron-script.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const { values: opts } = parseArgs({
  options: {
    'neutron-port': { type: 'string' },
    'neutron-url': { type: 'string' },
    'keep-neutron': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, '.diff-neutron') },
    known: { type: 'string', default: join(root, 'scripts', 'diff-neutron-known.json') },
    verbose: { type: 'boolean', default: false },
  },
});

const outDir = resolve(opts.out);
mkdirSync(outDir, { recursive: true });
const neutronEnv = {
  ...process.env,
  NEUTRON_DIR: join(outDir, 'neutron'),
  // Its own database, so that two checkouts can run the diff at once (DIFF_NEUTRON_DB=...).
  NEUTRON_DB: process.env.DIFF_NEUTRON_DB ?? 'alcor_diff_neutron',
  NEUTRON_HEADER_CONTEXT: '1',
  NEUTRON_DEFAULT_QUOTAS: '1',
  NEUTRON_PROVIDER: '1',
};

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

// ---------------------------------------------------------------------------------------------
// One side: an endpoint, its symbol table (symbolic name -> id or value) and the reverse map.

class Side {
  constructor(name, url) {
    this.name = name;
    this.url = url;
    this.sym = new Map();
    this.rev = new Map();
    this.results = [];
  }

  bind(name, value) {
    this.sym.set(name, value);
    // The first name given to an id stays its name (a later save of the same id, e.g. a page's
    // first item, must not rename it).
    if (typeof value === 'string' && value.length >= 8 && !this.rev.has(value)) this.rev.set(value, name);
  }

  subst(v) {
    if (typeof v === 'string') {
      const whole = /^\{([A-Za-z0-9_.:-]+)\}$/.exec(v);
      if (whole && this.sym.has(whole[1]) && typeof this.sym.get(whole[1]) !== 'string') return this.sym.get(whole[1]);
      return v.replace(/\{([A-Za-z0-9_.:-]+)\}/g, (m, k) => (this.sym.has(k) ? String(this.sym.get(k)) : `MISSING-${k}`));
    }
    if (Array.isArray(v)) return v.map((x) => this.subst(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.subst(k), this.subst(x)]));
    return v;
  }

  async call(step, projects) {
    const who = projects[step.as ?? 'admin'];
    const headers = { 'x-user-id': who.user, 'x-project-id': who.project, 'x-roles': who.roles, ...(step.headers ? this.subst(step.headers) : {}) };
    const path = this.subst(step.path);
    let body;
    if (step.body !== undefined) {
      body = typeof step.body === 'string' ? step.body : JSON.stringify(this.subst(step.body));
      headers['content-type'] = 'application/json';
    }
    let status;
    let parsed;
    try {
      const res = await fetch(`${this.url}${path}`, { method: step.method, headers, body });
      status = res.status;
      const text = await res.text();
      try { parsed = text === '' ? undefined : JSON.parse(text); } catch { parsed = text; }
    } catch (e) {
      status = 0;
      parsed = String(e);
    }
    for (const [name, where] of Object.entries(step.save ?? {})) {
      const v = dig(parsed, where);
      if (v !== undefined) this.bind(name, v);
    }
    return { status, body: parsed, path };
  }
}

function dig(obj, where) {
  let cur = obj;
  for (const k of where.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur) && k.startsWith('name=')) cur = cur.find((x) => x?.name === k.slice(5));
    else if (Array.isArray(cur) && k.startsWith('owner=')) cur = cur.find((x) => x?.device_owner === k.slice(6));
    else cur = cur[k];
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Normalisation: what legitimately differs between two deployments.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const IGNORED_VALUES = new Set(['created_at', 'updated_at', 'mac_address', 'provider:segmentation_id', 'revision_number', 'heartbeat_timestamp', 'started_at']);
const GENERATED_IPS = new Set(['ip_address', 'floating_ip_address']);

function normalise(side, v, opts = {}, key = '') {
  if (typeof v === 'string') {
    if (side.rev.has(v)) return `<${side.rev.get(v)}>`;
    if (UUID.test(v)) return '<uuid>';
    if (TS.test(v) && IGNORED_VALUES.has(key)) return '<ts>';
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => normalise(side, x, opts, key));
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (IGNORED_VALUES.has(k)) { out[k] = '<ignored>'; continue; }
      if (GENERATED_IPS.has(k) && !opts.exactIps && typeof x === 'string') { out[k] = '<ip>'; continue; }
      if (k === 'vif_details' || k === 'binding:vif_details') { out[k] = x; continue; }
      // Pairs keep their addresses (always chosen), not the port's generated MAC they default to.
      if (k === 'allowed_address_pairs' && Array.isArray(x)) { out[k] = x.map((p) => ({ ...p, ...(p && 'mac_address' in p ? { mac_address: '<mac>' } : {}) })); continue; }
      out[k] = normalise(side, x, opts, k);
    }
    return out;
  }
  return v;
}

function messageOf(side, body) {
  const m = body?.NeutronError?.message;
  if (typeof m !== 'string') return undefined;
  let s = m;
  for (const [id, name] of side.rev) if (id.length >= 8) s = s.split(id).join(`<${name}>`);
  return s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
}

// The resources a 2xx answer carries: [{kind: 'one'|'list', key, items}].
function resourcesOf(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const out = [];
  for (const [k, v] of Object.entries(body)) {
    if (k.endsWith('_links')) continue;
    if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) out.push({ kind: 'list', key: k, items: v });
    else if (v && typeof v === 'object' && !Array.isArray(v)) out.push({ kind: 'one', key: k, items: [v] });
  }
  return out;
}

function keysOf(items) {
  const s = new Set();
  for (const it of items) for (const k of Object.keys(it)) s.add(k);
  return s;
}

function short(v, n = 600) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > n ? `${s.slice(0, n)}...` : s;
}

function stable(v) {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable(v[k])]));
  return v;
}

function sameValue(a, b, orderless) {
  if (orderless && Array.isArray(a) && Array.isArray(b)) {
    const sa = a.map((x) => JSON.stringify(stable(x))).sort();
    const sb = b.map((x) => JSON.stringify(stable(x))).sort();
    return JSON.stringify(sa) === JSON.stringify(sb);
  }
  return JSON.stringify(stable(a)) === JSON.stringify(stable(b));
}

// Attributes whose lists carry no order in Neutron (sets in its model).
const ORDERLESS = new Set(['security_groups', 'tags', 'allowed_address_pairs', 'extra_dhcp_opts', 'routes', 'host_routes', 'dns_nameservers',
  'subnets', 'prefixes', 'availability_zones', 'availability_zone_hints', 'fixed_ips', 'security_group_rules', 'external_fixed_ips', 'subnet_ip_availability',
  'allocation_pools', 'service_types']);

// Keys of nested objects (one level, or the items of a list of objects) on one side only; both
// values cut down to the keys they share, so one extra nested attribute is reported once, as such.
function nestedKeys(x) {
  const items = Array.isArray(x) ? x : [x];
  if (!items.length || !items.every((i) => i && typeof i === 'object' && !Array.isArray(i))) return undefined;
  const s = new Set();
  for (const i of items) for (const k of Object.keys(i)) s.add(k);
  return s;
}
function project(x, keep) {
  const cut = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => keep.has(k)));
  return Array.isArray(x) ? x.map(cut) : cut(x);
}

/** Both values cut to the nested keys they share; each key on one side only is told to `onlyOne`. */
function sharedNested(x, y, onlyOne) {
  const kx = nestedKeys(x);
  const ky = nestedKeys(y);
  if (!(kx && ky && kx.size && ky.size)) return [x, y];
  for (const j of kx) if (!ky.has(j)) onlyOne('missing', j);
  for (const j of ky) if (!kx.has(j)) onlyOne('extra', j);
  const both = new Set([...kx].filter((j) => ky.has(j)));
  return [project(x, both), project(y, both)];
}

function compare(step, n, a, neutron, alcor) {
  const diffs = [];
  const add = (kind, detail, extra = {}) => diffs.push({ kind, call: step.name, detail, id: `${kind}|${step.name}|${detail}`, ...extra });
  const answers = { neutron: { status: n.status, body: short(n.body) }, alcor: { status: a.status, body: short(a.body) } };
  const request = { method: step.method, path: step.path, body: step.body === undefined ? undefined : short(step.body, 400), as: step.as ?? 'admin' };
  if (n.status !== a.status) {
    add('status', `${n.status} vs ${a.status}`, { request, answers });
    return diffs;
  }
  if (n.status >= 400) {
    const tn = n.body?.NeutronError?.type;
    const ta = a.body?.NeutronError?.type;
    if (tn !== ta) add('error_type', `${tn} vs ${ta}`, { request, answers });
    else {
      const mn = messageOf(neutron, n.body);
      const ma = messageOf(alcor, a.body);
      if (mn !== ma && !step.ignoreMessage) add('message', tn ?? '', { request, neutron: mn, alcor: ma });
    }
    return diffs;
  }
  if (step.raw) return diffs;
  const rn = resourcesOf(n.body);
  const ra = resourcesOf(a.body);
  const keysN = rn.map((r) => r.key).sort();
  const keysA = ra.map((r) => r.key).sort();
  if (JSON.stringify(keysN) !== JSON.stringify(keysA)) add('attributes', `top-level ${keysN.join(',')} vs ${keysA.join(',')}`, { request, answers });
  for (const r of rn) {
    const o = ra.find((x) => x.key === r.key);
    if (!o) continue;
    if (step.keys !== false && !step.noAttrs) {
      const kn = keysOf(r.items);
      const ka = keysOf(o.items);
      for (const k of kn) if (!ka.has(k) && (r.items.length && o.items.length)) add('attributes', `${r.key}: missing ${k}`, { request, neutron: short(r.items[0][k], 200) });
      for (const k of ka) if (!kn.has(k) && (r.items.length && o.items.length)) add('attributes', `${r.key}: extra ${k}`, { request, alcor: short(o.items[0][k], 200) });
    }
    if (r.kind === 'list' && !step.noList) {
      const ident = (side, it) => {
        const v = it.id ?? it.alias ?? it.network_id ?? it.name ?? it.project_id;
        return v !== undefined ? normalise(side, v) : JSON.stringify(normalise(side, it));
      };
      // Rows no step named (made by a call that already differed, e.g. a create only one side
      // accepted) are left out: the list is compared on the rows both scripts know.
      const named = (x) => x !== '<uuid>';
      const ln = r.items.map((it) => ident(neutron, it)).filter(named);
      const la = o.items.map((it) => ident(alcor, it)).filter(named);
      if (step.unordered ? !sameValue(ln, la, true) : !sameValue(ln, la)) {
        if (step.setDiff) {
          for (const x of ln) if (!la.includes(x)) add('list', `${r.key}: only neutron ${x}`, { request });
          for (const x of la) if (!ln.includes(x)) add('list', `${r.key}: only alcor ${x}`, { request });
        } else add('list', `${r.key}: items differ`, { request, neutron: ln, alcor: la });
      }
    }
    const compareValues = step.values ?? (step.method === 'POST' || step.method === 'PUT');
    if (compareValues && r.kind === 'one') {
      const vn = normalise(neutron, r.items[0], step);
      const va = normalise(alcor, o.items[0], step);
      const kind = step.method === 'POST' ? 'defaults' : 'values';
      for (const k of Object.keys(vn)) {
        if (!(k in va)) continue;
        const [x, y] = sharedNested(vn[k], va[k], (side, j) => add('attributes', `${r.key}.${k}: ${side} ${j}`, { request }));
        if (!sameValue(x, y, ORDERLESS.has(k))) add(kind, `${r.key}.${k}`, { request, neutron: short(x, 300), alcor: short(y, 300) });
      }
    }
    if (compareValues && r.kind === 'list' && step.listValues) {
      const vn = r.items.map((x) => normalise(neutron, x, step));
      const va = o.items.map((x) => normalise(alcor, x, step));
      for (let i = 0; i < Math.min(vn.length, va.length); i++) {
        for (const k of Object.keys(vn[i])) {
          if (!(k in va[i])) continue;
          // Nested attributes on one side only are the `one` answers' business (reported there).
          const [x, y] = sharedNested(vn[i][k], va[i][k], () => {});
          if (!sameValue(x, y, ORDERLESS.has(k))) add('values', `${r.key}[${i}].${k}`, { request, neutron: short(x, 300), alcor: short(y, 300) });
        }
      }
    }
  }
  // Pagination links: which rels, and where they point (markers normalised).
  const links = (side, body) => Object.fromEntries(Object.entries(body ?? {}).filter(([k]) => k.endsWith('_links')).map(([k, v]) => [k, (v ?? []).map((l) => {
    const u = new URL(l.href);
    const q = [...u.searchParams.entries()].map(([x, y]) => `${x}=${side.rev.has(y) ? `<${side.rev.get(y)}>` : UUID.test(y) ? '<uuid>' : y}`).sort().join('&');
    return `${l.rel} ${u.pathname}?${q}`;
  }).sort()]));
  if (n.body && typeof n.body === 'object' && a.body && typeof a.body === 'object') {
    const ln = links(neutron, n.body);
    const la = links(alcor, a.body);
    if (!sameValue(ln, la)) add('links', 'pagination links', { request, neutron: ln, alcor: la });
  }
  return diffs;
}

// ---------------------------------------------------------------------------------------------

function globMatch(pattern, s) {
  const re = new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(s);
}

async function main() {
  const { projects, steps } = buildScript();
  let neutronUrl = opts['neutron-url'];
  let startedNeutron = false;
  let test;
  const stopNeutron = () => {
    if (startedNeutron && !opts['keep-neutron']) {
      try { execFileSync('bash', [join(root, 'scripts/neutron-server.sh'), 'stop'], { stdio: 'inherit', env: neutronEnv }); } catch { /* reported by the script */ }
      startedNeutron = false;
    }
  };
  const onSignal = () => { stopNeutron(); process.exit(130); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!neutronUrl) {
      const port = opts['neutron-port'] ?? String(await freePort());
      startedNeutron = true;
      execFileSync('bash', [join(root, 'scripts/neutron-server.sh'), 'start', port], { stdio: 'inherit', env: neutronEnv });
      neutronUrl = `http://127.0.0.1:${port}`;
    }
    const { startTestServer } = await import('../dist/test/helpers/server.js');
    test = await startTestServer({ networkVlanRanges: 'physnet1:100:199', flatNetworks: '*' });
    const neutron = new Side('neutron', neutronUrl);
    const alcor = new Side('alcor', test.server.url);
    for (const side of [neutron, alcor]) for (const [k, v] of Object.entries(projects)) side.bind(`project:${k}`, v.project);

    const diffs = [];
    const calls = [];
    for (const step of steps) {
      // Same call, one side then the other, so both see the same history.
      const n = await neutron.call(step, projects);
      const a = await alcor.call(step, projects);
      const d = compare(step, n, a, neutron, alcor);
      calls.push({ name: step.name, method: step.method, path: step.path, neutron: n.status, alcor: a.status, differences: d.length });
      diffs.push(...d);
      if (opts.verbose) console.log(`${step.method} ${n.path}: ${n.status} / ${a.status}${d.length ? `  (${d.length} differ)` : ''}`);
    }

    const known = JSON.parse(readFileSync(opts.known, 'utf8'));
    const used = new Set();
    for (const d of diffs) {
      const k = known.known.find((x) => globMatch(x.match, d.id));
      if (k) { d.known = k.reason; used.add(k.match); }
    }
    const kinds = ['status', 'error_type', 'attributes', 'defaults', 'values', 'list', 'links', 'message'];
    const newDiffs = diffs.filter((d) => !d.known);
    const gating = newDiffs.filter((d) => d.kind !== 'message');
    const knownDiffs = diffs.filter((d) => d.known);
    const callsDiffering = new Set(diffs.map((d) => d.call)).size;
    const newCalls = new Set(newDiffs.map((d) => d.call)).size;

    console.log(`\n${steps.length} calls against both; ${callsDiffering} differ (${diffs.length} differences: ${knownDiffs.length} known, ${newDiffs.length} new, in ${newCalls} calls)\n`);
    for (const kind of kinds) {
      const ofKind = diffs.filter((d) => d.kind === kind);
      if (!ofKind.length) continue;
      console.log(`== ${kind}: ${ofKind.length} (${ofKind.filter((d) => !d.known).length} new)`);
      for (const d of ofKind) {
        if (d.known) { console.log(`  known  ${d.call}: ${d.detail}  -- ${d.known}`); continue; }
        console.log(`  NEW    ${d.call}: ${d.detail}`);
        if (d.request) console.log(`         ${d.request.method} ${d.request.path}${d.request.body ? ` ${d.request.body}` : ''} (as ${d.request.as})`);
        if (d.answers) {
          console.log(`         neutron ${d.answers.neutron.status} ${d.answers.neutron.body}`);
          console.log(`         alcor   ${d.answers.alcor.status} ${d.answers.alcor.body}`);
        } else if ('neutron' in d || 'alcor' in d) {
          console.log(`         neutron ${short(d.neutron, 300)}`);
          console.log(`         alcor   ${short(d.alcor, 300)}`);
        }
      }
    }
    // `sometimes`: a difference that depends on random ids or order, so a run may not meet it.
    const stale = known.known.filter((x) => !used.has(x.match) && !x.sometimes);
    if (stale.length) {
      console.log(`\n${stale.length} known entries matched nothing (fixed? remove them):`);
      for (const s of stale) console.log(`  ${s.match}`);
    }
    writeFileSync(join(outDir, 'report.json'), JSON.stringify({
      at: new Date().toISOString(), calls: steps.length, callsDiffering, differences: diffs.length, known: knownDiffs.length, new: newDiffs.length, newGating: gating.length,
      staleKnown: stale.map((s) => s.match), diffs, log: calls,
    }, null, 1));
    console.log(`\nreport: ${join(outDir, 'report.json')}`);
    console.log(`${steps.length} calls, ${callsDiffering} differ; ${diffs.length} differences, ${knownDiffs.length} known (with reasons), ${newDiffs.length} new (${gating.length} of status, type, attributes or values; ${newDiffs.length - gating.length} of message wording only, which never fails the run)`);
    process.exitCode = gating.length ? 1 : 0;
  } finally {
    if (test) await test.close();
    stopNeutron();
  }
}

main().catch((e) => { console.error(e); process.exitCode = 2; });
