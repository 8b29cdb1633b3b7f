import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ApplyResult, CleanupReport, TargetPlan } from '../../activities/cleanup';
import { raiseAlert } from '../lib/alerts';
import { mapLimit } from '../lib/concurrency';
import { awsBatch, awsRead, compute } from '../lib/presets';
import { pinRunConfig } from '../lib/config-pin';

const { cleanupTargets } = proxyActivities<Activities>(awsRead);
const { planResourceCleanup, applyCleanupActions } = proxyActivities<Activities>(awsBatch);
const { writeCleanupReport } = proxyActivities<Activities>(compute);

/** Accounts/regions cleaned at once. */
const TARGETS_IN_FLIGHT = 4;

export interface ResourceCleanupInput {
  /** Config version the run uses (config sync, ssm mode); the worker's version in force at the start when absent. */
  configVersion?: number;
  /** Cluster names or keys (their accounts/regions are cleaned); all configured when absent. */
  clusters?: string[];
  /** Plan only (`eksflow cleanup plan`): nothing is tagged or deleted whatever the modes say. */
  dryRun?: boolean;
}

export interface ResourceCleanupResult {
  /** The config version the run used (ssm mode); absent with a config file. */
  configVersion?: number;
  at: string;
  dryRun: boolean;
  plans: TargetPlan[];
  applied: Record<string, ApplyResult>;
  report: CleanupReport;
}

/**
 * 19:00 IST: find resources with no purpose (unattached volumes, eksflow snapshots past their
 * retention, unassociated EIPs, unused ENIs, launch templates of deleted node groups, instances
 * eksflow launched that are no longer needed), tag them, and on a later run delete the ones whose
 * tag expired and that are still unused — per kind, as `cleanup.mode` allows.
 */
export async function resourceCleanup(input: ResourceCleanupInput = {}): Promise<ResourceCleanupResult> {
  const configVersion = await pinRunConfig(input.configVersion);
  const at = new Date(Date.now()).toISOString();
  const dryRun = input.dryRun ?? false;
  const specs = await cleanupTargets({ clusters: input.clusters });
  const plans = await mapLimit(specs, TARGETS_IN_FLIGHT, (spec) => planResourceCleanup({ spec, at }));
  const applied: Record<string, ApplyResult> = {};
  if (!dryRun) {
    await mapLimit(specs, TARGETS_IN_FLIGHT, async (spec, i) => {
      const actions = plans[i]!.plan.actions.filter(
        (a) => a.type === 'tag' || a.type === 'untag' || a.type === 'delete',
      );
      if (actions.length > 0) applied[spec.key] = await applyCleanupActions({ spec, at, actions });
    });
  }
  const report = await writeCleanupReport({ at, dryRun, plans, applied });
  if (report.totals.candidates > 0 || report.totals.deleted > 0) {
    try {
      await raiseAlert({
        severity: 'info',
        type: 'cleanup_report',
        dedupKey: `cleanup-report/${at.slice(0, 10)}${dryRun ? '/plan' : ''}`,
        summary: `Cleanup: ${report.totals.candidates} candidate(s) ($${report.totals.candidateUsdMonth.toFixed(2)}/month), ${report.totals.tagged} tagged, ${report.totals.deleted} deleted ($${report.totals.reclaimedUsdMonth.toFixed(2)}/month reclaimed)`,
        details: { report: report.htmlPath, json: report.jsonPath, dryRun },
        links: [{ label: 'Cleanup report', url: `file://${report.htmlPath}` }],
      });
    } catch (err) {
      log.warn('cleanup report notification failed', { error: String(err) });
    }
  }
  return { at, dryRun, plans, applied, report, ...(configVersion !== undefined ? { configVersion } : {}) };
}
