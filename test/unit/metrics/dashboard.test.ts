import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsRegistry, TEMPORAL_SDK_METRICS } from '../../../src/metrics';
import { REPO_ROOT } from '../../../src/sandbox/processes';

/**
 * Every PromQL expression of the Grafana dashboard names only metrics that exist: eksflow's own
 * (registered by src/metrics/registry.ts), Node.js process metrics (prom-client's defaults), or the
 * Temporal SDK metrics that test/integration/metrics.test.ts sees a real worker export.
 */
// Aggregations may take `by (…)` before their parenthesis, so they are not always followed by one.
const KEYWORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'topk',
  'bottomk',
  'quantile',
  'group',
  'stddev',
  'stdvar',
  'count_values',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
]);

/** Metric names an expression selects: identifiers that are not functions, keywords, labels or durations. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1') // grouping labels
    .replace(/\[[^\]]*\]/g, ''); // range durations
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(m[0])) continue;
    names.add(m[0]);
  }
  return [...names];
}

describe('Grafana dashboard deploy/grafana/eksflow.json', () => {
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'eksflow.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));

  it('reads names out of PromQL (the check below is only as good as this)', () => {
    expect(
      metricNamesIn('histogram_quantile(0.95, sum by (le) (rate(foo_bucket{a="b(c)"}[5m]))) / on (x) bar'),
    ).toEqual(['foo_bucket', 'bar']);
  });

  it('names only metrics the code registers (or the SDK exports)', async () => {
    const registry = new MetricsRegistry({ component: 'test', processMetrics: true, awsCallCounts: () => ({}) });
    const known = new Set([...(await registry.seriesNames()), ...TEMPORAL_SDK_METRICS]);
    expect(exprs.length).toBeGreaterThan(10);
    const unknown = exprs.flatMap((e) =>
      metricNamesIn(e.expr)
        .filter((n) => !known.has(n))
        .map((n) => `${e.panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it("shows every metric of eksflow's own registry", async () => {
    const own = (await new MetricsRegistry({ component: 'test', awsCallCounts: () => ({}) }).seriesNames()).filter(
      (n) => n.startsWith('eksflow_') && !/_(sum|count)$/.test(n),
    );
    const used = new Set(exprs.flatMap((e) => metricNamesIn(e.expr)));
    expect(own.filter((n) => !used.has(n))).toEqual([]);
  });
});

describe('MetricsRegistry', () => {
  it('exposes what was recorded, with the AWS call counts read at scrape time', async () => {
    let calls: Record<string, number> = { 'EC2:DescribeInstances': 2 };
    const r = new MetricsRegistry({ component: 'worker', awsCallCounts: () => calls });
    r.delivery('slack', 'delivered');
    r.interruptionFinished('replaced', 42_000);
    r.rateLimitWait('pagerduty', 1500);
    let text = await r.text();
    expect(text).toContain('eksflow_deliveries_total{channel="slack",status="delivered",component="worker"} 1');
    expect(text).toContain('eksflow_aws_calls_total{service="EC2",operation="DescribeInstances",component="worker"} 2');
    expect(text).toContain(
      'eksflow_interruption_time_to_replacement_seconds_bucket{le="45",component="worker",outcome="replaced"} 1',
    );
    expect(text).toContain('eksflow_rate_limit_wait_seconds_total{limiter="pagerduty",component="worker"} 1.5');
    calls = { 'EC2:DescribeInstances': 5, 'AutoScaling:SetDesiredCapacity': 1 };
    text = await r.text();
    expect(text).toContain('eksflow_aws_calls_total{service="EC2",operation="DescribeInstances",component="worker"} 5');
    expect(text).toContain('operation="SetDesiredCapacity"');
  });
});
