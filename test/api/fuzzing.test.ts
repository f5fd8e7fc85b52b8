/**
 * Thousands of malformed or random requests against every route: only 4xx (or 2xx) answers, always
 * in Neutron's error shape, and the server keeps serving. Seeded, so a failure replays exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESOURCES } from '../../src/model/definitions.js';
import type { Api, TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = mulberry32(0xa1c0);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const ATTRS = [...new Set(RESOURCES.flatMap((r) => Object.keys(r.attributes)))];
const JUNK_STRINGS = ['', ' ', 'x'.repeat(300), '10.0.0.0/24', '::1', 'fa:16:3e:00:00:01', '1.2.3.4', '../../etc', '%00', '\u0000', 'é漢🙂', '__proto__', 'constructor', 'true', '-1', '1e309', 'null', '{}', '[]', 'select 1;', "'; drop table ports; --"];

let ids: string[] = [];

function value(depth: number): unknown {
  switch (Math.floor(rnd() * 10)) {
    case 0: return null;
    case 1: return rnd() < 0.5;
    case 2: return Math.floor((rnd() - 0.5) * 2 ** (rnd() * 70));
    case 3: return rnd() * 1e6 - 5e5;
    case 4: return pick(JUNK_STRINGS);
    case 5: return pick(ids);
    case 6: return depth > 2 ? [] : Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    case 7: return depth > 2 ? {} : object(depth + 1);
    case 8: return `${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.0.${Math.floor(rnd() * 256)}`;
    default: return pick(ATTRS);
  }
}

function object(depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) o[rnd() < 0.8 ? pick(ATTRS) : pick(JUNK_STRINGS)] = value(depth);
  return o;
}

function body(member: string, collection: string): string | undefined {
  switch (Math.floor(rnd() * 8)) {
    case 0: return undefined;
    case 1: return JSON.stringify(value(0));
    case 2: return JSON.stringify({ [member]: object(1) }).slice(0, Math.floor(rnd() * 40));
    case 3: return String.fromCharCode(...Array.from({ length: 20 }, () => Math.floor(rnd() * 256)));
    case 4: return JSON.stringify({ [collection]: [object(1), object(1)] });
    case 5: return '{"__proto__": {"isAdmin": true}, "' + member + '": {"__proto__": {"x": 1}}}';
    default: return JSON.stringify({ [member]: object(1) });
  }
}

function query(): string {
  const keys = [...ATTRS, 'fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'fixed_ips', '%ZZ', 'a[b]', '__proto__'];
  const n = Math.floor(rnd() * 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = value(3);
    parts.push(`${encodeURIComponent(pick(keys))}=${rnd() < 0.1 ? '%E0%A4%A' : encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function path(): string {
  const r = pick(RESOURCES);
  const id = rnd() < 0.8 ? pick(ids) : encodeURIComponent(pick(JUNK_STRINGS) || 'x');
  const tag = encodeURIComponent(pick(JUNK_STRINGS) || 't');
  return pick([
    '/', '/v2.0', '/v2.0/extensions', `/v2.0/extensions/${tag}`,
    `/v2.0/${r.path}`, `/v2.0/${r.path}`, `/v2.0/${r.path}`, `/v2.0/${r.path}/${id}`, `/v2.0/${r.path}/${id}`, `/v2.0/${r.path}/${id}/tags`, `/v2.0/${r.path}/${id}/tags/${tag}`,
    `/v2.0/routers/${id}/add_router_interface`, `/v2.0/routers/${id}/remove_router_interface`,
  ]);
}

describe('fuzz', () => {
  let t: TestServer;
  let api: Api;
  before(async () => {
    t = await startTestServer();
    api = t.api;
    const n = await api.create('networks', 'network', { name: 'fuzz' });
    const s = await api.create('subnets', 'subnet', { network_id: n.id, ip_version: 4, cidr: '10.0.0.0/16' });
    const p = await api.create('ports', 'port', { network_id: n.id });
    const g = await api.create('security-groups', 'security_group', { name: 'fuzz' });
    const r = await api.create('routers', 'router', { name: 'fuzz' });
    ids = [n.id, s.id, p.id, g.id, r.id, g.security_group_rules[0].id];
  });
  after(async () => { await t.close(); });

  it('3000 random requests never get a 5xx, and every error is a NeutronError', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const total = 3000;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        next++;
        const method = pick(['GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'PUT', 'PUT', 'DELETE', 'PATCH']);
        const url = path() + query();
        const b = method === 'GET' ? undefined : method === 'DELETE' ? (rnd() < 0.1 ? '{}' : undefined) : body(pick(RESOURCES).member, pick(RESOURCES).collection);
        const headers: Record<string, string> = { 'content-type': pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded']) };
        if (rnd() < 0.2) headers['x-project-id'] = pick(['p1', 'p2', 'admin']);
        if (rnd() < 0.1) headers['x-roles'] = pick(['member', 'reader', 'admin', '']);
        if (rnd() < 0.05) headers['if-match'] = pick(['revision_number=1', 'revision_number=x', '*']);
        const res = await fetch(api.url + url, { method, headers, body: b });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) failures.push(`${method} ${url} ${b ?? ''} -> ${res.status} ${text}`);
        else if (res.status >= 400) {
          try {
            const e = JSON.parse(text).NeutronError;
            if (typeof e.type !== 'string' || typeof e.message !== 'string' || typeof e.detail !== 'string') throw new Error('shape');
          } catch {
            failures.push(`${method} ${url} -> ${res.status} not a NeutronError: ${text.slice(0, 200)}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    assert.deepEqual(failures.slice(0, 10), []);
    // The fuzz must reach validation and succeed sometimes, or it proves nothing.
    assert.ok((statuses.get(400) ?? 0) > 500, JSON.stringify([...statuses]));
    assert.ok([...statuses].some(([code, n]) => code < 300 && n > 100), JSON.stringify([...statuses]));
    assert.equal((await api.get('/')).status, 200);
    const n = await api.create('networks', 'network', { name: 'after-fuzz' });
    assert.equal(n.name, 'after-fuzz');
  });
});
