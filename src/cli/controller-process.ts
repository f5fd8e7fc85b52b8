/**
 * A controller as its own process, on a free loopback port and a fresh data directory: what
 * `alcor bench`, the Rally and Tempest runners and the side-by-side benchmark load.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYSTONE_URL, SERVICE_PASSWORD } from '../bench/keystone-admin.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/alcor.js');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface ControllerProcess {
  readonly url: string;
  /** Where agents connect. */
  readonly southboundUrl: string;
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
}

export interface ControllerOptions {
  readonly keystone?: boolean;
  readonly quiet?: boolean;
  /** Where agents connect (default a free loopback port); `unix:/path` for a lab's relay. */
  readonly southboundListen?: string;
  readonly extraArgs?: readonly string[];
}

export async function startControllerProcess(opts: ControllerOptions = {}): Promise<ControllerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'alcor-controller-'));
  const port = await freePort();
  const southbound = opts.southboundListen ?? `127.0.0.1:${await freePort()}`;
  const auth = opts.keystone ? ['--auth-strategy', 'keystone', '--keystone-url', KEYSTONE_URL] : [];
  const child = spawn(process.execPath, [BIN, 'start', '--listen', `127.0.0.1:${port}`, '--southbound-listen', southbound, '--data', dataDir, '--log-level', 'warn', ...auth, ...(opts.extraArgs ?? [])], {
    stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', 'inherit'],
    env: { ...process.env, ALCOR_KEYSTONE_PASSWORD: process.env.ALCOR_KEYSTONE_PASSWORD ?? SERVICE_PASSWORD },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || i > 200) throw new Error('the controller did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    southboundUrl: southbound.startsWith('unix:') ? southbound : `http://${southbound}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
