/**
 * The Linux data plane end to end, in network namespaces: real agents on hosts joined by an
 * underlay, VMs wired by taps, the controller reached over the underlay. DHCP, VXLAN, neighbour
 * suppression and security groups are checked by what the VMs can and cannot do.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labMissing } from '../helpers/netns.js';
import type { LabHost } from '../helpers/netns.js';
import { startTestServer } from '../helpers/server.js';
import type { Api, TestServer } from '../helpers/server.js';
import { portStatus, waitFor } from '../helpers/hosts.js';

const missing = labMissing();

describe('linux data plane: two hosts, DHCP, VXLAN, security groups', { skip: missing, timeout: 240_000 }, () => {
  let lab: Lab;
  let t: TestServer;
  let api: Api;
  let h1: LabHost, h2: LabHost;
  let net: Record<string, any>;
  let subnet: Record<string, any>;
  const vms = new Map<string, { ns: string; port: Record<string, any>; ip: string }>();

  before(async () => {
    lab = new Lab(2);
    [h1, h2] = lab.hosts;
    t = await startTestServer({ southboundListen: `unix:${lab.socket}` });
    api = t.api;
    await lab.startRelay();
    for (const h of lab.hosts) lab.startAgent(h);
    for (const h of lab.hosts) {
      await waitFor(`agent ${h.name} registered`, async () => {
        const r = await api.get(`/v2.0/agents?host=${h.name}`);
        return r.body.agents.length > 0 && r.body.agents[0].alive;
      }, 20_000).catch((e) => { throw new Error(`${e.message}\n${h.log.join('')}`); });
    }
    net = await api.create('networks', 'network', { name: 'lab' });
    subnet = await api.create('subnets', 'subnet', {
      network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4, dns_nameservers: ['10.20.0.53'],
      host_routes: [{ destination: '172.16.0.0/16', nexthop: '10.20.0.254' }],
    });
  });

  after(async () => {
    if (process.env.ALCOR_LAB_KEEP) return;
    await lab?.close();
    await t?.close();
  });

  async function boot(name: string, h: LabHost, attrs: Record<string, unknown> = {}, tapFirst = false) {
    let port = await api.create('ports', 'port', { network_id: net.id, name, device_owner: 'compute:nova', device_id: name, ...attrs });
    let ns = '';
    if (tapFirst) ns = lab.vm(h, port, name);
    const res = await api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': h.name } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    port = res.body.port;
    if (!tapFirst) {
      // Nova makes the tap after binding: the port is DOWN until it exists.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await portStatus(api, port.id), 'DOWN');
      ns = lab.vm(h, port, name);
    }
    await waitFor(`${name} ACTIVE`, async () => (await portStatus(api, port.id)) === 'ACTIVE', 15_000)
      .catch((e) => { throw new Error(`${e.message}\n${h.log.join('').slice(-4000)}`); });
    const vm = { ns, port, ip: port.fixed_ips[0].ip_address as string };
    vms.set(name, vm);
    return vm;
  }

  function ping(from: string, to: string, count = 1): boolean {
    return lab.in(from, 'ping', '-c', String(count), '-W', '1', '-i', '0.2', to).code === 0;
  }

  it('gives each VM exactly its address, gateway, MTU and host routes by DHCP', async () => {
    const a = await boot('a', h1);
    const b = await boot('b', h2, {}, true);
    for (const vm of [a, b]) {
      const lease = lab.dhcp(vm.ns);
      assert.ok(lease, `no DHCP lease for ${vm.ns}\n${h1.log.join('').slice(-3000)}`);
      assert.equal(lease.address, vm.ip);
      assert.equal(lease.routers, subnet.gateway_ip);
      assert.equal(lease['interface-mtu'], '1450');
      assert.equal(lease['domain-name-servers'], '10.20.0.53');
      assert.match(lease['rfc3442-classless-static-routes'] ?? '', /^16,172,16,10,20,0,254/);
      lab.in(vm.ns, 'ip', 'addr', 'add', `${vm.ip}/24`, 'dev', 'eth0');
      lab.in(vm.ns, 'ip', 'link', 'set', 'eth0', 'mtu', lease['interface-mtu']);
    }
  });

  it('lets VMs on different hosts ping each other over VXLAN (default group: members talk)', () => {
    const a = vms.get('a')!, b = vms.get('b')!;
    assert.ok(ping(a.ns, b.ip, 2), 'a cannot ping b');
    assert.ok(ping(b.ns, a.ip, 2), 'b cannot ping a');
  });
});
