/**
 * Which external events Nova is told of, as Neutron's nova notifier decides them, read off the
 * committed change log rather than from inside requests: only ports of a server (`compute:` owner,
 * a UUID device_id); `network-vif-plugged` when one goes ACTIVE (`completed`) or ERROR (`failed`)
 * from DOWN, BUILD or its creation, `network-vif-unplugged` when an ACTIVE one goes DOWN,
 * `network-changed` when its addresses change or a floating IP comes to it or leaves it, and
 * `network-vif-deleted` when it is deleted; network-vif-plugged too when an inactive binding's host
 * (a live migration's destination) has it ready. The log is level-triggered (a row as it is now), so a
 * port that went up and down between two reads shows no change, as Neutron's batching also folds.
 */
import { isUuid } from '../core/ids.js';
import type { ChangedRow } from '../store/change-feed.js';
import type { Doc } from '../store/store.js';

export type NovaEventName = 'network-vif-plugged' | 'network-vif-unplugged' | 'network-vif-deleted' | 'network-changed';

export interface NovaEvent {
  readonly name: NovaEventName;
  readonly server_uuid: string;
  /** The port's id: Nova waits for (name, tag). */
  readonly tag: string;
  readonly status?: 'completed' | 'failed';
}

interface SeenPort {
  readonly server: string;
  readonly status: string;
  readonly addresses: string;
  /** Hosts of inactive bindings whose agent has the port ready (a live migration's destination). */
  readonly ready: string;
}

const isComputePort = (doc: Doc): boolean =>
  typeof doc.device_owner === 'string' && doc.device_owner.startsWith('compute:') && isUuid(doc.device_id);

const readyHosts = (doc: Doc): string =>
  ((doc.bindings_inactive as Array<{ host: string; ready: boolean }> | undefined) ?? []).filter((b) => b.ready).map((b) => b.host).sort().join(',');

const addressesOf = (doc: Doc): string =>
  ((doc.fixed_ips as Array<{ ip_address: string }> | undefined) ?? []).map((f) => f.ip_address).sort().join(',');

export class NovaEventSource {
  /** Servers' ports as last seen; nothing else is kept. */
  private readonly ports = new Map<string, SeenPort>();
  /** Floating IPs by id: the port each is on (null: none). */
  private readonly fips = new Map<string, string | null>();

  /** The state to compare the first changes with (the feed's snapshot): no events for it. */
  load(ports: readonly Doc[], floatingIps: readonly Doc[]): void {
    this.ports.clear();
    this.fips.clear();
    for (const p of ports) this.see(p);
    for (const f of floatingIps) this.fips.set(f.id, (f.port_id as string | null) ?? null);
  }

  apply(rows: readonly ChangedRow[]): NovaEvent[] {
    const out: NovaEvent[] = [];
    for (const row of rows) {
      if (row.kind === 'port') this.port(row.id, row.doc, out);
      else if (row.kind === 'floatingip') this.floatingIp(row.id, row.doc, out);
    }
    return out;
  }

  private see(doc: Doc): SeenPort | undefined {
    if (!isComputePort(doc)) {
      this.ports.delete(doc.id);
      return undefined;
    }
    const seen = { server: doc.device_id as string, status: doc.status as string, addresses: addressesOf(doc), ready: readyHosts(doc) };
    this.ports.set(doc.id, seen);
    return seen;
  }

  private port(id: string, doc: Doc | undefined, out: NovaEvent[]): void {
    const before = this.ports.get(id);
    if (!doc) {
      this.ports.delete(id);
      if (before) out.push({ name: 'network-vif-deleted', server_uuid: before.server, tag: id });
      return;
    }
    const now = this.see(doc);
    if (!now) return;
    // A port given to another server is, for the new one, a port it has just been given.
    const prev = before && before.server === now.server ? before : undefined;
    const wasUp = prev?.status === 'ACTIVE' || prev?.status === 'ERROR';
    if ((now.status === 'ACTIVE' || now.status === 'ERROR') && !wasUp) {
      out.push({ name: 'network-vif-plugged', server_uuid: now.server, tag: id, status: now.status === 'ACTIVE' ? 'completed' : 'failed' });
    } else if (prev?.status === 'ACTIVE' && now.status === 'DOWN') {
      out.push({ name: 'network-vif-unplugged', server_uuid: now.server, tag: id, status: 'completed' });
    }
    if (prev && prev.addresses !== now.addresses) out.push({ name: 'network-changed', server_uuid: now.server, tag: id });
    // A destination host has the port ready: what Nova's live migration waits for before it starts
    // (Neutron's notify_port_active_direct), the port's own status staying its source's.
    const wasReady = new Set(prev?.ready ? prev.ready.split(',') : []);
    for (const host of now.ready ? now.ready.split(',') : []) {
      if (!wasReady.has(host)) out.push({ name: 'network-vif-plugged', server_uuid: now.server, tag: id, status: 'completed' });
    }
  }

  private floatingIp(id: string, doc: Doc | undefined, out: NovaEvent[]): void {
    const before = this.fips.get(id) ?? null;
    const now = doc ? ((doc.port_id as string | null) ?? null) : null;
    if (doc) this.fips.set(id, now);
    else this.fips.delete(id);
    if (before === now) return;
    for (const portId of [before, now]) {
      const p = portId === null ? undefined : this.ports.get(portId);
      if (p) out.push({ name: 'network-changed', server_uuid: p.server, tag: portId! });
    }
  }
}
