/**
 * Amazon EKS Kubernetes version support dates. Standard support lasts 14 months from the EKS
 * release, extended support 12 more; after that EKS upgrades the control plane itself.
 *
 * Source: Amazon EKS user guide, "Understand the Kubernetes version lifecycle on EKS" → "Amazon
 * EKS Kubernetes release calendar" (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html),
 * cross-checked with https://endoflife.date/amazon-eks. The table is data with a date: a scan
 * long after TABLE_DATE says the table may be stale, and a version it does not list is reported
 * as unknown instead of being guessed.
 */
export const VERSION_TABLE_SOURCE = 'https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html';
export const VERSION_TABLE_DATE = '2026-02-15';

export interface EksVersionSupport {
  version: string;
  released: string;
  endOfStandardSupport: string;
  endOfExtendedSupport: string;
}

export const EKS_VERSIONS: readonly EksVersionSupport[] = [
  { version: '1.35', released: '2026-01-27', endOfStandardSupport: '2027-03-27', endOfExtendedSupport: '2028-03-27' },
  { version: '1.34', released: '2025-10-02', endOfStandardSupport: '2026-12-02', endOfExtendedSupport: '2027-12-02' },
  { version: '1.33', released: '2025-05-29', endOfStandardSupport: '2026-07-29', endOfExtendedSupport: '2027-07-29' },
  { version: '1.32', released: '2025-01-23', endOfStandardSupport: '2026-03-23', endOfExtendedSupport: '2027-03-23' },
  { version: '1.31', released: '2024-09-26', endOfStandardSupport: '2025-11-26', endOfExtendedSupport: '2026-11-26' },
  { version: '1.30', released: '2024-05-23', endOfStandardSupport: '2025-07-23', endOfExtendedSupport: '2026-07-23' },
  { version: '1.29', released: '2024-01-23', endOfStandardSupport: '2025-03-23', endOfExtendedSupport: '2026-03-23' },
  { version: '1.28', released: '2023-09-26', endOfStandardSupport: '2024-11-26', endOfExtendedSupport: '2025-11-26' },
  { version: '1.27', released: '2023-05-24', endOfStandardSupport: '2024-07-24', endOfExtendedSupport: '2025-07-24' },
  { version: '1.26', released: '2023-04-11', endOfStandardSupport: '2024-06-11', endOfExtendedSupport: '2025-06-11' },
  { version: '1.25', released: '2023-02-21', endOfStandardSupport: '2024-05-01', endOfExtendedSupport: '2025-05-01' },
  { version: '1.24', released: '2022-11-15', endOfStandardSupport: '2024-01-31', endOfExtendedSupport: '2025-01-31' },
  { version: '1.23', released: '2022-08-11', endOfStandardSupport: '2023-10-11', endOfExtendedSupport: '2024-10-11' },
];

export type SupportPhase =
  | { phase: 'standard'; entry: EksVersionSupport; daysLeft: number }
  | { phase: 'extended'; entry: EksVersionSupport; daysLeft: number }
  | { phase: 'unsupported'; entry: EksVersionSupport; daysSince: number }
  | { phase: 'unknown' };

const DAY_MS = 86_400_000;
/** A support date ends at the end of that day (UTC). */
const endOf = (date: string) => Date.parse(`${date}T00:00:00Z`) + DAY_MS;

/** Where `version` (`1.29`, or `1.29.3` / `v1.29` as some tools print it) stands on `atMs`. */
export function supportPhase(
  version: string,
  atMs: number,
  table: readonly EksVersionSupport[] = EKS_VERSIONS,
): SupportPhase {
  const minor = /^v?(\d+\.\d+)/.exec(version)?.[1];
  const entry = minor ? table.find((e) => e.version === minor) : undefined;
  if (!entry) return { phase: 'unknown' };
  const std = endOf(entry.endOfStandardSupport);
  const ext = endOf(entry.endOfExtendedSupport);
  if (atMs < std) return { phase: 'standard', entry, daysLeft: Math.floor((std - atMs) / DAY_MS) };
  if (atMs < ext) return { phase: 'extended', entry, daysLeft: Math.floor((ext - atMs) / DAY_MS) };
  return { phase: 'unsupported', entry, daysSince: Math.floor((atMs - ext) / DAY_MS) };
}

/** Days between the table's date and `atMs` (a scan reports a table older than ~6 months). */
export function tableAgeDays(atMs: number, tableDate = VERSION_TABLE_DATE): number {
  return Math.floor((atMs - Date.parse(`${tableDate}T00:00:00Z`)) / DAY_MS);
}
