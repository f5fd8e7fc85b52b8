/**
 * Where the `users` context's projects and users come from: in noauth mode a user is its project's
 * headers; with Keystone they are real projects and users, each with its own token, made for the
 * run and removed with its cleanup.
 */
import type { Identity } from './client.js';
import { inParallel } from './parallel.js';
import { Keystone } from './keystone-admin.js';

export interface TenantUsers {
  readonly projectId: string;
  readonly users: readonly Identity[];
}

export interface UserSource {
  tenant(tag: string, usersPerTenant: number): Promise<TenantUsers>;
  /** Removes every project and user tenant() made. */
  cleanup(): Promise<void>;
}

export class NoauthUsers implements UserSource {
  async tenant(tag: string, usersPerTenant: number): Promise<TenantUsers> {
    const projectId = `bench-${tag}`;
    return { projectId, users: Array.from({ length: usersPerTenant }, () => ({ projectId, roles: 'member' })) };
  }

  async cleanup(): Promise<void> {
    // Nothing was made outside the controller.
  }
}

export class KeystoneUsers implements UserSource {
  private readonly projects: string[] = [];
  private readonly userIds: string[] = [];
  /** Every project made, cleaned up or not (for reports and tests). */
  readonly madeProjects: string[] = [];

  constructor(private readonly keystone: Keystone) {}

  async tenant(tag: string, usersPerTenant: number): Promise<TenantUsers> {
    const projectId = await this.keystone.createProject(`bench-${tag}`);
    this.projects.push(projectId);
    this.madeProjects.push(projectId);
    const users: Identity[] = [];
    for (let i = 0; i < usersPerTenant; i++) {
      const user = await this.keystone.createUser(projectId, 'member');
      this.userIds.push(user.id);
      const { token } = await Keystone.passwordToken(user.name, user.password, { id: projectId });
      users.push({ projectId, roles: 'member', token });
    }
    return { projectId, users };
  }

  async cleanup(): Promise<void> {
    await inParallel(this.userIds.splice(0), 8, (id) => this.keystone.deleteUser(id));
    await inParallel(this.projects.splice(0), 8, (id) => this.keystone.deleteProject(id));
  }
}
