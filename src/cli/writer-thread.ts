/**
 * The request thread's side of the writer thread: `Writes` whose every call is a message to the
 * thread that owns the store's writer. A create costs this thread a structured clone each way
 * instead of validation, allocation and SQLite's inserts and commit, which run on the other core.
 */
import { Worker } from 'node:worker_threads';
import { NeutronError } from '../core/errors.js';
import type { Writes } from '../domain/index.js';
import { WRITE_METHODS } from '../domain/index.js';
import type { CarriedError, FromWriter, ToWriter, WriterThreadData } from './writer-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

function rebuilt(e: CarriedError): Error {
  if (e.neutron) return new NeutronError(e.neutron.status, e.neutron.type, e.message, e.neutron.detail);
  const err = new Error(`writer thread: ${e.message}`);
  if (e.stack) err.stack = e.stack;
  return err;
}

export class WriterThread {
  readonly writes: Writes;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure?: Error;
  private closing?: Promise<void>;
  private readonly committedListeners: Array<(revision: number, at: number) => void> = [];
  private readonly faultListeners: Array<(reason: string | null) => void> = [];
  private readonly deathListeners: Array<(err: Error) => void> = [];

  private constructor(private readonly worker: Worker) {
    const call = (method: string) => (...args: unknown[]) => this.call(method, args);
    this.writes = Object.fromEntries(WRITE_METHODS.map((m) => [m, call(m)])) as unknown as Writes;
    worker.on('message', (msg: FromWriter) => {
      if ('committed' in msg) {
        for (const listener of this.committedListeners) listener(msg.committed, msg.at);
        return;
      }
      if ('storeFault' in msg) {
        for (const listener of this.faultListeners) listener(msg.storeFault);
        return;
      }
      if (!('id' in msg)) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(rebuilt(msg.error));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`writer thread exited (code ${code})`)));
  }

  /** Hears when the store stops being able to write (the reason) and when it can again (null). */
  onStoreFault(listener: (reason: string | null) => void): void {
    this.faultListeners.push(listener);
  }

  /** Hears once if the thread dies other than by close(): no write can be served after it. */
  onDeath(listener: (err: Error) => void): void {
    this.deathListeners.push(listener);
  }

  /** Ends the thread at once, as a crash would (tests of what follows a writer's death). */
  kill(): Promise<number> {
    return this.worker.terminate();
  }

  /**
   * Hears of every group commit that wrote change-log rows: the highest revision it wrote and when
   * (epoch ms, the writer's clock). Called before the answers of that group's writes arrive.
   */
  onCommitted(listener: (revision: number, at: number) => void): void {
    this.committedListeners.push(listener);
  }

  /** Starts the thread and waits until its store is open and migrated. */
  static async start(data: WriterThreadData): Promise<WriterThread> {
    const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: data });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromWriter) => {
        if ('ready' in msg) {
          worker.off('error', reject);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`writer thread exited during start (code ${code})`)));
    });
    return new WriterThread(worker);
  }

  private call(method: string, args: unknown[]): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the writer thread is closing'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args } satisfies ToWriter);
    });
  }

  private fail(err: Error): void {
    if (!this.failure && !this.closing) for (const listener of this.deathListeners) listener(err);
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Lets the changes already sent commit, closes the store, and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.failure) {
        const closed = new Promise<void>((resolve) => {
          this.worker.on('message', (msg: FromWriter) => { if ('closed' in msg) resolve(); });
          this.worker.once('exit', () => resolve());
        });
        this.worker.postMessage({ close: true } satisfies ToWriter);
        await closed;
      }
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
