import { join } from 'node:path';
import { exporterClient, startMetricsExporter, startPrometheus } from '../../src/sandbox/prometheus';

export {
  exporterClient,
  startMetricsExporter,
  startPrometheus,
  waitForFirstScrape,
  type SeriesSpec,
  type PrometheusServer,
  type MetricsExporter,
} from '../../src/sandbox/prometheus';

/** The shared Prometheus and exporter of this test run (started by global-setup). */
export function testPrometheus(): { url: string; exporter: ReturnType<typeof exporterClient>; exporterUrl: string } {
  const url = process.env.EKSFLOW_TEST_PROMETHEUS_URL;
  const exporterUrl = process.env.EKSFLOW_TEST_EXPORTER_URL;
  if (!url || !exporterUrl)
    throw new Error('EKSFLOW_TEST_PROMETHEUS_URL is not set: run tests through jest (global-setup starts Prometheus)');
  return { url, exporterUrl, exporter: exporterClient(exporterUrl) };
}

/** Global-setup block: one exporter and one Prometheus for the whole run. */
export async function startTestPrometheus(logDir: string): Promise<{ stop(): Promise<void> }> {
  const exporter = await startMetricsExporter();
  const prom = await startPrometheus({ targets: [exporter.url], logFile: join(logDir, 'prometheus.log') });
  process.env.EKSFLOW_TEST_PROMETHEUS_URL = prom.url;
  process.env.EKSFLOW_TEST_EXPORTER_URL = exporter.url;
  return {
    stop: async () => {
      await prom.stop();
      await exporter.close();
    },
  };
}
