import { diffFindings, type FindingsDiff } from './diff';
import { applySuppressions, type SuppressedFinding, type SuppressionRule } from './suppressions';
import { SEVERITIES, sortFindings, type Finding, type FindingSeverity, type FindingSource } from './types';
import { VERSION_TABLE_DATE, VERSION_TABLE_SOURCE, tableAgeDays } from './k8s-versions';

/** The scan report (JSON as written; the HTML is rendered from it). */
export interface SecurityScanReport {
  kind: 'security';
  scanId: string;
  generatedAt: string;
  /** Scopes (`account/region/cluster`) read completely; findings elsewhere are not judged resolved. */
  scopes: string[];
  /** The previous report this one is diffed against (its scanId), if any. */
  previousScanId?: string;
  counts: Record<FindingSeverity, number>;
  bySource: Partial<Record<FindingSource, number>>;
  /** Active findings (not suppressed), each tagged with its diff status. */
  findings: (Finding & { status: 'new' | 'open' })[];
  resolved: Finding[];
  notRescanned: Finding[];
  suppressed: SuppressedFinding[];
  expiredSuppressions: SuppressionRule[];
  unusedSuppressions: SuppressionRule[];
  versionTable: { source: string; date: string; ageDays: number };
  /** What could not be read (a source not enabled, a call denied), in words. */
  problems: string[];
}

export interface BuildScanInput {
  scanId: string;
  generatedAt: string;
  scopes: string[];
  findings: Finding[];
  suppressions: SuppressionRule[];
  previous?: Pick<SecurityScanReport, 'scanId' | 'findings'>;
  problems: string[];
}

/** Suppressions applied, diff against the previous scan's active findings, counts. Pure. */
export function buildScanReport(input: BuildScanInput): { report: SecurityScanReport; diff: FindingsDiff } {
  const atMs = Date.parse(input.generatedAt);
  // The same finding can arrive twice (e.g. two scopes sharing a security group): keep one per id.
  const unique = [...new Map(input.findings.map((f) => [f.id, f])).values()];
  const s = applySuppressions(sortFindings(unique), input.suppressions, atMs);
  const diff = diffFindings(input.previous?.findings, s.active, input.scopes);
  const newIds = new Set(diff.new.map((f) => f.id));
  const counts = Object.fromEntries(
    SEVERITIES.map((sev) => [sev, s.active.filter((f) => f.severity === sev).length]),
  ) as Record<FindingSeverity, number>;
  const bySource: Partial<Record<FindingSource, number>> = {};
  for (const f of s.active) bySource[f.source] = (bySource[f.source] ?? 0) + 1;
  const ageDays = tableAgeDays(atMs);
  const problems = [...input.problems];
  if (ageDays > 183)
    problems.push(
      `the Kubernetes version table is ${ageDays} days old (${VERSION_TABLE_DATE}); check ${VERSION_TABLE_SOURCE} and update it`,
    );
  for (const e of s.expired)
    problems.push(
      `suppression of ${e.id}${e.resource ? ` on ${e.resource}` : ''} expired ${e.until} (reason was: ${e.reason})`,
    );
  return {
    diff,
    report: {
      kind: 'security',
      scanId: input.scanId,
      generatedAt: input.generatedAt,
      scopes: [...input.scopes].sort(),
      previousScanId: input.previous?.scanId,
      counts,
      bySource,
      findings: s.active.map((f) => ({ ...f, status: newIds.has(f.id) ? ('new' as const) : ('open' as const) })),
      resolved: sortFindings(diff.resolved),
      notRescanned: sortFindings(diff.notRescanned),
      suppressed: s.suppressed,
      expiredSuppressions: s.expired,
      unusedSuppressions: s.unused,
      versionTable: { source: VERSION_TABLE_SOURCE, date: VERSION_TABLE_DATE, ageDays },
      problems,
    },
  };
}
