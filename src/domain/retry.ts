/**
 * The one place that retries. A random choice (a MAC, an address, a VNI) that lost a race to a
 * unique constraint is retriable; everything else goes straight to the caller.
 */
import { UniqueViolation } from '../store/store.js';

export async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof UniqueViolation) || i >= attempts) throw err;
    }
  }
}
