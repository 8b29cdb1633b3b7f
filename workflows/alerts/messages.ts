import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DigestLine } from '../../src/domain/alerts/payloads';
import type { AckInput, ResolveInput } from '../../src/domain/alerts/schema';
import type { AlertInput, AlertPlan, AlertState, ChannelTarget, DeliveryResult } from '../../src/domain/alerts/types';

/**
 * The messages of the alert workflows: `alert/<dedup-key>` (alertEscalation) and
 * `alert-digest/<IST start of business>` (alertDigest). The workflows, src/client/alerts.ts (used
 * by the CLI, the ingress and the activities) and the tests import these definitions, so names
 * and payload types live in one place.
 */
export const ALERT_WORKFLOW_TYPE = 'alertEscalation';
export const DIGEST_WORKFLOW_TYPE = 'alertDigest';

export interface AlertWorkflowInput {
  alert: AlertInput;
  plan: AlertPlan;
  /** Carried across continue-as-new. */
  state?: AlertState;
  /** Continue-as-new once history has this many events (default: when the server suggests it). */
  historyLimit?: number;
}

/** One occurrence of the alert (the first one arrives with signal-with-start; duplicates merge). */
export const alertRaisedSignal = defineSignal<[AlertInput]>('alertRaised');
/** Stops the escalation; malformed input is logged and ignored (signals cannot be rejected). */
export const acknowledgeSignal = defineSignal<[AckInput]>('acknowledge');
/** Closes the alert everywhere (PagerDuty resolve, Slack follow-up). */
export const resolveSignal = defineSignal<[ResolveInput]>('resolve');
export const alertStatusQuery = defineQuery<AlertState>('alertStatus');

/** An off-hours alert waiting in a digest slot. */
export interface DigestItem extends DigestLine {
  alertWorkflowId: string;
  targets: ChannelTarget[];
}

export interface DigestInput {
  deliverAtMs: number;
  items?: DigestItem[];
}

export interface DigestStatus {
  deliverAtMs: number;
  items: DigestItem[];
  sent: number;
}

export interface DigestResult {
  deliveredAtMs: number;
  items: number;
  results: DeliveryResult[];
}

export const digestItemSignal = defineSignal<[DigestItem]>('digestItem');
export const digestStatusQuery = defineQuery<DigestStatus>('digestStatus');
