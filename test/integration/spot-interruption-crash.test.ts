import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { AuditLog } from '../../src/audit';
import { createInterruptionActivities } from '../../activities/interruption';
import { parseEventBridgeEvent } from '../../src/domain/events/eventbridge';
import { dispatchEvent } from '../../src/ingress/dispatch';
import { seedCluster } from '../../src/sandbox/seed';
import {
  progressQuery,
  type SpotInterruptionProgress,
  type SpotInterruptionResult,
} from '../../workflows/interruption/messages';
import { sampleEventFor } from '../fixtures/events/make-event';
import { sandboxOf } from '../fixtures/interruption-sandbox';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { eventually } from '../support/eventually';
import { connectDevServer, testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';

/**
 * Crashes: the real worker process (src/worker.ts) is SIGKILLed mid-workflow and another takes
 * over; and the replacement activities are repeated as a retry would repeat them. Neither may
 * raise capacity or launch a replacement twice.
 */
describe('spot interruption survives a worker crash without a double launch', () => {
  const aws = testAwsFactory();
  const account = '666666666666';
  const region = 'us-east-1';
  const clusterName = uniqueName('crash-spot');
  const asgName = uniqueName('crash-raise');
  const fleetAsg = uniqueName('crash-fleet');
  const rawConfig = {
    clusters: [
      {
        name: clusterName,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [
          {
            name: 'raise',
            kind: 'self-managed',
            asgName,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 2, max: 5 },
            offHours: { min: 1, desired: 2, max: 5 },
          },
          {
            name: 'fleet',
            kind: 'self-managed',
            asgName: fleetAsg,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 2, max: 5 },
            offHours: { min: 1, desired: 2, max: 5 },
            interruption: { strategy: 'ec2-fleet', onRebalance: 'notify' },
          },
        ],
      },
    ],
  };
  const config = testConfig(rawConfig);
  const cluster = config.clusters[0]!;
  const sandbox = sandboxOf(aws, cluster);
  const taskQueue = uniqueName('crash-spot');
  const auditPath = join(mkdtempSync(join(tmpdir(), 'eksflow-crash-')), 'audit.jsonl');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    stack = await connectDevServer();
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await stack?.close();
  });

  const waitForPhase = (
    handle: WorkflowHandle,
    phase: SpotInterruptionProgress['phase'],
  ): Promise<SpotInterruptionProgress> =>
    eventually(
      () => handle.query(progressQuery),
      (p) => p.phase === phase,
      `${handle.workflowId} to reach phase ${phase}`,
      { timeoutMs: 30_000 },
    );

  it('SIGKILL while waiting for the interrupted instance: a new worker finishes with one raise and one undo', async () => {
    const first = await spawnWorkerProcess({ config: rawConfig, taskQueue, auditLog: auditPath });
    workers.push(first);
    const before = await sandbox.asg(asgName);
    const interrupted = before.inService[0]!;
    const deps = {
      client: stack.client,
      taskQueue,
      workflowTiming: { pollIntervalMs: 500, terminationWaitMs: 120_000, terminationPollMs: 1_000 },
    };
    const event = (
      name: 'ec2-spot-instance-interruption-warning' | 'ec2-instance-state-change-notification',
      state?: string,
    ) => {
      const parsed = parseEventBridgeEvent(
        sampleEventFor(name, { instanceId: interrupted, time: Date.now(), region, account, state }),
      );
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.event;
    };
    await dispatchEvent(deps, event('ec2-spot-instance-interruption-warning'));
    const handle = stack.client.workflow.getHandle<() => Promise<SpotInterruptionResult>>(
      `spot-interruption/${interrupted}`,
    );
    const progress = await waitForPhase(handle, 'waiting-for-termination');
    expect(progress.replacementIds).toHaveLength(1);

    await first.kill();
    const second = await spawnWorkerProcess({ config: rawConfig, taskQueue, auditLog: auditPath });
    workers.push(second);
    // AWS terminates the instance and EventBridge says so: the state change reaches the running workflow.
    await sandbox.terminate(interrupted);
    const signalled = await dispatchEvent(deps, event('ec2-instance-state-change-notification', 'terminated'));
    expect(signalled.actions[0]).toMatchObject({
      type: 'signal-instance-state',
      workflowId: `spot-interruption/${interrupted}`,
    });

    const result = await handle.result();
    expect(result).toMatchObject({
      outcome: 'replaced',
      strategy: 'raise-capacity',
      success: true,
      raiseUndone: true,
      newInstances: progress.replacementIds,
    });
    const audit = new AuditLog(auditPath).read().filter((r) => JSON.stringify(r.detail ?? {}).includes(interrupted));
    expect(audit.filter((r) => r.action === 'eksflow:RaiseCapacity')).toHaveLength(1);
    expect(audit.filter((r) => r.action === 'eksflow:UndoCapacityRaise')).toHaveLength(1);
    const after = await sandbox.asg(asgName);
    expect(after.desired).toBe(before.desired);
    expect(after.tags[`eksflow:raise:${interrupted}`]).toBeUndefined();
  });

  it('a repeated raise or fleet launch (an activity retry) finds the first one and does nothing', async () => {
    const deps = testActivityDeps({ config, client: stack.client, taskQueue });
    const acts = createInterruptionActivities(deps);
    const raiseTarget = (await sandbox.asg(asgName)).inService[0]!;
    const identity = await acts.identifyInstance({ instanceId: raiseTarget, region, account });
    const once = await acts.raiseGroupCapacity({ identity, requestToken: 'retry-test' });
    const twice = await acts.raiseGroupCapacity({ identity, requestToken: 'retry-test' });
    expect(once.changed).toBe(true);
    expect(twice).toMatchObject({ changed: false, marker: { state: 'raised' } });
    expect((await sandbox.asg(asgName)).desired).toBe(once.marker!.target.desired);
    expect((await acts.undoCapacityRaise({ identity, requestToken: 'retry-test' })).changed).toBe(true);
    expect((await acts.undoCapacityRaise({ identity, requestToken: 'retry-test' })).changed).toBe(false);
    expect((await sandbox.asg(asgName)).desired).toBe(once.marker!.before.desired);

    const fleetTarget = (await sandbox.asg(fleetAsg)).inService[0]!;
    const fleetIdentity = await acts.identifyInstance({ instanceId: fleetTarget, region, account });
    const a = await acts.launchFleet({ identity: fleetIdentity, capacity: 'spot', clientToken: 'retry-test-fleet' });
    const b = await acts.launchFleet({ identity: fleetIdentity, capacity: 'spot', clientToken: 'retry-test-fleet' });
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ created: false, instanceIds: a.instanceIds });
    expect(await sandbox.launchedFor(fleetTarget, 'replacement')).toHaveLength(1);
    expect(deps.audit.read().filter((r) => r.action === 'ec2:CreateFleet')).toHaveLength(1);
  });
});
