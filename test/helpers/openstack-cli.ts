/** The real `openstack` client (Debian's python3-openstackclient), run as a test's caller. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Cli = (...args: string[]) => Promise<string>;

export function cli(baseArgs: () => string[], env: () => Record<string, string>): Cli {
  return async (...args: string[]) => {
    const { stdout } = await run('openstack', [...baseArgs(), ...args], { timeout: 60_000, env: { ...process.env, OS_CLOUD: '', ...env() } });
    return stdout;
  };
}

export async function requireCli(): Promise<void> {
  try {
    await run('openstack', ['--version'], { timeout: 60_000 });
  } catch {
    throw new Error('python3-openstackclient is missing: run scripts/ensure-openstack-tools.sh');
  }
}
