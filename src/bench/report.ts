/**
 * What a run leaves behind: a summary table for the terminal, results.json, and a self-contained
 * report.html (inline SVG charts, no scripts or network) readable offline.
 */
import type { Distribution, RunResult } from './bench.js';
import type { Summary } from './stats.js';

const ms = (s: number): string => (Number.isFinite(s) ? (s * 1000).toFixed(1) : '-');
const num = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const SUMMARY_HEADER = ['action', 'count', 'fail', 'min ms', 'median', 'p90', 'p95', 'p99', 'max', 'mean', 'QPS', 'thru/s'];

function summaryRow(name: string, s: Summary, qps: number, thru: number): string[] {
  return [name, String(s.count), String(s.failures), ms(s.min), ms(s.median), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max), ms(s.mean), num(qps), num(thru)];
}

/** The VM scenarios' per-VM figures, as rows of the summary table (no QPS: they are not calls). */
function vmEntries(run: RunResult): Array<[string, Distribution]> {
  const v = run.vms;
  if (!v) return [];
  // Through a real Nova there is no guest to lease or ping: its boot time stands in their place.
  if (v.bootToActive) return [['VM: bind -> ACTIVE', v.bindToActive], ['VM: Nova boot -> ACTIVE', v.bootToActive]];
  return [['VM: bind -> ACTIVE', v.bindToActive], ['VM: bind -> DHCP lease', v.bindToLease], ['VM: bind -> first ping', v.bindToPing]];
}

export function textSummary(run: RunResult): string {
  const rows = Object.entries(run.actions).map(([name, a]) => summaryRow(name, a.summary, a.qps, a.throughput));
  rows.push(summaryRow('(iteration)', run.iteration, NaN, run.iterationsPerSecond));
  for (const [name, d] of vmEntries(run)) rows.push(summaryRow(name, d.summary, NaN, NaN));
  const server = Object.entries(run.actions).filter(([, a]) => a.server)
    .map(([name, a]) => `${name} median ${ms(a.server!.p50)} ms, p99 ${ms(a.server!.p99)} ms`);
  return [
    `${run.title}  run ${run.run}: ${run.iterations.length} iterations in ${num(run.wallSeconds, 2)} s, failure rate ${num(run.failureRate, 2)}%, SLA ${run.slaPassed ? 'passed' : 'FAILED'}`,
    table(SUMMARY_HEADER, rows),
    `QPS = concurrency / mean duration (first call of each kind per iteration left out when repeated); thru/s = successful calls / load wall time`,
    ...(server.length ? [`inside the server (its /metrics histogram): ${server.join('; ')}`] : []),
    ...(run.vms ? [`${run.vms.count} VMs, ${run.vms.failed} failed ${run.vms.bootToActive ? '(Nova boot or port not ACTIVE)' : '(no lease or no answer from the gateway)'}${run.vms.errors.length ? `: ${run.vms.errors.join('; ')}` : ''}`] : []),
  ].join('\n');
}

export function repeatTable(runs: readonly RunResult[], action: string, listAction: string | undefined): string {
  const rows = runs.map((r) => [
    String(r.run), String(r.rowsAfter), num(r.actions[action]?.qps ?? NaN), num(r.actions[action]?.throughput ?? NaN),
    listAction ? ms(r.actions[listAction]?.summary.median ?? NaN) : '-', listAction ? ms(r.actions[listAction]?.summary.p99 ?? NaN) : '-',
    listAction ? ms(r.actions[listAction]?.server?.p99 ?? NaN) : '-',
  ]);
  return table(['run', 'rows in DB', `${action} QPS`, 'throughput/s', 'list median ms', 'list p99 ms', 'list p99 in server ms'], rows);
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Rally's "duration per iteration": iterations in the order they started, their durations up. */
function scatter(run: RunResult): string {
  const w = 760, h = 260, pad = 40;
  const pts = run.iterations;
  const maxX = Math.max(pts.length - 1, 1);
  const maxY = Math.max(...pts.map((p) => p.duration), 1e-3);
  const dots = pts.map((p, i) => `<circle cx="${(pad + (i / maxX) * (w - 2 * pad)).toFixed(1)}" cy="${(h - pad - (p.duration / maxY) * (h - 2 * pad)).toFixed(1)}" r="1.8" fill="${p.error ? '#c0392b' : '#2c7be5'}"/>`).join('');
  return `<svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="duration per iteration">
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#333"/>
<text x="${w / 2}" y="${h - 8}" text-anchor="middle" font-size="12">iterations in the order they started (1 to ${pts.length}, over ${num(run.wallSeconds, 1)} s; red failed)</text>
<text x="12" y="${h / 2}" font-size="12" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">iteration ms (max ${ms(maxY)})</text>${dots}</svg>`;
}

function boxes(entries: ReadonlyArray<[string, Distribution]>, label = 'box plot per atomic action'): string {
  const w = 760, rowH = 46, pad = 190;
  const h = entries.length * rowH + 40;
  const maxX = Math.max(...entries.map(([, a]) => a.summary.max).filter(Number.isFinite), 1e-3);
  const x = (v: number) => (pad + (v / maxX) * (w - pad - 20)).toFixed(1);
  const rows = entries.map(([name, a], i) => {
    const y = 20 + i * rowH;
    const s = a.summary;
    return `<text x="8" y="${y + 20}" font-size="12">${esc(name)}</text>
<line x1="${x(s.min)}" y1="${y + 16}" x2="${x(s.max)}" y2="${y + 16}" stroke="#555"/>
<rect x="${x(a.p25)}" y="${y + 4}" width="${(Number(x(a.p75)) - Number(x(a.p25))).toFixed(1)}" height="24" fill="#9ecae1" stroke="#2171b5"/>
<line x1="${x(s.median)}" y1="${y + 4}" x2="${x(s.median)}" y2="${y + 28}" stroke="#08306b" stroke-width="2"/>
<line x1="${x(s.p99)}" y1="${y + 8}" x2="${x(s.p99)}" y2="${y + 24}" stroke="#c0392b"/>`;
  }).join('');
  return `<svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${label}">${rows}
<text x="${pad}" y="${h - 6}" font-size="11">0 ms</text><text x="${w - 20}" y="${h - 6}" font-size="11" text-anchor="end">${ms(maxX)} ms (whiskers min-max, box p25-p75, blue median, red p99)</text></svg>`;
}

function serverTable(run: RunResult): string {
  const rows = Object.entries(run.actions).filter(([, a]) => a.server)
    .map(([name, a]) => `<tr><td>${esc(name)}</td><td>${a.server!.count}</td><td>${ms(a.server!.p50)}</td><td>${ms(a.server!.p99)}</td></tr>`).join('');
  return rows ? `<h3>Inside the server (its /metrics histogram)</h3><table><tr><th>action</th><th>count</th><th>median ms</th><th>p99 ms</th></tr>${rows}</table>` : '';
}

export function htmlReport(runs: readonly RunResult[], extra: { cleanupSeconds?: number; repeat?: string } = {}): string {
  const sections = runs.map((run) => {
    const rows = [...Object.entries(run.actions).map(([name, a]) => summaryRow(name, a.summary, a.qps, a.throughput)),
      ...vmEntries(run).map(([name, d]) => summaryRow(name, d.summary, NaN, NaN))].map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
    const vms = run.vms ? `<h3>Per VM, from its port's bind (${run.vms.count} VMs, ${run.vms.failed} failed)</h3>${boxes(vmEntries(run), 'per VM: bind to ACTIVE, DHCP lease, first ping')}` : '';
    return `<section><h2>${esc(run.title)}, run ${run.run}</h2>
<p>${run.iterations.length} iterations, concurrency ${run.concurrency}, load ${num(run.wallSeconds, 2)} s, failure rate ${num(run.failureRate, 2)}%, SLA ${run.slaPassed ? 'passed' : '<b>failed</b>'}; ${run.rowsAfter} resources created so far.</p>
<h3>Atomic actions and QPS</h3><table><tr>${SUMMARY_HEADER.map((h) => `<th>${h}</th>`).join('')}</tr>${rows}</table>${serverTable(run)}
<h3>Duration per iteration over time</h3>${scatter(run)}
<h3>Box plot per atomic action</h3>${boxes(Object.entries(run.actions))}${vms}</section>`;
  }).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>alcor bench</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}td:first-child,th:first-child{text-align:left}section{margin-bottom:36px}</style>
</head><body><h1>alcor bench report</h1>
<p>QPS is the reference report's: concurrency / mean duration of the action, leaving out the first call of each kind in an iteration when the action repeats. Throughput is successful calls / wall time of the load phase.</p>
${extra.repeat ? `<h2>Runs without cleanup between them</h2><pre>${esc(extra.repeat)}</pre>` : ''}
${extra.cleanupSeconds !== undefined ? `<p>Cleanup took ${num(extra.cleanupSeconds, 2)} s.</p>` : ''}
${sections}</body></html>`;
}

export interface Side {
  readonly name: string;
  readonly run: RunResult;
}

/** One table, both servers side by side: the figure that holds is the ratio measured in one go. */
export function compareTable(a: Side, b: Side): string {
  const actions = [...new Set([...Object.keys(a.run.actions), ...Object.keys(b.run.actions)])];
  const rows = actions.flatMap((action) => {
    const x = a.run.actions[action];
    const y = b.run.actions[action];
    return [
      [action, 'QPS', num(x?.qps ?? NaN), num(y?.qps ?? NaN), num((x?.qps ?? NaN) / (y?.qps ?? NaN))],
      [action, 'throughput/s', num(x?.throughput ?? NaN), num(y?.throughput ?? NaN), num((x?.throughput ?? NaN) / (y?.throughput ?? NaN))],
      [action, 'median ms', ms(x?.summary.median ?? NaN), ms(y?.summary.median ?? NaN), num((y?.summary.median ?? NaN) / (x?.summary.median ?? NaN))],
      [action, 'p99 ms', ms(x?.summary.p99 ?? NaN), ms(y?.summary.p99 ?? NaN), num((y?.summary.p99 ?? NaN) / (x?.summary.p99 ?? NaN))],
    ];
  });
  rows.push(['(run)', 'failure rate %', num(a.run.failureRate, 2), num(b.run.failureRate, 2), '-']);
  rows.push(['(run)', 'load seconds', num(a.run.wallSeconds, 2), num(b.run.wallSeconds, 2), num(b.run.wallSeconds / a.run.wallSeconds)]);
  return table(['action', 'figure', a.name, b.name, `${a.name} / ${b.name} (x)`], rows);
}

export function compareHtml(a: Side, b: Side, cleanup: Record<string, number | undefined>): string {
  const body = htmlReport([a.run, b.run]).replace('<h1>alcor bench report</h1>', `<h1>${esc(a.name)} vs ${esc(b.name)}</h1>
<p>The same task, run against each server one after the other on this machine. Sections below: ${esc(a.name)} first, then ${esc(b.name)}.</p>
<pre>${esc(compareTable(a, b))}</pre>
<p>Cleanup: ${Object.entries(cleanup).map(([k, v]) => `${esc(k)} ${v === undefined ? '-' : num(v, 2)} s`).join(', ')}.</p>`);
  return body;
}
