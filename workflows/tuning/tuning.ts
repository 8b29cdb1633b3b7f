import {
  ParentClosePolicy,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { TuningProposal } from '../../src/domain/tuning/proposals';
import { istDate } from '../../src/domain/timetable/ist';
import { raiseAlert } from '../lib/alerts';
import { failureMessage } from '../lib/failures';
import { awsRead, compute } from '../lib/presets';
import { proposalWorkflowId, type TuningProposalInput } from './messages';
import { tuningProposal } from './pending-change';

const read = proxyActivities<Activities>(awsRead);
const analyse = proxyActivities<Activities>(compute);

export interface PerformanceTuningInput {
  /** Restrict to these clusters (name or `<account>/<region>/<name>`); all when absent. */
  clusters?: string[];
  /** How long a proposal waits for a decision (capped at the end of its business window). Default 4 h. */
  expiryHours?: number;
  /** End of the 7-day window (epoch ms; tests pin it); now by default. */
  endMs?: number;
}

export interface PerformanceTuningResult {
  date: string;
  proposals: { id: string; workflowId: string; summary: string; started: boolean }[];
  skipped: string[];
  failed: { clusterKey: string; error: string }[];
}

/**
 * The 14:00 performance tuning: per cluster, right-sizing proposals from 7 days of utilisation
 * and the demand forecast (`proposeTuning`); each proposal becomes its own pending change
 * (`tuning/<id>`, outliving this run) that an operator approves or rejects; one info alert lists
 * the new ones. Re-running on the same day leaves the day's pending changes as they are.
 */
export async function performanceTuning(input: PerformanceTuningInput = {}): Promise<PerformanceTuningResult> {
  const fleet = await read.listFleet({ clusters: input.clusters });
  const out: PerformanceTuningResult = { date: istDate(Date.now()), proposals: [], skipped: [], failed: [] };
  for (const cluster of fleet.clusters) {
    let proposals: TuningProposal[];
    try {
      const r = await analyse.proposeTuning({
        clusterKey: cluster.key,
        ...(input.expiryHours !== undefined ? { expiryHours: input.expiryHours } : {}),
        ...(input.endMs !== undefined ? { endMs: input.endMs } : {}),
      });
      proposals = r.proposals;
      out.skipped.push(...r.skipped.map((s) => `${cluster.name}/${s}`));
    } catch (err) {
      out.failed.push({ clusterKey: cluster.key, error: failureMessage(err) });
      continue;
    }
    for (const p of proposals) {
      const workflowId = proposalWorkflowId(p.id);
      let started = true;
      try {
        await startChild(tuningProposal, {
          workflowId,
          args: [{ proposal: p } satisfies TuningProposalInput],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          // A decided (or expired) proposal is the day's answer: not proposed again the same day.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (err) {
        // Today's change for this group exists already (a re-run): leave it.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        started = false;
      }
      out.proposals.push({ id: p.id, workflowId, summary: p.summary, started });
    }
  }
  const fresh = out.proposals.filter((p) => p.started);
  if (fresh.length > 0) {
    await raiseAlert({
      severity: 'info',
      type: 'tuning_proposals',
      dedupKey: `tuning/${out.date}/${workflowInfo().workflowId}`,
      summary: `${fresh.length} right-sizing proposal(s) wait for approval (eksflow tuning list): ${fresh
        .map((p) => `${p.id}: ${p.summary}`)
        .join('; ')}`.slice(0, 1000),
      details: Object.fromEntries(fresh.map((p) => [p.id, p.summary.slice(0, 300)])),
    });
  }
  return out;
}
