import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  validateDecision,
  type ApproveRequest,
  type ProposalStatus,
  type RejectRequest,
} from '../../src/domain/tuning/proposals';
import { controllerCall } from '../lib/presets';
import { failureMessage } from '../lib/failures';
import { approveProposalUpdate, proposalStatusQuery, rejectProposalUpdate, type TuningProposalInput } from './messages';

const control = proxyActivities<Activities>(controllerCall);

/** The pending change's phases; plain JSON state (it crosses continue-as-new). */
class PendingChange {
  decision?: { kind: 'approve'; req: ApproveRequest } | { kind: 'reject'; req: RejectRequest };
  constructor(public status: ProposalStatus) {}

  decide(kind: 'approve' | 'reject', req: unknown): ProposalStatus {
    const ok = validateDecision(this.status, Date.now(), kind, req);
    this.decision = kind === 'approve' ? { kind, req: ok as ApproveRequest } : { kind, req: ok as RejectRequest };
    this.status = {
      ...this.status,
      state: kind === 'approve' ? 'approved' : 'rejected',
      decidedBy: ok.by,
      decidedAtMs: Date.now(),
      ...('note' in ok && ok.note ? { note: ok.note } : {}),
      ...('reason' in ok ? { note: ok.reason } : {}),
    };
    return this.status;
  }

  async approve(req: ApproveRequest): Promise<void> {
    try {
      const r = await control.applyTuningProposal({
        proposal: this.status.proposal,
        by: req.by,
        ...(req.note ? { note: req.note } : {}),
        requestId: `${workflowInfo().workflowId}/approve`,
      });
      this.status = { ...this.status, result: r.result };
    } catch (err) {
      this.status = { ...this.status, result: `apply failed: ${failureMessage(err)}` };
    }
  }

  async reject(req: RejectRequest): Promise<void> {
    await control.recordTuningOutcome({
      proposal: this.status.proposal,
      outcome: 'rejected',
      by: req.by,
      reason: req.reason,
    });
  }

  async expire(): Promise<void> {
    this.status = { ...this.status, state: 'expired', decidedAtMs: Date.now() };
    await control.recordTuningOutcome({ proposal: this.status.proposal, outcome: 'expired' });
  }
}

/**
 * One right-sizing proposal waiting for an operator (`tuning/<id>`): never applied silently.
 * Approve → applied through the cluster controller and recorded with the approver; reject →
 * recorded with the reason; no decision by `expiresAtMs` (a durable timer) → recorded as expired.
 * Returns the final status.
 */
export async function tuningProposal(input: TuningProposalInput): Promise<ProposalStatus> {
  const pc = new PendingChange(input.status ?? { proposal: input.proposal, state: 'pending' });
  setHandler(proposalStatusQuery, () => pc.status);
  setHandler(approveProposalUpdate, (req) => pc.decide('approve', req), {
    validator: (req) => {
      validateDecision(pc.status, Date.now(), 'approve', req);
    },
  });
  setHandler(rejectProposalUpdate, (req) => pc.decide('reject', req), {
    validator: (req) => {
      validateDecision(pc.status, Date.now(), 'reject', req);
    },
  });

  const long = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength >= input.maxHistoryEvents);
  for (;;) {
    const left = input.proposal.expiresAtMs - Date.now();
    if (left > 0 && !pc.decision) await condition(() => pc.decision !== undefined || long(), left);
    if (pc.decision?.kind === 'approve') await pc.approve(pc.decision.req);
    else if (pc.decision?.kind === 'reject') await pc.reject(pc.decision.req);
    else if (Date.now() >= input.proposal.expiresAtMs) await pc.expire();
    else {
      await condition(allHandlersFinished);
      if (pc.decision) continue;
      return continueAsNew<typeof tuningProposal>({
        proposal: input.proposal,
        status: pc.status,
        maxHistoryEvents: input.maxHistoryEvents,
      });
    }
    break;
  }
  await condition(allHandlersFinished);
  return pc.status;
}
