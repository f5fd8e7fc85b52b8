import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

describe('GET /metrics', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t.close(); });

  it("counts every answered request by method, route pattern and status, in Prometheus' text format", async () => {
    const net = await t.api.create('networks', 'network', { name: 'measured' });
    await t.api.get(`/v2.0/networks/${net.id}`);
    await t.api.get('/v2.0/networks/00000000-0000-7000-8000-000000000000');
    const res = await fetch(`${t.server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    const count = (labels: string) => {
      const m = new RegExp(`^alcor_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    };
    assert.equal(count('method="POST",route="/v2.0/networks",status="201"'), 1);
    assert.equal(count('method="GET",route="/v2.0/networks/:id",status="200"'), 1);
    assert.equal(count('method="GET",route="/v2.0/networks/:id",status="404"'), 1);
    assert.match(text, /^alcor_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v2.0\/networks",status="201"\} 1$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m, 'the process gauges are there too');
  });
});
