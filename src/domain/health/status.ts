import type { BlindState, CheckStatus } from './state';

/** What the health monitor's `status` query answers (plain JSON). */
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
