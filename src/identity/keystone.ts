/**
 * Keystone v3 tokens, checked the way keystonemiddleware checks them: the controller holds a token
 * of its own service user and asks Keystone about each caller's token (GET /v3/auth/tokens with
 * X-Subject-Token). Valid answers are cached for a bounded time and never past the token's expiry,
 * so a revoked token stops working within that time. If Keystone cannot be asked, the answer is
 * 503: an identity service that is down never opens the door.
 */
import type { RequestContext } from '../core/context.js';
import { IdentityUnavailable, Unauthorized } from '../core/errors.js';
import type { Headers, IdentityStrategy } from './identity.js';
import { contextFor, header } from './identity.js';
import { ServiceSession, parseUtc } from './service-session.js';

import type { ServiceCredentials } from './service-session.js';

/** The controller's own service user (its token asks Keystone about callers'), and the cache. */
export interface KeystoneOptions extends ServiceCredentials {
  /** How long a validated token is believed without asking again (keystonemiddleware: 300 s). */
  readonly tokenCacheSeconds: number;
  readonly cacheSize?: number;
}

interface Validated {
  readonly ctx: RequestContext;
  /** Epoch ms after which Keystone must be asked again. */
  readonly until: number;
}

interface TokenBody {
  token?: {
    expires_at?: string;
    user?: { id?: string };
    project?: { id?: string };
    roles?: Array<{ name?: string }>;
  };
}

export class KeystoneAuth implements IdentityStrategy {
  readonly name = 'keystone';
  private readonly session: ServiceSession;
  private readonly cache = new Map<string, Validated>();
  private readonly inFlight = new Map<string, Promise<Validated>>();
  private readonly cacheSize: number;

  constructor(private readonly opts: KeystoneOptions) {
    this.session = new ServiceSession(opts, 16);
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  /** What a 401 tells the client: where to get a token (keystonemiddleware's header). */
  get challenge(): string {
    return `Keystone uri="${this.session.origin}"`;
  }

  async authenticate(headers: Headers): Promise<RequestContext> {
    const token = header(headers, 'x-auth-token') ?? header(headers, 'x-storage-token');
    if (!token) throw new Unauthorized('The request you have made requires authentication.');
    const now = Date.now();
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return cached.ctx;
    if (cached) this.cache.delete(token);
    // Hundreds of requests arriving with one new token ask Keystone once.
    let pending = this.inFlight.get(token);
    if (!pending) {
      pending = this.validate(token).finally(() => this.inFlight.delete(token));
      this.inFlight.set(token, pending);
    }
    return (await pending).ctx;
  }

  private async validate(token: string, retried = false): Promise<Validated> {
    const service = await this.session.token();
    // Without the catalog: Keystone answers several times faster, and roles and project are all we read.
    const res = await this.session.call('GET', `${this.session.base}/auth/tokens?nocatalog`, {
      'x-auth-token': service,
      'x-subject-token': token,
    });
    if (res.status === 401 && !retried) {
      // Our own token was revoked or expired early: get a new one and ask once more.
      this.session.invalidate();
      return this.validate(token, true);
    }
    if (res.status === 404 || res.status === 401 || res.status === 403) {
      throw new Unauthorized('The request you have made requires authentication.');
    }
    if (res.status !== 200) throw new IdentityUnavailable(`Keystone answered ${res.status} when validating a token.`);
    const body = res.json as TokenBody;
    const t = body.token;
    const expiresAt = parseUtc(t?.expires_at);
    if (!t?.project?.id || !Number.isFinite(expiresAt) || expiresAt <= Date.now()) {
      // Unscoped, domain- or system-scoped tokens carry no project for Neutron's resources.
      throw new Unauthorized('The request you have made requires a project-scoped token.');
    }
    const roles = (t.roles ?? []).map((r) => r.name ?? '').filter(Boolean);
    const validated: Validated = {
      ctx: contextFor(t.project.id, roles, t.user?.id),
      until: Math.min(expiresAt, Date.now() + this.opts.tokenCacheSeconds * 1000),
    };
    this.remember(token, validated);
    return validated;
  }

  private remember(token: string, validated: Validated): void {
    if (this.opts.tokenCacheSeconds <= 0) return;
    if (this.cache.size >= this.cacheSize) {
      // Oldest first: a Map iterates in insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, validated);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
