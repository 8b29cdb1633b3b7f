import type { HealthStatus } from './status';

const fmtValue = (v: number | undefined, unit?: string) =>
  v === undefined ? '-' : `${Math.round(v * 1000) / 1000}${unit ? ` ${unit}` : ''}`;
const fmtSince = (ms: number, nowMs: number) => {
  if (!ms) return '-';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

/** Left-aligned text table. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `eksflow health status|check` output: one row per check, then the monitor's own state. */
export function formatHealthStatus(s: HealthStatus, nowMs: number): string {
  const head = [
    `health ${s.clusterKey}${s.paused ? `  PAUSED by ${s.paused.by}: ${s.paused.reason}` : ''}`,
    `prometheus ${s.prometheusUrl ?? '-'}  interval ${s.intervalSeconds}s  evaluations ${s.evaluations}` +
      (s.lastEvaluation ? `  last ${fmtSince(s.lastEvaluation.atMs, nowMs)} (${s.lastEvaluation.durationMs} ms)` : ''),
  ];
  if (s.blind.open) head.push(`BLIND since ${fmtSince(s.blind.sinceMs ?? 0, nowMs)}: ${s.blind.lastError ?? ''}`);
  if (!s.configured) return [...head, 'no health checks configured for this cluster (health.clusters)'].join('\n');
  const rows = s.checks.map((c) => [
    c.name,
    c.severity,
    c.state.toUpperCase(),
    fmtValue(c.value, c.unit),
    `${c.operator} ${c.threshold}`,
    fmtSince(c.sinceMs, nowMs),
    c.lastError ? `error: ${c.lastError.slice(0, 60)}` : c.noDataReason ? c.noDataReason : (c.ticket ?? ''),
  ]);
  return [...head, '', renderTable(['CHECK', 'SEVERITY', 'STATE', 'VALUE', 'CONDITION', 'SINCE', 'NOTE'], rows)].join(
    '\n',
  );
}
