import { blindTransition, initialCheckState, transition, type CheckState } from '../../../src/domain/health/state';
import {
  compare,
  observationFromResult,
  renderQuery,
  resolveChecks,
  DEFAULT_CHECKS,
  type Observation,
} from '../../../src/domain/health/checks';
import { planScaleUp } from '../../../src/domain/health/actions';
import { healthSchema } from '../../../src/config/health';
import { verifyChecks } from '../../../src/domain/health/verify';

const check: Parameters<typeof transition>[1] = {
  name: 'c',
  operator: '>',
  threshold: 0,
  for: 2,
  resolveAfter: 2,
  noData: 'nodata',
};
const v = (value: number): Observation => ({ kind: 'value', value });
const none: Observation = { kind: 'nodata', reason: 'empty result' };
const err: Observation = { kind: 'error', message: 'unreachable' };

/** Runs observations through the state machine, returning statuses and event kinds per step. */
function run(obs: Observation[], c = check, start: CheckState = initialCheckState(0)) {
  let s = start;
  const trace: string[] = [];
  obs.forEach((o, i) => {
    const r = transition(s, c, o, (i + 1) * 1000);
    s = r.state;
    trace.push([s.status, ...r.events.map((e) => e.kind)].join('+'));
  });
  return { state: s, trace };
}

describe('check state transitions', () => {
  test('pending for `for`-1 evaluations, then firing once', () => {
    expect(run([v(0), v(1), v(1), v(2)]).trace).toEqual(['ok', 'pending', 'firing+fire', 'firing']);
  });
  test('for = 1 fires on the first breach', () => {
    expect(run([v(1)], { ...check, for: 1 }).trace).toEqual(['firing+fire']);
  });
  test('a pending check that recovers goes back to ok without any event', () => {
    expect(run([v(1), v(0), v(1), v(0)]).trace).toEqual(['pending', 'ok', 'pending', 'ok']);
  });
  test('resolves only after resolveAfter healthy evaluations; a flap stays one incident', () => {
    expect(run([v(1), v(1), v(0), v(1), v(0), v(0)]).trace).toEqual([
      'pending',
      'firing+fire',
      'firing',
      'firing',
      'firing',
      'resolved+resolve',
    ]);
  });
  test('after resolving, a new breach needs `for` evaluations again', () => {
    expect(run([v(1), v(1), v(0), v(0), v(1), v(1)]).trace).toEqual([
      'pending',
      'firing+fire',
      'firing',
      'resolved+resolve',
      'pending',
      'firing+fire',
    ]);
  });
  test('resolveAfter = 1 resolves at the first healthy evaluation', () => {
    expect(run([v(1), v(1), v(0)], { ...check, resolveAfter: 1 }).trace).toEqual([
      'pending',
      'firing+fire',
      'resolved+resolve',
    ]);
  });
  test('a query error changes nothing (never a silent pass) and is remembered', () => {
    const r = run([v(1), v(1), err, err, v(1)]);
    expect(r.trace).toEqual(['pending', 'firing+fire', 'firing', 'firing', 'firing']);
    const e = run([v(1), err]);
    expect(e.state.status).toBe('pending');
    expect(e.state.lastError).toBe('unreachable');
    expect(e.state.breaches).toBe(1);
  });
  test('no data is its own state, alerting after `for` evaluations, and clears when data returns', () => {
    expect(run([none, none, none, v(0)]).trace).toEqual(['nodata', 'nodata+nodata', 'nodata', 'ok+nodata-cleared']);
  });
  test('no data while firing keeps the alert open; a breach afterwards does not re-fire', () => {
    const r = run([v(1), v(1), none, v(1)], { ...check, for: 2 });
    expect(r.trace).toEqual(['pending', 'firing+fire', 'nodata', 'firing']);
    expect(r.state.alertOpen).toBe(true);
  });
  test('no data while firing, then healthy, resolves after resolveAfter', () => {
    expect(run([v(1), v(1), none, v(0), v(0)]).trace).toEqual([
      'pending',
      'firing+fire',
      'nodata',
      'firing',
      'resolved+resolve',
    ]);
  });
  test('noData=ok treats absence as healthy; =firing as a breach; =keep changes nothing', () => {
    expect(run([v(1), none, none], { ...check, noData: 'ok' }).trace).toEqual(['pending', 'ok', 'ok']);
    expect(run([none, none], { ...check, noData: 'firing' }).trace).toEqual(['pending', 'firing+fire']);
    expect(run([v(1), none, v(1)], { ...check, noData: 'keep' }).trace).toEqual(['pending', 'pending', 'firing+fire']);
  });
  test('since moves only on a status change', () => {
    let s = initialCheckState(0);
    s = transition(s, check, v(1), 1000).state;
    s = transition(s, check, v(1), 2000).state;
    s = transition(s, check, v(5), 3000).state;
    expect(s.sinceMs).toBe(2000);
    expect(s.value).toBe(5);
  });
  test('the state is plain JSON', () => {
    const r = run([v(1), v(1), none, v(0)]);
    expect(JSON.parse(JSON.stringify(r.state))).toEqual(r.state);
  });
});

describe('blind state', () => {
  test('opens once, stays open, closes once', () => {
    const a = blindTransition({ open: false, failedChecks: [] }, [{ check: 'x', message: 'down' }], 1);
    expect(a.event).toBe('blind');
    const b = blindTransition(a.state, [{ check: 'x', message: 'still down' }], 2);
    expect(b.event).toBeUndefined();
    expect(b.state.sinceMs).toBe(1);
    const c = blindTransition(b.state, [], 3);
    expect(c.event).toBe('sighted');
    expect(blindTransition(c.state, [], 4).event).toBeUndefined();
  });
});

describe('compare and results', () => {
  test.each([
    ['>', 2, 1, true],
    ['>', 1, 1, false],
    ['>=', 1, 1, true],
    ['<', 0, 1, true],
    ['<=', 2, 1, false],
    ['==', 1, 1, true],
    ['!=', 1, 1, false],
  ] as const)('%s %s %s → %s', (op, a, b, want) => expect(compare(a, op, b)).toBe(want));

  test('vector: the largest sample; empty → no data; NaN → no data; scalar; matrix → error', () => {
    expect(
      observationFromResult({ resultType: 'vector', result: [{ value: [1, '2'] }, { value: [1, '7.5'] }] }),
    ).toEqual({ kind: 'value', value: 7.5 });
    expect(observationFromResult({ resultType: 'vector', result: [] })).toEqual({
      kind: 'nodata',
      reason: 'empty result',
    });
    expect(observationFromResult({ resultType: 'vector', result: [{ value: [1, 'NaN'] }] }).kind).toBe('nodata');
    expect(
      observationFromResult({ resultType: 'vector', result: [{ value: [1, 'NaN'] }, { value: [1, '3'] }] }),
    ).toEqual({ kind: 'value', value: 3 });
    expect(observationFromResult({ resultType: 'scalar', result: [1, '4'] })).toEqual({ kind: 'value', value: 4 });
    expect(observationFromResult({ resultType: 'matrix', result: [] }).kind).toBe('error');
  });
});

describe('check configuration', () => {
  test('six defaults with aggregated PromQL, the API latency as a histogram_quantile', () => {
    expect(DEFAULT_CHECKS.map((c) => c.name)).toEqual([
      'node-not-ready',
      'node-memory-pressure',
      'pod-restart-rate',
      'failed-pods',
      'apiserver-latency-p99',
      'autoscaler-errors',
    ]);
    expect(DEFAULT_CHECKS.find((c) => c.name === 'node-not-ready')!.query).toContain(
      'kube_node_status_condition{condition="Ready",status="true"',
    );
    expect(DEFAULT_CHECKS.find((c) => c.name === 'apiserver-latency-p99')!.query).toMatch(
      /^histogram_quantile\(0\.99, sum by \(le\) \(rate\(apiserver_request_duration_seconds_bucket/,
    );
  });
  test('selector rendering', () => {
    expect(renderQuery('up{{{selector}}}', 'cluster="a"')).toBe('up{cluster="a"}');
    expect(renderQuery('up{job="x",{{selector}}}', '')).toBe('up{job="x",}');
  });
  test('cluster checks replace defaults by name; disable; severity actions', () => {
    const h = healthSchema.parse({
      checks: [
        {
          name: 'failed-pods',
          query: 'sum(kube_pod_status_phase{phase="Failed",{{selector}}})',
          operator: '>',
          threshold: 1,
          severity: 'warning',
        },
      ],
      clusters: [],
    });
    const cluster = {
      prometheus: { url: 'http://p', auth: { type: 'none' as const }, selector: 'cluster="a"', timeoutSeconds: 5 },
      checks: [{ ...h.checks[0], name: 'extra', actions: ['alert' as const] }],
      disable: ['autoscaler-errors'],
    };
    const r = resolveChecks(h, cluster);
    expect(r.map((c) => c.name)).toEqual([
      'node-not-ready',
      'node-memory-pressure',
      'pod-restart-rate',
      'failed-pods',
      'apiserver-latency-p99',
      'extra',
    ]);
    const failed = r.find((c) => c.name === 'failed-pods')!;
    expect(failed.threshold).toBe(1);
    expect(failed.query).toBe('sum(kube_pod_status_phase{phase="Failed",cluster="a"})');
    expect(failed.actions).toEqual(['alert', 'create_jira_ticket', 'update_metrics']);
    expect(r.find((c) => c.name === 'extra')!.actions).toEqual(['alert']);
    expect(r.find((c) => c.name === 'node-not-ready')!.actions).toEqual(['alert', 'scale_up_nodes', 'update_metrics']);
  });
  test('bad input is rejected with the path', () => {
    expect(
      healthSchema.safeParse({
        checks: [{ name: 'Bad Name', query: 'up', operator: '>', threshold: 1, severity: 'warning' }],
      }).success,
    ).toBe(false);
    expect(
      healthSchema.safeParse({
        checks: [{ name: 'a', query: 'up', operator: '=>', threshold: 1, severity: 'warning' }],
      }).success,
    ).toBe(false);
    const dup = healthSchema.safeParse({
      checks: [
        { name: 'a', query: 'up', operator: '>', threshold: 1, severity: 'info' },
        { name: 'a', query: 'up', operator: '>', threshold: 1, severity: 'info' },
      ],
    });
    expect(dup.success).toBe(false);
    expect(JSON.stringify(dup.error?.issues)).toContain('duplicate check name');
    expect(
      healthSchema.safeParse({
        clusters: [{ cluster: 'a', prometheus: { url: 'http://p', auth: { type: 'bearer' } } }],
      }).success,
    ).toBe(false);
    expect(
      healthSchema.safeParse({
        clusters: [{ cluster: 'a', prometheus: { url: 'http://p', auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } } }],
      }).success,
    ).toBe(true);
    expect(
      healthSchema.safeParse({
        clusters: [
          {
            cluster: 'a',
            prometheus: {
              url: 'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1',
              auth: { type: 'sigv4', region: 'us-east-1' },
            },
          },
        ],
      }).success,
    ).toBe(true);
  });
});

describe('scale-up decision', () => {
  const base = {
    current: { min: 1, desired: 3, max: 5 },
    configuredMax: 6,
    step: 2,
    cooldownMs: 30 * 60_000,
    nowMs: 10_000_000,
  };
  test('one step more, bounded by the smaller max', () => {
    expect(planScaleUp(base)).toEqual({ apply: true, field: 'desired', value: 5, desired: 5 });
    expect(planScaleUp({ ...base, step: 1 })).toMatchObject({ apply: true, value: 4 });
    expect(planScaleUp({ ...base, current: { min: 1, desired: 5, max: 5 } })).toEqual({
      apply: false,
      reason: 'already at max (5/5)',
    });
  });
  test('never while paused, not inside the cooldown', () => {
    expect(planScaleUp({ ...base, paused: 'ops: maintenance' })).toMatchObject({
      apply: false,
      reason: expect.stringContaining('paused'),
    });
    expect(planScaleUp({ ...base, lastScaleUpMs: base.nowMs - 10 * 60_000 })).toMatchObject({
      apply: false,
      reason: expect.stringContaining('cooldown'),
    });
    expect(planScaleUp({ ...base, lastScaleUpMs: base.nowMs - 31 * 60_000 }).apply).toBe(true);
  });
  test('bounds mode raises min', () => {
    expect(planScaleUp({ ...base, mode: 'bounds' })).toMatchObject({ apply: true, field: 'min', value: 3 });
  });
});

describe('08:30 verification verdicts', () => {
  const h = healthSchema.parse({});
  const checks = resolveChecks(h, {
    prometheus: { url: 'http://p', auth: { type: 'none' }, selector: '', timeoutSeconds: 5 },
    checks: [],
    disable: [],
  });
  test('one look per check: breach, healthy, no data by policy, error', () => {
    const v = verifyChecks(checks, {
      'node-not-ready': { kind: 'value', value: 2 },
      'node-memory-pressure': { kind: 'value', value: 0 },
      'pod-restart-rate': { kind: 'nodata', reason: 'empty result' },
      'failed-pods': { kind: 'error', message: 'unreachable: ECONNREFUSED' },
      'apiserver-latency-p99': { kind: 'value', value: 0.25 },
      'autoscaler-errors': { kind: 'nodata', reason: 'empty result' },
    });
    expect(v.map((x) => [x.check, x.status])).toEqual([
      ['node-not-ready', 'unhealthy'],
      ['node-memory-pressure', 'healthy'],
      ['pod-restart-rate', 'unhealthy'],
      ['failed-pods', 'unhealthy'],
      ['apiserver-latency-p99', 'healthy'],
      ['autoscaler-errors', 'healthy'],
    ]);
    expect(v[0].reason).toBe('2 > 0 nodes');
    expect(v[3].reason).toContain('could not be evaluated');
  });
});
