import type { AlertInput } from '../alerts/types';
import type { Finding } from './types';

const LISTED = 10;

/**
 * One alert per scan, only for findings that are new and critical or high; nothing when there are
 * none. Critical findings page (critical); high ones alone are a warning.
 */
export function newFindingsAlert(scanId: string, newFindings: Finding[], reportPath?: string): AlertInput | undefined {
  const urgent = newFindings.filter((f) => f.severity === 'critical' || f.severity === 'high');
  if (urgent.length === 0) return undefined;
  const critical = urgent.filter((f) => f.severity === 'critical').length;
  const high = urgent.length - critical;
  const listed = urgent.slice(0, LISTED).map((f) => `[${f.severity}] ${f.title} (${f.resource})`);
  const more = urgent.length > LISTED ? `; and ${urgent.length - LISTED} more in the report` : '';
  return {
    severity: critical > 0 ? 'critical' : 'warning',
    type: 'security_findings',
    dedupKey: `security-scan/${scanId}`,
    summary: `Security scan: ${urgent.length} new finding(s) — ${critical} critical, ${high} high`,
    details: {
      newCritical: critical,
      newHigh: high,
      findings: listed.join('\n') + more,
      ids: urgent.map((f) => f.id).join(' '),
      ...(reportPath ? { report: reportPath } : {}),
    },
    ...(reportPath ? { links: [{ label: 'Security report', url: `file://${reportPath}` }] } : {}),
  };
}
