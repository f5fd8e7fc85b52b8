/** The bulk-delete extension: many rows of one kind in one request, all or none. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

describe('bulk delete', () => {
  let t: TestServer;
  let networkId: string;
  before(async () => {
    t = await startTestServer();
    networkId = (await t.api.create('networks', 'network', { name: 'bulk' })).id;
    await t.api.create('subnets', 'subnet', { network_id: networkId, ip_version: 4, cidr: '10.40.0.0/29' });
  });
  after(async () => { await t?.close(); });

  const ports = async (n: number, api = t.api) => {
    const out: Array<{ id: string; fixed_ips: Array<{ ip_address: string }> }> = [];
    for (let i = 0; i < n; i++) out.push(await api.create('ports', 'port', { network_id: networkId }) as never);
    return out;
  };
  const query = (ids: string[]) => ids.map((id) => `id=${id}`).join('&');

  it('is listed as an extension', async () => {
    const aliases = (await t.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(aliases.includes('bulk-delete'));
  });

  it('deletes every named row and frees their addresses', async () => {
    const made = await ports(5);
    const res = await t.api.delete(`/v2.0/ports?${query(made.map((p) => p.id))}`);
    assert.equal(res.status, 204);
    for (const p of made) assert.equal((await t.api.get(`/v2.0/ports/${p.id}`)).status, 404);
    // The /29 has 5 usable addresses: all of them are free again.
    assert.equal((await ports(5)).length, 5);
    await t.api.delete(`/v2.0/ports?${query((await t.api.get('/v2.0/ports?fields=id')).body.ports.map((p: { id: string }) => p.id))}`);
  });

  it('deletes nothing when one id is unknown or not the caller\'s', async () => {
    const made = await ports(2);
    await expectError(t.api.delete(`/v2.0/ports?${query([...made.map((p) => p.id), randomUUID()])}`), 404, 'PortNotFound');
    await expectError(t.api.as('someone-else').delete(`/v2.0/ports?${query(made.map((p) => p.id))}`), 404);
    for (const p of made) assert.equal((await t.api.get(`/v2.0/ports/${p.id}`)).status, 200);
    assert.equal((await t.api.delete(`/v2.0/ports?${query(made.map((p) => p.id))}`)).status, 204);
  });

  it('refuses what a rule refuses, for the whole request', async () => {
    const [port] = await ports(1);
    // The network still has a port: NetworkInUse, and the port's neighbour in the request survives.
    const other = (await t.api.create('networks', 'network', { name: 'empty' })).id;
    await expectError(t.api.delete(`/v2.0/networks?${query([other, networkId])}`), 409, 'NetworkInUse');
    assert.equal((await t.api.get(`/v2.0/networks/${other}`)).status, 200);
    await t.api.delete(`/v2.0/ports/${port.id}`);
  });

  it('keeps Neutron\'s 405 without ids and refuses bad or too many ids', async () => {
    await expectError(t.api.delete('/v2.0/ports'), 405);
    await expectError(t.api.delete('/v2.0/ports?id=not-a-uuid'), 400);
    await expectError(t.api.delete(`/v2.0/ports?${query(Array.from({ length: 301 }, () => randomUUID()))}`), 400);
  });
});
