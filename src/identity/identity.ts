import type { RequestContext } from '../core/context.js';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** How a request proves who it is: noauth headers or a Keystone token, behind one interface. */
export interface IdentityStrategy {
  readonly name: string;
  /** The WWW-Authenticate value sent with a 401, where the strategy has one. */
  readonly challenge?: string;
  authenticate(headers: Headers): Promise<RequestContext>;
  close?(): Promise<void>;
}

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function contextFor(projectId: string, roles: readonly string[], userId?: string): RequestContext {
  const lower = roles.map((r) => r.toLowerCase());
  const isAdmin = lower.includes('admin');
  const canWrite = isAdmin || lower.includes('member') || lower.includes('_member_');
  return { projectId, userId, roles: lower, isAdmin, readOnly: !canWrite && lower.includes('reader') };
}
