import type { CloudWatchAlarmStateChange, FleetEvent, FleetEventKind, S3ObjectCreated } from './eventbridge';
import type { InterruptionTrigger } from '../interruption/types';

/**
 * What the ingress does with an event; decided here, purely, and carried out by the ingress
 * (HTTP server, SQS poller) with the Temporal client.
 */
export type IngressAction =
  /** Start (or signal, when running) `spot-interruption/<instance-id>`. */
  | { type: 'start-interruption'; trigger: InterruptionTrigger }
  /** Tell a running interruption workflow its instance changed state (so it can undo a raise at once). */
  | { type: 'signal-instance-state'; instanceId: string; state: string }
  /** A CloudWatch alarm changed state: ALARM raises, OK resolves (dedup key = alarm ARN). */
  | { type: 'alarm-state'; alarm: CloudWatchAlarmStateChange }
  /** An object landed in the backup bucket: read it back and check it (workflow `backupObjectVerification`). */
  | { type: 'verify-backup-object'; object: S3ObjectCreated }
  | { type: 'none'; reason: string };

/** Instance states after which an interrupted instance no longer needs replacing capacity held for it. */
export const GONE_STATES = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

export function actionsFor(event: FleetEvent): IngressAction[] {
  const base = { eventId: event.eventId, time: event.time, region: event.region, account: event.account };
  switch (event.kind) {
    case 'spot-interruption-warning':
      return [
        {
          type: 'start-interruption',
          trigger: { ...base, kind: 'spot-interruption-warning', instanceId: event.instanceId },
        },
      ];
    case 'rebalance-recommendation':
      return [
        {
          type: 'start-interruption',
          trigger: { ...base, kind: 'rebalance-recommendation', instanceId: event.instanceId },
        },
      ];
    case 'scheduled-change':
      // One event may name many instances; each gets its own (idempotent) workflow.
      return event.instanceIds.map((instanceId) => ({
        type: 'start-interruption' as const,
        trigger: { ...base, kind: 'scheduled-change' as const, instanceId },
      }));
    case 'instance-state-change':
      return GONE_STATES.has(event.state)
        ? [{ type: 'signal-instance-state', instanceId: event.instanceId, state: event.state }]
        : [{ type: 'none', reason: `instance ${event.instanceId} is ${event.state}` }];
    case 'cloudwatch-alarm':
      return event.state === 'INSUFFICIENT_DATA'
        ? [{ type: 'none', reason: `alarm ${event.alarmName} has insufficient data` }]
        : [{ type: 'alarm-state', alarm: event }];
    case 's3-object-created':
      return [{ type: 'verify-backup-object', object: event }];
    case 'ignored':
      return [{ type: 'none', reason: event.reason }];
  }
}

/** The kinds counted by the ingress metrics, in a stable order. */
export const EVENT_KINDS: FleetEventKind[] = [
  'spot-interruption-warning',
  'rebalance-recommendation',
  'instance-state-change',
  'scheduled-change',
  'cloudwatch-alarm',
  's3-object-created',
  'ignored',
];
