/**
 * The kernel's own tools (iproute2, nftables) run as child processes: each round's changes go as one
 * batch per tool on standard input, so a round costs a few process starts whatever its size.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A missing binary is a refusal like any other, reported rather than thrown.
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: `${cmd}: ${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Runs and throws with the tool's own words when it fails. */
export async function must(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/**
 * One `ip`/`bridge` batch with -force: every line is tried, and the lines that failed come back by
 * number (iproute2 says "Command failed -:N") with the error printed before each. `via` runs the
 * tool through another command (nsenter, for a namespace).
 */
export async function batch(tool: 'ip' | 'bridge', lines: readonly string[], via: readonly string[] = []): Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  if (lines.length === 0) return failed;
  const args = [...via, tool, '-force', '-batch', '-'];
  const r = await run(args[0], args.slice(1), `${lines.join('\n')}\n`);
  if (r.code === 0) return failed;
  let reason: string[] = [];
  for (const line of r.stderr.split('\n')) {
    const m = /^Command failed -:(\d+)/.exec(line);
    if (m) {
      failed.set(Number(m[1]) - 1, reason.join(' ').trim() || 'refused');
      reason = [];
    } else if (line.trim()) reason.push(line.trim());
  }
  if (failed.size === 0) failed.set(-1, r.stderr.trim() || `${tool} exited ${r.code}`);
  return failed;
}
