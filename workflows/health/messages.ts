import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BlindState, CheckStatus } from '../../src/domain/health/state';

/**
 * Messages of the per-cluster health monitor (`health/<account>/<region>/<cluster>`). The CLI,
 * the client helpers and tests import these so names and payload types stay in one place.
 */
export interface HealthCheckStatus {
  name: string;
  severity: 'critical' | 'warning' | 'info';
  state: CheckStatus;
  sinceMs: number;
  value?: number;
  operator: string;
  threshold: number;
  unit?: string;
  for: number;
  lastEvalMs?: number;
  lastError?: string;
  noDataReason?: string;
  ticket?: string;
}

export interface HealthActionRecord {
  atMs: number;
  check?: string;
  action: string;
  summary: string;
}

export interface HealthStatus {
  clusterKey: string;
  configured: boolean;
  paused?: { by: string; reason: string; atMs: number };
  intervalSeconds: number;
  prometheusUrl?: string;
  evaluations: number;
  lastEvaluation?: { atMs: number; durationMs: number };
  blind: BlindState;
  checks: HealthCheckStatus[];
  recentActions: HealthActionRecord[];
}

export interface PauseHealthRequest { by?: string; reason: string }
export interface ResumeHealthRequest { by?: string }

export const healthStatusQuery = defineQuery<HealthStatus>('healthStatus');
/** Stops evaluating (maintenance); open alerts stay as they are. */
export const pauseHealthUpdate = defineUpdate<HealthStatus, [PauseHealthRequest]>('pauseHealth');
export const resumeHealthUpdate = defineUpdate<HealthStatus, [ResumeHealthRequest]>('resumeHealth');
/** Evaluates now and returns the status (while paused: values only, no state change or action). */
export const checkNowUpdate = defineUpdate<HealthStatus, []>('checkHealthNow');
