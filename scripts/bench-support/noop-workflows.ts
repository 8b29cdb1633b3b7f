import {
  defineSignal,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';

/**
 * Ceilings of the benchmarks: workflows of the same shape as the real ones with empty logic, so
 * a benchmark can print what Temporal itself costs on this machine beside its result.
 */
export const noopEventSignal = defineSignal<[unknown]>('event');

/** An interruption run with nothing to do: started by signal-with-start, returns at once. */
export async function noopInterruption(_input: unknown): Promise<string> {
  setHandler(noopEventSignal, () => undefined);
  return 'ok';
}

/** The activity of `shapeInterruption`: nothing. */
export function createShapeActivities() {
  return {
    async shapeStep(): Promise<void> {},
  };
}

const shapeRemote = proxyActivities<ReturnType<typeof createShapeActivities>>({ startToCloseTimeout: '1 minute' });
const shapeLocal = proxyLocalActivities<ReturnType<typeof createShapeActivities>>({ startToCloseTimeout: '1 minute' });

/**
 * An interruption run's Temporal shape with empty logic: signal-with-start, then identify, launch
 * and one status read one after another (the burst's four workflow tasks and three activity tasks
 * per event) — as activities, or as local activities (run inside the workflow task: no activity
 * task for the server to persist and match, and fewer workflow tasks).
 */
export async function shapeInterruption(input: { local?: boolean }): Promise<string> {
  setHandler(noopEventSignal, () => undefined);
  const step = input.local ? shapeLocal : shapeRemote;
  await step.shapeStep();
  await step.shapeStep();
  await step.shapeStep();
  return 'ok';
}

export interface CeilingAlertInput {
  key: string;
  slackUrl: string;
  pagerdutyUrl: string;
  routingKey: string;
}

/** The activities of `ceilingAlert`: one POST each to the same receivers the real deliveries use. */
export function createCeilingActivities() {
  const post = async (url: string, body: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`POST ${url}: HTTP ${res.status}`);
  };
  return {
    async ceilingSlack(a: CeilingAlertInput): Promise<void> {
      await post(a.slackUrl, { text: `bench alert ${a.key}` });
    },
    async ceilingPagerDuty(a: CeilingAlertInput): Promise<void> {
      await post(a.pagerdutyUrl, {
        routing_key: a.routingKey,
        event_action: 'trigger',
        dedup_key: a.key,
        payload: { summary: `bench alert ${a.key}`, source: 'bench', severity: 'critical' },
      });
    },
  };
}

const ceiling = proxyActivities<ReturnType<typeof createCeilingActivities>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 5 },
});

/** An alert of the real one's shape with empty logic: signal-with-start, two deliveries, one timer. */
export async function ceilingAlert(input: CeilingAlertInput): Promise<void> {
  setHandler(noopEventSignal, () => undefined);
  await Promise.all([ceiling.ceilingSlack(input), ceiling.ceilingPagerDuty(input)]);
  await sleep('10 minutes');
}

/** What the scale-up ceiling records: when each group's "update" ran (ms since epoch). */
export function createScaleUpCeilingActivities(applied: number[]) {
  return {
    async ceilingStep(): Promise<void> {},
    async ceilingApply(): Promise<void> {
      applied.push(Date.now());
    },
  };
}

const scaleSteps = proxyActivities<ReturnType<typeof createScaleUpCeilingActivities>>({
  startToCloseTimeout: '1 minute',
});

export interface CeilingScaleUpInput {
  clusters: number;
  groups: number;
  pollMs: number;
  /**
   * Per cluster, the task queue its updates go to: the rate-limited EKS queue of its
   * account/region, polled at the real queue's rate (the real updates are dispatched so too).
   */
  applyQueues: string[];
}

/**
 * The 08:00 scale-up's shape with empty logic: a child per cluster that reads its controller and
 * its groups at once, then per group its update (on its account/region's rate-limited queue, a
 * spot group's outlook beside it), then one
 * poll interval and one read of all its groups (workflows/scaling/scale-up.ts
 * `scaleUpGroupsHere`; no child per group).
 */
export async function ceilingScaleUp(input: CeilingScaleUpInput): Promise<void> {
  await scaleSteps.ceilingStep(); // listFleet
  await Promise.all(
    Array.from({ length: input.clusters }, (_, c) =>
      executeChild(ceilingScaleUpCluster, {
        workflowId: `${workflowInfo().workflowId}/${c}`,
        args: [{ ...input, cluster: c }],
      }),
    ),
  );
}

export async function ceilingScaleUpCluster(input: CeilingScaleUpInput & { cluster: number }): Promise<void> {
  const c = input.cluster;
  await Promise.all([scaleSteps.ceilingStep(), scaleSteps.ceilingStep()]); // controlState, readGroups
  await Promise.all(
    Array.from({ length: input.groups }, async (_, g) => {
      await Promise.all([
        proxyActivities<ReturnType<typeof createScaleUpCeilingActivities>>({
          startToCloseTimeout: '1 minute',
          taskQueue: input.applyQueues[c]!,
        }).ceilingApply(),
        ...(g % 2 ? [scaleSteps.ceilingStep()] : []), // spot outlook
      ]);
    }),
  );
  await sleep(input.pollMs);
  await scaleSteps.ceilingStep(); // the verifying readGroups
}
