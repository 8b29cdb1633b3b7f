import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApproveRequest, ProposalStatus, RejectRequest, TuningProposal } from '../../src/domain/tuning/proposals';

/**
 * Messages of a pending tuning change (`tuning/<proposal id>`): an operator approves or rejects
 * it (validated updates: a bad or late decision is refused and changes nothing), `status` reads it.
 */
export type { ApproveRequest, ProposalStatus, RejectRequest, TuningProposal };

export const PROPOSAL_WORKFLOW_TYPE = 'tuningProposal';

export function proposalWorkflowId(proposalId: string): string {
  return `tuning/${proposalId}`;
}

export interface TuningProposalInput {
  proposal: TuningProposal;
  /** Carried across continue-as-new. */
  status?: ProposalStatus;
  maxHistoryEvents?: number;
}

export const approveProposalUpdate = defineUpdate<ProposalStatus, [ApproveRequest]>('approveProposal');
export const rejectProposalUpdate = defineUpdate<ProposalStatus, [RejectRequest]>('rejectProposal');
export const proposalStatusQuery = defineQuery<ProposalStatus>('proposalStatus');
