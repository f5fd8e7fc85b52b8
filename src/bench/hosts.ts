/**
 * The hosts the VM scenarios boot on: the bench's own (namespaces of a lab on an underlay, each
 * with its `alcor agent --dataplane linux`, started for the run) or a --target's live agents, whose
 * hosts must then be network namespaces on this machine named as the host (as a lab names them),
 * for the bench plugs VMs into them as libvirt would.
 */
import type { NeutronClient } from './client.js';
import type { Lab, LabHost } from './lab.js';
import { sh } from './lab.js';

const ADMIN = {};

interface Agent { readonly host: string; readonly alive: boolean; readonly agent_type?: string }

async function agents(client: NeutronClient): Promise<Agent[]> {
  return (await client.list('agents', ADMIN)) as unknown as Agent[];
}

/** Starts the relay and an agent on each of the lab's hosts; resolves once every agent is alive. */
export async function startOwnHosts(lab: Lab, client: NeutronClient, timeoutMs = 30_000): Promise<LabHost[]> {
  await lab.startRelay();
  for (const h of lab.hosts) lab.startAgent(h);
  const until = performance.now() + timeoutMs;
  for (;;) {
    const alive = new Set((await agents(client)).filter((a) => a.alive).map((a) => a.host));
    const waiting = lab.hosts.filter((h) => !alive.has(h.name));
    if (waiting.length === 0) return lab.hosts;
    if (performance.now() > until) {
      throw new Error(`agents not alive after ${timeoutMs} ms: ${waiting.map((h) => `${h.name}:\n${h.log.join('').slice(-2000)}`).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The --target's live agents' hosts, adopted into the lab: each must be a namespace here. */
export async function targetHosts(lab: Lab, client: NeutronClient): Promise<LabHost[]> {
  const live = [...new Set((await agents(client)).filter((a) => a.alive).map((a) => a.host))].sort();
  if (live.length === 0) throw new Error('the target has no live agents to boot VMs on');
  const here = new Set(sh('ip', ['netns', 'list']).out.split('\n').map((l) => l.split(' ')[0]).filter(Boolean));
  const away = live.filter((h) => !here.has(h));
  if (away.length) {
    throw new Error(`the target's live agents' hosts ${away.join(', ')} are not network namespaces on this machine: the bench plugs VMs into their hosts as libvirt would, so it needs them here (or use --nova)`);
  }
  return live.map((h) => lab.adopt(h));
}
