import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { parseEventBridgeEvent } from '../../src/domain/events/eventbridge';
import { dispatchEvent, startInterruptionWorkflow } from '../../src/ingress/dispatch';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import {
  progressQuery,
  type SpotInterruptionResult,
  type SpotInterruptionProgress,
} from '../../workflows/interruption/messages';
import { asgCapacityWorkflowId, capacityStateQuery } from '../../workflows/interruption/asg-messages';
import { drainWorkflowId } from '../../workflows/drain/messages';
import { sampleEventFor, type FixtureName } from '../fixtures/events/make-event';
import { sandboxOf } from '../fixtures/interruption-sandbox';
import { eventually } from '../support/eventually';
import {
  createTimeSkippingEnv,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

/**
 * The spot interruption workflow on the time-skipping server, with the real activities against
 * moto: the 120 s deadline, the 60 s grace and the 15 min termination wait pass in skipped time.
 */
describe('spotInterruption workflow (time-skipping, activities on moto)', () => {
  const aws = testAwsFactory();
  const account = '444444444444';
  const region = 'us-east-1';
  const clusterName = uniqueName('ts-spot');
  const batchAsg = uniqueName('ts-batch');
  const fleetAsg = uniqueName('ts-fleet');
  const config = testConfig({
    clusters: [
      {
        name: clusterName,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [
          // At max: the raise must lift max too, and the undo put it back.
          {
            name: 'batch',
            kind: 'self-managed',
            asgName: batchAsg,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large', 'm5a.large'],
            businessHours: { min: 1, desired: 2, max: 2 },
            offHours: { min: 1, desired: 2, max: 2 },
            interruption: { strategy: 'raise-capacity', onRebalance: 'notify' },
          },
          {
            name: 'fleet',
            kind: 'self-managed',
            asgName: fleetAsg,
            capacityType: 'SPOT',
            instanceTypes: ['c5.large'],
            businessHours: { min: 1, desired: 2, max: 4 },
            offHours: { min: 1, desired: 2, max: 4 },
            interruption: { strategy: 'ec2-fleet', onRebalance: 'act' },
          },
          // EKS managed spot: moto has no capacity rebalancing, and no reconciler loop runs here, so nothing ever replaces.
          {
            name: 'web',
            capacityType: 'SPOT',
            instanceTypes: ['m5.large', 'm5a.large'],
            businessHours: { min: 1, desired: 2, max: 3 },
            offHours: { min: 1, desired: 2, max: 3 },
          },
          // The same, for the fallback whose group comes back: the return to spot drains and terminates it.
          {
            name: 'api',
            capacityType: 'SPOT',
            instanceTypes: ['m5.large', 'm5a.large'],
            businessHours: { min: 1, desired: 2, max: 3 },
            offHours: { min: 1, desired: 2, max: 3 },
          },
        ],
      },
    ],
  });
  const cluster = config.clusters[0]!;
  const sandbox = sandboxOf(aws, cluster);
  const taskQueue = uniqueName('ts-spot');
  let env: TestWorkflowEnvironment;
  let worker: TestWorker;

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    env = await createTimeSkippingEnv();
    worker = await startTestWorker({ connection: env.nativeConnection, client: env.client, taskQueue, config, aws });
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const dispatchDeps = () => ({ client: env.client, taskQueue }); // search attributes: detected as unsupported here
  async function send(name: FixtureName, instanceId: string, extra: { state?: string; id?: string } = {}) {
    const parsed = parseEventBridgeEvent(
      sampleEventFor(name, { instanceId, time: await env.currentTimeMs(), region, account, ...extra }),
    );
    if (!parsed.ok) throw new Error(parsed.error);
    return dispatchEvent(dispatchDeps(), parsed.event);
  }
  const handleFor = (instanceId: string) =>
    env.client.workflow.getHandle<() => Promise<SpotInterruptionResult>>(`spot-interruption/${instanceId}`);
  const waitForPhase = (
    handle: WorkflowHandle,
    phase: SpotInterruptionProgress['phase'],
  ): Promise<SpotInterruptionProgress> =>
    eventually(
      () => handle.query(progressQuery),
      (p) => p.phase === phase,
      `${handle.workflowId} to reach phase ${phase}`,
    );
  /** The audit records about one instance (its workflow's, or naming it): never counted across the file. */
  const auditAbout = (instanceId: string) =>
    worker.deps.audit.read().filter((r) => JSON.stringify(r).includes(instanceId));
  const auditActions = (action: string, instanceId: string) =>
    auditAbout(instanceId).filter((r) => r.action === action);
  const alertExists = (key: string) =>
    env.client.workflow
      .getHandle(`alert/${key}`)
      .describe()
      .then(
        (d) => d.type,
        () => undefined,
      );

  it('happy path: raises the self-managed ASG (and its max) at once, sees the replacement InService, undoes the raise after termination', async () => {
    const before = await sandbox.asg(batchAsg);
    const interrupted = before.inService[0]!;
    await send('ec2-spot-instance-interruption-warning', interrupted);
    const handle = handleFor(interrupted);
    const waiting = await waitForPhase(handle, 'waiting-for-termination');
    expect(waiting).toMatchObject({
      mode: 'replace',
      strategy: 'raise-capacity',
      cluster: clusterName,
      nodegroup: 'batch',
    });
    expect(waiting.drain).toMatchObject({ skipped: true, reason: expect.stringMatching(/no kubernetes access/) });
    // Nothing to drain without a Kubernetes API: no drain workflow was started for it.
    const drainId = drainWorkflowId(`${account}/${region}/${clusterName}`, interrupted);
    expect(
      await env.client.workflow
        .getHandle(drainId)
        .describe()
        .catch((e: Error) => e.name),
    ).toBe('WorkflowNotFoundError');
    const raised = await sandbox.asg(batchAsg);
    expect(raised).toMatchObject({ desired: before.desired + 1, max: before.max + 1 });
    // The group's one writer holds the unit and the max it lifted, to give both back.
    const writer = env.client.workflow.getHandle(asgCapacityWorkflowId(cluster, batchAsg));
    expect(await writer.query(capacityStateQuery)).toMatchObject({
      holders: { [interrupted]: 1 },
      ledger: { outstanding: 1, maxBefore: before.max, maxSet: before.max + 1 },
    });

    await sandbox.terminate(interrupted); // AWS's part: two minutes later the instance goes
    const result = await handle.result();
    expect(result).toMatchObject({
      outcome: 'replaced',
      strategy: 'raise-capacity',
      success: true,
      withinDeadline: true,
      raiseUndone: true,
    });
    expect(result.newInstances).toHaveLength(1);
    expect(before.inService).not.toContain(result.newInstances[0]);
    expect(result.timeToRequestMs).toBeLessThan(120_000);
    const after = await sandbox.asg(batchAsg);
    expect(after).toMatchObject({ desired: before.desired, max: before.max });
    expect(await writer.query(capacityStateQuery)).toMatchObject({ holders: {}, ledger: { outstanding: 0 } });
    expect(auditActions('eksflow:RaiseCapacity', interrupted)).toHaveLength(1);
    expect(auditActions('eksflow:UndoCapacityRaise', interrupted)).toHaveLength(1);
  });

  it('replacement never running: at the deadline it raises the managed group, then falls back to on-demand and raises a critical alert', async () => {
    const webName = await webAsgName();
    const web = { ...(await sandbox.asg(webName)), name: webName };
    const interrupted = web.inService[0]!;
    const startMs = await env.currentTimeMs();
    await send('ec2-spot-instance-interruption-warning', interrupted);
    const result = await handleFor(interrupted).result();
    expect(result).toMatchObject({
      mode: 'watch-eks',
      strategy: 'eks-rebalancing',
      outcome: 'fallback',
      success: true,
      withinDeadline: false,
    });
    // Spot never came back (nothing replaces here): after the return-to-spot deadline the fallback goes to the cleanup job.
    expect(result.alerts).toEqual([
      'warning:spot_interruption',
      'critical:spot_replacement_missed_deadline',
      'warning:spot_return_missed_deadline',
    ]);
    expect(result.returnToSpot).toMatchObject({ status: 'handed-to-cleanup', terminated: [] });
    expect(result.fallbackInstances).toHaveLength(1);
    // The deadline and the grace passed in skipped time: the fallback came no earlier than 120 s + 60 s after the event.
    expect((await env.currentTimeMs()) - startMs).toBeGreaterThanOrEqual(180_000);
    const fallback = await sandbox.launchedFor(interrupted, 'fallback');
    expect(fallback).toEqual([
      expect.objectContaining({ id: result.fallbackInstances[0], state: 'running', lifecycle: 'on-demand' }),
    ]);
    expect(['m5.large', 'm5a.large', 'm6i.large', 'm5n.large', 't3.large', 'r5.large', 'r5a.large']).toContain(
      fallback[0]!.type,
    );
    expect(await sandbox.tags(fallback[0]!.id)).toMatchObject({
      'eksflow:purpose': 'on-demand-fallback',
      'eksflow:owner': `spot-interruption/${interrupted}`,
      'eksflow:handoff': 'cleanup',
    });
    expect(await alertExists(`spot-interruption/${interrupted}`)).toBe('alertEscalation');
    expect(await alertExists(`spot-fallback/${interrupted}`)).toBe('alertEscalation');
    // The raise went through EKS (it owns the managed group's ASG) and was undone after the termination wait.
    const raises = auditActions('eksflow:RaiseCapacity', interrupted);
    expect(raises).toHaveLength(1);
    expect(auditActions('eksflow:UndoCapacityRaise', interrupted)).toHaveLength(1);
    const batchToken = (r: (typeof raises)[number]) =>
      `asg/${account}/${region}/${web.name}-${(r.detail as { batchId: string }).batchId}`;
    expect(
      worker.deps.audit
        .read()
        .filter((r) => r.action === 'eks:UpdateNodegroupConfig' && JSON.stringify(r).includes(batchToken(raises[0]!))),
    ).toHaveLength(1);
    expect(result.raiseUndone).toBe(true);
  });

  it('return to spot: once the group is back at capacity the on-demand fallback is drained and terminated, exactly once', async () => {
    const apiName = await managedAsgName('api');
    const before = await sandbox.asg(apiName);
    const interrupted = before.inService[0]!;
    await send('ec2-spot-instance-interruption-warning', interrupted);
    const handle = handleFor(interrupted);
    // Past the 120 s deadline and the 60 s grace (skipped time): the on-demand fallback runs.
    await env.sleep(200_000);
    const [fallback] = await eventually(
      () => sandbox.launchedFor(interrupted, 'fallback'),
      (l) => l.length === 1 && l[0]!.state === 'running',
      'the on-demand fallback to run',
    );
    // AWS's part: the interrupted instance goes, and the group launches its spot replacement (moto's ASG
    // replaces a terminated member), so the group is back at capacity without the fallback.
    await sandbox.terminate(interrupted);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'fallback', fallbackInstances: [fallback!.id] });
    expect(result.returnToSpot).toMatchObject({ status: 'returned', terminated: [fallback!.id], spot: [] });
    expect(result.alerts).not.toContain('warning:spot_return_missed_deadline');
    // No Kubernetes access for this cluster: the drain is skipped and says so; the terminate still happens.
    expect(result.notes.join(' ')).toMatch(new RegExp(`fallback ${fallback!.id} drain: .*kubernetes`));
    expect(await sandbox.state(fallback!.id)).toMatch(/^(shutting-down|terminated)$/);
    const after = await sandbox.asg(apiName);
    expect(after.inService).toHaveLength(before.desired);
    expect(after.inService).not.toContain(fallback!.id);
    const terminations = auditActions('ec2:TerminateInstances', interrupted);
    expect(terminations).toHaveLength(1);
    expect(JSON.stringify(terminations[0])).toContain(fallback!.id);
    expect(await sandbox.tags(fallback!.id)).not.toHaveProperty('eksflow:handoff');
  });

  it('duplicate events (same event twice, and a rebalance for the same instance) are one workflow and one fleet launch, attached to the group', async () => {
    const fleetBefore = await sandbox.asg(fleetAsg);
    const interrupted = fleetBefore.inService[0]!;
    const first = await send('ec2-spot-instance-interruption-warning', interrupted, { id: 'dup-event-1' });
    const again = await send('ec2-spot-instance-interruption-warning', interrupted, { id: 'dup-event-1' });
    const rebalance = await send('ec2-instance-rebalance-recommendation', interrupted);
    expect(first.actions[0]!.workflowId).toBe(`spot-interruption/${interrupted}`);
    expect(again.actions[0]!.workflowId).toBe(first.actions[0]!.workflowId);
    expect(rebalance.actions[0]!.workflowId).toBe(first.actions[0]!.workflowId);
    const handle = handleFor(interrupted);
    const runIds = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const h = await startInterruptionWorkflow(dispatchDeps(), {
        kind: 'spot-interruption-warning',
        eventId: 'dup-event-1',
        instanceId: interrupted,
        time: new Date(await env.currentTimeMs()).toISOString(),
        region,
        account,
      });
      runIds.add((await env.client.workflow.getHandle(h).describe()).runId);
    }
    expect(runIds.size).toBe(1);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'replaced', strategy: 'ec2-fleet', success: true });
    expect(result.newInstances).toHaveLength(1);
    const launched = await sandbox.launchedFor(interrupted, 'replacement');
    expect(launched).toEqual([
      expect.objectContaining({ id: result.newInstances[0], lifecycle: 'spot', state: 'running' }),
    ]);
    expect(auditActions('ec2:CreateFleet', interrupted)).toHaveLength(1);
    // Owned: tagged with purpose and owner, a member of the group, and the unit it added given back.
    expect(result.attached).toEqual(result.newInstances);
    expect(await sandbox.tags(result.newInstances[0]!)).toMatchObject({
      'eksflow:purpose': 'spot-replacement',
      'eksflow:owner': `spot-interruption/${interrupted}`,
      'eksflow:attached-to': fleetAsg,
    });
    const fleetAfter = await sandbox.asg(fleetAsg);
    expect(fleetAfter.inService).toContain(result.newInstances[0]);
    expect(fleetAfter).toMatchObject({ desired: fleetBefore.desired, max: fleetBefore.max });
    expect(result.raiseUndone).toBe(true);
  });

  it('an instance of no configured cluster or group is notified only, with no AWS mutation', async () => {
    const stranger = await sandbox.untaggedInstance();
    await send('ec2-spot-instance-interruption-warning', stranger);
    const result = await handleFor(stranger).result();
    expect(result).toMatchObject({
      mode: 'notify-only',
      outcome: 'notified',
      newInstances: [],
      alerts: ['warning:spot_interruption_unmanaged'],
    });
    expect(result.notes.join(' ')).toMatch(/not in the config/);
    expect(await alertExists(`spot-interruption/${stranger}`)).toBe('alertEscalation');
    expect(auditAbout(stranger)).toEqual([]);
  });

  async function managedAsgName(nodegroupName: string): Promise<string> {
    const ng = await aws.eks(cluster).send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
    return ng.nodegroup!.resources!.autoScalingGroups![0]!.name!;
  }
  const webAsgName = () => managedAsgName('web');
});
