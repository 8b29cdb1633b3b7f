/**
 * The two-phase cleanup plan: tag first (`eksflow:cleanup-after=<time>`), delete on a later run
 * once that time has passed and the resource is still a candidate. Protected resources
 * (`eksflow:protect`) are never touched; a tagged resource that is in use again is untagged.
 */
import type { Assessment, CleanupKind } from './candidates';

export type CleanupMode = 'report' | 'tag' | 'delete';
export type ActionType = 'report' | 'tag' | 'wait' | 'delete' | 'untag';

export interface CleanupAction {
  type: ActionType;
  kind: CleanupKind;
  id: string;
  reason: string;
  monthlyUsd: number;
  /** For `tag`: the time written; for `wait`/`delete`: the time found. */
  cleanupAfter?: string;
}

export interface PlanSettings {
  modes: Record<CleanupKind, CleanupMode>;
  graceHours: number;
  /** Network interfaces carry no creation time: "older than N hours" is "seen unused N hours ago". */
  networkInterfaceMinAgeHours: number;
}

export interface CleanupPlan {
  actions: CleanupAction[];
  protectedCandidates: string[];
}

const HOUR = 3_600_000;

export function cleanupAfterFor(kind: CleanupKind, at: string, s: PlanSettings): string {
  const hours = kind === 'networkInterfaces' ? Math.max(s.graceHours, s.networkInterfaceMinAgeHours) : s.graceHours;
  return new Date(Date.parse(at) + hours * HOUR).toISOString();
}

/** True when the resource may be deleted now: still a candidate, not protected, its tag expired. */
export function deletable(a: Assessment, at: string): boolean {
  return (
    a.candidate &&
    !a.protected &&
    a.cleanupAfter !== undefined &&
    a.cleanupAfter !== 'invalid' &&
    Date.parse(a.cleanupAfter) <= Date.parse(at)
  );
}

export function planCleanup(assessments: readonly Assessment[], at: string, s: PlanSettings): CleanupPlan {
  const plan: CleanupPlan = { actions: [], protectedCandidates: [] };
  const sorted = [...assessments].sort((a, b) =>
    a.kind === b.kind ? (a.id < b.id ? -1 : 1) : a.kind < b.kind ? -1 : 1,
  );
  for (const a of sorted) {
    const mode = s.modes[a.kind];
    const base = { kind: a.kind, id: a.id, reason: a.reason, monthlyUsd: a.monthlyUsd };
    if (a.protected) {
      if (a.candidate) plan.protectedCandidates.push(`${a.kind}/${a.id}`);
      continue;
    }
    if (!a.candidate) {
      if (a.cleanupAfter !== undefined && mode !== 'report')
        plan.actions.push({ ...base, type: 'untag', reason: `no longer a candidate: ${a.reason}` });
      continue;
    }
    if (mode === 'report') {
      plan.actions.push({ ...base, type: 'report' });
    } else if (a.cleanupAfter === undefined || a.cleanupAfter === 'invalid') {
      plan.actions.push({ ...base, type: 'tag', cleanupAfter: cleanupAfterFor(a.kind, at, s) });
    } else if (mode === 'delete' && deletable(a, at)) {
      plan.actions.push({ ...base, type: 'delete', cleanupAfter: a.cleanupAfter });
    } else {
      plan.actions.push({ ...base, type: 'wait', cleanupAfter: a.cleanupAfter });
    }
  }
  return plan;
}

export interface CleanupTotals {
  candidates: number;
  tagged: number;
  deleted: number;
  /** $/month of the candidates found (what full cleanup would reclaim). */
  candidateUsdMonth: number;
  /** $/month of what this run deleted. */
  reclaimedUsdMonth: number;
}

export function totals(actions: readonly CleanupAction[], deletedIds: ReadonlySet<string>): CleanupTotals {
  const round = (n: number) => Math.round(n * 100) / 100;
  const cand = actions.filter((a) => a.type !== 'untag');
  const deleted = actions.filter((a) => a.type === 'delete' && deletedIds.has(`${a.kind}/${a.id}`));
  return {
    candidates: cand.length,
    tagged: actions.filter((a) => a.type === 'tag').length,
    deleted: deleted.length,
    candidateUsdMonth: round(cand.reduce((s, a) => s + a.monthlyUsd, 0)),
    reclaimedUsdMonth: round(deleted.reduce((s, a) => s + a.monthlyUsd, 0)),
  };
}
