import type { InjectedSinks } from '@temporalio/worker';
import type { MetricsSinks } from '../../workflows/lib/metrics';
import type { EksflowMetrics } from './registry';

/** The worker side of workflows/lib/metrics.ts: workflow calls land in the process's registry, not on replay. */
export function metricsSinks(metrics: EksflowMetrics): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      interruptionFinished: {
        fn: (_info, outcome, timeToRunningMs) => metrics.interruptionFinished(outcome, timeToRunningMs),
        callDuringReplay: false,
      },
    },
  };
}
