import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NeutronClient } from '../../src/bench/client.js';

// A server that answers whatever body the test sets: the client's checks of a 200 are the subject.
let body = '';
const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); });
let client: NeutronClient;

describe('bench client: lists it times but does not read', () => {
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new NeutronClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 2);
  });
  after(async () => { await client.close(); server.close(); });

  it("accepts alcor's and Python's spellings of a list and returns its length", async () => {
    body = '{"ports":[{"id":"a"}]}';
    assert.equal(await client.listUnread('ports', {}), body.length);
    body = '{"security_groups": [{"id": "a"}], "security_groups_links": []}\n';
    assert.equal(await client.listUnread('security-groups', {}), body.length);
  });

  it('refuses a 200 that is not a list of what was asked', async () => {
    body = '{"networks": []}';
    await assert.rejects(client.listUnread('ports', {}), /not a "ports" list/);
    body = '{"ports": [';
    await assert.rejects(client.listUnread('ports', {}), /not a "ports" list/);
  });
});
