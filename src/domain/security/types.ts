/** Severity as the findings' sources name it (Inspector2, Security Hub and ECR use the same words). */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type FindingSeverity = (typeof SEVERITIES)[number];

export const SEVERITY_ORDER: Record<FindingSeverity, number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  informational: 4,
};

export type FindingSource = 'eksflow' | 'inspector2' | 'securityhub' | 'ecr';

/** One security finding, whatever produced it. Plain JSON (workflow results, reports). */
export interface Finding {
  /** Stable across scans: the same problem on the same resource has the same id. */
  id: string;
  /** The check (`EKS.PUBLIC_ENDPOINT`) or, for AWS services, the service's own type/title. */
  ruleId: string;
  severity: FindingSeverity;
  title: string;
  /** ARN or id of the resource, e.g. `sg-0abc…`, an instance id, the cluster ARN. */
  resource: string;
  /** What was observed, with the values that make it a finding. */
  evidence: string;
  remediation: string;
  source: FindingSource;
  /** `<account>/<region>/<cluster>`: the scan scope the finding belongs to. */
  scope: string;
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function scopeOf(t: { accountId: string; region: string; cluster: string }): string {
  return `${t.accountId}/${t.region}/${t.cluster}`;
}
