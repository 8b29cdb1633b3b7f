import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { ClusterRunResult, FleetRunResult } from '../../src/domain/scaling/results';
import { summarize } from '../../src/domain/scaling/results';
import type { ClusterSpec, ScalingSettings } from '../../src/domain/scaling/types';
import type { BusinessCalendar } from '../../src/domain/timetable/phase';
import { istDate } from '../../src/domain/timetable/ist';
import { read } from './lib';
import { failureMessage } from '../lib/failures';

/** Input of every fleet-wide scaling workflow (what a schedule passes; all optional). */
export interface FleetRunInput {
  /** Plan only: read, compute, publish; change nothing. */
  dryRun?: boolean;
  /** Restrict to these clusters (name or `<account>/<region>/<name>`); all when absent. */
  clusters?: string[];
  /** Overrides of the timetable settings (tests use short intervals). */
  settings?: Partial<ScalingSettings>;
}

/** Input of a per-cluster run (child of a fleet run, or started by `eksflow scale`). */
export interface ClusterRunInput {
  cluster: ClusterSpec;
  calendar: BusinessCalendar;
  settings: ScalingSettings;
  prices: Record<string, number>;
  date: string;
  dryRun?: boolean;
}

type ClusterWorkflow = (input: ClusterRunInput) => Promise<ClusterRunResult>;

/**
 * Runs one per-cluster workflow for every configured cluster in parallel. Each cluster is its
 * own child workflow, so one failing cluster (an account without permissions, a region down)
 * never blocks the others: its failure is recorded and the rest complete.
 */
export async function runForEachCluster(
  kind: ClusterRunResult['kind'],
  workflow: ClusterWorkflow,
  input: FleetRunInput,
): Promise<FleetRunResult> {
  const fleet = await read.listFleet({ clusters: input.clusters });
  const settings = { ...fleet.settings, ...input.settings };
  const date = istDate(Date.now());
  const dryRun = Boolean(input.dryRun);
  const parentId = workflowInfo().workflowId;
  const settled = await Promise.allSettled(
    fleet.clusters.map((cluster) =>
      executeChild(workflow, {
        workflowId: `${parentId}/${cluster.key}`,
        args: [{ cluster, calendar: fleet.calendar, settings, prices: fleet.prices, date, dryRun }],
      }),
    ),
  );
  const now = Date.now();
  const clusters = settled.map((s, i): ClusterRunResult => {
    if (s.status === 'fulfilled') return s.value;
    const c = fleet.clusters[i]!;
    return {
      cluster: c.name,
      clusterKey: c.key,
      kind,
      dryRun,
      status: 'failed',
      reason: failureMessage(s.reason),
      groups: [],
      startedAtMs: now,
      finishedAtMs: now,
    };
  });
  return { kind, date, dryRun, clusters, summary: summarize(clusters) };
}
