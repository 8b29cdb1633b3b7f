import {
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { istLabel } from '../../src/domain/alerts/business-hours';
import type { DigestLine } from '../../src/domain/alerts/payloads';
import type { ChannelTarget, DeliveryResult } from '../../src/domain/alerts/types';
import { failureMessage } from '../lib/failures';
import { awsRead, notify } from '../lib/presets';
import { digestItemSignal, digestStatusQuery, type DigestInput, type DigestItem, type DigestResult } from './messages';

const notifier = proxyActivities<Activities>(notify);
const reader = proxyActivities<Activities>(awsRead);

/**
 * One digest slot (`alert-digest/<IST start of business>`): off-hours info/warning alerts
 * collect here and go out together, one message per channel target, when business hours start.
 * Alerts resolved meanwhile are left out; counts are refreshed from the alert workflows.
 */
export async function alertDigest(input: DigestInput): Promise<DigestResult> {
  const items: DigestItem[] = [...(input.items ?? [])];
  let sent = 0;
  setHandler(digestItemSignal, (item) => {
    if (!items.some((i) => i.alertWorkflowId === item.alertWorkflowId)) items.push(item);
  });
  setHandler(digestStatusQuery, () => ({ deliverAtMs: input.deliverAtMs, items, sent }));

  const waitMs = input.deliverAtMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
  const deliveredAtMs = Date.now();
  const results: DeliveryResult[] = [];
  let batch = 0;
  let included = 0;
  // Items that arrive while a batch is being sent go out in one more batch.
  while (sent < items.length) {
    const pending = items.slice(sent);
    sent = items.length;
    const statuses = await reader.alertStatuses(pending.map((i) => i.alertWorkflowId));
    const live = pending
      .filter((i) => statuses[i.alertWorkflowId]?.status !== 'resolved')
      .map((i) => ({ ...i, count: statuses[i.alertWorkflowId]?.count ?? i.count }));
    included += live.length;
    const label = istLabel(input.deliverAtMs);
    const sends = groupByTarget(live).map(async (g, i) => {
      try {
        return await notifier.deliverDigest({
          target: g.target,
          items: g.lines,
          label,
          deliveryKey: `${workflowInfo().workflowId}#${batch}:${i}`,
        });
      } catch (err) {
        return { channel: g.target.kind, status: 'failed', error: failureMessage(err) } satisfies DeliveryResult;
      }
    });
    results.push(...(await Promise.all(sends)));
    batch += 1;
  }
  await condition(allHandlersFinished);
  if (results.some((r) => r.status === 'failed')) log.warn('digest delivery failed on some channels', { results });
  return { deliveredAtMs, items: included, results };
}

/** One message per channel target, listing every item that goes there. */
function groupByTarget(items: DigestItem[]): { target: ChannelTarget; lines: DigestLine[] }[] {
  const groups: Record<string, { target: ChannelTarget; lines: DigestLine[] }> = {};
  for (const item of items) {
    for (const target of item.targets) {
      const key = JSON.stringify(target);
      (groups[key] ??= { target, lines: [] }).lines.push({
        severity: item.severity,
        type: item.type,
        summary: item.summary,
        cluster: item.cluster,
        count: item.count,
        runUrl: item.runUrl,
      });
    }
  }
  return Object.values(groups);
}
