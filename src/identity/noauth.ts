/**
 * Neutron's `noauth`: nobody is asked for a token. A request without project headers acts as the
 * cloud admin; one with X-Project-Id (and X-Roles, default "member") is scoped to that project, so
 * tools can exercise multi-tenant behaviour before Keystone is in the picture.
 */
import { BadRequest } from '../core/errors.js';
import type { RequestContext } from '../core/context.js';
import type { Headers, IdentityStrategy } from './identity.js';
import { contextFor, header } from './identity.js';

export class NoAuth implements IdentityStrategy {
  readonly name = 'noauth';
  constructor(private readonly adminProject: string) {}

  async authenticate(headers: Headers): Promise<RequestContext> {
    const project = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id');
    const rolesHeader = header(headers, 'x-roles');
    const user = header(headers, 'x-user-id');
    if (project === undefined && rolesHeader === undefined) {
      return contextFor(this.adminProject, ['admin'], user);
    }
    if (project !== undefined && (project.length === 0 || project.length > 255)) {
      throw new BadRequest('X-Project-Id must be 1 to 255 characters.');
    }
    const roles = (rolesHeader ?? 'member').split(',').map((r) => r.trim()).filter(Boolean);
    return contextFor(project ?? this.adminProject, roles, user);
  }
}
