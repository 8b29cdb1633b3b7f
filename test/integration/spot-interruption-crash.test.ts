import { mkdtempSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { AuditLog } from '../../src/audit';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../../src/aws/clients';
import { createInterruptionActivities } from '../../activities/interruption';
import { parseEventBridgeEvent } from '../../src/domain/events/eventbridge';
import { dispatchEvent } from '../../src/ingress/dispatch';
import { seedCluster } from '../../src/sandbox/seed';
import {
  progressQuery,
  type SpotInterruptionProgress,
  type SpotInterruptionResult,
} from '../../workflows/interruption/messages';
import { asgCapacityWorkflowId, capacityStateQuery } from '../../workflows/interruption/asg-messages';
import { sampleEventFor } from '../fixtures/events/make-event';
import { sandboxOf } from '../fixtures/interruption-sandbox';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { eventually } from '../support/eventually';
import {
  connectDevServer,
  motoEndpoint,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';

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
  const burstAsg = uniqueName('crash-burst');
  const BURST = 6;
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
          // At max: every raise lifts max too, and the last release must put it back.
          {
            name: 'burst',
            kind: 'self-managed',
            asgName: burstAsg,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: BURST, max: BURST },
            offHours: { min: 1, desired: BURST, max: BURST },
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

  it('concurrent interruptions on one ASG across two worker processes, one killed mid-way: desired rises by exactly N, max restored after', async () => {
    const spawn = () => spawnWorkerProcess({ config: rawConfig, taskQueue, auditLog: auditPath });
    const a = await spawn();
    const b = await spawn();
    workers.push(a, b);
    const before = await sandbox.asg(burstAsg);
    const interrupted = before.inService.slice(0, BURST);
    expect(interrupted).toHaveLength(BURST);
    const deps = {
      client: stack.client,
      taskQueue,
      workflowTiming: { pollIntervalMs: 500, terminationWaitMs: 120_000, terminationPollMs: 1_000 },
    };
    const event = (
      instanceId: string,
      name: 'ec2-spot-instance-interruption-warning' | 'ec2-instance-state-change-notification',
      state?: string,
    ) => {
      const parsed = parseEventBridgeEvent(
        sampleEventFor(name, { instanceId, time: Date.now(), region, account, state }),
      );
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.event;
    };
    await Promise.all(
      interrupted.map((id) => dispatchEvent(deps, event(id, 'ec2-spot-instance-interruption-warning'))),
    );
    const writer = stack.client.workflow.getHandle(asgCapacityWorkflowId(cluster, burstAsg));
    // Kill one worker as soon as the group's writer has applied a first batch: the rest lands on the survivor.
    await eventually(
      () => writer.query(capacityStateQuery).catch(() => undefined),
      (st) => (st?.batches ?? 0) >= 1,
      'the group writer to apply a batch',
      { timeoutMs: 60_000 },
    );
    await a.kill();
    const c = await spawn();
    workers.push(c);
    const handles = interrupted.map((id) =>
      stack.client.workflow.getHandle<() => Promise<SpotInterruptionResult>>(`spot-interruption/${id}`),
    );
    for (const h of handles) await waitForPhase(h, 'waiting-for-termination');
    const raised = await sandbox.asg(burstAsg);
    expect(raised).toMatchObject({ desired: before.desired + BURST, max: before.max + BURST });
    const held = await writer.query(capacityStateQuery);
    expect(Object.keys(held.holders).sort()).toEqual([...interrupted].sort());
    expect(held.ledger).toEqual({ outstanding: BURST, maxBefore: before.max, maxSet: before.max + BURST });

    for (const id of interrupted) {
      await sandbox.terminate(id);
      await dispatchEvent(deps, event(id, 'ec2-instance-state-change-notification', 'terminated'));
    }
    const results = await Promise.all(handles.map((h) => h.result()));
    for (const r of results) expect(r).toMatchObject({ strategy: 'raise-capacity', raiseUndone: true });
    const after = await sandbox.asg(burstAsg);
    expect(after).toMatchObject({ desired: before.desired, max: before.max });
    expect((await writer.query(capacityStateQuery)).ledger).toEqual({ outstanding: 0 });
    const batches = new AuditLog(auditPath)
      .read()
      .filter((r) => r.action === 'eksflow:RaiseCapacity' && r.target?.endsWith(`/${burstAsg}`));
    // One JSON line for the record: how many size changes the N raises took.
    console.log(
      JSON.stringify({ bench: 'asg-one-writer', raises: BURST, raiseBatches: batches.length, workers: 2, kills: 1 }),
    );
  });

  it('owned capacity: a fallback carries its purpose, its group counts without the interrupted instance, and its end (terminate, hand-off) repeats safely', async () => {
    const deps = testActivityDeps({ config, client: stack.client, taskQueue });
    const acts = createInterruptionActivities(deps);
    const group = await sandbox.asg(fleetAsg);
    const interrupted = group.inService[group.inService.length - 1]!;
    const identity = await acts.identifyInstance({ instanceId: interrupted, region, account });
    const fb = await acts.launchFleet({ identity, capacity: 'on-demand', clientToken: 'owned-test-fallback' });
    expect(await sandbox.tags(fb.instanceIds[0]!)).toMatchObject({
      'eksflow:purpose': 'on-demand-fallback',
      'eksflow:fallback-for': interrupted,
    });
    // The interrupted instance is not counted: the group is one short until it launches spot again.
    expect(await acts.groupCapacityNow({ identity })).toEqual({
      desired: group.desired,
      inService: group.inService.length - 1,
    });
    await acts.handOffToCleanup({ identity, instanceIds: fb.instanceIds });
    expect((await sandbox.tags(fb.instanceIds[0]!))['eksflow:handoff']).toBe('cleanup');
    const reason = 'group back at capacity';
    expect(await acts.terminateLaunched({ identity, instanceIds: fb.instanceIds, reason })).toEqual(fb.instanceIds);
    expect(await acts.terminateLaunched({ identity, instanceIds: fb.instanceIds, reason })).toEqual([]);
    expect(['shutting-down', 'terminated']).toContain(await sandbox.state(fb.instanceIds[0]!));
    expect(deps.audit.read().filter((r) => r.action === 'ec2:TerminateInstances')).toHaveLength(1);
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
  it('concurrent launches of the same shape are one fleet and one assignment; each retry finds its own instance', async () => {
    const deps = testActivityDeps({ config, client: stack.client, taskQueue });
    const acts = createInterruptionActivities(deps);
    const real = (await sandbox.asg(fleetAsg)).inService[0]!;
    const identity = await acts.identifyInstance({ instanceId: real, region, account });
    // Twelve interruptions of the same group at once (ids EC2 does not know: the launch only needs the identity).
    const members = Array.from({ length: 12 }, (_, k) => `i-0b${String(k).padStart(15, '0')}`);
    const results = await Promise.all(
      members.map((instanceId) =>
        acts.launchFleet({
          identity: { ...identity, instanceId },
          capacity: 'spot',
          clientToken: `burst-${instanceId}`,
        }),
      ),
    );
    const fleets = deps.audit.read().filter((r) => r.action === 'ec2:CreateFleet');
    expect(fleets).toHaveLength(1);
    expect(fleets[0]!.detail).toMatchObject({ interruptedInstances: [...members].sort(), purpose: 'spot-replacement' });
    expect(deps.audit.read().filter((r) => r.action === 'ec2:CreateTags')).toHaveLength(1);
    const launched = results.map((r) => r.instanceIds);
    expect(launched.every((ids) => ids.length === 1)).toBe(true);
    expect(new Set(launched.flat()).size).toBe(12);
    for (const [k, instanceId] of members.entries()) {
      const found = await sandbox.launchedFor(instanceId, 'replacement');
      expect(found.map((i) => i.id)).toEqual(launched[k]);
      expect(found[0]!.lifecycle).toBe('spot');
      // The activity's retry (outside an activity context the scan always runs) gets the same instance, launches nothing.
      const again = await acts.launchFleet({
        identity: { ...identity, instanceId },
        capacity: 'spot',
        clientToken: 'x',
      });
      expect(again).toMatchObject({ created: false, instanceIds: launched[k] });
    }
    expect(deps.audit.read().filter((r) => r.action === 'ec2:CreateFleet')).toHaveLength(1);
    const tags = await sandbox.tags(launched[0]![0]!);
    expect(tags['eksflow:purpose']).toBe('spot-replacement');
    expect(tags[`eksflow:for:${members[0]}`]).toBe(`${launched[0]![0]} unknown`);
    expect(Object.keys(tags).filter((t) => t.startsWith('eksflow:for:'))).toHaveLength(12);
  });
  it('a fleet launch whose answer is lost on the way back is one fleet: the SDK does not resend it, the retry finds it by tag', async () => {
    // A proxy in front of moto that lets the first CreateFleet through and then hangs up instead of
    // answering: what a worker sees when the network or an overloaded endpoint drops the response.
    // moto ignores CreateFleet's ClientToken, so a resend by the SDK would launch a second fleet.
    const proxy = await motoProxy({ dropFirstCreateFleetAnswer: true });
    try {
      const lossy = awsThrough(proxy, 3);
      const deps = { ...testActivityDeps({ config, client: stack.client, taskQueue }), aws: lossy };
      const acts = createInterruptionActivities(deps);
      const fleetTarget = (await sandbox.asg(fleetAsg)).inService[1]!;
      const identity = await acts.identifyInstance({ instanceId: fleetTarget, region, account });
      await expect(
        acts.launchFleet({ identity, capacity: 'spot', clientToken: 'lost-answer-fleet' }),
      ).rejects.toThrow();
      expect(proxy.createFleets).toBe(1);
      // The activity's retry (outside an activity context the scan always runs, as on attempt ≥ 2).
      const again = await acts.launchFleet({ identity, capacity: 'spot', clientToken: 'lost-answer-fleet' });
      expect(again.created).toBe(false);
      expect(proxy.createFleets).toBe(1);
      const launched = await sandbox.launchedFor(fleetTarget, 'replacement');
      expect(launched.map((i) => i.id)).toEqual(again.instanceIds);
      expect(launched).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
  it("a capacity batch's stale attempt (it outlived its start-to-close while the writer moved on) writes nothing over the next batch", async () => {
    // The stale attempt records the batch's marker and then stalls (its tag write's answer is held
    // 4 s); meanwhile the batch's retry raises the group and the writer's next batch releases it.
    // When the stale attempt wakes up, its absolute target (the raised size) must not land.
    const proxy = await motoProxy({ delayTagWriteAnswerMs: 4_000 });
    try {
      const staleAws = awsThrough(proxy, 1);
      const deps = testActivityDeps({ config, client: stack.client, taskQueue });
      const acts = createInterruptionActivities(deps);
      const staleActs = createInterruptionActivities({ ...deps, aws: staleAws });
      const group = {
        target: { accountId: account, region, roleArn: cluster.roleArn },
        asgName: fleetAsg,
        kind: 'self-managed' as const,
        cluster: clusterName,
        nodegroup: 'fleet',
      };
      const start = await sandbox.asg(fleetAsg);
      const batch = (batchId: string, ledger: { outstanding: number }, up: number, down: number) => ({
        group,
        batchId,
        ledger,
        up,
        down,
        attach: [],
        owners: [`${up ? 'raise' : 'release'}:i-0fence000000000001`],
      });
      const stale = staleActs.applyCapacityBatch(batch('fence-1', { outstanding: 0 }, 1, 0)).then(
        () => 'applied',
        (err: Error) => err,
      );
      await eventually(
        async () => (await sandbox.asg(fleetAsg)).tags['eksflow:capacity-batch'] ?? '',
        (v) => v.startsWith('fence-1:'),
        'the stale attempt recording its marker',
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}; stale attempt: ${String(await Promise.race([stale, 'still running']))}`);
      });
      const retried = await acts.applyCapacityBatch(batch('fence-1', { outstanding: 0 }, 1, 0));
      expect(retried.target.desired).toBe(start.desired + 1);
      const released = await acts.applyCapacityBatch(batch('fence-2', retried.ledger, 0, 1));
      expect(released.target.desired).toBe(start.desired);
      const outcome = await stale;
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/capacity batch fence-1 superseded by fence-2; wrote nothing/);
      expect((await sandbox.asg(fleetAsg)).desired).toBe(start.desired);
    } finally {
      await proxy.close();
    }
  });
  it("a retry while the first attempt's fleet call is still in flight on this worker waits for it: one fleet", async () => {
    // A proxy that holds CreateFleet for six seconds before passing it to moto: the first attempt's
    // call is in flight, and AWS has launched nothing a tag scan could find.
    const proxy = await motoProxy({ holdCreateFleetMs: 6_000 });
    try {
      const slow = awsThrough(proxy, 1);
      const deps = { ...testActivityDeps({ config, client: stack.client, taskQueue }), aws: slow };
      const acts = createInterruptionActivities(deps);
      const real = (await sandbox.asg(fleetAsg)).inService[0]!;
      // An interrupted id of its own (the launch only needs the identity), so no other test's launch matches.
      const fleetTarget = 'i-0c0000000000000f1';
      const identity = {
        ...(await acts.identifyInstance({ instanceId: real, region, account })),
        instanceId: fleetTarget,
      };
      const first = acts.launchFleet({ identity, capacity: 'spot', clientToken: 'in-flight-fleet' });
      await eventually(
        async () => proxy.createFleets,
        (n) => n === 1,
        'the first CreateFleet reaching the proxy',
      );
      // The retry (outside an activity context it runs the retry path) while that call is held.
      const retry = await acts.launchFleet({ identity, capacity: 'spot', clientToken: 'in-flight-fleet' });
      const launched = await first;
      expect(launched.created).toBe(true);
      expect(retry).toMatchObject({ created: false, instanceIds: launched.instanceIds });
      expect(proxy.createFleets).toBe(1);
      expect(await sandbox.launchedFor(fleetTarget, 'replacement')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

/** An AWS client factory whose calls go through a misbehaving proxy, with the SDK's own retries capped. */
function awsThrough(proxy: { endpoint: string }, maxAttempts: number): AwsClientFactory {
  return new AwsClientFactory({ endpoint: proxy.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts });
}

/**
 * An HTTP proxy in front of moto that counts CreateFleet calls and can misbehave on them: hang up
 * instead of answering the first one (its fleet is launched, the answer lost), or hold each one
 * for a while before passing it on (the call is in flight, nothing launched yet).
 */
async function motoProxy(opts: {
  dropFirstCreateFleetAnswer?: boolean;
  holdCreateFleetMs?: number;
  /** Passes an Auto Scaling tag write on at once but answers it this much later (a stalled caller). */
  delayTagWriteAnswerMs?: number;
}): Promise<{ endpoint: string; readonly createFleets: number; close: () => Promise<void> }> {
  const upstream = new URL(motoEndpoint());
  let createFleets = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isCreateFleet = body.toString('utf8').includes('Action=CreateFleet');
      const isTagWrite = body.toString('utf8').includes('Action=CreateOrUpdateTags');
      if (isCreateFleet) createFleets++;
      const dropAnswer = isCreateFleet && opts.dropFirstCreateFleetAnswer === true && createFleets === 1;
      const forward = () => {
        const up = request(
          { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (c: Buffer) => parts.push(c));
            answer.on('end', () => {
              if (dropAnswer) return void req.socket.destroy();
              const reply = () => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                res.end(Buffer.concat(parts));
              };
              if (isTagWrite && opts.delayTagWriteAnswerMs) setTimeout(reply, opts.delayTagWriteAnswerMs);
              else reply();
            });
          },
        );
        up.end(body);
      };
      if (isCreateFleet && opts.holdCreateFleetMs) setTimeout(forward, opts.holdCreateFleetMs);
      else forward();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get createFleets() {
      return createFleets;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
