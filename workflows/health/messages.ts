import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CloudWatchAlarmStateChange } from '../../src/domain/events/eventbridge';
import type { HealthActionRecord, HealthCheckStatus, HealthStatus } from '../../src/domain/health/status';

/**
 * Messages of the per-cluster health monitor (`health/<account>/<region>/<cluster>`). The CLI,
 * the client helpers and tests import these so names and payload types stay in one place.
 */
export type { HealthActionRecord, HealthCheckStatus, HealthStatus };

export interface PauseHealthRequest {
  by?: string;
  reason: string;
}
export interface ResumeHealthRequest {
  by?: string;
}

export const healthStatusQuery = defineQuery<HealthStatus>('healthStatus');
/** Stops evaluating (maintenance); open alerts stay as they are. */
export const pauseHealthUpdate = defineUpdate<HealthStatus, [PauseHealthRequest]>('pauseHealth');
export const resumeHealthUpdate = defineUpdate<HealthStatus, [ResumeHealthRequest]>('resumeHealth');
/** Evaluates now and returns the status (while paused: values only, no state change or action). */
export const checkNowUpdate = defineUpdate<HealthStatus, []>('checkHealthNow');

/** One state change of a CloudWatch alarm, to `cw-alarm/<hash of the alarm ARN>` (signal-with-start). */
export const alarmStateSignal = defineSignal<[CloudWatchAlarmStateChange]>('alarmState');
export const ALARM_WORKFLOW_TYPE = 'cloudwatchAlarm';
