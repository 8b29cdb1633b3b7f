import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tuningProposal } from '../../workflows';
import {
  approveProposalUpdate,
  proposalStatusQuery,
  proposalWorkflowId,
  rejectProposalUpdate,
} from '../../workflows/tuning/messages';
import { statusQuery } from '../../workflows/scaling/messages';
import { seedCluster } from '../../src/sandbox/seed';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { proposeForGroup, type TuningProposal } from '../../src/domain/tuning/proposals';
import { eventually } from '../support/eventually';
import {
  createTimeSkippingEnv,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';
import { scalingCluster } from '../support/scaling-fixtures';

const HOUR = 3_600_000;

/**
 * A pending tuning change on the time-skipping server with the real activities and cluster
 * controller against moto: approve (applied through the controller, recorded with the approver),
 * reject (recorded with the reason), and expiry (a durable timer; recorded as expired).
 */
describe('tuningProposal (time-skipping)', () => {
  const aws = testAwsFactory();
  const raw = scalingCluster('ts-tuning');
  const config = testConfig({ clusters: [raw] });
  const cluster = config.clusters[0]!;
  const general = cluster.nodegroups.find((n) => n.name === 'general')!;
  const taskQueue = uniqueName('ts-tuning');
  let env: TestWorkflowEnvironment;
  let plain: Client;
  let worker: TestWorker;

  /** A real proposal for `general` (3 business-hours nodes at 20% CPU → 1), made at the server's now. */
  const makeProposal = async (tag: string): Promise<TuningProposal> => {
    const now = await env.currentTimeMs();
    const out = proposeForGroup({
      clusterKey: clusterKeyOf(cluster),
      cluster: cluster.name,
      ng: general,
      cpu: Array.from({ length: 168 }, () => 20),
      catalogue: { 'm5.large': { vcpu: 2, memoryGiB: 8, usdPerHour: 0.096 } },
      monthlyHours: { business: 200, off: 500 },
      calendar: { businessDays: [0, 1, 2, 3, 4, 5, 6], holidays: [] },
      nowMs: now,
      expiryHours: 2,
    });
    if (!('proposal' in out)) throw new Error(out.skipped);
    // The override holds well past the test (no controller timer fires while the clock is driven).
    return {
      ...out.proposal,
      id: `${out.proposal.id}.${tag}`,
      expiresAtMs: now + 2 * HOUR,
      holdUntilMs: now + 30 * 24 * HOUR,
    };
  };
  const start = async (p: TuningProposal) =>
    plain.workflow.start(tuningProposal, { taskQueue, workflowId: proposalWorkflowId(p.id), args: [{ proposal: p }] });
  const controllerActions = async () =>
    (await plain.workflow.getHandle(controllerWorkflowId(clusterKeyOf(cluster))).query(statusQuery)).lastActions;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    plain = new Client({ connection: env.connection });
    await seedCluster(aws, cluster);
    worker = await startTestWorker({ connection: env.nativeConnection, client: env.client, taskQueue, config, aws });
  });

  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('approve: the size goes through the controller, recorded with the approver', async () => {
    const p = await makeProposal('a');
    expect(p.proposed.businessHours).toEqual({ min: 1, desired: 1, max: 6 });
    const h = await start(p);
    expect((await h.query(proposalStatusQuery)).state).toBe('pending');
    // Validators refuse a bad decision and change nothing.
    await expect(h.executeUpdate(rejectProposalUpdate, { args: [{ by: 'bob' } as never] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    expect((await h.query(proposalStatusQuery)).state).toBe('pending');
    const accepted = await h.executeUpdate(approveProposalUpdate, { args: [{ by: 'alice', note: 'quiet week' }] });
    expect(accepted).toMatchObject({ state: 'approved', decidedBy: 'alice', note: 'quiet week' });
    const final = await h.result();
    expect(final.state).toBe('approved');
    expect(final.result).toMatch(/^override general min=1 desired=1 max=6 until /);
    const actions = await controllerActions();
    expect(actions.find((a) => a.action === 'override')?.summary).toMatch(
      new RegExp(`general min=1 desired=1 max=6 until .* by alice: tuning ${p.id.replace(/\./g, '\\.')}`),
    );
    expect(actions.find((a) => a.action === 'tuning-approved')?.summary).toMatch(
      new RegExp(`^${p.id.replace(/\./g, '\\.')} approved by alice \\(quiet week\\): override general`),
    );
    await eventually(
      async () =>
        (
          await aws
            .eks(cluster)
            .send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: 'general' }))
        ).nodegroup!.scalingConfig!,
      (s) => s.desiredSize === 1 && s.minSize === 1,
      'node group general at desired 1 in moto',
    );
    // A second decision on a decided proposal is refused.
    await expect(
      plain.workflow
        .getHandle(proposalWorkflowId(p.id))
        .executeUpdate(approveProposalUpdate, { args: [{ by: 'eve' }] }),
    ).rejects.toThrow();
  });

  it('reject: nothing applied, recorded with who and why', async () => {
    const p = await makeProposal('r');
    const h = await start(p);
    await h.executeUpdate(rejectProposalUpdate, { args: [{ by: 'bob', reason: 'launch week' }] });
    const final = await h.result();
    expect(final).toMatchObject({ state: 'rejected', decidedBy: 'bob', note: 'launch week' });
    expect(final.result).toBeUndefined();
    const rec = (await controllerActions()).find((a) => a.action === 'tuning-rejected' && a.summary.startsWith(p.id));
    expect(rec?.summary).toContain(`${p.id} rejected by bob: launch week`);
  });

  it('expiry: no decision by the deadline (durable timer) → expired, recorded; a late approval is refused', async () => {
    const p = await makeProposal('e');
    const h = await start(p);
    expect((await h.query(proposalStatusQuery)).state).toBe('pending');
    await env.sleep(2 * HOUR + 60_000);
    const final = await h.result();
    expect(final.state).toBe('expired');
    const rec = (await controllerActions()).find((a) => a.action === 'tuning-expired' && a.summary.startsWith(p.id));
    expect(rec?.summary).toContain(`${p.id} expired unapproved at ${new Date(p.expiresAtMs).toISOString()}`);
    await expect(h.executeUpdate(approveProposalUpdate, { args: [{ by: 'alice' }] })).rejects.toThrow();
  });
});
