/**
 * A service user's Keystone session, as keystoneauth keeps one: a project-scoped token issued by
 * password, reused until shortly before it expires, renewed once however many callers wait, and
 * the catalog that came with it, for finding another service's endpoint (Nova's, for its events).
 */
import { Pool } from 'undici';
import { IdentityUnavailable } from '../core/errors.js';

export interface ServiceCredentials {
  /** The v3 endpoint, e.g. http://127.0.0.1:5000/v3 */
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
  readonly timeoutMs?: number;
}

interface CatalogEntry {
  type?: string;
  endpoints?: Array<{ interface?: string; region?: string; region_id?: string; url?: string }>;
}

interface Issued {
  readonly token: string;
  readonly expiresAt: number;
  readonly catalog: readonly CatalogEntry[];
}

export interface KeystoneReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: unknown;
}

/** A token this close to its expiry is replaced before use. */
const MARGIN_MS = 60_000;

/** Keystone writes UTC times, sometimes without the zone ("2026-12-01T07:00:11"). */
export function parseUtc(time: string | undefined): number {
  if (!time) return NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(time) ? time : `${time}Z`);
}

export class ServiceSession {
  private readonly pool: Pool;
  /** The v3 path on the Keystone origin. */
  readonly base: string;
  private issued?: Issued;
  private inFlight?: Promise<Issued>;
  private readonly timeoutMs: number;

  constructor(private readonly creds: ServiceCredentials, connections = 4) {
    const url = new URL(creds.authUrl.replace(/\/+$/, ''));
    this.pool = new Pool(url.origin, { connections });
    this.base = url.pathname.endsWith('/v3') ? url.pathname : `${url.pathname.replace(/\/$/, '')}/v3`;
    this.timeoutMs = creds.timeoutMs ?? 5000;
  }

  get origin(): string {
    return new URL(this.creds.authUrl).origin;
  }

  async token(): Promise<string> {
    return (await this.current()).token;
  }

  /** Forgets the token (a service answered 401: revoked or expired early). */
  invalidate(): void {
    this.issued = undefined;
  }

  /** The catalog's URL for a service type, on this interface and (if given) region. */
  async endpoint(type: string, iface: string, region?: string): Promise<string> {
    const { catalog } = await this.current();
    const entry = catalog.find((c) => c.type === type);
    const ep = entry?.endpoints?.find((e) => e.interface === iface && (region === undefined || e.region_id === region || e.region === region));
    if (!ep?.url) {
      throw new IdentityUnavailable(`Keystone's catalog has no ${iface} ${type} endpoint${region ? ` in ${region}` : ''}.`);
    }
    return ep.url.replace(/\/+$/, '');
  }

  private async current(): Promise<Issued> {
    if (this.issued && this.issued.expiresAt - MARGIN_MS > Date.now()) return this.issued;
    this.inFlight ??= this.issue().finally(() => {
      this.inFlight = undefined;
    });
    this.issued = await this.inFlight;
    return this.issued;
  }

  private async issue(): Promise<Issued> {
    const c = this.creds;
    const res = await this.call('POST', `${this.base}/auth/tokens`, { 'content-type': 'application/json' }, {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } },
        },
        scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
      },
    });
    const token = res.headers['x-subject-token'];
    const body = res.json as { token?: { expires_at?: string; catalog?: CatalogEntry[] } } | undefined;
    const expiresAt = parseUtc(body?.token?.expires_at);
    if (res.status !== 201 || typeof token !== 'string' || !Number.isFinite(expiresAt)) {
      throw new IdentityUnavailable(`${c.username} could not authenticate to Keystone (status ${res.status}).`);
    }
    return { token, expiresAt, catalog: body?.token?.catalog ?? [] };
  }

  /** One call to Keystone; unreachable is IdentityUnavailable, any answer is returned as it came. */
  async call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<KeystoneReply> {
    try {
      const res = await this.pool.request({
        method,
        path,
        headers: { accept: 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, json };
    } catch (err) {
      throw new IdentityUnavailable(`Keystone is unreachable: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
