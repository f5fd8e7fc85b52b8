/**
 * `host/<host>`: each host's own ports in full and its part (`h`: its VTEP), present while it has
 * ports or subscriptions. Tracked:
 * the ports whose item changed on each host this round, which readiness waits on.
 */
import type { HostPart, LocalPort } from '../../protocol/messages.js';
import { hostStream, isRouterOwner } from '../../protocol/messages.js';
import type { NetworkRow, PortRow } from '../rows.js';
import type { StreamStore } from '../streams.js';
import { EngineNode } from '../engine/engine.js';
import { addTo } from '../multimap.js';
import type { BindingsNode } from './bindings.js';
import type { InputNode } from './input.js';
import type { SubscriptionsNode } from './subscriptions.js';

export class HostPartsNode extends EngineNode {
  /** host -> ports whose item was written this round. */
  readonly portsOut = new Map<string, Set<string>>();

  constructor(
    private readonly bindings: BindingsNode, private readonly networks: InputNode<NetworkRow>,
    private readonly subscriptions: SubscriptionsNode, private readonly streams: StreamStore,
  ) {
    super('host-parts', [bindings, networks, subscriptions]);
    this.handlers.set('bindings', () => {
      for (const [id, ch] of bindings.tracked) {
        if (ch.old && (!ch.now || ch.old.host !== ch.now.host)) this.write(ch.old.host, id, undefined);
        if (ch.now) this.write(ch.now.host, id, ch.now);
      }
      for (const host of bindings.vtepChanged) this.writePart(host);
      return 'handled';
    });
    this.handlers.set('networks', () => {
      // An MTU change reaches every local port of the network; nothing else in a port item comes from it.
      for (const id of networks.tracked.keys()) {
        for (const portId of bindings.netPorts.get(id) ?? []) {
          const row = this.portRow(portId);
          if (row) this.write(row.host, portId, row);
        }
      }
      return 'handled';
    });
    this.handlers.set('subscriptions', () => {
      for (const host of subscriptions.tracked.keys()) this.writePart(host);
      return 'handled';
    });
  }

  private portRow(id: string): PortRow | undefined {
    return (this.bindings.inputs[0] as InputNode<PortRow>).rows.get(id);
  }

  recompute(): void {
    for (const [host, ports] of this.bindings.hostPorts) {
      for (const id of ports) {
        const row = this.portRow(id);
        if (row) this.write(host, id, row);
      }
      this.writePart(host);
    }
  }

  clearTracked(): void {
    this.portsOut.clear();
  }

  private write(host: string, id: string, row: PortRow | undefined): void {
    this.touched();
    const stream = hostStream(host);
    if (!row) {
      if (this.streams.remove(stream, `p:${id}`)) this.changed = true;
      return;
    }
    const { host: _host, device, ...port } = row;
    const value: LocalPort = { ...port, mtu: this.networks.rows.get(row.network)?.mtu ?? 1450, ...(isRouterOwner(row.owner) ? { router: device } : {}) };
    if (this.streams.upsert(stream, `p:${id}`, value)) {
      addTo(this.portsOut, host, id);
      this.changed = true;
    }
  }

  private writePart(host: string): void {
    this.touched();
    const stream = hostStream(host);
    const vtep = this.bindings.hostVtep.get(host) ?? '';
    if (this.subscriptions.count(host) === 0 && !this.bindings.hostPorts.has(host)) {
      if (this.streams.remove(stream, 'h')) this.changed = true;
      return;
    }
    const part: HostPart = { vtep };
    if (this.streams.upsert(stream, 'h', part)) this.changed = true;
  }
}
