/**
 * `host/<host>`: each host's own ports in full and its part (`h`: its VTEP), present while it has
 * ports or subscriptions. Tracked:
 * the ports whose item changed on each host this round, which readiness waits on.
 */
import type { HostPart, LocalPort } from '../../protocol/messages.js';
import { hostStream, isRouterOwner } from '../../protocol/messages.js';
import type { NetworkRow, PortRow } from '../rows.js';
import { portOfKey } from '../rows.js';
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
        if (ch.old && (!ch.now || ch.old.host !== ch.now.host)) this.write(ch.old.host, portOfKey(id), undefined, ch.old.shadow);
        if (ch.now) this.write(ch.now.host, portOfKey(id), ch.now);
      }
      for (const host of bindings.vtepChanged) this.writePart(host);
      return 'handled';
    });
    this.handlers.set('networks', () => {
      // An MTU change reaches every local port of the network; nothing else in a port item comes from it.
      for (const id of networks.tracked.keys()) {
        for (const portId of bindings.netPorts.get(id) ?? []) {
          const row = this.portRow(portId);
          if (row) this.write(row.host, portOfKey(portId), row);
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
        if (row) this.write(host, portOfKey(id), row);
      }
      this.writePart(host);
    }
  }

  clearTracked(): void {
    this.portsOut.clear();
  }

  /**
   * The item is keyed by the port's own id on every host, an inactive binding's host included (the
   * agent names the tap after it); an inactive binding leaving a host the port itself is now on
   * (just activated there) leaves the port's item alone.
   */
  private write(host: string, id: string, row: PortRow | undefined, shadow = false): void {
    this.touched();
    const stream = hostStream(host);
    if (!row) {
      if (shadow && this.bindings.portHost.get(id) === host) return;
      if (this.streams.remove(stream, `p:${id}`)) this.changed = true;
      return;
    }
    const { host: _host, device, project, shadow: isShadow, ...port } = row;
    const value: LocalPort = {
      ...port, mtu: this.networks.rows.get(row.network)?.mtu ?? 1450, ...(isRouterOwner(row.owner) ? { router: device } : {}), ...(isShadow ? { inactive: true } : {}),
      ...(row.owner.startsWith('compute:') && device !== '' ? { instance: device, project } : {}),
    };
    if (this.streams.upsert(stream, `p:${id}`, value)) {
      // Readiness waits on the active binding's host only (an inactive one reports its own way).
      if (!isShadow) addTo(this.portsOut, host, id);
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
