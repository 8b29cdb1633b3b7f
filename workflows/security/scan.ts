import { ApplicationFailure, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ClusterScanResult } from '../../activities/security';
import { newFindingsAlert } from '../../src/domain/security/alert';
import { raiseAlert } from '../lib/alerts';
import { awsRead, compute } from '../lib/presets';
import {
  securityScanProgressQuery,
  type SecurityScanInput,
  type SecurityScanProgress,
  type SecurityScanResult,
} from './messages';
import { pinRunConfig } from '../lib/config-pin';

const { securityScanTargets } = proxyActivities<Activities>(awsRead);
// A cluster scan makes many read calls; it gets the longer compute budget.
const { scanClusterSecurity, writeSecurityScanReport } = proxyActivities<Activities>(compute);

export type { SecurityScanInput, SecurityScanResult };

/** The scan's id: given, else the IST date of the run's start (one scheduled scan a night). */
function scanIdFor(input: SecurityScanInput): string {
  if (input.scanId) return input.scanId;
  const info = workflowInfo();
  const ist = new Date(info.startTime.getTime() + 5.5 * 3_600_000).toISOString().slice(0, 16).replace(':', '');
  return `${ist}IST-${info.runId.slice(0, 8)}`;
}

/**
 * 03:00 IST: every cluster read and checked in parallel; one report with the diff against the
 * previous scan; one alert for the new critical/high findings. A cluster that cannot be read is
 * reported as a problem and its previous findings are kept as "not rescanned", not "resolved".
 */
export async function securityScans(input: SecurityScanInput = {}): Promise<SecurityScanResult> {
  const configVersion = await pinRunConfig(input.configVersion);
  const progress: SecurityScanProgress = { phase: 'listing', clusters: 0, scanned: 0, failed: [] };
  setHandler(securityScanProgressQuery, () => progress);
  const scanId = scanIdFor(input);
  const targets = await securityScanTargets({ ...(input.clusters ? { clusters: input.clusters } : {}) });
  progress.clusters = targets.length;
  progress.phase = 'scanning';
  const problems: string[] = [];
  const results = await Promise.all(
    targets.map(async (t): Promise<ClusterScanResult | undefined> => {
      try {
        const r = await scanClusterSecurity(t);
        progress.scanned++;
        return r;
      } catch (err) {
        const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown }).cause;
        const message = (cause as Error | undefined)?.message ?? String(err);
        progress.failed.push(t.cluster);
        problems.push(`${t.accountId}/${t.region}/${t.cluster}: scan failed: ${message}`);
        return undefined;
      }
    }),
  );
  const ok = results.filter((r): r is ClusterScanResult => r !== undefined);
  progress.phase = 'reporting';
  const summary = await writeSecurityScanReport({
    scanId,
    scopes: ok.map((r) => r.scope),
    findings: ok.flatMap((r) => r.findings),
    problems: [...problems, ...ok.flatMap((r) => r.problems.map((p) => `${r.scope}: ${p}`))],
  });
  progress.phase = 'alerting';
  let alerted = false;
  const alert = newFindingsAlert(scanId, summary.newFindings, summary.htmlPath);
  if (alert) {
    try {
      await raiseAlert(alert);
      alerted = true;
    } catch (err) {
      // The report is written either way; an alerting outage must not hide the scan result.
      log.warn('security alert failed', { error: String(err) });
    }
  }
  progress.phase = 'done';
  return {
    ...summary,
    clustersScanned: ok.length,
    clustersFailed: progress.failed,
    alerted,
    ...(configVersion !== undefined ? { configVersion } : {}),
  };
}
