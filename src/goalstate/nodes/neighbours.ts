/**
 * `net/<network>`: the network (`n`), its subnets (`s:<id>`) and one neighbour entry per bound
 * port (`e:<mac>`: the VTEP of its host, then its addresses), in slices of bounded size. A bind
 * writes one entry in one slice, whatever the size of the network.
 */
import type { NetworkInfo, NeighbourEntry } from '../../protocol/messages.js';
import { ROUTER_INTERFACE, netStream } from '../../protocol/messages.js';
import type { NetworkRow, PortRow, SubnetRow } from '../rows.js';
import type { StreamStore } from '../streams.js';
import { EngineNode } from '../engine/engine.js';
import { addTo } from '../multimap.js';
import type { BindingsNode } from './bindings.js';
import type { InputNode } from './input.js';

export class NeighboursNode extends EngineNode {
  /** stream -> ports whose entry was written this round (remote convergence is measured on them). */
  readonly entryPorts = new Map<string, Set<string>>();

  constructor(
    private readonly bindings: BindingsNode, private readonly networks: InputNode<NetworkRow>,
    private readonly subnets: InputNode<SubnetRow>, private readonly streams: StreamStore,
  ) {
    super('neighbours', [bindings, networks, subnets]);
    this.handlers.set('bindings', () => {
      for (const [id, ch] of bindings.tracked) {
        // An inactive binding is no neighbour entry: the port is reached where its active one is.
        if (ch.old?.shadow || ch.now?.shadow) continue;
        if (ch.old && (!ch.now || ch.now.mac !== ch.old.mac)) this.removeEntry(ch.old);
        if (ch.now) this.writeEntry(id, ch.now);
      }
      for (const host of bindings.vtepChanged) {
        for (const id of bindings.hostPorts.get(host) ?? []) {
          const row = this.portRow(id);
          if (row && !row.shadow) this.writeEntry(id, row);
        }
      }
      return 'handled';
    });
    this.handlers.set('networks', () => {
      for (const [id, ch] of networks.tracked) this.writeNetwork(id, ch.now);
      return 'handled';
    });
    this.handlers.set('subnets', () => {
      for (const [id, ch] of subnets.tracked) {
        if (ch.old && (!ch.now || ch.old.network !== ch.now.network)) this.change(this.streams.remove(netStream(ch.old.network), `s:${id}`));
        if (ch.now) this.change(this.streams.upsert(netStream(ch.now.network), `s:${id}`, ch.now.info));
      }
      return 'handled';
    });
  }

  private portRow(id: string): PortRow | undefined {
    return (this.bindings.inputs[0] as InputNode<PortRow>).rows.get(id);
  }

  recompute(): void {
    for (const [id, row] of this.networks.rows) this.writeNetwork(id, row);
    for (const [id, row] of this.subnets.rows) this.change(this.streams.upsert(netStream(row.network), `s:${id}`, row.info));
    for (const ports of this.bindings.hostPorts.values()) {
      for (const id of ports) {
        const row = this.portRow(id);
        if (row && !row.shadow) this.writeEntry(id, row);
      }
    }
  }

  clearTracked(): void {
    this.entryPorts.clear();
  }

  private change(changed: boolean): void {
    this.touched();
    if (changed) this.changed = true;
  }

  private writeNetwork(id: string, row: NetworkRow | undefined): void {
    if (!row) {
      this.change(this.streams.remove(netStream(id), 'n'));
      return;
    }
    const { id: _id, ...info } = row;
    this.change(this.streams.upsert(netStream(id), 'n', info satisfies NetworkInfo));
  }

  private writeEntry(id: string, row: PortRow): void {
    // A router interface is on every host of its network (distributed): its MAC is answered on
    // each host and never carried over the overlay.
    if (row.owner === ROUTER_INTERFACE) { this.removeEntry(row); return; }
    const entry: NeighbourEntry = [this.bindings.hostVtep.get(row.host) ?? '', ...row.ips.map(([ip]) => ip)];
    const stream = netStream(row.network);
    const changed = this.streams.upsert(stream, `e:${row.mac}`, entry);
    if (changed) addTo(this.entryPorts, stream, id);
    this.change(changed);
  }

  private removeEntry(row: PortRow): void {
    this.change(this.streams.remove(netStream(row.network), `e:${row.mac}`));
  }
}
