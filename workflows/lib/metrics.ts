import { proxySinks, type Sinks } from '@temporalio/workflow';

/**
 * Metrics a workflow records: calls through a Temporal sink run on the worker outside the
 * sandbox, are never replayed (a recovered workflow does not count twice) and add nothing to the
 * history. The worker binds them to its registry (src/metrics/sinks.ts).
 */
export interface MetricsSinks extends Sinks {
  metrics: {
    interruptionFinished(outcome: string, timeToRunningMs?: number): void;
  };
}

export const metricsSink = proxySinks<MetricsSinks>().metrics;
