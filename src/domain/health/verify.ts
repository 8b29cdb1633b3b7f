import { compare, type Observation, type ResolvedCheck } from './checks';

/** One health check's verdict at a point in time (08:30 verification: no `for`, one look). */
export interface CheckVerdict {
  check: string;
  severity: ResolvedCheck['severity'];
  status: 'healthy' | 'unhealthy';
  value?: number;
  reason: string;
}

export function verifyChecks(checks: ResolvedCheck[], observations: Record<string, Observation>): CheckVerdict[] {
  return checks.map((c) => {
    const o = observations[c.name] ?? { kind: 'error' as const, message: 'not evaluated' };
    const cond = `${c.operator} ${c.threshold}${c.unit ? ` ${c.unit}` : ''}`;
    const head = { check: c.name, severity: c.severity };
    if (o.kind === 'error') return { ...head, status: 'unhealthy', reason: `could not be evaluated: ${o.message}` };
    if (o.kind === 'nodata') {
      if (c.noData === 'ok' || c.noData === 'keep')
        return { ...head, status: 'healthy', reason: `no data (${o.reason}), counted healthy for this check` };
      return { ...head, status: 'unhealthy', reason: `no data (${o.reason})` };
    }
    const v = Math.round(o.value * 1000) / 1000;
    return compare(o.value, c.operator, c.threshold)
      ? { ...head, status: 'unhealthy', value: o.value, reason: `${v} ${cond}` }
      : { ...head, status: 'healthy', value: o.value, reason: `${v}, alert when ${cond}` };
  });
}
