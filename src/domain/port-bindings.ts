/**
 * `binding-extended` (/v2.0/ports/{id}/bindings), what Nova's live migration uses: besides its
 * active binding, a server's port may hold inactive ones on other hosts. An inactive binding is
 * bound as ML2 binds (the host's agent gives the VIF type) and programmed on its host before the
 * switch (the goal state carries the port there too, see goalstate/rows.ts); when that host's agent
 * has it ready, Nova hears network-vif-plugged (Neutron's notify_port_active_direct). Activating
 * moves the port: the old active binding becomes inactive (Nova deletes it), the port is DOWN on
 * its new host until that agent reports it (ACTIVE at once if it already had). Admin only, compute ports only, as Neutron's policy
 * and ML2 have it.
 */
import type { DomainConfig } from '../core/config.js';
import type { RequestContext } from '../core/context.js';
import {
  BadRequest, NotAuthorized, PortBindingAlreadyActive, PortBindingAlreadyExists, PortBindingError, PortBindingNotFound,
} from '../core/errors.js';
import * as defs from '../model/definitions.js';
import * as v from '../model/validators.js';
import type { Doc, Store, WriteTx } from '../store/store.js';
import type { Collection } from './collection.js';
import { writeRevision } from './collection.js';
import { bindingOn } from './ports.js';
import { withRetry } from './retry.js';

/** An inactive binding as the port keeps it (`bindings_inactive`, never shown on the port). */
export interface InactiveBinding {
  host: string;
  vnic_type: string;
  profile: Record<string, unknown>;
  vif_type: string;
  vif_details: Record<string, unknown>;
  /** Its host's agent reported the port programmed there. */
  ready: boolean;
}

export interface BindingView {
  host: string;
  vif_type: string;
  vif_details: Record<string, unknown>;
  vnic_type: string;
  profile: Record<string, unknown>;
  status: 'ACTIVE' | 'INACTIVE';
}

const VNIC = defs.port.attributes['binding:vnic_type'].convert!;

export function inactiveBindings(port: Doc): InactiveBinding[] {
  return (port.bindings_inactive as InactiveBinding[] | undefined) ?? [];
}

function activeView(port: Doc): BindingView {
  return {
    host: port['binding:host_id'] as string,
    vif_type: port['binding:vif_type'] as string,
    vif_details: (port['binding:vif_details'] as Record<string, unknown>) ?? {},
    vnic_type: port['binding:vnic_type'] as string,
    profile: (port['binding:profile'] as Record<string, unknown>) ?? {},
    status: 'ACTIVE',
  };
}

function inactiveView(b: InactiveBinding): BindingView {
  return { host: b.host, vif_type: b.vif_type, vif_details: b.vif_details, vnic_type: b.vnic_type, profile: b.profile, status: 'INACTIVE' };
}

/** The body's `binding`: host (on create), vnic_type and profile, converted as the port's own are. */
function bindingBody(body: unknown, create: boolean): { host?: string; vnic_type?: string; profile?: Record<string, unknown> } {
  const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).binding : undefined;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new BadRequest('Resource body required');
  const raw = b as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !['host', 'vnic_type', 'profile', 'project_id'].includes(k));
  if (unknown.length) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  if (create && raw.host === undefined) throw new BadRequest("Failed to parse request. Required attribute 'host' not specified");
  if (!create && raw.host !== undefined) throw new BadRequest("Cannot update read-only attribute host");
  return {
    host: raw.host === undefined ? undefined : (v.string(255)(raw.host, 'host') as string),
    vnic_type: raw.vnic_type === undefined ? undefined : (VNIC(raw.vnic_type, 'vnic_type') as string),
    profile: raw.profile === undefined ? undefined : ((v.dictOrNull(raw.profile, 'profile') as Record<string, unknown> | null) ?? {}),
  };
}

export class PortBindings {
  constructor(private readonly config: DomainConfig, private readonly store: Store, private readonly ports: () => Collection) {}

  private async port(ctx: RequestContext, id: string, tx: { get: WriteTx['get'] } & Parameters<Collection['find']>[2]): Promise<Doc> {
    // Neutron's policy: admin only (get_port_binding, create_port_binding, activate, delete).
    if (!ctx.isAdmin) throw new NotAuthorized('Not authorized.');
    const port = await this.ports().find(ctx, id, tx);
    if (typeof port.device_owner !== 'string' || !port.device_owner.startsWith('compute:')) {
      throw new BadRequest(`Bad port request: Invalid port ${id}. Operation only valid on compute ports.`);
    }
    return port;
  }

  async list(ctx: RequestContext, portId: string): Promise<BindingView[]> {
    return this.store.read(async (tx) => {
      const port = await this.port(ctx, portId, tx);
      return [activeView(port), ...inactiveBindings(port).map(inactiveView)];
    });
  }

  async show(ctx: RequestContext, portId: string, host: string): Promise<BindingView> {
    return this.store.read(async (tx) => {
      const port = await this.port(ctx, portId, tx);
      if (port['binding:host_id'] === host) return activeView(port);
      const b = inactiveBindings(port).find((x) => x.host === host);
      if (!b) throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
      return inactiveView(b);
    });
  }

  async create(ctx: RequestContext, portId: string, body: unknown): Promise<BindingView> {
    const req = bindingBody(body, true);
    return withRetry(() => this.store.write(async (tx) => {
      const port = await this.port(ctx, portId, tx);
      const host = req.host!;
      if (port['binding:host_id'] === host || inactiveBindings(port).some((b) => b.host === host)) {
        throw new PortBindingAlreadyExists(`Binding for port ${portId} on host ${host} already exists.`);
      }
      const bound = await bindingOn(tx, this.config, host, port.network_id as string);
      // Neutron answers this with a 500; it is the host's state (no live agent there), a conflict.
      if (bound.vif_type === 'binding_failed' || bound.vif_type === 'unbound') {
        throw new PortBindingError(`Binding for port ${portId} on host ${host} could not be created or updated.`);
      }
      const b: InactiveBinding = {
        host, vnic_type: req.vnic_type ?? 'normal', profile: req.profile ?? {}, vif_type: bound.vif_type, vif_details: bound.vif_details, ready: false,
      };
      await writeRevision(defs.port, { ...port, bindings_inactive: [...inactiveBindings(port), b] }, tx);
      return inactiveView(b);
    }));
  }

  /** PUT .../bindings/{host}: its vnic_type and profile. */
  async update(ctx: RequestContext, portId: string, host: string, body: unknown): Promise<BindingView> {
    const req = bindingBody(body, false);
    return this.store.write(async (tx) => {
      const port = await this.port(ctx, portId, tx);
      if (port['binding:host_id'] === host) {
        const next = { ...port };
        if (req.vnic_type !== undefined) next['binding:vnic_type'] = req.vnic_type;
        if (req.profile !== undefined) next['binding:profile'] = req.profile;
        return activeView(await writeRevision(defs.port, next, tx));
      }
      const list = inactiveBindings(port);
      const i = list.findIndex((x) => x.host === host);
      if (i < 0) throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
      const b = { ...list[i], ...(req.vnic_type !== undefined ? { vnic_type: req.vnic_type } : {}), ...(req.profile !== undefined ? { profile: req.profile } : {}) };
      await writeRevision(defs.port, { ...port, bindings_inactive: list.map((x, j) => (j === i ? b : x)) }, tx);
      return inactiveView(b);
    });
  }

  async activate(ctx: RequestContext, portId: string, host: string): Promise<BindingView> {
    return this.store.write(async (tx) => {
      const port = await this.port(ctx, portId, tx);
      if (port['binding:host_id'] === host) throw new PortBindingAlreadyActive(`Binding for port ${portId} on host ${host} is already active.`);
      const list = inactiveBindings(port);
      const target = list.find((x) => x.host === host);
      if (!target) throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
      const rest = list.filter((x) => x !== target);
      const oldHost = port['binding:host_id'] as string;
      // The old active binding stays, inactive, until Nova deletes it (Neutron keeps it the same way).
      const demoted: InactiveBinding[] = oldHost === '' ? [] : [{
        host: oldHost, vnic_type: port['binding:vnic_type'] as string, profile: (port['binding:profile'] as Record<string, unknown>) ?? {},
        vif_type: port['binding:vif_type'] as string, vif_details: (port['binding:vif_details'] as Record<string, unknown>) ?? {}, ready: false,
      }];
      const next = await writeRevision(defs.port, {
        ...port,
        'binding:host_id': host, 'binding:vif_type': target.vif_type, 'binding:vif_details': target.vif_details,
        'binding:vnic_type': target.vnic_type, 'binding:profile': target.profile,
        // Its new host's agent has it plugged already (it reported the inactive binding up): ACTIVE
        // at once, as Neutron's agent re-reports it; else DOWN until it does.
        status: target.ready ? 'ACTIVE' : 'DOWN', bindings_inactive: [...rest, ...demoted],
      }, tx);
      return activeView(next);
    });
  }

  /** DELETE .../bindings/{host}: an inactive one goes; the active one leaves the port unbound. */
  async remove(ctx: RequestContext, portId: string, host: string): Promise<void> {
    await this.store.write(async (tx) => {
      const port = await this.port(ctx, portId, tx);
      const list = inactiveBindings(port);
      if (list.some((x) => x.host === host)) {
        await writeRevision(defs.port, { ...port, bindings_inactive: list.filter((x) => x.host !== host) }, tx);
        return;
      }
      if (port['binding:host_id'] === host && host !== '') {
        await writeRevision(defs.port, { ...port, 'binding:host_id': '', 'binding:vif_type': 'unbound', 'binding:vif_details': {}, status: 'DOWN' }, tx);
        return;
      }
      throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
    });
  }
}
