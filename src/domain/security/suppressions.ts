import type { Finding } from './types';

export interface SuppressionRule {
  id: string;
  resource?: string;
  reason: string;
  until: string;
}

export interface SuppressedFinding {
  finding: Finding;
  suppression: SuppressionRule;
}

export interface SuppressionOutcome {
  /** Findings that count: not suppressed, or suppressed by an expired entry. */
  active: Finding[];
  suppressed: SuppressedFinding[];
  /** Entries whose `until` has passed (their findings are active again). */
  expired: SuppressionRule[];
  /** Entries still in force that matched no finding (fixed, or a typo in the id). */
  unused: SuppressionRule[];
}

export function suppressionEndsMs(s: Pick<SuppressionRule, 'until'>): number {
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s.until) ? `${s.until}T00:00:00Z` : s.until);
}

/** A suppression names a finding id, or a rule id (optionally narrowed to one resource). */
export function suppressionMatches(s: SuppressionRule, f: Finding): boolean {
  if (s.id === f.id) return s.resource === undefined || s.resource === f.resource;
  return s.id === f.ruleId && (s.resource === undefined || s.resource === f.resource);
}

export function applySuppressions(findings: Finding[], rules: SuppressionRule[], atMs: number): SuppressionOutcome {
  const inForce = rules.filter((s) => atMs < suppressionEndsMs(s));
  const expired = rules.filter((s) => atMs >= suppressionEndsMs(s));
  const used = new Set<SuppressionRule>();
  const active: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of findings) {
    const s = inForce.find((r) => suppressionMatches(r, f));
    if (s) {
      used.add(s);
      suppressed.push({ finding: f, suppression: s });
    } else active.push(f);
  }
  return { active, suppressed, expired, unused: inForce.filter((s) => !used.has(s)) };
}
