/** A controller as its own process, started the way scripts start it: `node bin/alcor.js start`. */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { freePort } from '../../src/cli/controller-process.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(ROOT, 'bin', 'alcor.js');

export { freePort };

export interface ControllerProcess {
  readonly url: string;
  readonly southboundUrl: string;
  readonly proc: ChildProcess;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnController(dataDir: string, extraArgs: string[] = []): Promise<ControllerProcess> {
  const port = await freePort();
  const southbound = await freePort();
  const proc = spawn(process.execPath, [BIN, 'start', '--listen', `127.0.0.1:${port}`, '--southbound-listen', `127.0.0.1:${southbound}`, '--data', dataDir, '--log-level', 'warn', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += String(d); });
  proc.stderr!.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`controller exited early (${proc.exitCode}): ${out}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (i > 200) throw new Error(`controller did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    southboundUrl: `http://127.0.0.1:${southbound}`,
    proc,
    output: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}
