/** auto-allocated-topology: Neutron's 409 while it is not served (Nova calls it blind), never a 404. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, TestServer } from '../helpers/server.js';
import { expectError, startTestServer } from '../helpers/server.js';

let t: TestServer;
let api: Api;
before(async () => { t = await startTestServer(); api = t.api; });
after(async () => { await t.close(); });

describe('auto-allocated-topology', () => {
  it('answers AutoAllocationFailure 409 for the caller\'s project (or None), 403 for another\'s, and is not listed', async () => {
    const me = api.as('aat-p1');
    const r = await expectError(me.get('/v2.0/auto-allocated-topology/aat-p1'), 409, 'AutoAllocationFailure');
    assert.match(r.body.NeutronError.message, /No default router:external network/);
    await expectError(me.get('/v2.0/auto-allocated-topology/None'), 409, 'AutoAllocationFailure');
    await expectError(me.get('/v2.0/auto-allocated-topology/aat-p1?fields=dry-run'), 409, 'AutoAllocationFailure');
    await expectError(me.get('/v2.0/auto-allocated-topology/aat-p1?fields=name'), 400);
    await expectError(me.get('/v2.0/auto-allocated-topology/aat-p2'), 403, 'NotAuthorized');
    await expectError(api.get('/v2.0/auto-allocated-topology/aat-p2'), 409, 'AutoAllocationFailure');
    assert.equal((await me.delete('/v2.0/auto-allocated-topology/aat-p1')).status, 204);
    await expectError(me.delete('/v2.0/auto-allocated-topology/aat-p2'), 403);
    const aliases = (await api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(!aliases.includes('auto-allocated-topology'));
  });
});
