import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DrainResult } from '../../activities/interruption';
import type { ResponsePlan } from '../../src/domain/interruption/plan';
import type { InterruptionTrigger } from '../../src/domain/interruption/types';

/**
 * The messages of `spot-interruption/<instance-id>` (spotInterruption) and its input and output
 * types. The workflow, src/client/interruption.ts (used by the ingress, the SQS poller and the
 * benchmark) and the tests import these definitions.
 */
export const SPOT_INTERRUPTION_WORKFLOW_TYPE = 'spotInterruption';

export interface SpotInterruptionTiming {
  /** Between checks that the replacement runs. Default 5 s: the notice is only 120 s. */
  pollIntervalMs?: number;
  /** Managed spot groups: after raising capacity at the deadline, how long before the on-demand fallback. Default 60 s. */
  eksGraceMs?: number;
  /** Without a hard deadline (rebalance, scheduled change): how long a replacement may take. Default 10 min. */
  replacementWaitMs?: number;
  /** How long to wait for the interrupted instance to go before undoing a raise anyway. Default 15 min. */
  terminationWaitMs?: number;
  terminationPollMs?: number;
  /** On-demand fallbacks: how long to wait for spot capacity to return before handing them to the cleanup job. Default 6 h. */
  returnToSpotWaitMs?: number;
  /** Between checks that spot capacity is back. Default 5 min. */
  returnToSpotPollMs?: number;
  /** How long a fallback's drain may take before it is terminated. Default 5 min. */
  fallbackDrainMs?: number;
}

export interface SpotInterruptionInput {
  trigger: InterruptionTrigger;
  timing?: SpotInterruptionTiming;
  /** Upsert EksflowCluster/Action/Severity (the dev server and production have them registered). Default true. */
  searchAttributes?: boolean;
  /**
   * The task queue the run's AWS activities go to (`interruptionTaskQueue(<queue>)`, served by the
   * worker's own interruption worker with its own slots, so scaling or alert work cannot starve
   * them). Absent: the workflow's own queue.
   */
  activityTaskQueue?: string;
}

/** The task queue of interruption activities beside the deployment's queue `base`. */
export const interruptionTaskQueue = (base: string): string => `${base}-interruption`;

export type SpotPhase =
  | 'identifying'
  | 'notifying'
  | 'watching-eks'
  | 'requesting'
  | 'waiting-for-replacement'
  | 'fallback'
  | 'waiting-for-termination'
  | 'undoing'
  | 'returning-to-spot'
  | 'done';

export interface SpotInterruptionProgress {
  phase: SpotPhase;
  instanceId: string;
  trigger: InterruptionTrigger['kind'];
  cluster?: string;
  nodegroup?: string;
  mode?: ResponsePlan['mode'];
  strategy?: 'raise-capacity' | 'ec2-fleet' | 'eks-rebalancing';
  replacementIds: string[];
  fallbackIds: string[];
  deadline?: string;
  secondsLeft?: number;
  drain?: DrainResult;
  notes: string[];
}

export interface SpotInterruptionResult {
  instanceId: string;
  outcome: 'replaced' | 'replaced-by-eks' | 'fallback' | 'not-replaced' | 'notified' | 'already-gone';
  mode?: ResponsePlan['mode'];
  strategy?: SpotInterruptionProgress['strategy'];
  newInstances: string[];
  fallbackInstances: string[];
  /** Event time → replacement requested (workflow clock). */
  timeToRequestMs?: number;
  /** Activity wall clock when the replacement request was accepted by AWS. */
  requestedAt?: string;
  /** Event time → a replacement seen running. */
  timeToRunningMs?: number;
  /** A replacement (or the fallback) is running; for warnings, before the deadline unless a fallback was needed. */
  success: boolean;
  withinDeadline?: boolean;
  raiseUndone?: boolean;
  drain?: DrainResult;
  /** The deadline the run worked to: event time (never later than receipt) + 120 s. */
  deadline?: string;
  /** Spot replacements attached to their Auto Scaling group (they are its capacity from then on). */
  attached?: string[];
  /** How the on-demand fallback ended: back to spot (terminated), or handed to the cleanup job at the return-to-spot deadline. */
  returnToSpot?: { status: 'returned' | 'handed-to-cleanup'; deadline: string; terminated: string[]; spot: string[] };
  alerts: string[];
  notes: string[];
}

/** The EC2 state of the interrupted instance, from an EventBridge state-change event. */
export interface InstanceStateInput {
  state: string;
}

/** Another event for the same instance (a warning after a rebalance escalates the run). */
export const interruptionEventSignal = defineSignal<[InterruptionTrigger]>('interruptionEvent');
export const instanceStateSignal = defineSignal<[InstanceStateInput]>('instanceState');
export const progressQuery = defineQuery<SpotInterruptionProgress>('progress');
