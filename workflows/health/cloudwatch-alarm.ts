import { allHandlersFinished, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CloudWatchAlarmStateChange } from '../../src/domain/events/eventbridge';
import { raiseAlert } from '../lib/alerts';
import { failureMessage } from '../lib/failures';
import { awsMutate, awsRead } from '../lib/presets';
import { alarmStateSignal } from './messages';

const act = proxyActivities<Activities>(awsMutate);
const read = proxyActivities<Activities>(awsRead);

export interface CloudWatchAlarmResult {
  alarmArn: string;
  handled: { eventId: string; state: string; action: 'raised' | 'resolved' | 'stale' | 'duplicate' }[];
}

/**
 * Turns one CloudWatch alarm's state changes into an alert: ALARM raises (dedup key = the alarm
 * ARN, so a re-alarm while open merges), OK resolves. Events are handled one at a time in the
 * order of the alarm's own state timestamps: a late, older event changes nothing. Ends when idle;
 * the next event starts a new run (signal-with-start).
 */
export async function cloudwatchAlarm(input: { alarmArn: string }): Promise<CloudWatchAlarmResult> {
  const queue: CloudWatchAlarmStateChange[] = [];
  const seen: string[] = [];
  const handled: CloudWatchAlarmResult['handled'] = [];
  let lastAtMs = 0;
  setHandler(alarmStateSignal, (e) => {
    queue.push(e);
  });

  while (queue.length > 0 || (await condition(() => queue.length > 0, '5 seconds'))) {
    queue.sort((a, b) => a.stateAtMs - b.stateAtMs);
    const e = queue.shift()!;
    if (seen.includes(e.eventId)) {
      handled.push({ eventId: e.eventId, state: e.state, action: 'duplicate' });
      continue;
    }
    seen.push(e.eventId);
    if (e.stateAtMs < lastAtMs) {
      handled.push({ eventId: e.eventId, state: e.state, action: 'stale' });
      continue;
    }
    lastAtMs = e.stateAtMs;
    const metric = e.metric
      ? `${e.metric.namespace}/${e.metric.name}${Object.entries(e.metric.dimensions)
          .map(([k, v]) => ` ${k}=${v}`)
          .join('')}`
      : undefined;
    if (e.state === 'ALARM') {
      // The alarm's metric through the anomaly detector: is the value unusual for this metric?
      let context: { text: string; score?: number } | undefined;
      if (e.metric && patched('alarm-metric-context')) {
        context = await read
          .alarmMetricContext({ account: e.account, region: e.region, metric: e.metric, atMs: e.stateAtMs })
          .catch((err: unknown) => ({ text: `metric context unavailable: ${failureMessage(err)}` }));
      }
      const reason = `CloudWatch alarm ${e.alarmName} is ALARM: ${e.reason}`;
      await raiseAlert({
        severity: 'warning',
        type: 'cloudwatch_alarm',
        dedupKey: input.alarmArn,
        summary: (context ? `${reason.slice(0, 700)} — metric ${context.text}` : reason).slice(0, 1000),
        details: {
          alarm: e.alarmName,
          account: e.account,
          region: e.region,
          ...(e.previousState ? { previousState: e.previousState } : {}),
          ...(metric ? { metric } : {}),
          ...(e.description ? { description: e.description.slice(0, 1000) } : {}),
          ...(context ? { metricContext: context.text.slice(0, 1000) } : {}),
          ...(context?.score !== undefined ? { anomalyScore: Number(context.score.toFixed(3)) } : {}),
        },
      });
      handled.push({ eventId: e.eventId, state: e.state, action: 'raised' });
    } else {
      await act.resolveHealthAlert({
        dedupKey: input.alarmArn,
        note: `CloudWatch alarm ${e.alarmName} is OK: ${e.reason}`.slice(0, 1000),
      });
      handled.push({ eventId: e.eventId, state: e.state, action: 'resolved' });
    }
  }
  await condition(allHandlersFinished);
  return { alarmArn: input.alarmArn, handled };
}
