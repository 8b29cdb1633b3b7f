export { MetricsRegistry, NO_METRICS, METRIC, TEMPORAL_SDK_METRICS, type EksflowMetrics } from './registry';
export { startMetricsServer, exposition, freeLoopbackPort, type MetricsServer } from './server';
