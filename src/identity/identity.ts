import type { RequestContext } from '../core/context.js';

/** How a request proves who it is; noauth today, Keystone tokens behind the same interface later. */
export interface IdentityStrategy {
  readonly name: string;
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Promise<RequestContext>;
}

export function contextFor(projectId: string, roles: readonly string[], userId?: string): RequestContext {
  const lower = roles.map((r) => r.toLowerCase());
  const isAdmin = lower.includes('admin');
  const canWrite = isAdmin || lower.includes('member') || lower.includes('_member_');
  return { projectId, userId, roles: lower, isAdmin, readOnly: !canWrite && lower.includes('reader') };
}
