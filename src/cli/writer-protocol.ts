/** Messages between the request thread and the writer thread (src/cli/writer-thread.ts). */
import type { DomainConfig } from '../core/config.js';

export interface WriterThreadData {
  readonly dataDir: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly domain: DomainConfig;
}

export type ToWriter =
  | { readonly id: number; readonly method: string; readonly args: readonly unknown[] }
  | { readonly close: true };

/** A NeutronError's fields, so the request thread answers exactly what the writer decided. */
export interface CarriedError {
  readonly neutron?: { readonly status: number; readonly type: string; readonly detail: string };
  readonly message: string;
  readonly stack?: string;
}

export type FromWriter =
  | { readonly ready: true }
  | { readonly closed: true }
  /** A group commit wrote change-log rows up to this revision, at this time (epoch ms). */
  | { readonly committed: number; readonly at: number }
  /** The store cannot write (why), or can again (null): sent when it changes, not per write. */
  | { readonly storeFault: string | null }
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: CarriedError };
