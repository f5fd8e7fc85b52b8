/**
 * Tempest, OpenStack's own API test suite, against a controller behind the real Keystone: the
 * network tests for networks, subnets (IPv4 and IPv6), ports, security groups and rules, allowed
 * address pairs, extra DHCP options, tags, extensions, routers and floating IPs must all pass. The whole network suite
 * (with neutron-tempest-plugin) is `npm run conformance`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/process.js';

const run = promisify(execFile);
const MODULES = ['test_networks', 'test_ports', 'test_security_groups', 'test_security_groups_negative', 'test_networks_negative',
  'test_allowed_address_pair', 'test_extra_dhcp_options', 'test_extensions', 'test_dhcp_ipv6', 'test_tags',
  'test_routers', 'test_routers_negative', 'test_floating_ips', 'test_floating_ips_negative'];

describe('Tempest', () => {
  it(`tempest.api.network: ${MODULES.join(', ')} pass`, async () => {
    const regex = `^tempest\\.api\\.network\\.(${MODULES.join('|')})\\.`;
    let stdout: string;
    try {
      ({ stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'conformance.mjs'), '--regex', regex], {
        timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024,
      }));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`Tempest failed: ${e.stdout?.slice(-6000) ?? ''}\n${e.stderr?.slice(-3000) ?? e.message}`);
    }
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { passed: number; failed: number; skipped: number; failures: string[] };
    assert.deepEqual(summary.failures, []);
    assert.equal(summary.failed, 0);
    // Tests for every listed module ran: the suite is not passing by skipping.
    assert.ok(summary.passed >= 190, `only ${summary.passed} passed (${summary.skipped} skipped)`);
  });
});
