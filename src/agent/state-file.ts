/**
 * The agent's goal state and cursors on disk, so that a restarted agent resumes from its cursors
 * (deltas only) instead of asking for everything. Written after applied rounds, at most every
 * `intervalMs`, atomically (write then rename): a crash leaves the previous whole file, whose older
 * cursors still resume by delta.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentCounters, HostAgent } from './host-agent.js';
import type { Persisted } from './goal-state.js';

export interface StateFileContent extends Persisted {
  readonly host: string;
  readonly applied: number;
  readonly counters: AgentCounters;
  readonly savedAt: string;
}

export class StateFile {
  private timer?: NodeJS.Timeout;
  readonly path: string;

  constructor(dir: string, private readonly agent: HostAgent, private readonly intervalMs = 200) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${agent.identity.host}.json`);
  }

  load(): StateFileContent | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const content = JSON.parse(text) as StateFileContent;
      if (content.host !== this.agent.identity.host) return undefined;
      return content;
    } catch {
      // A damaged file costs a snapshot, nothing more.
      return undefined;
    }
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.save(), this.intervalMs);
  }

  save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const content: StateFileContent = {
      host: this.agent.identity.host,
      applied: this.agent.applied,
      counters: this.agent.counters,
      savedAt: new Date().toISOString(),
      ...this.agent.state.persisted(),
    };
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(content));
    renameSync(tmp, this.path);
  }
}
