/**
 * The chaos run (`npm run chaos`, test/integration/chaos.test.ts): the production stack of
 * src/sandbox/stack.ts under the spot burst of bench:interruption, the alerts of bench:alerts and
 * the 50-cluster scale-up of bench:scaling at once, while a fault injector SIGKILLs a random
 * worker every few seconds (and starts it again), restarts the Temporal server once and
 * PostgreSQL once. Then everything is checked from moto's state and the receivers' logs, never
 * from what the workflows say about themselves:
 *   - every event has exactly one spotInterruption execution and one replacement instance
 *     (launched for the event's instance by its one-to-one tag or its batch's assignment, any
 *     state). An on-demand fallback its run terminated once spot was back (the product's promise:
 *     on-demand until spot returns) is no second replacement: it is counted as `fallbacks_returned`;
 *     a fallback still running beside a spot replacement is a duplicate;
 *   - no Auto Scaling group lost or gained a unit (raise-capacity groups back at their size once
 *     the interrupted instances are gone; the fleet group's desired moved only by replacements
 *     attached to it; scaled groups at the timetable's target);
 *   - each PagerDuty page (dedup key) opened once per escalation round (a trigger resent into the
 *     open incident after a crash is merged by PagerDuty; counted apart as `alerts_resent`);
 *   - every EKS node group at its business-hours target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../aws/clients';
import { openOrMergeAlert } from '../client/alerts';
import { parseConfig } from '../config/load';
import type { EksflowConfig } from '../config/schema';
import { FALLBACK_TAG, REPLACEMENT_TAG } from '../domain/interruption/capacity';
import { LAUNCH_BATCH_TAG, replacedBy } from '../domain/interruption/launch-batch';
import { PURPOSE_TAG } from '../domain/interruption/ownership';
import { applySchedules, scheduleIdFor } from '../../schedules/apply';
import { applyOptionsFor, timetableFor } from '../../schedules/from-config';
import { progressQuery } from '../../workflows/interruption/messages';
import { reconcileNodegroupAsgs, startReconcilerLoop } from './nodegroup-asg-reconciler';
import { startMoto, type MotoServer } from './processes';
import { startReceivers, type Receivers } from './receivers';
import { ensureLaunchTemplate, seedCluster } from './seed';
import { startStack, type Stack } from './stack';

export interface ChaosOptions {
  /** Spot interruption warnings (ec2-fleet group, plus the raise-capacity share below). */
  events: number;
  /** Of those, how many hit a raise-capacity group (its ASG is raised and lowered again). */
  raiseEvents: number;
  alerts: number;
  clusters: number;
  workers: number;
  /** Mean interval between worker kills. */
  killEveryMs: number;
  /**
   * Workers load one workflow bundle built at stack start (restart in seconds) instead of bundling
   * at every start. Off by default until a full run with it has been judged (the one short run
   * with it had a raise-capacity run miss its deadline, fall back, and wait in return-to-spot for
   * an interrupted instance this harness only reclaims in later phases).
   */
  prebuiltBundle?: boolean;
  /** When (after the load starts) the Temporal server and PostgreSQL are restarted. */
  serverRestartAtMs: number;
  dbRestartAtMs: number;
  /** Give up waiting for the load after this long (what is missing then counts as lost). */
  timeoutMs: number;
  say?: (msg: string) => void;
  keepDir?: boolean;
}

export interface ChaosResult {
  bench: 'chaos';
  workers: number;
  kills: number;
  server_restarts: number;
  db_restarts: number;
  events: number;
  lost: number;
  duplicated: number;
  asg_drift: number;
  alerts: number;
  alerts_lost: number;
  alerts_duplicated: number;
  /** Triggers resent with the same dedup key into an open incident (merged by PagerDuty, not a second page). */
  alerts_resent: number;
  /** On-demand fallbacks launched at a deadline and terminated by their run once spot was back. */
  fallbacks_returned: number;
  nodegroups: number;
  nodegroups_off_target: number;
  seconds: number;
  /** What each non-zero is made of (instance ids, dedup keys, group names), for the report. */
  evidence: Record<string, unknown>;
}

const TOKEN = 'chaos-ingress-token-0123456789';
const ROUTING_KEY = 'CHAOSR0UTINGKEYCHAOSR0UTINGKEY01';
const SPOT = { accountId: '777777777777', region: 'us-east-1' };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function chaosConfig(o: ChaosOptions, pagerdutyUrl: string): { raw: unknown; config: EksflowConfig } {
  const targets = [
    { accountId: '111111111111', region: 'ap-south-1' },
    { accountId: '222222222222', region: 'us-east-1' },
  ];
  const raiseSize = Math.max(1, o.raiseEvents);
  const raw = {
    clusters: [
      {
        name: 'chaos-spot',
        ...SPOT,
        nodegroups: [
          {
            name: 'batch',
            kind: 'self-managed',
            asgName: 'chaos-spot-batch',
            capacityType: 'SPOT',
            instanceTypes: ['m5.large', 'm5a.large', 'm6i.large'],
            businessHours: { min: 0, desired: 0, max: 10 },
            offHours: { min: 0, desired: 0, max: 10 },
            interruption: { strategy: 'ec2-fleet', onRebalance: 'act' },
            // The scale-up leaves these sizes alone (it would otherwise lower a raised group mid-interruption).
            scalingMode: 'bounds',
          },
          {
            name: 'web',
            kind: 'self-managed',
            asgName: 'chaos-spot-web',
            capacityType: 'SPOT',
            instanceTypes: ['m5.large'],
            businessHours: { min: 0, desired: raiseSize, max: 2 * raiseSize + 5 },
            offHours: { min: 0, desired: raiseSize, max: 2 * raiseSize + 5 },
            interruption: { strategy: 'raise-capacity', onRebalance: 'notify' },
            scalingMode: 'bounds',
          },
        ],
      },
      ...Array.from({ length: o.clusters }, (_, i) => ({
        name: `chaos-${String(i).padStart(3, '0')}`,
        ...targets[i % targets.length],
        nodegroups: Array.from({ length: 4 }, (_, g) => ({
          name: `ng-${g}`,
          capacityType: g % 2 ? 'SPOT' : 'ON_DEMAND',
          instanceTypes: ['m5.large'],
          businessHours: { min: 1, desired: 2, max: 4 },
          offHours: { min: 0, desired: 1, max: 4 },
        })),
      })),
    ],
    timetable: { verifyPollSeconds: 2, verifyTimeoutMinutes: 10 },
    notifications: {
      channels: {
        slack: { webhookUrlEnv: 'EKSFLOW_SLACK_WEBHOOK_URL' },
        pagerduty: { routingKeyEnv: 'PAGERDUTY_ROUTING_KEY', eventsUrl: pagerdutyUrl },
      },
      // One round within the run: a second would come an hour later.
      routes: { critical: { channels: ['pagerduty', 'slack'], escalateAfterSeconds: 3600, rounds: 2 } },
    },
  };
  return { raw, config: parseConfig(raw, 'chaos config') };
}

async function allInstances(aws: AwsClientFactory, tagKey: string): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await aws
      .ec2(SPOT)
      .send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [tagKey] }], NextToken }));
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Every instance eksflow launched: the one-to-one tags of older launches and the batched form. */
async function launchedInstances(aws: AwsClientFactory): Promise<Instance[]> {
  const all = [
    ...(await allInstances(aws, REPLACEMENT_TAG)),
    ...(await allInstances(aws, FALLBACK_TAG)),
    ...(await allInstances(aws, LAUNCH_BATCH_TAG)),
  ];
  return [...new Map(all.map((i) => [i.InstanceId ?? '', i])).values()];
}

const tagMap = (tags: Instance['Tags']): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

async function describeAsg(aws: AwsClientFactory, target: typeof SPOT, name: string): Promise<AutoScalingGroup> {
  const out = await aws
    .autoScaling(target)
    .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!;
}

/** Retries a call through server/database restarts (what a real client's caller does). */
async function persist<T>(what: string, fn: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(Math.min(5_000, 250 * attempt));
    }
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const say = o.say ?? (() => undefined);
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-chaos-'));
  let moto: MotoServer | undefined;
  let receivers: Receivers | undefined;
  let stack: Stack | undefined;
  let connection: Connection | undefined;
  let reconciler: { stop(): void } | undefined;
  let keep = o.keepDir === true;
  try {
    [moto, receivers] = await Promise.all([startMoto({ logFile: join(dir, 'moto.log') }), startReceivers()]);
    const { raw, config } = chaosConfig(o, receivers.pagerdutyUrl);
    const configPath = join(dir, 'eksflow.yaml');
    writeFileSync(configPath, stringify(raw));
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });

    say(`seeding moto: 1 spot cluster, ${o.clusters} clusters × 4 node groups`);
    const [spotCluster, ...scaled] = config.clusters;
    await seedCluster(aws, spotCluster!);
    for (const c of scaled.slice(0, 2)) await seedCluster(aws, c);
    for (let i = 2; i < scaled.length; i += 10)
      await Promise.all(scaled.slice(i, i + 10).map((c) => seedCluster(aws, c)));
    await reconcileNodegroupAsgs(aws, scaled);
    reconciler = startReconcilerLoop(aws, scaled, 1000);

    // The fleet group's interrupted instances: standalone spot nodes, as bench:interruption launches them.
    const fleetEvents = o.events - o.raiseEvents;
    const ec2 = aws.ec2(spotCluster!);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16' }));
    const subnet = (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.61.0.0/18', AvailabilityZone: 'us-east-1a' }),
      )
    ).Subnet!.SubnetId!;
    const batch = spotCluster!.nodegroups[0]!;
    const ltId = await ensureLaunchTemplate(ec2, 'chaos-spot-batch', batch);
    const fleetIds: string[] = [];
    for (let left = fleetEvents; left > 0; left -= 250) {
      const out = await ec2.send(
        new RunInstancesCommand({
          MinCount: Math.min(250, left),
          MaxCount: Math.min(250, left),
          LaunchTemplate: { LaunchTemplateId: ltId, Version: '$Latest' },
          SubnetId: subnet,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'eks:cluster-name', Value: spotCluster!.name },
                { Key: 'eks:nodegroup-name', Value: batch.name },
              ],
            },
          ],
        }),
      );
      fleetIds.push(...(out.Instances ?? []).map((i) => i.InstanceId!));
    }
    const webBefore = await describeAsg(aws, SPOT, 'chaos-spot-web');
    const raiseIds = (webBefore.Instances ?? []).map((i) => i.InstanceId!).slice(0, o.raiseEvents);
    const batchBefore = await describeAsg(aws, SPOT, 'chaos-spot-batch');

    say(`starting the stack (PostgreSQL, Temporal server, ${o.workers} workers, ingress, schedules)`);
    stack = await startStack({
      dir: join(dir, 'stack'),
      workers: o.workers,
      ui: false,
      say,
      values: {
        ...(o.prebuiltBundle ? {} : { EKSFLOW_WORKFLOW_BUNDLE: '' }),
        EKSFLOW_CONFIG: configPath,
        EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
        EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
        AWS_REGION: 'us-east-1',
        EKSFLOW_SLACK_WEBHOOK_URL: receivers.slackUrl,
        EKSFLOW_SLACK_WEBHOOK_URL_SECONDARY: receivers.slackUrlFor('secondary'),
        EKSFLOW_SLACK_WEBHOOK_URL_MANAGER: receivers.slackUrlFor('manager'),
        PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
        PAGERDUTY_WEBHOOK_SECRET: '',
        EKSFLOW_INGRESS_TOKEN: TOKEN,
        EKSFLOW_AWS_ENDPOINT: moto.endpoint,
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        EKSFLOW_LOG_LEVEL: 'warn',
      },
    });
    const st = stack;
    connection = await Connection.connect({ address: st.temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = st.values.TEMPORAL_TASK_QUEUE!;

    // --- the fault injector --------------------------------------------------------------------
    const loadStart = Date.now();
    let kills = 0;
    let serverRestarts = 0;
    let dbRestarts = 0;
    let injecting = true;
    const up = new Set(st.workers.map((_, i) => i));
    const restarting: Promise<void>[] = [];
    const injector = (async () => {
      let serverDone = false;
      let dbDone = false;
      while (injecting || !serverDone || !dbDone) {
        await sleep(o.killEveryMs * (0.5 + Math.random()));
        const at = Date.now() - loadStart;
        if (!serverDone && at >= o.serverRestartAtMs) {
          say('fault: restarting the Temporal server (SIGKILL)');
          await st.temporal.restart();
          serverRestarts++;
          serverDone = true;
          continue;
        }
        if (!dbDone && at >= o.dbRestartAtMs) {
          say('fault: restarting PostgreSQL (SIGQUIT: immediate shutdown, crash recovery)');
          await st.postgres.restart();
          dbRestarts++;
          dbDone = true;
          continue;
        }
        // Never the last running worker: the point is that work moves, not that it stops.
        if (!injecting || up.size < 2) continue;
        const live = [...up];
        const i = live[Math.floor(Math.random() * live.length)]!;
        up.delete(i);
        kills++;
        say(`fault: SIGKILL worker-${i} (kill ${kills})`);
        restarting.push(
          st.restartWorker(i).then(
            () => void up.add(i),
            (err: Error) => say(`worker-${i} did not come back: ${err.message}`),
          ),
        );
      }
    })();

    const deadline = loadStart + o.timeoutMs;
    // --- the load: spot burst, alerts, scale-up ------------------------------------------------
    const eventIds = [...fleetIds, ...raiseIds];
    say(`load: ${eventIds.length} spot warnings, ${o.alerts} alerts, the scale-up of ${o.clusters} clusters`);
    /** When each event was first sent (its `time`): AWS reclaims the instance two minutes later. */
    const sentAt = new Map<string, number>();
    const post = async (instanceId: string) => {
      // EventBridge API destinations retry 5xx and network errors for up to 24 h; the run, until its deadline.
      for (let attempt = 1; ; attempt++) {
        if (!sentAt.has(instanceId)) sentAt.set(instanceId, Date.now());
        const res = await fetch(`${st.ingressUrl}/events/eventbridge`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({
            version: '0',
            id: `chaos-${instanceId}`,
            'detail-type': 'EC2 Spot Instance Interruption Warning',
            source: 'aws.ec2',
            account: SPOT.accountId,
            time: new Date().toISOString(),
            region: SPOT.region,
            resources: [`arn:aws:ec2:${SPOT.region}a:instance/${instanceId}`],
            detail: { 'instance-id': instanceId, 'instance-action': 'terminate' },
          }),
          signal: AbortSignal.timeout(30_000),
        }).catch(() => undefined);
        const status = res?.status ?? 599;
        await res?.arrayBuffer().catch(() => undefined);
        if (status < 300) return;
        if (status < 500 && status !== 429) throw new Error(`event for ${instanceId}: HTTP ${status}`);
        if (Date.now() > deadline) throw new Error(`event for ${instanceId}: still HTTP ${status} at the deadline`);
        await sleep(Math.min(5_000, 200 * attempt));
      }
    };
    let nextEvent = 0;
    const events = Promise.all(
      Array.from({ length: 32 }, async () => {
        while (nextEvent < eventIds.length) await post(eventIds[nextEvent++]!);
      }),
    );
    const alertKey = (i: number) => `chaos-alert-${i}`;
    let nextAlert = 0;
    const alerts = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextAlert < o.alerts) {
          const i = nextAlert++;
          await persist(
            `alert ${i}`,
            () =>
              openOrMergeAlert(
                client,
                { taskQueue, config, uiBaseUrl: 'http://localhost:8233' },
                { severity: 'critical', type: 'chaos', dedupKey: alertKey(i), summary: `chaos alert ${i}` },
              ),
            deadline,
          );
        }
      }),
    );
    const scaleUp = (async () => {
      await applySchedules(
        client,
        timetableFor(config).filter((e) => e.id === 'scale-up'),
        applyOptionsFor(config, taskQueue),
      );
      const schedule = client.schedule.getHandle(scheduleIdFor('scale-up'));
      await persist('trigger scale-up', () => schedule.trigger(), deadline);
      for (;;) {
        const action = (await persist('describe schedule', () => schedule.describe(), deadline)).info
          .recentActions[0] as unknown as { action?: { workflow?: { workflowId: string } } } | undefined;
        const id = action?.action?.workflow?.workflowId;
        if (id) return persist('scale-up result', () => client.workflow.getHandle(id).result(), deadline);
        await sleep(250);
      }
    })();

    // AWS reclaims the raise-capacity group's interrupted instances: here once their workflow waits
    // for it, and in any case when the two-minute notice is over (as AWS does, whatever the run does:
    // a run that fell back waits in return-to-spot for the group to be whole without the instance).
    const reclaimed = new Set<string>();
    const reclaimErrors = new Map<string, string>();
    const reclaim = (async () => {
      while (reclaimed.size < raiseIds.length && Date.now() < deadline) {
        for (const id of raiseIds) {
          if (reclaimed.has(id)) continue;
          const phase = await client.workflow
            .getHandle(`spot-interruption/${id}`)
            .query(progressQuery)
            .then((p) => p.phase)
            .catch(() => undefined);
          const noticeOver = Date.now() > (sentAt.get(id) ?? Infinity) + 120_000;
          if (phase === 'waiting-for-termination' || phase === 'done' || noticeOver) {
            // Counted as reclaimed only once it really went: a failed call is tried again next round
            // (and EC2's own terminate when the group no longer lists it, as AWS ends a spot instance
            // whatever its group says).
            const gone = await aws
              .autoScaling(SPOT)
              .send(
                new TerminateInstanceInAutoScalingGroupCommand({
                  InstanceId: id,
                  ShouldDecrementDesiredCapacity: false,
                }),
              )
              .then(
                () => true,
                () =>
                  aws
                    .ec2(SPOT)
                    .send(new TerminateInstancesCommand({ InstanceIds: [id] }))
                    .then(
                      () => true,
                      (err: Error) => {
                        reclaimErrors.set(id, err.message.slice(0, 200));
                        return false;
                      },
                    ),
              );
            if (gone) {
              reclaimed.add(id);
              reclaimErrors.delete(id);
            }
          }
        }
        await sleep(2_000);
      }
    })();

    await events;
    say('all events accepted; waiting for their workflows');
    const results = await Promise.all(
      eventIds.map((id) =>
        persist(`result of ${id}`, () => client.workflow.getHandle(`spot-interruption/${id}`).result(), deadline).catch(
          (err: Error) => err,
        ),
      ),
    );
    await reclaim;
    await alerts;
    const keysOf = (kind: 'pagerduty') =>
      receivers!
        .received(kind)
        .map(
          (r) =>
            r.body as { dedup_key?: string; event_action?: string; payload?: { custom_details?: { round?: number } } },
        )
        .filter((b) => b.event_action === 'trigger' && b.dedup_key?.startsWith('chaos-alert-'));
    say('waiting for the pages');
    while (new Set(keysOf('pagerduty').map((b) => b.dedup_key)).size < o.alerts && Date.now() < deadline)
      await sleep(1000);
    const scaleResult = await scaleUp.catch((err: Error) => err);
    injecting = false;
    await injector;
    await Promise.all(restarting);
    // Late duplicates (a retried delivery after a kill) get a moment to show.
    await sleep(3_000);

    // --- the verdict, from moto and the receivers -------------------------------------------------
    const evidence: Record<string, unknown> = {};
    const failedResults = eventIds.filter((_, i) => results[i] instanceof Error);
    const executions = new Map<string, number>();
    for await (const w of client.workflow.list({ query: `WorkflowType = 'spotInterruption'` }))
      executions.set(w.workflowId, (executions.get(w.workflowId) ?? 0) + 1);
    const replacements = new Map<string, number>();
    const launchedByEksflow = await launchedInstances(aws);
    const unassigned: string[] = [];
    const fallbacksReturned: string[] = [];
    for (const inst of launchedByEksflow) {
      const tags = tagMap(inst.Tags);
      const of = replacedBy({ instanceId: inst.InstanceId ?? '', tags });
      if (!of) {
        unassigned.push(inst.InstanceId ?? '');
        continue;
      }
      const fallback = tags[PURPOSE_TAG] === 'on-demand-fallback' || tags[FALLBACK_TAG] === of;
      if (fallback && /^(shutting-down|terminated)$/.test(inst.State?.Name ?? '')) fallbacksReturned.push(of);
      else replacements.set(of, (replacements.get(of) ?? 0) + 1);
    }
    if (unassigned.length) evidence.unassignedLaunches = unassigned.slice(0, 20);
    if (fallbacksReturned.length) evidence.fallbacks_returned = fallbacksReturned.slice(0, 20);
    const webAfter = await describeAsg(aws, SPOT, 'chaos-spot-web');
    const raisedWeb = new Set((webAfter.Instances ?? []).map((i) => i.InstanceId));
    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const id of eventIds) {
      const runs = executions.get(`spot-interruption/${id}`) ?? 0;
      // Fleet events: one tagged instance. Raise events: the group launched it (checked by the group's size below).
      const repl = fleetIds.includes(id) ? (replacements.get(id) ?? 0) : 1;
      if (runs === 0 || repl === 0 || failedResults.includes(id)) lost.push(id);
      else if (runs > 1 || repl > 1) duplicated.push(`${id} (runs ${runs}, replacements ${repl})`);
    }
    if (lost.length) evidence.lost = lost.slice(0, 20);
    if (duplicated.length) evidence.duplicated = duplicated.slice(0, 20);
    // The harness's own part (AWS reclaiming the raise group's instances): a gap here explains a
    // run that waited the whole termination wait, not a fault of eksflow's.
    const notReclaimed = raiseIds.filter((id) => !reclaimed.has(id));
    if (notReclaimed.length)
      evidence.not_reclaimed = notReclaimed.slice(0, 20).map((id) => `${id}: ${reclaimErrors.get(id) ?? 'not tried'}`);
    if (failedResults.length)
      evidence.failed = failedResults
        .slice(0, 5)
        .map((id) => `${id}: ${(results[eventIds.indexOf(id)] as Error).message.slice(0, 300)}`);

    // ASGs: the raise group back at its size; the fleet group moved only by replacements attached to it.
    const drift: string[] = [];
    let asgDrift = 0;
    const webDelta = (webAfter.DesiredCapacity ?? 0) - (webBefore.DesiredCapacity ?? 0);
    if (webDelta !== 0) drift.push(`chaos-spot-web desired ${webBefore.DesiredCapacity} → ${webAfter.DesiredCapacity}`);
    asgDrift += Math.abs(webDelta);
    const batchAfter = await describeAsg(aws, SPOT, 'chaos-spot-batch');
    const batchTagged = launchedByEksflow.filter((i) =>
      (batchAfter.Instances ?? []).some((m) => m.InstanceId === i.InstanceId),
    ).length;
    const batchDelta = (batchAfter.DesiredCapacity ?? 0) - (batchBefore.DesiredCapacity ?? 0) - batchTagged;
    if (batchDelta !== 0)
      drift.push(
        `chaos-spot-batch desired ${batchBefore.DesiredCapacity} → ${batchAfter.DesiredCapacity} with ${batchTagged} replacements attached`,
      );
    asgDrift += Math.abs(batchDelta);
    void raisedWeb;

    // Scaled node groups: EKS at the business-hours target, and the group's ASG with it.
    let offTarget = 0;
    const offTargetEvidence: string[] = [];
    for (const c of scaled)
      for (const ng of c.nodegroups) {
        const got = await aws
          .eks(c)
          .send(new DescribeNodegroupCommand({ clusterName: c.name, nodegroupName: ng.name }));
        const sc = got.nodegroup?.scalingConfig;
        const want = ng.businessHours;
        if (sc?.desiredSize !== want.desired || sc?.minSize !== want.min || sc?.maxSize !== want.max) {
          offTarget++;
          offTargetEvidence.push(`${c.name}/${ng.name}: ${JSON.stringify(sc)}`);
        }
        const asgName = got.nodegroup?.resources?.autoScalingGroups?.[0]?.name;
        if (asgName) {
          const g = await describeAsg(aws, c, asgName);
          const d = Math.abs((g.DesiredCapacity ?? 0) - want.desired);
          if (d) drift.push(`${asgName} desired ${g.DesiredCapacity}, target ${want.desired}`);
          asgDrift += d;
        }
      }
    if (drift.length) evidence.asg_drift = drift.slice(0, 20);
    if (offTarget) evidence.nodegroups_off_target = offTargetEvidence.slice(0, 20);
    if (scaleResult instanceof Error) evidence.scale_up = scaleResult.message;

    // Pages: one PagerDuty incident per (dedup key, round). A trigger resent after a worker died
    // between PagerDuty's answer and the activity's completion carries the same dedup key, and
    // PagerDuty merges it into the open incident (no second page): delivery is at least once,
    // the page exactly once. Such resends are counted apart (`alerts_resent`); a duplicate page is
    // a second trigger for a (key, round) after that key was resolved, or under another key.
    const perRound = new Map<string, number>();
    const resolvedAt = new Map<string, number>();
    const duplicatePages = new Map<string, number>();
    const all = receivers!.received('pagerduty').map((r) => r.body as { dedup_key?: string; event_action?: string });
    for (const [n, b] of all.entries()) if (b.event_action === 'resolve' && b.dedup_key) resolvedAt.set(b.dedup_key, n);
    const firstTrigger = new Map<string, number>();
    for (const [n, raw] of all.entries()) {
      const b = raw as (typeof all)[number] & { payload?: { custom_details?: { round?: number } } };
      if (b.event_action !== 'trigger' || !b.dedup_key?.startsWith('chaos-alert-')) continue;
      const k = `${b.dedup_key}#${b.payload?.custom_details?.round ?? 1}`;
      perRound.set(k, (perRound.get(k) ?? 0) + 1);
      const first = firstTrigger.get(k);
      if (first === undefined) firstTrigger.set(k, n);
      else if ((resolvedAt.get(b.dedup_key) ?? -1) > first) duplicatePages.set(k, (duplicatePages.get(k) ?? 1) + 1);
    }
    const resent = [...perRound].filter(([, n]) => n > 1);
    if (resent.length) evidence.alerts_resent = resent.slice(0, 20).map(([k, n]) => `${k} ×${n}`);
    const dupPages = [...duplicatePages];
    const pagedKeys = new Set(keysOf('pagerduty').map((b) => b.dedup_key));
    const lostPages = Array.from({ length: o.alerts }, (_, i) => alertKey(i)).filter((k) => !pagedKeys.has(k));
    if (dupPages.length) evidence.alerts_duplicated = dupPages.slice(0, 20).map(([k, n]) => `${k} ×${n}`);
    if (lostPages.length) evidence.alerts_lost = lostPages.slice(0, 20);
    evidence.logs = st.logDir;
    // A run with something to explain keeps its logs.
    if (lost.length || duplicated.length || asgDrift || offTarget || dupPages.length || lostPages.length) keep = true;

    return {
      bench: 'chaos',
      workers: o.workers,
      kills,
      server_restarts: serverRestarts,
      db_restarts: dbRestarts,
      events: eventIds.length,
      lost: lost.length,
      duplicated: duplicated.length,
      asg_drift: asgDrift,
      alerts: o.alerts,
      alerts_lost: lostPages.length,
      alerts_duplicated: dupPages.reduce((s, [, n]) => s + n - 1, 0),
      alerts_resent: resent.reduce((s, [, n]) => s + n - 1, 0),
      fallbacks_returned: fallbacksReturned.length,
      nodegroups: scaled.length * 4,
      nodegroups_off_target: offTarget,
      seconds: Math.round((Date.now() - t0) / 1000),
      evidence,
    };
  } finally {
    reconciler?.stop();
    await connection?.close().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    await receivers?.close().catch(() => undefined);
    await moto?.stop().catch(() => undefined);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
