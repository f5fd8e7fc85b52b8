/** The `.json` format suffix Neutron's routes accept on every path, as python-neutronclient and gophercloud send it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';
import { withoutFormatSuffix } from '../../src/api/url.js';

describe('.json paths', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(); });
  after(async () => { await t?.close(); });

  it('drops the suffix of a /v2.0 path only, keeping the query', () => {
    assert.equal(withoutFormatSuffix('/v2.0/networks.json?name=a.json'), '/v2.0/networks?name=a.json');
    assert.equal(withoutFormatSuffix('/v2.0/ports/abc.json'), '/v2.0/ports/abc');
    assert.equal(withoutFormatSuffix('/v2.0/networks?name=x.json'), '/v2.0/networks?name=x.json');
    assert.equal(withoutFormatSuffix('/other.json'), '/other.json');
  });

  it('lists, shows, creates, updates and deletes through .json paths, and errors stay Neutron\'s', async () => {
    const created = await t.api.post('/v2.0/networks.json', { network: { name: 'suffixed' } });
    assert.equal(created.status, 201);
    const id = created.body.network.id;
    assert.ok((await t.api.get('/v2.0/networks.json?name=suffixed')).body.networks.some((n: { id: string }) => n.id === id));
    assert.equal((await t.api.get(`/v2.0/networks/${id}.json`)).body.network.name, 'suffixed');
    assert.equal((await t.api.put(`/v2.0/networks/${id}.json`, { network: { name: 'renamed' } })).body.network.name, 'renamed');
    const sub = await t.api.post('/v2.0/subnets.json', { subnet: { network_id: id, cidr: '10.77.0.0/24', ip_version: 4 } });
    assert.equal(sub.status, 201);
    assert.equal((await t.api.get('/v2.0/extensions.json')).status, 200);
    assert.equal((await t.api.get(`/v2.0/network-ip-availabilities/${id}.json`)).status, 200);
    assert.equal((await t.api.get('/v2.0/quotas/some-project.json')).status, 200);
    assert.equal((await t.api.delete(`/v2.0/subnets/${sub.body.subnet.id}.json`)).status, 204);
    assert.equal((await t.api.delete(`/v2.0/networks/${id}.json`)).status, 204);
    await expectError(t.api.get(`/v2.0/networks/${id}.json`), 404, 'NetworkNotFound');
  });
});
