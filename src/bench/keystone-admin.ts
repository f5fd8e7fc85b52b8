/**
 * A Keystone v3 admin client for what load tests and conformance runs need: projects, users with a
 * role, tokens, the catalog's network endpoint. The Keystone itself is the project's loopback one
 * (scripts/keystone.sh), started and bootstrapped on demand.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/src/bench -> the repository root, where scripts/ lives.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const KEYSTONE_URL = process.env.ALCOR_KEYSTONE_URL ?? 'http://127.0.0.1:5000/v3';
export const SERVICE_PASSWORD = process.env.ALCOR_KEYSTONE_SERVICE_PASSWORD ?? 'alcor-service';
const ADMIN_PASSWORD = process.env.ALCOR_KEYSTONE_ADMIN_PASSWORD ?? 'alcor-admin';

async function answering(): Promise<boolean> {
  try {
    return (await fetch(KEYSTONE_URL)).ok;
  } catch {
    return false;
  }
}

/** Keystone up and bootstrapped, or an error that says what is missing. */
export async function ensureKeystone(): Promise<void> {
  try {
    await promisify(execFile)('bash', [join(ROOT, 'scripts', 'keystone.sh'), 'start'], { timeout: 15 * 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`Keystone is not running at ${KEYSTONE_URL} and scripts/keystone.sh start failed: ${e.stderr || e.message}`);
  }
  if (!(await answering())) throw new Error(`Keystone is not answering at ${KEYSTONE_URL}`);
}

export interface Scoped {
  readonly token: string;
  readonly expiresAt: string;
}

export class Keystone {
  private constructor(private readonly adminToken: string) {}

  static async admin(): Promise<Keystone> {
    const { token } = await Keystone.passwordToken('admin', ADMIN_PASSWORD, { name: 'admin' });
    return new Keystone(token);
  }

  static async passwordToken(user: string, password: string, project: { id: string } | { name: string }): Promise<Scoped> {
    const projectRef = 'id' in project ? { id: project.id } : { name: project.name, domain: { name: 'Default' } };
    return Keystone.issue({
      identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
      scope: { project: projectRef },
    });
  }

  private static async issue(auth: unknown): Promise<Scoped> {
    const res = await fetch(`${KEYSTONE_URL}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth }),
    });
    const body = (await res.json()) as { token: { expires_at: string } };
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) throw new Error(`Keystone refused a token: ${res.status} ${JSON.stringify(body)}`);
    return { token, expiresAt: body.token.expires_at };
  }

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
    const res = await fetch(`${KEYSTONE_URL}${path}`, {
      method,
      headers: { 'x-auth-token': this.adminToken, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`Keystone ${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async createProject(prefix: string): Promise<string> {
    const body = await this.call('POST', '/projects', { project: { name: `${prefix}-${randomUUID().slice(0, 8)}`, domain_id: 'default' } });
    return body.project.id as string;
  }

  async roleId(name: string): Promise<string> {
    const body = await this.call('GET', `/roles?name=${encodeURIComponent(name)}`);
    if (!body.roles.length) throw new Error(`Keystone has no role ${name}`);
    return body.roles[0].id as string;
  }

  /** A user with exactly this role on this project; returns its name and password. */
  async createUser(projectId: string, role: string): Promise<{ id: string; name: string; password: string }> {
    const name = `alcor-test-${role}-${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    const body = await this.call('POST', '/users', { user: { name, password, domain_id: 'default', default_project_id: projectId } });
    const id = body.user.id as string;
    await this.call('PUT', `/projects/${projectId}/users/${id}/roles/${await this.roleId(role)}`);
    return { id, name, password };
  }

  async projectExists(projectId: string): Promise<boolean> {
    const res = await fetch(`${KEYSTONE_URL}/projects/${projectId}`, { headers: { 'x-auth-token': this.adminToken } });
    await res.arrayBuffer();
    return res.status === 200;
  }

  /** The admin's own token, for clients that act as the cloud admin. */
  get token(): string {
    return this.adminToken;
  }

  async deleteProject(projectId: string): Promise<void> {
    await this.call('DELETE', `/projects/${projectId}`);
  }

  async deleteUser(userId: string): Promise<void> {
    await this.call('DELETE', `/users/${userId}`);
  }

  async revoke(token: string): Promise<void> {
    await this.call('DELETE', '/auth/tokens', undefined, { 'x-subject-token': token });
  }

  /**
   * A token that expires in a few seconds: Keystone ends a token made from an application
   * credential when the credential expires.
   */
  async shortLivedToken(user: { id: string; name: string; password: string }, projectId: string, seconds: number): Promise<Scoped> {
    const own = await Keystone.passwordToken(user.name, user.password, { id: projectId });
    const expiresAt = new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19);
    const res = await fetch(`${KEYSTONE_URL}/users/${user.id}/application_credentials`, {
      method: 'POST',
      headers: { 'x-auth-token': own.token, 'content-type': 'application/json' },
      body: JSON.stringify({ application_credential: { name: `short-${randomUUID().slice(0, 8)}`, expires_at: expiresAt } }),
    });
    const body = (await res.json()) as { application_credential: { id: string; secret: string } };
    if (res.status !== 201) throw new Error(`Keystone refused an application credential: ${res.status} ${JSON.stringify(body)}`);
    const { id, secret } = body.application_credential;
    return Keystone.issue({ identity: { methods: ['application_credential'], application_credential: { id, secret } } });
  }

  /** Points the catalog's network endpoints at this controller, for clients that look it up. */
  async setNetworkEndpoint(url: string): Promise<void> {
    const services = await this.call('GET', '/services?type=network');
    const service = services.services[0];
    if (!service) throw new Error('Keystone has no network service: run scripts/keystone.sh start');
    const endpoints = await this.call('GET', `/endpoints?service_id=${service.id}`);
    for (const e of endpoints.endpoints) await this.call('PATCH', `/endpoints/${e.id}`, { endpoint: { url } });
  }
}
