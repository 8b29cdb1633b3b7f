import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ClearOverrideRequest,
  EffectivePlan,
  OverrideRequest,
  PauseRequest,
  ResumeRequest,
} from '../../src/domain/scaling/control';
import type { BusinessCalendar } from '../../src/domain/timetable/phase';
import type {
  ActionRecord,
  ClusterSpec,
  ControlState,
  OverrideState,
  PauseState,
} from '../../src/domain/scaling/types';

/**
 * The messages of the per-cluster controller (`cluster/<account>/<region>/<cluster>`), its input
 * and outputs. The workflows, src/client/scaling.ts (CLI, activities) and the tests import these
 * definitions so names and payload types stay in one place.
 */
export const CONTROLLER_WORKFLOW_TYPE = 'clusterController';

export interface ControllerConfig {
  cluster: ClusterSpec;
  calendar: BusinessCalendar;
}

export interface ClusterControllerInput {
  clusterKey: string;
  config?: ControllerConfig;
  state?: ControlState;
  /** Continue-as-new after this many history events; by default when the server suggests it. */
  maxHistoryEvents?: number;
  /** Sequence of applied changes, carried across runs so request tokens stay unique. */
  applySeq?: number;
}

export interface ControllerStatus {
  clusterKey: string;
  paused?: PauseState;
  overrides: OverrideState[];
  lastActions: ActionRecord[];
  /** When the controller's next durable timer fires (a pause or an override expires). */
  nextExpiryMs?: number;
  configured: boolean;
}

/** Keeps the controller's view of its cluster (node groups, business calendar) current. */
export const configureSignal = defineSignal<[ControllerConfig]>('configure');
/** Fire-and-forget forms (invalid requests are dropped and logged); the CLI uses the updates. */
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
export const resumeSignal = defineSignal<[ResumeRequest]>('resume');
export const overrideSignal = defineSignal<[OverrideRequest]>('override');
export const clearOverrideSignal = defineSignal<[ClearOverrideRequest]>('clearOverride');
/** Scheduled runs report what they did, so `status` shows the last actions. */
export const recordActionSignal = defineSignal<[Omit<ActionRecord, 'atMs'>]>('recordAction');

/** Validated request/response forms: rejected requests change nothing; accepted ones return the effective plan. */
export const pauseUpdate = defineUpdate<EffectivePlan, [PauseRequest]>('pauseScaling');
export const resumeUpdate = defineUpdate<EffectivePlan, [ResumeRequest]>('resumeScaling');
export const overrideUpdate = defineUpdate<EffectivePlan, [OverrideRequest]>('setOverride');
export const clearOverrideUpdate = defineUpdate<EffectivePlan, [ClearOverrideRequest]>('clearOverride');

export const statusQuery = defineQuery<ControllerStatus>('status');
export const effectivePlanQuery = defineQuery<EffectivePlan>('effectivePlan');
/** The raw control state, for scheduled runs that apply it. */
export const controlStateQuery = defineQuery<ControlState>('controlState');
