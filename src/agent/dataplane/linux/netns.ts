/**
 * Network namespaces no one names, each kept alive by a holder process of its own (`sleep`, its
 * argv[0] set to a path in the agent's state directory so it is recognised after a restart). A named
 * namespace (`ip netns add`) is a bind mount, and an agent run inside a mount namespace of its own
 * would lose it when it exits; a holder outlives the agent, so a restart interrupts no traffic.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './run.js';
import { run } from './run.js';

const marker = (dir: string): string => join(dir, 'netns');

/** The holder's pid, if it still runs. */
export function holderPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === marker(dir)) return pid;
  } catch { /* none */ }
  return undefined;
}

/** Makes the namespace and returns its holder's pid once the holder is inside it. */
export async function startHolder(dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const ours = readlinkSync('/proc/self/ns/net');
  const child = spawn('unshare', ['--net', 'bash', '-c', 'exec -a "$0" sleep infinity', marker(dir)], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error('the namespace holder did not start');
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === marker(dir) && readlinkSync(`/proc/${pid}/ns/net`) !== ours) {
        writeFileSync(join(dir, 'pid'), `${pid}\n`);
        return pid;
      }
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 4));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  throw new Error('the namespace did not come up');
}

/** Kills a process and waits for it to go; for a holder, its namespace goes with it (veths too). */
export async function killAndWait(pid: number): Promise<void> {
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 5));
}

/** A command inside the namespace of `pid`. */
export function inside(pid: number, cmd: string, args: readonly string[], input?: string): Promise<RunResult> {
  return run('nsenter', [`--net=/proc/${pid}/ns/net`, cmd, ...args], input);
}
