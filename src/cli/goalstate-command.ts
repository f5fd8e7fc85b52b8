/**
 * `alcor goalstate graph`: the compiler's graph in DOT with each node's counters, from a running
 * controller (`--url`), or built afresh from a data directory (`--data`) when none runs.
 */
import { parseArgs } from 'node:util';
import { Compiler } from '../goalstate/compiler.js';
import { SqliteChangeFeed } from '../store/sqlite/change-feed.js';

const USAGE = `Usage: alcor goalstate graph [--url API_URL | --data DIR]

  --url URL    a running controller's API (admin; noauth, or OS_TOKEN as X-Auth-Token)
  --data DIR   build the graph from this data directory instead (counters of a first build)`;

export async function goalstateCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, strict: true, options: { url: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (sub !== 'graph' || values.help) {
    process.stdout.write(`${USAGE}\n`);
    if (sub !== 'graph' && sub !== undefined && sub !== '--help' && sub !== '-h') process.exitCode = 2;
    return;
  }
  if (values.url) {
    const headers: Record<string, string> = process.env.OS_TOKEN ? { 'x-auth-token': process.env.OS_TOKEN } : {};
    const res = await fetch(`${values.url.replace(/\/$/, '')}/goalstate/graph`, { headers });
    if (!res.ok) throw new Error(`${values.url} answered ${res.status}: ${await res.text()}`);
    process.stdout.write(await res.text());
    return;
  }
  const feed = new SqliteChangeFeed(values.data ?? './data');
  try {
    const compiler = new Compiler();
    compiler.load(await feed.snapshot());
    process.stdout.write(compiler.graph.engine.dot());
  } finally {
    await feed.close();
  }
}
