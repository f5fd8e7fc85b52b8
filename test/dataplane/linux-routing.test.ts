/**
 * Routing in the Linux data plane, in network namespaces: three compute hosts and a gateway host
 * (`--gateway`), an "outside" namespace on a flat external network (203.0.113.0/24, a documentation
 * range, inside the lab only), a VLAN provider network. Distributed east-west routing, SNAT, floating
 * IPs, extra routes, interface removal and IPv6 are checked by what VMs and the outside can do, and
 * captures on the underlay show which hosts the packets crossed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labMissing, sh } from '../helpers/netns.js';
import type { LabHost } from '../helpers/netns.js';
import { startTestServer } from '../helpers/server.js';
import type { Api, TestServer } from '../helpers/server.js';
import { portStatus, waitFor } from '../helpers/hosts.js';

const missing = labMissing();
/** Whether this kernel tags VLANs (CONFIG_VLAN_8021Q): probed in a namespace of the test's own. */
const vlanKernel = ((): boolean => {
  if (missing) return false;
  const ns = `alvlan-${process.pid}`;
  if (sh('ip', ['netns', 'add', ns]).code !== 0) return false;
  try {
    sh('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    return sh('ip', ['-n', ns, 'link', 'add', 'link', 'v0', 'name', 'v0.7', 'type', 'vlan', 'id', '7']).code === 0;
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
})();
const OUTSIDE = '203.0.113.1';

describe('linux data plane: routers, SNAT, floating IPs, provider networks', { skip: missing, timeout: 300_000 }, () => {
  let lab: Lab;
  let t: TestServer;
  let api: Api;
  let h1: LabHost, h2: LabHost, h3: LabHost, gw: LabHost;
  let out: string;
  let ext: Record<string, any>;
  let netA: Record<string, any>, netB: Record<string, any>;
  let subA: Record<string, any>, subB: Record<string, any>;
  let router: Record<string, any>;
  let sg: Record<string, any>;
  let pnVlan: string;
  const vms = new Map<string, { ns: string; port: Record<string, any>; ip: string; ip6?: string; host: LabHost }>();

  before(async () => {
    lab = new Lab(4);
    [h1, h2, h3, gw] = lab.hosts;
    const pnPublic = lab.physical('ph0');
    pnVlan = lab.physical('ph1');
    out = lab.outside(pnPublic, `${OUTSIDE}/24`);
    t = await startTestServer({ southboundListen: `unix:${lab.socket}`, networkVlanRanges: 'datacentre:100:199', flatNetworks: 'public' });
    api = t.api;
    await lab.startRelay();
    for (const h of lab.hosts) lab.startAgent(h, ['--physical-network', 'public=ph0', '--physical-network', 'datacentre=ph1', ...(h === gw ? ['--gateway'] : [])]);
    for (const h of lab.hosts) {
      await waitFor(`agent ${h.name} registered`, async () => {
        const r = await api.get(`/v2.0/agents?host=${h.name}`);
        return r.body.agents.length > 0 && r.body.agents[0].alive;
      }, 20_000).catch((e) => { throw new Error(`${e.message}\n${h.log.join('')}`); });
    }
    ext = await api.create('networks', 'network', {
      name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public',
    });
    await api.create('subnets', 'subnet', {
      network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4, gateway_ip: OUTSIDE, enable_dhcp: false,
      allocation_pools: [{ start: '203.0.113.10', end: '203.0.113.200' }],
    });
    netA = await api.create('networks', 'network', { name: 'a' });
    netB = await api.create('networks', 'network', { name: 'b' });
    subA = await api.create('subnets', 'subnet', { network_id: netA.id, cidr: '10.1.0.0/24', ip_version: 4 });
    subB = await api.create('subnets', 'subnet', { network_id: netB.id, cidr: '10.2.0.0/24', ip_version: 4 });
    await api.create('subnets', 'subnet', { network_id: netA.id, cidr: 'fd00:a::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    await api.create('subnets', 'subnet', { network_id: netB.id, cidr: 'fd00:b::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    sg = await api.create('security-groups', 'security_group', { name: 'icmp' });
    for (const ethertype of ['IPv4', 'IPv6']) {
      await api.create('security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', ethertype, protocol: ethertype === 'IPv4' ? 'icmp' : 'ipv6-icmp' });
    }
    router = await api.create('routers', 'router', { name: 'r1', external_gateway_info: { network_id: ext.id } });
    for (const s of [subA, subB]) {
      const r = await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: s.id });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const ports = (await api.get(`/v2.0/ports?network_id=${netA.id}`)).body.ports;
    for (const s of (await api.get(`/v2.0/subnets?ip_version=6`)).body.subnets) {
      if (s.network_id === netA.id || s.network_id === netB.id) await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: s.id });
    }
    assert.ok(ports.length > 0);
  });

  after(async () => {
    if (process.env.ALCOR_LAB_KEEP) return;
    await lab?.close();
    await t?.close();
  });

  const logs = (h: LabHost): string => h.log.join('').slice(-6000);

  /** A VM as Nova boots one: port created, bound, tap made; its addresses set as its DHCP/SLAAC would. */
  async function boot(name: string, h: LabHost, net: Record<string, any>, attrs: Record<string, unknown> = {}) {
    let port = await api.create('ports', 'port', { network_id: net.id, name, device_owner: 'compute:nova', device_id: name, security_groups: [sg.id], ...attrs });
    const res = await api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': h.name } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    port = res.body.port;
    const ns = lab.vm(h, port, name);
    await waitFor(`${name} ACTIVE`, async () => (await portStatus(api, port.id)) === 'ACTIVE', 15_000)
      .catch((e) => { throw new Error(`${e.message}\n${logs(h)}`); });
    const fixed = (v6: boolean) => port.fixed_ips.find((f: any) => f.ip_address.includes(':') === v6) as { ip_address: string; subnet_id: string } | undefined;
    const gateway = async (f: { subnet_id: string }) => (await api.get(`/v2.0/subnets/${f.subnet_id}`)).body.subnet.gateway_ip as string;
    const v4 = fixed(false)!.ip_address;
    const v6 = fixed(true)?.ip_address;
    lab.in(ns, 'ip', 'addr', 'add', `${v4}/24`, 'dev', 'eth0');
    lab.in(ns, 'ip', 'route', 'add', 'default', 'via', await gateway(fixed(false)!));
    if (v6) {
      lab.in(ns, 'ip', '-6', 'addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad');
      lab.in(ns, 'ip', '-6', 'route', 'replace', 'default', 'via', await gateway(fixed(true)!));
    }
    const vm = { ns, port, ip: v4, ip6: v6, host: h };
    vms.set(name, vm);
    return vm;
  }

  const ping = (from: string, to: string, count = 1, ...extra: string[]): boolean =>
    lab.in(from, 'ping', '-c', String(count), '-W', '1', '-i', '0.2', ...extra, to).code === 0;

  async function reaches(from: string, to: string, want = true, ms = 10_000): Promise<void> {
    await waitFor(`${from} ${want ? 'reaches' : 'no longer reaches'} ${to}`, async () => ping(from, to) === want, ms)
      .catch((e) => { throw new Error(`${e.message}\n${logs(gw)}`); });
  }

  /** A TCP server in a VM answering with a word, and a client in another namespace reading it. */
  function serve(vm: string, port: number, word: string): void {
    lab.spawnIn(vm, process.execPath, '-e', `require('net').createServer((s) => s.end(${JSON.stringify(word)})).listen(${port})`);
  }
  function fetchWord(from: string, addr: string, port: number): string {
    const r = lab.in(from, process.execPath, '-e', `const s = require('net').connect(${port}, ${JSON.stringify(addr)}); let d = '';
      s.setTimeout(1500, () => process.exit(3)); s.on('data', (b) => d += b); s.on('end', () => { console.log(d); process.exit(0); }); s.on('error', () => process.exit(2));`);
    return r.code === 0 ? r.out.trim() : '';
  }

  it('router interface and gateway ports go ACTIVE once the gateway host programmed them', async () => {
    const own = (await api.get(`/v2.0/ports?device_id=${router.id}`)).body.ports as Array<Record<string, any>>;
    const owners = own.map((p) => p.device_owner).sort();
    assert.deepEqual([...new Set(owners)], ['network:router_centralized_snat', 'network:router_gateway', 'network:router_interface']);
    for (const p of own) assert.equal(p['binding:host_id'], gw.name, `${p.device_owner} bound to the gateway host`);
    await waitFor('router ports ACTIVE', async () => {
      const ps = (await api.get(`/v2.0/ports?device_id=${router.id}`)).body.ports as Array<Record<string, any>>;
      return ps.every((p) => p.status === 'ACTIVE');
    }, 15_000).catch((e) => { throw new Error(`${e.message}\n${logs(gw)}`); });
  });

  it('VMs on two subnets on different hosts ping each other, routed on the source host, never through a third', async () => {
    const a = await boot('va', h1, netA);
    const b = await boot('vb', h2, netB);
    await boot('vc', h3, netA);
    await reaches(a.ns, b.ip);
    await reaches(b.ns, a.ip);
    // Inner ICMP in VXLAN (UDP payload: 8 bytes VXLAN, 14 Ethernet, then IP: protocol at 9).
    const icmpInVxlan = 'udp port 4789 and udp[39] = 1';
    let direct: string[] = [];
    const third = await lab.capture(lab.underlay, 'h3', icmpInVxlan, async () => {
      const viaGw = await lab.capture(lab.underlay, 'h4', icmpInVxlan, async () => {
        direct = await lab.capture(lab.underlay, 'h2', icmpInVxlan, () => assert.ok(ping(a.ns, b.ip, 10)));
      });
      assert.deepEqual(viaGw, [], 'nothing crossed the gateway host');
    });
    assert.deepEqual(third, [], 'nothing crossed the third host');
    assert.ok(direct.length >= 20, `requests and replies crossed h1-h2 directly (${direct.length} packets)`);
  });

  it('a VM reaches the outside by SNAT to the router gateway address, and not with enable_snat false', async () => {
    const a = vms.get('va')!;
    const gwIp = (await api.get(`/v2.0/routers/${router.id}`)).body.router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    await reaches(a.ns, OUTSIDE);
    const seen = await lab.capture(out, 'eth0', 'icmp[icmptype] = icmp-echo', () => assert.ok(ping(a.ns, OUTSIDE, 2)));
    assert.ok(seen.length >= 2 && seen.every((l) => l.includes(`${gwIp} > ${OUTSIDE}`)), seen.join('\n'));
    let r = await api.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await reaches(a.ns, OUTSIDE, false);
    r = await api.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: ext.id, enable_snat: true } } });
    assert.equal(r.status, 200);
    await reaches(a.ns, OUTSIDE);
  });

  it('the outside reaches a VM by its floating IP, security groups apply, and disassociating or moving it takes effect', async () => {
    const b = vms.get('vb')!;
    const c = vms.get('vc')!;
    serve(b.ns, 5000, 'b');
    serve(c.ns, 5000, 'c');
    const fip = await api.create('floatingips', 'floatingip', { floating_network_id: ext.id, port_id: b.port.id });
    const addr = fip.floating_ip_address as string;
    await reaches(out, addr);
    // The replies come from the floating address.
    const replies = await lab.capture(out, 'eth0', 'icmp[icmptype] = icmp-echoreply', () => assert.ok(ping(out, addr, 2)));
    assert.ok(replies.length >= 2 && replies.every((l) => l.includes(`${addr} > ${OUTSIDE}`)), replies.join('\n'));
    // TCP is not in the group yet.
    assert.equal(fetchWord(out, addr, 5000), '');
    const rule = await api.create('security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 5000, port_range_max: 5000 });
    await waitFor('TCP through the floating IP', async () => fetchWord(out, addr, 5000) === 'b', 10_000);
    // The VM sees the outside's own address (DNAT only), and the outside sees the floating one.
    const from = await lab.capture(b.ns, 'eth0', 'tcp port 5000 and tcp[tcpflags] & tcp-syn != 0', () => fetchWord(out, addr, 5000));
    assert.ok(from.some((l) => l.includes(`${OUTSIDE}.`)), from.join('\n'));
    // Moved to another port: now that port answers.
    let r = await api.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: c.port.id } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await waitFor('floating IP moved', async () => fetchWord(out, addr, 5000) === 'c', 10_000);
    r = await api.put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(r.status, 200);
    await reaches(out, addr, false);
    assert.equal(fetchWord(out, addr, 5000), '');
    await api.delete(`/v2.0/security-group-rules/${rule.id}`);
    await api.delete(`/v2.0/floatingips/${fip.id}`);
  });

  it('restarting the agents of the gateway host and a compute host interrupts no routed or floating-IP traffic', async () => {
    const a = vms.get('va')!, b = vms.get('vb')!;
    const fip = await api.create('floatingips', 'floatingip', { floating_network_id: ext.id, port_id: a.port.id });
    await reaches(out, fip.floating_ip_address);
    // Pings every 50 ms through both restarts: east-west (a -> b) and from the outside to the floating IP.
    const count = 240;
    const eastWest = lab.spawnIn(a.ns, 'ping', '-c', String(count), '-i', '0.05', '-W', '1', b.ip);
    const north = lab.spawnIn(out, 'ping', '-c', String(count), '-i', '0.05', '-W', '1', fip.floating_ip_address);
    const lost = (p: ReturnType<typeof lab.spawnIn>) => new Promise<string>((res) => {
      let text = '';
      p.stdout?.on('data', (d: Buffer) => { text += d.toString(); });
      p.once('exit', () => res(/(\d+) received/.exec(text)?.[1] ?? '0'));
    });
    const [ew, ns] = [lost(eastWest), lost(north)];
    for (const h of [gw, h1]) {
      await lab.stopAgent(h);
      lab.startAgent(h, ['--physical-network', 'public=ph0', '--physical-network', 'datacentre=ph1', ...(h === gw ? ['--gateway'] : [])]);
      await new Promise((r) => setTimeout(r, 2500));
    }
    assert.equal(Number(await ew), count, 'no east-west ping lost');
    assert.equal(Number(await ns), count, 'no floating-IP ping lost');
    await api.delete(`/v2.0/floatingips/${fip.id}`);
  });

  it('a router with admin_state_up false stops routing, and routes again when up', async () => {
    const a = vms.get('va')!, b = vms.get('vb')!;
    let r = await api.put(`/v2.0/routers/${router.id}`, { router: { admin_state_up: false } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await reaches(a.ns, b.ip, false);
    await reaches(a.ns, OUTSIDE, false);
    r = await api.put(`/v2.0/routers/${router.id}`, { router: { admin_state_up: true } });
    assert.equal(r.status, 200);
    await reaches(a.ns, b.ip);
    await reaches(a.ns, OUTSIDE);
  });

  it('an extra route through a VM acting as a router works, and stops when removed', async () => {
    const b = vms.get('vb')!;
    const v = await boot('vr', h3, netA, { port_security_enabled: false, security_groups: [] });
    lab.in(v.ns, 'ip', 'addr', 'add', '192.168.77.1/32', 'dev', 'lo');
    let r = await api.put(`/v2.0/routers/${router.id}`, { router: { routes: [{ destination: '192.168.77.0/24', nexthop: v.ip }] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await reaches(b.ns, '192.168.77.1');
    r = await api.put(`/v2.0/routers/${router.id}`, { router: { routes: [] } });
    assert.equal(r.status, 200);
    await reaches(b.ns, '192.168.77.1', false);
  });

  it('IPv6 is routed between two subnets of the router, whose advertisements make it the default router', async () => {
    const a = vms.get('va')!, b = vms.get('vb')!;
    assert.ok(a.ip6 && b.ip6);
    // The default route comes from the router's advertisement: via its link-local address (EUI-64 of its MAC).
    lab.in(a.ns, 'ip', '-6', 'route', 'del', 'default');
    const iface = (await api.get(`/v2.0/ports?device_id=${router.id}&device_owner=network:router_interface&network_id=${netA.id}`)).body.ports
      .find((p: any) => p.fixed_ips.some((f: any) => f.ip_address.includes(':')));
    const [m0, m1, m2, m3, m4, m5] = (iface.mac_address as string).split(':').map((x) => parseInt(x, 16));
    const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
    const lla = `fe80::${hex(m0 ^ 2, m1)}:${hex(m2, 0xff)}:${hex(0xfe, m3)}:${hex(m4, m5)}`;
    await waitFor('a default route from the router', async () => lab.in(a.ns, 'ip', '-6', 'route', 'show', 'default').out.includes(`via ${lla} dev eth0 proto ra`), 15_000)
      .catch((e) => { throw new Error(`${e.message}\n${lab.in(a.ns, 'ip', '-6', 'route').out}\n${logs(h1)}`); });
    await waitFor('v6 routed', async () => lab.in(a.ns, 'ping', '-6', '-c', '1', '-W', '1', b.ip6!).code === 0, 10_000)
      .catch((e) => { throw new Error(`${e.message}\n${logs(h1)}`); });
  });

  it('removing a router interface cuts that subnet off', async () => {
    const a = vms.get('va')!, b = vms.get('vb')!;
    const r = await api.put(`/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: subB.id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await reaches(a.ns, b.ip, false);
    await reaches(a.ns, OUTSIDE);
  });

  it('a router deleted while a host\'s agent is down is swept from that host when it comes back', async () => {
    const net = await api.create('networks', 'network', { name: 'c' });
    const sub = await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.3.0.0/24', ip_version: 4 });
    const r2 = await api.create('routers', 'router', { name: 'r2' });
    await api.put(`/v2.0/routers/${r2.id}/add_router_interface`, { subnet_id: sub.id });
    const v = await boot('vd', h3, net);
    await reaches(v.ns, '10.3.0.1');
    const holder = () => sh('pgrep', ['-f', `${h3.stateDir}/linux/routers/${r2.id}/netns`]).out.trim();
    assert.ok(holder(), 'the router has its namespace on h3');
    await lab.stopAgent(h3);
    await api.put(`/v2.0/routers/${r2.id}/remove_router_interface`, { subnet_id: sub.id });
    assert.equal((await api.delete(`/v2.0/routers/${r2.id}`)).status, 204);
    assert.ok(holder(), 'nothing happens on h3 while its agent is down');
    lab.startAgent(h3, ['--physical-network', 'public=ph0', '--physical-network', 'datacentre=ph1']);
    await waitFor('r2 swept from h3', async () => holder() === '', 15_000).catch((e) => { throw new Error(`${e.message}\n${logs(h3)}`); });
    await reaches(v.ns, '10.3.0.1', false);
    // The router r on h3 is untouched.
    await reaches(vms.get('vc')!.ns, vms.get('va')!.ip);
  });

  it(vlanKernel ? 'a VLAN provider network carries traffic between two hosts, tagged with its VLAN id'
    : 'a VLAN provider network on a kernel without 802.1Q (this one): the port goes ERROR saying why, nothing else is disturbed', async () => {
    const net = await api.create('networks', 'network', { name: 'vlan', 'provider:network_type': 'vlan', 'provider:physical_network': 'datacentre' });
    const vid = net['provider:segmentation_id'] as number;
    assert.ok(vid >= 100 && vid <= 199);
    await api.create('subnets', 'subnet', { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 });
    if (!vlanKernel) {
      // Without 802.1Q in the kernel the host says so, on the port, and nothing else is disturbed.
      let port = await api.create('ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vx' });
      port = (await api.put(`/v2.0/ports/${port.id}`, { port: { 'binding:host_id': h1.name } })).body.port;
      lab.vm(h1, port, 'vx');
      await waitFor('VLAN port ERROR', async () => (await portStatus(api, port.id)) === 'ERROR', 15_000);
      assert.match(logs(h1), /no 802\.1Q VLAN support/);
      assert.ok(ping(vms.get('va')!.ns, OUTSIDE), 'the host still routes');
      return;
    }
    const x = await boot('vx', h1, net);
    const y = await boot('vy', h2, net);
    await reaches(x.ns, y.ip);
    const tagged = await lab.capture(lab.underlay, `${pnVlan}h2`, `vlan ${vid} and icmp`, () => assert.ok(ping(x.ns, y.ip, 2)), ['-e']);
    assert.ok(tagged.length >= 4 && tagged.every((l) => l.includes(`vlan ${vid}`)), tagged.join('\n'));
  });
});
