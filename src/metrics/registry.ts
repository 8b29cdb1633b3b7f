import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What eksflow's own code records. Activities, the ingress and the worker's workflow sink record
 * through this interface (handed in as a dependency), never through a module-level global, so a
 * test can read exactly what its own work recorded.
 */
export interface EksflowMetrics {
  /** One fleet event through the ingress (HTTP or SQS): its kind and what became of it. */
  event(kind: string, outcome: string): void;
  /** A spot interruption workflow finished: its outcome and event → replacement running (when one ran). */
  interruptionFinished(outcome: string, timeToRunningMs?: number): void;
  /** One size change applied to a node group or Auto Scaling group (`changed`, `unchanged`, `failed`). */
  scalingAction(kind: string, result: string): void;
  /** One alert message on one channel, and its status (`delivered`, `duplicate`, `failed`, …). */
  delivery(channel: string, status: string): void;
  /** A call held back by a rate limit (e.g. PagerDuty's per-routing-key budget) and how long it must wait. */
  rateLimitWait(limiter: string, waitMs: number): void;
}

/** Records nothing: the default where no registry is wired (tests of other features, the sandbox's helpers). */
export const NO_METRICS: EksflowMetrics = {
  event: () => undefined,
  interruptionFinished: () => undefined,
  scalingAction: () => undefined,
  delivery: () => undefined,
  rateLimitWait: () => undefined,
};

/** Metric names eksflow registers (a histogram also exposes `_bucket`, `_sum` and `_count`). */
export const METRIC = {
  events: 'eksflow_events_total',
  timeToReplacement: 'eksflow_interruption_time_to_replacement_seconds',
  interruptions: 'eksflow_interruptions_total',
  scalingActions: 'eksflow_scaling_actions_total',
  deliveries: 'eksflow_deliveries_total',
  rateLimitWaits: 'eksflow_rate_limit_waits_total',
  rateLimitWaitSeconds: 'eksflow_rate_limit_wait_seconds_total',
  awsCalls: 'eksflow_aws_calls_total',
} as const;

/**
 * Temporal SDK (Core) metrics the Grafana dashboard uses. They are registered by the SDK runtime's
 * Prometheus exporter, not by this code: test/integration/metrics.test.ts checks that a real worker
 * exports each of them.
 */
export const TEMPORAL_SDK_METRICS = [
  'temporal_request',
  'temporal_workflow_completed',
  'temporal_activity_execution_latency_bucket',
  'temporal_workflow_task_schedule_to_start_latency_bucket',
  'temporal_worker_task_slots_available',
  'temporal_num_pollers',
] as const;

export interface MetricsRegistryOptions {
  /** The process's role, as the `component` label of every series (`worker`, `ingress`). */
  component: string;
  /** Node.js process metrics (CPU, memory, event loop lag); on in the processes, off in unit tests. */
  processMetrics?: boolean;
  /** AWS SDK calls so far, keyed `Service:Operation` (src/aws/call-counter.ts); read at each scrape. */
  awsCallCounts?: () => Record<string, number>;
}

/** The registry of one process: the metrics above, in the Prometheus text format. */
export class MetricsRegistry implements EksflowMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'kind' | 'outcome'>;
  private readonly interruptions: Counter<'outcome'>;
  private readonly timeToReplacement: Histogram<'outcome'>;
  private readonly scaling: Counter<'kind' | 'result'>;
  private readonly deliveries: Counter<'channel' | 'status'>;
  private readonly waits: Counter<'limiter'>;
  private readonly waitSeconds: Counter<'limiter'>;

  constructor(opts: MetricsRegistryOptions) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ component: opts.component });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.events = new Counter({
      name: METRIC.events,
      help: 'Fleet events through the ingress, by kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.interruptions = new Counter({
      name: METRIC.interruptions,
      help: 'Spot interruption workflows finished, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    // Spot warnings give 120 s: buckets around that deadline.
    this.timeToReplacement = new Histogram({
      name: METRIC.timeToReplacement,
      help: 'Spot interruption: event time to a replacement instance running',
      labelNames: ['outcome'],
      buckets: [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600],
      registers,
    });
    this.scaling = new Counter({
      name: METRIC.scalingActions,
      help: 'Node group / Auto Scaling group size changes, by group kind and result',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.deliveries = new Counter({
      name: METRIC.deliveries,
      help: 'Alert messages by channel and delivery status',
      labelNames: ['channel', 'status'],
      registers,
    });
    this.waits = new Counter({
      name: METRIC.rateLimitWaits,
      help: 'Calls held back by a rate limit, by limiter',
      labelNames: ['limiter'],
      registers,
    });
    this.waitSeconds = new Counter({
      name: METRIC.rateLimitWaitSeconds,
      help: 'Seconds of waiting imposed by rate limits, by limiter',
      labelNames: ['limiter'],
      registers,
    });
    const counts = opts.awsCallCounts;
    if (counts) {
      new Counter({
        name: METRIC.awsCalls,
        help: 'AWS SDK calls by service and operation',
        labelNames: ['service', 'operation'],
        registers,
        // Read at scrape time from the counter the AWS client factory keeps.
        collect() {
          this.reset();
          for (const [key, n] of Object.entries(counts())) {
            const at = key.indexOf(':');
            const service = at < 0 ? key : key.slice(0, at);
            const operation = at < 0 ? '' : key.slice(at + 1);
            this.inc({ service, operation }, n);
          }
        },
      });
    }
  }

  event(kind: string, outcome: string): void {
    this.events.inc({ kind, outcome });
  }
  interruptionFinished(outcome: string, timeToRunningMs?: number): void {
    this.interruptions.inc({ outcome });
    if (timeToRunningMs !== undefined && timeToRunningMs >= 0)
      this.timeToReplacement.observe({ outcome }, timeToRunningMs / 1000);
  }
  scalingAction(kind: string, result: string): void {
    this.scaling.inc({ kind, result });
  }
  delivery(channel: string, status: string): void {
    this.deliveries.inc({ channel, status });
  }
  rateLimitWait(limiter: string, waitMs: number): void {
    this.waits.inc({ limiter });
    this.waitSeconds.inc({ limiter }, Math.max(0, waitMs) / 1000);
  }

  /** The exposition (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
  /** Names of the series families this registry exposes (histograms with their suffixes). */
  async seriesNames(): Promise<string[]> {
    const out: string[] = [];
    for (const m of await this.registry.getMetricsAsJSON()) {
      if (String(m.type) === 'histogram') out.push(`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`);
      else out.push(m.name);
    }
    return out;
  }
}
