/**
 * A small Neutron v2.0 client over undici: the bench speaks only the public API, so it measures
 * any Neutron-compatible server. Scoping is by noauth project headers.
 */
import { Pool } from 'undici';

export interface Identity {
  readonly projectId?: string;
  /** A Keystone token (the user's own); without one, noauth project headers speak for the user. */
  readonly token?: string;
  readonly roles?: string;
}

export class NeutronHttpError extends Error {
  constructor(readonly status: number, readonly body: string, readonly method: string, readonly path: string) {
    super(`${method} ${path} -> ${status}: ${body.slice(0, 300)}`);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Resource = Record<string, any> & { id: string };

export class NeutronClient {
  private readonly pool: Pool;
  private readonly prefix: string;

  /** With Keystone, the token the cloud admin ({} as identity) acts with. */
  adminToken?: string;

  constructor(target: string, connections: number) {
    const url = new URL(target);
    this.prefix = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async request(method: string, path: string, who: Identity, body?: unknown, timeoutMs = 300_000): Promise<unknown> {
    const text = await this.requestText(method, path, who, body, timeoutMs);
    return text === '' ? undefined : JSON.parse(text);
  }

  private async requestText(method: string, path: string, who: Identity, body?: unknown, timeoutMs = 300_000): Promise<string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (who.token !== undefined) {
      headers['x-auth-token'] = who.token;
    } else if (who.projectId === undefined && this.adminToken !== undefined) {
      headers['x-auth-token'] = this.adminToken;
    } else if (who.projectId !== undefined) {
      headers['x-project-id'] = who.projectId;
      headers['x-roles'] = who.roles ?? 'member';
    }
    const res = await this.pool.request({
      method: method as 'GET',
      path: `${this.prefix}${path}`,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new NeutronHttpError(res.statusCode, text, method, path);
    return text;
  }

  async create(collection: string, member: string, who: Identity, attrs: Record<string, unknown>): Promise<Resource> {
    // Neutron's noauth wants the project in the body too ("Running without keystone AuthN requires
    // that tenant_id is specified"); naming one's own project is always allowed.
    const owned = who.projectId === undefined ? attrs : { project_id: who.projectId, ...attrs };
    const body = (await this.request('POST', `/v2.0/${collection}`, who, { [member]: owned })) as Record<string, Resource>;
    return body[member];
  }

  /**
   * A list the caller times but never reads (the scenarios' list actions): every byte is received
   * and the envelope checked, but no objects are built. Building them was a fifth of the load
   * generator's CPU in create_and_list_ports_bigdb (lists of up to 1,000 ports), CPU the server
   * under test shares. Returns the body's length.
   */
  async listUnread(collection: string, who: Identity): Promise<number> {
    const key = collection.replace(/-/g, '_');
    const path = `/v2.0/${collection}`;
    const text = await this.requestText('GET', path, who);
    if (!new RegExp(`^\\s*\\{\\s*"${key}"\\s*:\\s*\\[`).test(text.slice(0, 64)) || !/\}\s*$/.test(text.slice(-16))) {
      throw new NeutronHttpError(200, text.slice(0, 300), 'GET', `${path} (not a "${key}" list)`);
    }
    return text.length;
  }

  async list(collection: string, who: Identity, query = ''): Promise<Resource[]> {
    const key = collection.replace(/-/g, '_');
    const body = (await this.request('GET', `/v2.0/${collection}${query}`, who)) as Record<string, Resource[]>;
    return body[key];
  }

  async update(collection: string, member: string, id: string, who: Identity, attrs: Record<string, unknown>): Promise<Resource> {
    const body = (await this.request('PUT', `/v2.0/${collection}/${id}`, who, { [member]: attrs })) as Record<string, Resource>;
    return body[member];
  }

  async remove(collection: string, id: string, who: Identity): Promise<void> {
    await this.request('DELETE', `/v2.0/${collection}/${id}`, who);
  }

  /** Alcor's bulk-delete extension: many rows of one kind in one request. */
  async removeMany(collection: string, ids: readonly string[], who: Identity): Promise<void> {
    await this.request('DELETE', `/v2.0/${collection}?${ids.map((id) => `id=${id}`).join('&')}`, who);
  }

  async hasExtension(alias: string): Promise<boolean> {
    const body = (await this.request('GET', '/v2.0/extensions', {})) as { extensions?: Array<{ alias: string }> };
    return (body.extensions ?? []).some((e) => e.alias === alias);
  }

  async action(path: string, who: Identity, body: unknown): Promise<unknown> {
    return this.request('PUT', path, who, body);
  }

  /** A non-JSON page of the server (e.g. /metrics), outside the API prefix. */
  async text(path: string): Promise<string> {
    const res = await this.pool.request({ method: 'GET', path, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new NeutronHttpError(res.statusCode, text, 'GET', path);
    return text;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
