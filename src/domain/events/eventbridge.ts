import { z } from 'zod';

/**
 * EventBridge events eksflow acts on, parsed once at the edge (HTTP ingress, SQS poller) into a
 * discriminated union keyed by (source, detail-type), as Karpenter's interruption controller
 * does. A well-formed event of a kind eksflow does not handle becomes `ignored` — a no-op, not an
 * error — so a broad EventBridge rule never makes a consumer fail.
 */

export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const instanceId = z.string().regex(INSTANCE_ID, 'an EC2 instance id such as i-0123456789abcdef0');

/** The envelope every EventBridge event has. `account` and `id` are free text: AWS's own samples use placeholders. */
const envelopeSchema = z.object({
  version: z.string(),
  id: z.string().min(1).max(128),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string(),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

const spotWarningDetail = z.object({
  'instance-id': instanceId,
  'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
});
const rebalanceDetail = z.object({ 'instance-id': instanceId });
export const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
const stateChangeDetail = z.object({ 'instance-id': instanceId, state: z.enum(INSTANCE_STATES) });
const healthDetail = z.object({
  service: z.string(),
  eventTypeCode: z.string(),
  eventTypeCategory: z.string(),
  startTime: z.string().optional(),
  affectedEntities: z.array(z.object({ entityValue: z.string() })).default([]),
});

const alarmStateSchema = z.object({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: z.string().default(''),
  timestamp: z.string().default(''),
});
const alarmDetail = z.object({
  alarmName: z.string().min(1).max(255),
  state: alarmStateSchema,
  previousState: alarmStateSchema.partial().optional(),
  configuration: z
    .object({
      description: z.string().nullish(),
      metrics: z
        .array(
          z.object({
            id: z.string().optional(),
            metricStat: z
              .object({
                metric: z.object({
                  namespace: z.string(),
                  name: z.string(),
                  dimensions: z.record(z.string(), z.string()).default({}),
                }),
                period: z.number().optional(),
                stat: z.string().optional(),
              })
              .optional(),
            expression: z.string().optional(),
          }),
        )
        .default([]),
    })
    .partial()
    .default({}),
});

const s3ObjectCreatedDetail = z.object({
  bucket: z.object({ name: z.string().min(3).max(63) }),
  object: z.object({
    key: z.string().min(1).max(1024),
    size: z.number().int().nonnegative().optional(),
    etag: z.string().optional(),
    sequencer: z.string().optional(),
    'version-id': z.string().optional(),
  }),
  reason: z.string().optional(),
});

interface EventBase {
  eventId: string;
  /** ISO 8601 time the event was emitted (the spot deadline counts from here). */
  time: string;
  region: string;
  account: string;
}

export interface SpotInterruptionWarning extends EventBase {
  kind: 'spot-interruption-warning';
  instanceId: string;
  instanceAction: 'terminate' | 'stop' | 'hibernate';
}
export interface RebalanceRecommendation extends EventBase {
  kind: 'rebalance-recommendation';
  instanceId: string;
}
export interface InstanceStateChange extends EventBase {
  kind: 'instance-state-change';
  instanceId: string;
  state: (typeof INSTANCE_STATES)[number];
}
/** AWS Health scheduled change for EC2 (maintenance, retirement) affecting instances. */
export interface ScheduledChange extends EventBase {
  kind: 'scheduled-change';
  eventTypeCode: string;
  instanceIds: string[];
  startTime?: string;
}
/** CloudWatch alarm state change (EventBridge `aws.cloudwatch` / `CloudWatch Alarm State Change`). */
export interface CloudWatchAlarmStateChange extends EventBase {
  kind: 'cloudwatch-alarm';
  alarmArn: string;
  alarmName: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  previousState?: string;
  reason: string;
  /** When the alarm changed state (ms), for ordering events of one alarm. */
  stateAtMs: number;
  description?: string;
  metric?: {
    namespace: string;
    name: string;
    dimensions: Record<string, string>;
    stat?: string;
    periodSeconds?: number;
  };
}
/** S3 `Object Created` (EventBridge notifications on the backup bucket): the object is verified. */
export interface S3ObjectCreated extends EventBase {
  kind: 's3-object-created';
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  /** Orders the events of one key; with the key it names one write. */
  sequencer?: string;
}
/** A well-formed event eksflow does not act on. */
export interface IgnoredEvent extends EventBase {
  kind: 'ignored';
  source: string;
  detailType: string;
  reason: string;
  /** true: eksflow has no handler for this (source, detail-type) at all; false: a handled kind with nothing to do. */
  unsupported: boolean;
}

export type FleetEvent =
  | SpotInterruptionWarning
  | RebalanceRecommendation
  | InstanceStateChange
  | ScheduledChange
  | CloudWatchAlarmStateChange
  | S3ObjectCreated
  | IgnoredEvent;
export type FleetEventKind = FleetEvent['kind'];

export type ParseResult = { ok: true; event: FleetEvent } | { ok: false; error: string };

/** Handlers by `source|detail-type`: adding a kind is one line here plus its type. */
const KINDS: Record<string, (base: EventBase, detail: unknown, resources: string[]) => FleetEvent | string> = {
  'aws.cloudwatch|CloudWatch Alarm State Change': (base, detail, resources) =>
    withDetail(alarmDetail, detail, (d): FleetEvent => {
      const m = d.configuration.metrics?.find((x) => x.metricStat)?.metricStat;
      // AWS writes "2019-10-02T17:04:40.989+0000"; Date.parse wants the offset as +00:00.
      const at = Date.parse(d.state.timestamp.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      return {
        ...base,
        kind: 'cloudwatch-alarm',
        alarmArn:
          resources.find((r) => r.startsWith('arn:') && r.includes(':alarm:')) ??
          `arn:aws:cloudwatch:${base.region}:${base.account}:alarm:${d.alarmName}`,
        alarmName: d.alarmName,
        state: d.state.value,
        ...(d.previousState?.value ? { previousState: d.previousState.value } : {}),
        reason: d.state.reason,
        stateAtMs: Number.isFinite(at) ? at : Date.parse(base.time),
        ...(d.configuration.description ? { description: d.configuration.description } : {}),
        ...(m
          ? {
              metric: {
                namespace: m.metric.namespace,
                name: m.metric.name,
                dimensions: m.metric.dimensions,
                ...(m.stat ? { stat: m.stat } : {}),
                ...(m.period ? { periodSeconds: m.period } : {}),
              },
            }
          : {}),
      };
    }),
  'aws.s3|Object Created': (base, detail) =>
    withDetail(s3ObjectCreatedDetail, detail, (d) => ({
      ...base,
      kind: 's3-object-created',
      bucket: d.bucket.name,
      key: d.object.key,
      ...(d.object.size !== undefined ? { size: d.object.size } : {}),
      ...(d.object.etag ? { etag: d.object.etag } : {}),
      ...(d.object.sequencer ? { sequencer: d.object.sequencer } : {}),
    })),
  'aws.ec2|EC2 Spot Instance Interruption Warning': (base, detail) =>
    withDetail(spotWarningDetail, detail, (d) => ({
      ...base,
      kind: 'spot-interruption-warning',
      instanceId: d['instance-id'],
      instanceAction: d['instance-action'],
    })),
  'aws.ec2|EC2 Instance Rebalance Recommendation': (base, detail) =>
    withDetail(rebalanceDetail, detail, (d) => ({
      ...base,
      kind: 'rebalance-recommendation',
      instanceId: d['instance-id'],
    })),
  'aws.ec2|EC2 Instance State-change Notification': (base, detail) =>
    withDetail(stateChangeDetail, detail, (d) => ({
      ...base,
      kind: 'instance-state-change',
      instanceId: d['instance-id'],
      state: d.state,
    })),
  'aws.health|AWS Health Event': (base, detail) =>
    withDetail(healthDetail, detail, (d): FleetEvent => {
      const instanceIds = d.affectedEntities.map((e) => e.entityValue).filter((v) => INSTANCE_ID.test(v));
      if (d.service !== 'EC2' || d.eventTypeCategory !== 'scheduledChange' || instanceIds.length === 0) {
        return {
          ...base,
          kind: 'ignored',
          source: 'aws.health',
          detailType: 'AWS Health Event',
          unsupported: false,
          reason: `health ${d.service}/${d.eventTypeCategory} with ${instanceIds.length} instance(s) is not an EC2 scheduled change`,
        };
      }
      return { ...base, kind: 'scheduled-change', eventTypeCode: d.eventTypeCode, instanceIds, startTime: d.startTime };
    }),
};

function withDetail<D, E extends FleetEvent>(schema: z.ZodType<D>, detail: unknown, build: (d: D) => E): E | string {
  const res = schema.safeParse(detail);
  return res.success ? build(res.data) : `detail: ${z.prettifyError(res.error)}`;
}

/** Parses an already-decoded JSON value. Errors carry zod's message naming the bad field. */
export function parseEventBridgeEvent(raw: unknown): ParseResult {
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) return { ok: false, error: z.prettifyError(env.error) };
  const e = env.data;
  const base: EventBase = { eventId: e.id, time: e.time, region: e.region, account: e.account };
  const handler = KINDS[`${e.source}|${e['detail-type']}`];
  if (!handler) {
    return {
      ok: true,
      event: {
        ...base,
        kind: 'ignored',
        source: e.source,
        detailType: e['detail-type'],
        unsupported: true,
        reason: `no handler for ${e.source} "${e['detail-type']}"`,
      },
    };
  }
  const out = handler(base, e.detail, e.resources);
  return typeof out === 'string' ? { ok: false, error: out } : { ok: true, event: out };
}

/** Parses JSON text (an SQS message body, an HTTP body read as text). */
export function parseEventBridgeJson(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  return parseEventBridgeEvent(raw);
}
