import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { NotFoundError, ValidationError } from '../errors';
import {
  approveRequestSchema,
  rejectRequestSchema,
  type ApproveRequest,
  type ProposalStatus,
  type RejectRequest,
} from '../domain/tuning/proposals';
import {
  approveProposalUpdate,
  PROPOSAL_WORKFLOW_TYPE,
  proposalStatusQuery,
  proposalWorkflowId,
  rejectProposalUpdate,
} from '../../workflows/tuning/messages';

/**
 * Pending tuning changes (`tuning/<id>`): list them, approve or reject one. Shared by the CLI
 * (`eksflow tuning list|approve|reject`), the API and the tests.
 */

/** Proposal ids are `<date>.<cluster>.<nodegroup>.<hash>`: letters, digits, `.`, `-`, `_`. */
export function checkProposalId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(id)) throw new ValidationError(`"${id}" is not a proposal id`);
  return id;
}

/** Proposals on this deployment's task queue: the pending ones by default, all recent ones with `all`. */
export async function listProposals(
  client: Client,
  opts: { taskQueue?: string; all?: boolean } = {},
): Promise<ProposalStatus[]> {
  const query = `WorkflowType = '${PROPOSAL_WORKFLOW_TYPE}'${opts.all ? '' : " AND ExecutionStatus = 'Running'"}${
    opts.taskQueue ? ` AND TaskQueue = '${opts.taskQueue}'` : ''
  }`;
  const out: ProposalStatus[] = [];
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query })) {
    if (seen.has(wf.workflowId)) continue;
    seen.add(wf.workflowId);
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    const s =
      wf.status.name === 'RUNNING'
        ? await handle.query(proposalStatusQuery).catch(() => undefined)
        : await (handle.result() as Promise<ProposalStatus>).catch(() => undefined);
    if (s) out.push(s);
  }
  return out.sort(
    (a, b) => a.proposal.createdAtMs - b.proposal.createdAtMs || a.proposal.id.localeCompare(b.proposal.id),
  );
}

async function decide(
  client: Client,
  id: string,
  send: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>,
): Promise<ProposalStatus> {
  const handle = client.workflow.getHandle(proposalWorkflowId(checkProposalId(id)));
  try {
    await send(handle);
    // The decision is applied (or recorded) by the workflow; its result is the final status.
    return (await handle.result()) as ProposalStatus;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // A decided or expired proposal has closed: say how it ended rather than "not found".
      const closed = await (handle.result() as Promise<ProposalStatus>).catch(() => undefined);
      if (closed)
        throw new ValidationError(
          `proposal ${id} is already ${closed.state}${closed.decidedBy ? ` by ${closed.decidedBy}` : ''}`,
        );
      throw new NotFoundError(`no pending tuning change ${id}`);
    }
    if (err instanceof WorkflowUpdateFailedError)
      throw new ValidationError(((err.cause as Error | undefined)?.message ?? err.message).replace(/^Error: /, ''));
    throw err;
  }
}

/** Approves a pending change and waits until it is applied; returns the final status. */
export function approveProposal(client: Client, id: string, req: ApproveRequest): Promise<ProposalStatus> {
  const body = approveRequestSchema.parse(req);
  return decide(client, id, (h) => h.executeUpdate(approveProposalUpdate, { args: [body] }));
}

/** Rejects a pending change (a reason is required); returns the final status. */
export function rejectProposal(client: Client, id: string, req: RejectRequest): Promise<ProposalStatus> {
  const body = rejectRequestSchema.parse(req);
  return decide(client, id, (h) => h.executeUpdate(rejectProposalUpdate, { args: [body] }));
}

/** One line per proposal, for the CLI. */
export function formatProposals(list: ProposalStatus[]): string {
  if (list.length === 0) return 'no pending tuning changes';
  return list
    .map((s) => {
      const p = s.proposal;
      const cost =
        p.monthlyCostChangeUsd === undefined
          ? 'cost ?'
          : `${p.monthlyCostChangeUsd >= 0 ? '+' : ''}$${p.monthlyCostChangeUsd}/month`;
      const ev = p.evidence;
      const evidence = `cpu p50/p95 ${ev.cpu.p50.toFixed(1)}/${ev.cpu.p95.toFixed(1)}%${
        ev.memory ? `, mem p50/p95 ${ev.memory.p50.toFixed(1)}/${ev.memory.p95.toFixed(1)}%` : ''
      }${ev.forecastPeakCpu !== undefined ? `, forecast peak ${ev.forecastPeakCpu.toFixed(1)}%` : ''}`;
      const who = s.decidedBy ? ` by ${s.decidedBy}` : '';
      return `${p.id}  ${s.state}${who}  ${p.kind} ${p.direction}  ${cost}\n    ${p.summary}\n    evidence: ${evidence}; expires ${new Date(p.expiresAtMs).toISOString()}${s.result ? `\n    ${s.result}` : ''}`;
    })
    .join('\n');
}
