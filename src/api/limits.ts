/**
 * What one request may be, checked before any work is done: a request past a limit is answered
 * with a NeutronError and its 4xx, never parsed further. Node's HTTP parser holds the request line
 * and headers to `headerBytes` (431 above it); the rest is ours.
 */
export interface RequestLimits {
  /** Body size (413 above it). */
  readonly bodyBytes: number;
  /** Nesting of objects and arrays in a JSON body (400 deeper): Neutron's deepest body has 4. */
  readonly bodyDepth: number;
  /** The URL, path and query (414 longer): room for a bulk delete of its 300 ids. */
  readonly urlBytes: number;
  /** The request line and headers together (431 larger). */
  readonly headerBytes: number;
  /** Resources in one bulk create (400 more). */
  readonly bulkItems: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
  bodyBytes: 1024 * 1024, bodyDepth: 32, urlBytes: 12288, headerBytes: 16384, bulkItems: 1000,
};

/**
 * Whether a JSON text nests deeper than `max`, by one pass over it (strings skipped), so a body of
 * ten thousand levels never reaches JSON.parse or anything recursive after it.
 */
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
