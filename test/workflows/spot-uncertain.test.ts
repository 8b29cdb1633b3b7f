import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { parseEventBridgeEvent } from '../../src/domain/events/eventbridge';
import { dispatchEvent } from '../../src/ingress/dispatch';
import { seedCluster } from '../../src/sandbox/seed';
import type { SpotInterruptionResult } from '../../workflows/interruption/messages';
import { asgCapacityWorkflowId, capacityStateQuery } from '../../workflows/interruption/asg-messages';
import { progressQuery } from '../../workflows/interruption/messages';
import { sampleEventFor } from '../fixtures/events/make-event';
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
 * Requests that took effect although the workflow saw them fail — what a killed worker or a
 * batch call sent by another activity leaves behind (found in the full-size chaos run: a spot
 * replacement launched by a batch whose member's activity timed out, then an on-demand fallback
 * and a second spot instance for the same interruption; raises applied by the group's writer
 * after the caller gave up, never given back). The real activities run against moto; two of them
 * are wrapped to do their work and then report a non-retryable failure, as a lost answer looks.
 */
describe('spotInterruption when a request failed but took effect (time-skipping, activities on moto)', () => {
  const aws = testAwsFactory();
  const account = '454545454545';
  const region = 'us-east-1';
  const clusterName = uniqueName('ts-uncertain');
  const batchAsg = uniqueName('ts-u-batch');
  const fleetAsg = uniqueName('ts-u-fleet');
  const config = testConfig({
    clusters: [
      {
        name: clusterName,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [
          {
            name: 'batch',
            kind: 'self-managed',
            asgName: batchAsg,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large', 'm5a.large'],
            businessHours: { min: 1, desired: 2, max: 4 },
            offHours: { min: 1, desired: 2, max: 4 },
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
        ],
      },
    ],
  });
  const cluster = config.clusters[0]!;
  const sandbox = sandboxOf(aws, cluster);
  const taskQueue = uniqueName('ts-uncertain');
  let env: TestWorkflowEnvironment;
  let worker: TestWorker;
  const lostAnswers: string[] = [];
  /** Interrupted instances whose spot launch is refused at first and then lands late, just before their fallback. */
  const late = new Map<string, Parameters<ReturnType<typeof createActivities>['launchFleet']>[0] | undefined>();

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    env = await createTimeSkippingEnv();
    worker = await startTestWorker({
      connection: env.nativeConnection,
      client: env.client,
      taskQueue,
      config,
      aws,
      extra: (deps) => {
        const real = createActivities(deps);
        const lost = (what: string) => {
          lostAnswers.push(what);
          return ApplicationFailure.nonRetryable(`${what}: the answer was lost on the way back`, 'LostAnswer');
        };
        return {
          activities: {
            ...real,
            // The spot replacement is launched, and the workflow never hears of it.
            launchFleet: async (input: Parameters<typeof real.launchFleet>[0]) => {
              const id = input.identity.instanceId;
              if (late.has(id) && input.capacity === 'spot' && input.purpose === undefined) {
                late.set(id, input);
                throw ApplicationFailure.nonRetryable(`no spot capacity for ${id} (yet)`, 'NoCapacity');
              }
              // The refused launch lands after all, before the fallback's (a batch call answering late).
              const pending = late.get(id);
              if (pending && input.capacity === 'on-demand') {
                late.delete(id);
                await real.launchFleet(pending);
              }
              const r = await real.launchFleet(input);
              if (input.capacity === 'spot' && input.purpose === undefined) throw lost(`launchFleet ${r.instanceIds}`);
              return r;
            },
            // The raise is applied by the group's writer, and the workflow never hears of it.
            requestGroupCapacity: async (input: Parameters<typeof real.requestGroupCapacity>[0]) => {
              const r = await real.requestGroupCapacity(input);
              if (input.op === 'raise') throw lost(`raise of ${input.identity.instanceId}`);
              return r;
            },
          },
        };
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  async function send(instanceId: string) {
    const parsed = parseEventBridgeEvent(
      sampleEventFor('ec2-spot-instance-interruption-warning', {
        instanceId,
        time: await env.currentTimeMs(),
        region,
        account,
      }),
    );
    if (!parsed.ok) throw new Error(parsed.error);
    return dispatchEvent({ client: env.client, taskQueue }, parsed.event);
  }
  const handleFor = (instanceId: string) =>
    env.client.workflow.getHandle<() => Promise<SpotInterruptionResult>>(`spot-interruption/${instanceId}`);
  const auditActions = (action: string, instanceId: string) =>
    worker.deps.audit.read().filter((r) => r.action === action && JSON.stringify(r).includes(instanceId));

  it('a fleet launch whose answer was lost is found by its tag: replaced, no on-demand fallback, no second spot instance', async () => {
    const before = await sandbox.asg(fleetAsg);
    const interrupted = before.inService[0]!;
    await send(interrupted);
    const result = await handleFor(interrupted).result();
    expect(lostAnswers.some((l) => l.startsWith('launchFleet'))).toBe(true);
    const launched = await sandbox.launchedFor(interrupted, 'replacement');
    expect(launched).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'replaced', success: true, fallbackInstances: [] });
    expect(result.newInstances).toEqual([launched[0]!.id]);
    expect(await sandbox.launchedFor(interrupted, 'fallback')).toEqual([]);
    expect(auditActions('ec2:CreateFleet', interrupted)).toHaveLength(1);
    expect(result.alerts).not.toContain('critical:spot_replacement_missed_deadline');
  });

  it('a raise the writer applied after the caller gave up is given back once the instance is gone', async () => {
    const before = await sandbox.asg(batchAsg);
    const interrupted = before.inService[0]!;
    await send(interrupted);
    const handle = handleFor(interrupted);
    await eventually(
      () => handle.query(progressQuery),
      (p) => p.phase === 'waiting-for-termination',
      'the run to wait for the interrupted instance to go',
    );
    expect(lostAnswers).toContain(`raise of ${interrupted}`);
    // The writer raised the group, though the run was told the raise failed (and fell back to on-demand).
    expect(await sandbox.asg(batchAsg)).toMatchObject({ desired: before.desired + 1 });
    await sandbox.terminate(interrupted); // AWS's part
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'fallback', raiseUndone: true });
    const writer = env.client.workflow.getHandle(asgCapacityWorkflowId(cluster, batchAsg));
    expect(await writer.query(capacityStateQuery)).toMatchObject({ holders: {}, ledger: { outstanding: 0 } });
    expect(await sandbox.asg(batchAsg)).toMatchObject({ desired: before.desired, max: before.max });
  });

  it('return to spot counts a spot replacement that landed late: the fallback goes, no second spot instance', async () => {
    // An instance of the group outside its Auto Scaling group (as the chaos run's burst): its
    // return to spot is a spot instance launched for it, not the group coming back.
    const target = { accountId: account, region, roleArn: cluster.roleArn };
    const group = (
      await aws.autoScaling(target).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [fleetAsg] }))
    ).AutoScalingGroups![0]!;
    const run = await aws.ec2(target).send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateId: group.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' },
        SubnetId: group.VPCZoneIdentifier!.split(',')[0]!,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'eks:cluster-name', Value: clusterName },
              { Key: 'eks:nodegroup-name', Value: 'fleet' },
            ],
          },
        ],
      }),
    );
    const interrupted = run.Instances![0]!.InstanceId!;
    late.set(interrupted, undefined);
    await send(interrupted);
    const result = await handleFor(interrupted).result();
    expect(result.outcome).toBe('fallback');
    const spot = await sandbox.launchedFor(interrupted, 'replacement');
    expect(spot).toHaveLength(1);
    expect(result.returnToSpot).toMatchObject({ status: 'returned', spot: [spot[0]!.id] });
    expect(result.returnToSpot?.terminated).toEqual(result.fallbackInstances);
    // One spot launch (the late one) and one on-demand: return to spot launched nothing of its own.
    expect(auditActions('ec2:CreateFleet', interrupted)).toHaveLength(2);
    expect(worker.deps.audit.read().filter((r) => JSON.stringify(r).includes('return-to-spot'))).toEqual([]);
  });
});
