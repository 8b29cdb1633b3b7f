import type { z } from 'zod';
import { lazySchema, zod } from '../lazy-zod';
import type { NodegroupConfig } from '../../config/clusters';
import type { BusinessCalendar, Phase } from '../timetable/phase';
import { phaseAt } from '../timetable/phase';
import type { NodegroupSize } from '../size';
import { activeOverride, baseTarget, clamp } from './plan';
import type { ActionRecord, ControlState, OverrideState, PauseState } from './types';

/**
 * Operator requests to a cluster controller, parsed with zod at the edge (CLI, update
 * validators, signal handlers), and the pure state transitions they cause.
 */
/** Who made a request (the schemas below are built on first use: src/domain/lazy-zod.ts). */
const who = () => zod().string().min(1).max(100).default('operator');
export const pauseRequestSchema = lazySchema(() => {
  const z = zod();
  return z
    .object({
      reason: z.string().min(1, 'a reason is required').max(500),
      by: who(),
      untilMs: z.number().int().positive().optional(),
    })
    .strict();
});
export type PauseRequest = z.input<typeof pauseRequestSchema>;

export const resumeRequestSchema = lazySchema(() => zod().object({ by: who() }).strict());
export type ResumeRequest = z.input<typeof resumeRequestSchema>;

export const overrideRequestSchema = lazySchema(() => {
  const z = zod();
  return z
    .object({
      nodegroup: z.string().min(1),
      min: z.number().int().nonnegative().optional(),
      desired: z.number().int().nonnegative().optional(),
      max: z.number().int().positive().optional(),
      untilMs: z.number().int().positive(),
      reason: z.string().min(1, 'a reason is required').max(500),
      by: who(),
    })
    .strict();
});
export type OverrideRequest = z.input<typeof overrideRequestSchema>;

export const clearOverrideRequestSchema = lazySchema(() =>
  zod()
    .object({ nodegroup: zod().string().min(1), by: who() })
    .strict(),
);
export type ClearOverrideRequest = z.input<typeof clearOverrideRequestSchema>;

export const MAX_LAST_ACTIONS = 20;

export function emptyControlState(): ControlState {
  return { overrides: {}, lastActions: [] };
}

function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input);
  if (!res.success)
    throw new Error(
      `invalid ${what}: ${res.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`,
    );
  return res.data;
}

/** Validates a pause; throws with a clear message. */
export function validatePause(input: unknown, nowMs: number): z.output<typeof pauseRequestSchema> {
  const req = parseOrThrow(pauseRequestSchema, input, 'pause');
  if (req.untilMs !== undefined && req.untilMs <= nowMs)
    throw new Error(`invalid pause: until ${new Date(req.untilMs).toISOString()} is in the past`);
  return req;
}

/** A node group's configured max: the larger of its business-hours and off-hours max. */
export function configuredMax(ng: Pick<NodegroupConfig, 'businessHours' | 'offHours'>): number {
  return Math.max(ng.businessHours.max, ng.offHours.max);
}

/**
 * Validates an override against the cluster's node groups; throws with a clear message. A size
 * above the group's configured max needs an explicit `max`, itself within the group's
 * `maxOverride` (without one, the configured max is the ceiling).
 */
export function validateOverride(
  input: unknown,
  nodegroups: NodegroupConfig[],
  nowMs: number,
): z.output<typeof overrideRequestSchema> {
  const req = parseOrThrow(overrideRequestSchema, input, 'override');
  const ng = nodegroups.find((n) => n.name === req.nodegroup);
  if (!ng)
    throw new Error(
      `invalid override: unknown node group "${req.nodegroup}" (known: ${nodegroups.map((n) => n.name).join(', ') || 'none'})`,
    );
  if (req.min === undefined && req.desired === undefined && req.max === undefined)
    throw new Error('invalid override: give at least one of min, desired, max');
  if (req.untilMs <= nowMs)
    throw new Error(`invalid override: expiry ${new Date(req.untilMs).toISOString()} is in the past`);
  if (req.min !== undefined && req.max !== undefined && req.min > req.max)
    throw new Error(`invalid override: min ${req.min} > max ${req.max}`);
  if (req.desired !== undefined && req.max !== undefined && req.desired > req.max)
    throw new Error(`invalid override: desired ${req.desired} > max ${req.max}`);
  if (req.desired !== undefined && req.min !== undefined && req.desired < req.min)
    throw new Error(`invalid override: desired ${req.desired} < min ${req.min}`);
  // Above the group's configured max only with an explicit max, and never above maxOverride.
  const groupMax = configuredMax(ng);
  const ceiling = ng.maxOverride ?? groupMax;
  const how = ng.maxOverride
    ? `give --max explicitly (at most ${ng.maxOverride}, the maxOverride of ${ng.name})`
    : `raise maxOverride of ${ng.name} in config to allow more`;
  if (req.max !== undefined && req.max > ceiling)
    throw new Error(
      ng.maxOverride
        ? `invalid override: max ${req.max} is above the maxOverride ${ng.maxOverride} of ${ng.name}`
        : `invalid override: max ${req.max} is above the configured max ${groupMax} of ${ng.name} (no maxOverride configured)`,
    );
  for (const k of ['desired', 'min'] as const) {
    const v = req[k];
    if (v !== undefined && req.max === undefined && v > groupMax)
      throw new Error(`invalid override: ${k} ${v} is above the configured max ${groupMax} of ${ng.name}: ${how}`);
  }
  if (req.desired !== undefined && req.desired < ng.floor)
    throw new Error(`invalid override: desired ${req.desired} is below the floor ${ng.floor} of ${ng.name}`);
  if (ng.scalingMode === 'bounds' && req.desired !== undefined)
    throw new Error(
      `invalid override: ${ng.name} is in bounds mode (a cluster autoscaler owns desired): override min/max instead`,
    );
  return req;
}

export function validateClearOverride(
  input: unknown,
  state: ControlState,
): z.output<typeof clearOverrideRequestSchema> {
  const req = parseOrThrow(clearOverrideRequestSchema, input, 'clear-override');
  if (!state.overrides[req.nodegroup])
    throw new Error(`invalid clear-override: node group "${req.nodegroup}" has no override`);
  return req;
}

export function withAction(state: ControlState, action: ActionRecord): ControlState {
  return { ...state, lastActions: [...state.lastActions, action].slice(-MAX_LAST_ACTIONS) };
}

export function applyPause(state: ControlState, req: z.output<typeof pauseRequestSchema>, nowMs: number): ControlState {
  const paused: PauseState = {
    reason: req.reason,
    by: req.by,
    atMs: nowMs,
    ...(req.untilMs !== undefined ? { untilMs: req.untilMs } : {}),
  };
  const until = req.untilMs ? ` until ${new Date(req.untilMs).toISOString()}` : '';
  return withAction(
    { ...state, paused },
    { atMs: nowMs, action: 'pause', summary: `paused by ${req.by}${until}: ${req.reason}` },
  );
}

export function applyResume(state: ControlState, by: string, nowMs: number): ControlState {
  if (!state.paused) return state;
  const { paused: _, ...rest } = state;
  return withAction({ ...rest }, { atMs: nowMs, action: 'resume', summary: `resumed by ${by}` });
}

export function applyOverride(
  state: ControlState,
  req: z.output<typeof overrideRequestSchema>,
  nowMs: number,
): ControlState {
  const o: OverrideState = { ...req, atMs: nowMs };
  const sizes = (['min', 'desired', 'max'] as const)
    .filter((k) => req[k] !== undefined)
    .map((k) => `${k}=${req[k]}`)
    .join(' ');
  return withAction(
    { ...state, overrides: { ...state.overrides, [req.nodegroup]: o } },
    {
      atMs: nowMs,
      action: 'override',
      summary: `${req.nodegroup} ${sizes} until ${new Date(req.untilMs).toISOString()} by ${req.by}: ${req.reason}`,
    },
  );
}

export function applyClearOverride(
  state: ControlState,
  nodegroup: string,
  by: string,
  nowMs: number,
  why = `cleared by ${by}`,
): ControlState {
  if (!state.overrides[nodegroup]) return state;
  const overrides = { ...state.overrides };
  delete overrides[nodegroup];
  return withAction(
    { ...state, overrides },
    { atMs: nowMs, action: 'clear-override', summary: `${nodegroup}: override ${why}` },
  );
}

/** Drops expired pauses and overrides; returns the new state and the node groups whose override ended. */
export function expire(state: ControlState, nowMs: number): { state: ControlState; expiredOverrides: string[] } {
  let next = state;
  if (next.paused?.untilMs !== undefined && next.paused.untilMs <= nowMs) next = applyResume(next, 'expiry', nowMs);
  const expired = Object.values(next.overrides)
    .filter((o) => o.untilMs <= nowMs)
    .map((o) => o.nodegroup);
  for (const ng of expired) next = applyClearOverride(next, ng, 'expiry', nowMs, 'expired');
  return { state: next, expiredOverrides: expired };
}

/** The next instant at which something in the state expires (for the controller's durable timer). */
export function nextExpiry(state: ControlState): number | undefined {
  const times = [state.paused?.untilMs, ...Object.values(state.overrides).map((o) => o.untilMs)].filter(
    (t): t is number => t !== undefined,
  );
  return times.length ? Math.min(...times) : undefined;
}

export interface EffectiveGroupPlan {
  nodegroup: string;
  mode: NodegroupConfig['scalingMode'];
  /** The timetable's size for the current phase. */
  timetable: NodegroupSize;
  override?: OverrideState;
  /** What eksflow holds the group to now (in bounds mode, desired is the autoscaler's). */
  effective: NodegroupSize;
  source: 'timetable' | 'override';
}

export interface EffectivePlan {
  atMs: number;
  phase: Phase;
  paused?: PauseState;
  nodegroups: EffectiveGroupPlan[];
}

/** The plan in force now: the timetable size of the current phase, with overrides winning. */
export function effectivePlan(
  nodegroups: NodegroupConfig[],
  state: ControlState,
  cal: BusinessCalendar,
  nowMs: number,
): EffectivePlan {
  const phase = phaseAt(nowMs, cal);
  return {
    atMs: nowMs,
    phase,
    ...(state.paused ? { paused: state.paused } : {}),
    nodegroups: nodegroups.map((ng) => {
      const override = activeOverride(state.overrides, ng.name, nowMs);
      const { size } = baseTarget(ng, phase, override);
      if (ng.scalingMode === 'desired') size.desired = clamp(Math.max(size.desired, ng.floor), size.min, size.max);
      return {
        nodegroup: ng.name,
        mode: ng.scalingMode,
        timetable: phase === 'business' ? ng.businessHours : ng.offHours,
        ...(override ? { override } : {}),
        effective: size,
        source: override ? 'override' : 'timetable',
      };
    }),
  };
}

/** "paused by alice because deploy freeze" — what skipped runs report. */
export function pausedMessage(p: PauseState): string {
  const until = p.untilMs ? ` (until ${new Date(p.untilMs).toISOString()})` : '';
  return `paused by ${p.by} because ${p.reason}${until}`;
}
