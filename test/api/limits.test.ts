/**
 * The limits of one request (src/api/limits.ts), each answered with a NeutronError and its 4xx
 * before any work: deep nesting (a 500 before), a path segment past the router's old limit (Fastify's
 * own 414 body before), a URL and headers too large (Node's bare 431 before), too many items in a
 * bulk create; nothing is half-made.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LIMITS, nestsDeeper } from '../../src/api/limits.js';
import { RESOURCES } from '../../src/model/definitions.js';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

const HEADERS = { 'content-type': 'application/json', 'x-project-id': 'limits', 'x-roles': 'admin' };

function neutronError(text: string): { type: string; message: string } {
  const e = JSON.parse(text).NeutronError;
  assert.equal(typeof e?.type, 'string', text);
  assert.equal(typeof e?.message, 'string', text);
  return e;
}

describe('request limits', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });

  it('counts nesting outside strings only', () => {
    assert.equal(nestsDeeper('{"a": [[1]]}', 3), false);
    assert.equal(nestsDeeper('{"a": [[[1]]]}', 3), true);
    assert.equal(nestsDeeper('{"a": "[[[[[[\\"{{{{"}', 1), false);
  });

  it('a body nested ten thousand deep is a 400 on every collection, and nothing is made', async () => {
    for (const r of RESOURCES.filter((x) => x.path)) {
      const body = `{"${r.member}": {"name": ${'{"k": '.repeat(10_000)}1${'}'.repeat(10_000)}}}`;
      const res = await fetch(`${t.api.url}/v2.0/${r.path}`, { method: 'POST', headers: HEADERS, body });
      const text = await res.text();
      assert.equal(res.status, 400, `${r.path}: ${text.slice(0, 200)}`);
      assert.match(neutronError(text).message, /nested deeper than 32 levels/);
    }
    assert.deepEqual((await t.api.get('/v2.0/networks')).body.networks, []);
  });

  it('a 2,000-character id is an unknown one (404), as any other', async () => {
    const res = await fetch(`${t.api.url}/v2.0/networks/${'a'.repeat(2000)}`, { headers: HEADERS });
    assert.equal(res.status, 404);
    assert.equal(neutronError(await res.text()).type, 'NetworkNotFound');
    const put = await fetch(`${t.api.url}/v2.0/ports/${'b'.repeat(5000)}`, { method: 'PUT', headers: HEADERS, body: '{"port": {"name": "x"}}' });
    assert.equal(put.status, 404);
    assert.equal(neutronError(await put.text()).type, 'PortNotFound');
  });

  it('a URL longer than the limit is a 414, a request line and headers past Node\'s a 431, both NeutronErrors', async () => {
    const long = await fetch(`${t.api.url}/v2.0/networks?name=${'a'.repeat(DEFAULT_LIMITS.urlBytes)}`, { headers: HEADERS });
    assert.equal(long.status, 414);
    assert.equal(neutronError(await long.text()).type, 'HTTPRequestURITooLong');
    // fetch refuses nothing, but sends through a pool; a raw request shows the answer as sent.
    const raw = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${t.api.url}/v2.0/networks`, { headers: { ...HEADERS, 'x-big': 'x'.repeat(DEFAULT_LIMITS.headerBytes) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(raw.status, 431);
    assert.equal(neutronError(raw.text).type, 'HTTPRequestHeaderFieldsTooLarge');
    assert.equal((await t.api.get('/v2.0/networks')).status, 200, 'the server goes on');
  });

  it('a bulk create of more than the limit is a 400, and makes none of them', async () => {
    const networks = Array.from({ length: DEFAULT_LIMITS.bulkItems + 1 }, (_, i) => ({ name: `bulk-${i}` }));
    const res = await fetch(`${t.api.url}/v2.0/networks`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ networks }) });
    assert.equal(res.status, 400);
    assert.match(neutronError(await res.text()).message, /At most 1000 resources/);
    assert.deepEqual((await t.api.get('/v2.0/networks')).body.networks, []);
  });
});
