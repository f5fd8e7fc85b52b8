import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { startTestServer } from '../helpers/server.js';

describe('discovery documents', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t.close(); });

  it('GET / lists v2.0 as the current version', async () => {
    const res = await t.api.get('/');
    assert.equal(res.status, 200);
    assert.equal(res.body.versions[0].id, 'v2.0');
    assert.equal(res.body.versions[0].status, 'CURRENT');
    assert.match(res.body.versions[0].links[0].href, /\/v2\.0\/$/);
  });

  it('GET /v2.0 links every collection', async () => {
    const res = await t.api.get('/v2.0');
    assert.equal(res.status, 200);
    const names = res.body.resources.map((r: { collection: string }) => r.collection).sort();
    assert.deepEqual(names, ['floatingips', 'networks', 'ports', 'routers', 'security_group_rules', 'security_groups', 'subnetpools', 'subnets']);
  });
});
