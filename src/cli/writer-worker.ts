/**
 * The writer thread: the only writer of the embedded store. It owns the SQLite writer connection
 * and a domain over it, runs every change the request thread sends (validation, allocation, group
 * commit) and answers once the change is durable, so the request thread's CPU goes to HTTP, reads
 * and rendering while this one's goes to the write path.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NeutronError, StoreUnavailable } from '../core/errors.js';
import { WRITE_METHODS, createDomain } from '../domain/index.js';
import type { Writes } from '../domain/index.js';
import { writeFault } from '../store/sqlite/faults.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { CarriedError, FromWriter, ToWriter, WriterThreadData } from './writer-protocol.js';

const port = parentPort!;
const data = workerData as WriterThreadData;
const send = (msg: FromWriter): void => port.postMessage(msg);
const store = new SqliteStore({
  dataDir: data.dataDir,
  synchronous: data.synchronous,
  // Posted before the group's answers, so the request thread hears of a revision before any reply.
  onCommit: (revision) => send({ committed: revision, at: Date.now() }),
});
const { writes } = createDomain(store, data.domain);
const allowed = new Set<string>(WRITE_METHODS);

function carried(err: unknown): CarriedError {
  if (err instanceof NeutronError) {
    return { neutron: { status: err.status, type: err.type, detail: err.detail }, message: err.message };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, stack: e.stack };
}

/** Why the store cannot write, while it cannot (the request thread hears of each change once). */
let fault: string | undefined;

function faultChanged(now: string | undefined): void {
  if (now === fault) return;
  fault = now;
  send({ storeFault: now ?? null });
}

async function run(id: number, method: string, args: readonly unknown[]): Promise<void> {
  try {
    if (!allowed.has(method)) throw new Error(`not a write: ${method}`);
    const fn = writes[method as keyof Writes] as (...a: readonly unknown[]) => Promise<unknown>;
    const value = await fn(...args);
    faultChanged(undefined);
    send({ id, ok: true, value });
  } catch (err) {
    const reason = writeFault(err);
    if (reason === undefined) {
      send({ id, ok: false, error: carried(err) });
      return;
    }
    faultChanged(reason);
    send({ id, ok: false, error: carried(new StoreUnavailable(`The store cannot write: ${reason}. Reads are served; writes resume once it can write again.`)) });
  }
}

port.on('message', (msg: ToWriter) => {
  if ('close' in msg) {
    // Changes already received are queued ahead of this: they commit before the store closes.
    void store.close().then(() => send({ closed: true }));
    return;
  }
  void run(msg.id, msg.method, msg.args);
});
send({ ready: true });
