/**
 * Starts a real controller for a test: the same composition as `alcor start`, on 127.0.0.1 with an
 * ephemeral port and a fresh data directory, spoken to over real HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/cli/config.js';
import type { RunningServer, ServerExtras } from '../../src/cli/server.js';
import { startServer } from '../../src/cli/server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface Caller {
  /** Scope requests to a project (and roles) as noauth's X-Project-Id / X-Roles do. */
  readonly headers?: Record<string, string>;
}

export class Api {
  constructor(readonly url: string, private readonly defaults: Record<string, string> = {}) {}

  as(projectId: string, roles = 'member'): Api {
    return new Api(this.url, { 'x-project-id': projectId, 'x-roles': roles });
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...this.defaults, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Left as text: the caller asserts on it.
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  get(path: string, headers?: Record<string, string>) { return this.request('GET', path, undefined, headers); }
  post(path: string, body: unknown, headers?: Record<string, string>) { return this.request('POST', path, body, headers); }
  put(path: string, body: unknown, headers?: Record<string, string>) { return this.request('PUT', path, body, headers); }
  delete(path: string, headers?: Record<string, string>) { return this.request('DELETE', path, undefined, headers); }

  /** POSTs one resource and returns it, failing loudly if the create did not give 201. */
  async create(collection: string, member: string, attrs: Record<string, unknown>): Promise<Record<string, any>> {
    const res = await this.post(`/v2.0/${collection}`, { [member]: attrs });
    if (res.status !== 201) throw new Error(`create ${member} gave ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body[member];
  }
}

export interface TestServer {
  readonly api: Api;
  readonly server: RunningServer;
  readonly dataDir: string;
  close(): Promise<void>;
}

export function tempDir(prefix = 'alcor-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(overrides: Record<string, string> = {}, extras: ServerExtras = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = loadConfig({ listen: '127.0.0.1:0', southboundListen: '127.0.0.1:0', dataDir, logLevel: 'silent', synchronous: 'NORMAL', ...overrides }, {});
  const server = await startServer(config, extras);
  return {
    api: new Api(server.url),
    server,
    dataDir,
    async close() {
      await server.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Asserts the Neutron error shape and returns its type. */
export function neutronErrorType(res: ApiResponse): string {
  const e = res.body?.NeutronError;
  if (!e || typeof e.type !== 'string' || typeof e.message !== 'string' || typeof e.detail !== 'string') {
    throw new Error(`not a NeutronError body (status ${res.status}): ${JSON.stringify(res.body)}`);
  }
  return e.type;
}

/** Awaits a request and asserts a Neutron error with this status (and type, when given). */
export async function expectError(res: Promise<ApiResponse>, status: number, type?: string): Promise<ApiResponse> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  const actual = neutronErrorType(r);
  if (type !== undefined && actual !== type) throw new Error(`expected error type ${type}, got ${actual}: ${JSON.stringify(r.body)}`);
  return r;
}

