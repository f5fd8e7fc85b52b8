/**
 * The writer thread on its own: changes sent to it commit before their answer, its Neutron errors
 * arrive as the same faults, a read-side domain sees its commits and asks it for what a read needs
 * written (the default security group), and closing lets what was sent commit first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WriterThread } from '../../src/cli/writer-thread.js';
import { DEFAULT_DOMAIN_CONFIG } from '../../src/core/config.js';
import type { RequestContext } from '../../src/core/context.js';
import { NeutronError } from '../../src/core/errors.js';
import { createDomain } from '../../src/domain/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const member = (projectId: string): RequestContext => ({ projectId, roles: ['member'], isAdmin: false, readOnly: false });

describe('writer thread', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alcor-writer-'));
  let writer: WriterThread;
  let store: SqliteStore;

  before(async () => {
    writer = await WriterThread.start({ dataDir, synchronous: 'FULL', domain: DEFAULT_DOMAIN_CONFIG });
    store = new SqliteStore({ dataDir, synchronous: 'FULL', readOnly: true });
  });
  after(async () => {
    await writer.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a create once it is committed: the read side sees it at once', async () => {
    const domain = createDomain(store, DEFAULT_DOMAIN_CONFIG, writer.writes);
    const [net] = await writer.writes.create('networks', member('p1'), [{ name: 'n1' }]);
    const shown = await domain.collections.get('networks')!.show(member('p1'), net.id);
    assert.equal(shown.name, 'n1');
  });

  it('carries a Neutron fault across with its status, type and message', async () => {
    const err = await writer.writes.create('ports', member('p1'), [{ network_id: '0190a0b0-0000-7000-8000-000000000000' }])
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof NeutronError, `a NeutronError, got ${String(err)}`);
    assert.equal(err.status, 404);
    assert.equal(err.type, 'NetworkNotFound');
    assert.match(err.message, /0190a0b0-0000-7000-8000-000000000000/);
  });

  it('refuses to write through a read-only store', async () => {
    await assert.rejects(store.write(async () => undefined), /read-only/);
  });

  it("a read-side list of security groups gets the project's default group made by the writer", async () => {
    const domain = createDomain(store, DEFAULT_DOMAIN_CONFIG, writer.writes);
    const groups = await domain.collections.get('security_groups')!.list(member('p2'), {});
    assert.deepEqual(groups.map((g) => g.name), ['default']);
  });

  it('concurrent creates on one subnet never share an address', async () => {
    const ctx = member('p3');
    const [net] = await writer.writes.create('networks', ctx, [{ name: 'n3' }]);
    await writer.writes.create('subnets', ctx, [{ network_id: net.id, ip_version: 4, cidr: '198.18.0.0/24' }]);
    const ports = await Promise.all(Array.from({ length: 200 }, () => writer.writes.create('ports', ctx, [{ network_id: net.id }])));
    const ips = ports.map(([p]) => (p.fixed_ips as Array<{ ip_address: string }>)[0].ip_address);
    const macs = ports.map(([p]) => p.mac_address as string);
    assert.equal(new Set(ips).size, 200);
    assert.equal(new Set(macs).size, 200);
  });

  it('commits what was sent before close, then refuses more', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alcor-writer-close-'));
    try {
      const w = await WriterThread.start({ dataDir: dir, synchronous: 'FULL', domain: DEFAULT_DOMAIN_CONFIG });
      const sent = Array.from({ length: 50 }, (_, i) => w.writes.create('networks', member('p4'), [{ name: `n${i}` }]));
      const closed = w.close();
      await assert.rejects(w.writes.create('networks', member('p4'), [{ name: 'late' }]), /closing/);
      await Promise.all(sent);
      await closed;
      const reader = new SqliteStore({ dataDir: dir, readOnly: true });
      const domain = createDomain(reader, DEFAULT_DOMAIN_CONFIG, w.writes);
      const nets = await domain.collections.get('networks')!.list(member('p4'), {});
      assert.equal(nets.length, 50);
      await reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
