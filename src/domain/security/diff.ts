import type { Finding } from './types';

export interface FindingsDiff {
  new: Finding[];
  /** Open in the previous scan and still open. */
  open: Finding[];
  /** Open in the previous scan, gone now (from a scope this scan did cover). */
  resolved: Finding[];
  /** Open in the previous scan in a scope this scan could not cover: neither open nor resolved. */
  notRescanned: Finding[];
}

/**
 * Compares this scan's active findings with the previous scan's, by stable id. A scope (cluster)
 * this scan failed to read keeps its previous findings out of "resolved": a failed read is not a fix.
 */
export function diffFindings(
  previous: Finding[] | undefined,
  current: Finding[],
  scannedScopes: string[],
): FindingsDiff {
  const before = new Map((previous ?? []).map((f) => [f.id, f]));
  const now = new Set(current.map((f) => f.id));
  const scanned = new Set(scannedScopes);
  const out: FindingsDiff = { new: [], open: [], resolved: [], notRescanned: [] };
  for (const f of current) (before.has(f.id) ? out.open : out.new).push(f);
  for (const f of before.values()) {
    if (now.has(f.id)) continue;
    (scanned.has(f.scope) ? out.resolved : out.notRescanned).push(f);
  }
  return out;
}
