/** Who is asking: built by an identity strategy, read by the domain's policy checks. */
export interface RequestContext {
  readonly projectId: string;
  readonly userId?: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  /** Can read but never write (Keystone's `reader` role without member or admin). */
  readonly readOnly: boolean;
}
