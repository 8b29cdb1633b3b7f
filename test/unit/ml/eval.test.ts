import * as path from 'node:path';
import { parseEvalArgs } from '../../../src/ml/eval/cli-args';
import { createAnomalyDetector, DEFAULT_ANOMALY_PARAMS } from '../../../src/ml/anomaly';
import {
  designGrid,
  detectorTraces,
  evaluateAnomalyTraces,
  flagsWith,
  selectRules,
  selectThresholds,
  THRESHOLD_GRID,
  votedFlags,
} from '../../../src/ml/eval/anomaly-eval';
import {
  bestConfig,
  evaluateForecasterOnSeries,
  type ForecasterEvalLine,
  type SeriesErrors,
} from '../../../src/ml/eval/forecaster-eval';
import { runPeers } from '../../../src/ml/eval/peers';
import { compareWithOthers } from '../../../src/ml/eval/run-eval';
import { evaluatePricePredictor } from '../../../src/ml/eval/price-eval';
import { dailySinePlusTrend } from '../../../src/ml/synthetic';
import type { SpotPriceRow } from '../../../src/ml/data';

const repoRoot = path.resolve(__dirname, '../../..');

describe('eval-ml arguments', () => {
  it('defaults to the shared data and the synthetic set', () => {
    const parsed = parseEvalArgs([]);
    expect(parsed).toEqual({
      ok: true,
      args: expect.objectContaining({ defaults: true, synthetic: true, models: ['forecaster', 'price', 'anomaly'] }),
    });
  });

  it('evaluates only the data given, in --key value and --key=value forms', () => {
    const parsed = parseEvalArgs(['--nab-dir', repoRoot, '--only=forecaster,anomaly']);
    expect(parsed).toEqual({
      ok: true,
      args: expect.objectContaining({
        defaults: false,
        synthetic: false,
        nabDir: repoRoot,
        models: ['forecaster', 'anomaly'],
      }),
    });
  });

  it.each([
    [['--nab-dri', '/tmp'], /unknown option --nab-dri/],
    [['--spot-csv', '/no/such/file.csv'], /--spot-csv: no such file/],
    [['--nab-dir', path.join(repoRoot, 'package.json')], /--nab-dir: not a directory/],
    [['--only', 'forecaster,magic'], /--only takes forecaster, price, anomaly/],
    [['--spot-csv'], /--spot-csv needs a value/],
    [['--synthetic=yes'], /--synthetic takes no value/],
    [['stray'], /unexpected argument "stray"/],
    [['--nab-labels', path.join(repoRoot, 'package.json')], /need --nab-dir/],
  ])('rejects %j with a clear message', (argv, message) => {
    const parsed = parseEvalArgs(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe('rolling-origin evaluations', () => {
  it('scores the forecaster below both baselines on a seasonal series', () => {
    const series = dailySinePlusTrend({
      days: 6,
      stepMinutes: 5,
      level: 50,
      amplitude: 20,
      trendPerDay: 1,
      noise: 1,
      seed: 8,
    });
    const line = evaluateForecasterOnSeries({ name: 'sine', values: series.values, stepMinutes: 5 });
    expect(line).not.toBeNull();
    expect(line!.mase).toBeLessThan(line!.mase_seasonal_naive);
    expect(line!.mase).toBeLessThan(line!.mase_naive);
  });

  it('scores the price predictor per series and overall, beating last value on a drifting price', () => {
    const hour = 3_600_000;
    const t0 = Date.UTC(2021, 2, 1);
    const rows: SpotPriceRow[] = Array.from({ length: 25 * 24 }, (_, h) => ({
      t: t0 + h * hour,
      availabilityZone: 'us-east-1a',
      instanceType: 'm5.large',
      price: 0.04 * (1 + 0.0004 * h),
    }));
    const lines = evaluatePricePredictor(rows);
    expect(lines.map((l) => l.series)).toEqual(['m5.large/us-east-1a', 'overall']);
    const overall = lines[1];
    expect(overall.mae).toBeLessThan(overall.mae_last_value);
    expect(overall.trend_accuracy).toBe(1);
    expect(overall.coverage).toBeGreaterThan(0.9);
  });
});

describe('model selection without the scored series or file', () => {
  it('picks the forecaster configuration that is best on the other series', () => {
    const configs = [
      { name: 'a', levelWindowsMinutes: [60], seasonalAdvantage: 0 },
      { name: 'b', levelWindowsMinutes: [120], seasonalAdvantage: 0 },
    ];
    const errors = (a: number, b: number): SeriesErrors => ({
      name: 's',
      horizon: 1,
      origins: [1],
      configs: { a: [a], b: [b] },
      coverage: { a: [1, 1, 1], b: [1, 1, 1] },
      baselines: { naive: [1], seasonalNaive: [1], mean1h: [1] },
    });
    // 'b' is far better on series 0 only; on the others 'a' wins.
    const all = [errors(5, 1), errors(1, 1.2), errors(1, 1.2)];
    expect(bestConfig(all, -1, configs)).toBe('b');
    expect(bestConfig(all, 0, configs)).toBe('a');
    expect(bestConfig(all, 1, configs)).toBe('b');
  });

  it('compares the forecaster with the best baseline or peer on the overall line', () => {
    const overall = { model: 'forecaster', series: 'nab/overall', mase: 0.9 } as ForecasterEvalLine;
    const others = [
      { model: 'peer:mean1h', series: 'nab/overall', mase: 1.2, origins: 3 },
      { model: 'peer:AutoETS', series: 'nab/overall', mase: 1.0, origins: 3 },
      { model: 'peer:AutoETS', series: 'nab/x', mase: 0.1, origins: 1 },
    ];
    expect(compareWithOthers(overall, others)).toMatchObject({
      best_other: 'peer:AutoETS',
      best_other_mase: 1.0,
      ratio: 0.9,
    });
  });

  it('says why the statsforecast peers did not run when their Python is missing', () => {
    const previous = process.env.EKSFLOW_PEERS_PYTHON;
    process.env.EKSFLOW_PEERS_PYTHON = path.join(repoRoot, 'no-such-python');
    try {
      expect(runPeers([{ name: 's', values: [1, 2, 3], stepMinutes: 5 }])).toEqual({
        unavailable: expect.stringMatching(/statsforecast peers not run: no Python environment/),
      });
    } finally {
      if (previous === undefined) delete process.env.EKSFLOW_PEERS_PYTHON;
      else process.env.EKSFLOW_PEERS_PYTHON = previous;
    }
  });

  it('chooses the anomaly threshold per file from the other files only', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const flat = (n: number, spikeAt: number, spike: number) =>
      Array.from({ length: n }, (_, i) => (i === spikeAt ? spike : 10 + (i % 7) * 0.1));
    const series = [0, 1, 2].map((k) => ({
      name: `f${k}`,
      timestamps: Array.from({ length: 2000 }, (_, i) => t0 + i * 300_000),
      values: flat(2000, 1500, 10.5 + k),
    }));
    const windows = Object.fromEntries(
      series.map((s) => [s.name, [[s.timestamps[1490], s.timestamps[1520]] as [number, number]]]),
    );
    const traces = detectorTraces(series, windows);
    const selection = selectThresholds(traces);
    for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      selection.leaveOneOut[p].forEach((t) => expect(THRESHOLD_GRID).toContain(t));
      expect(THRESHOLD_GRID).toContain(selection.inSample[p]);
    }
    const evaluation = evaluateAnomalyTraces(traces);
    expect(evaluation.overall).toMatchObject({ series: 'overall', selection: 'nested-leave-one-file-out', windows: 3 });
    expect(evaluation.singleRule).toMatchObject({ series: 'overall/single-rule-loo', windows: 3 });
    expect(evaluation.thresholdOnly).toMatchObject({
      series: 'overall/threshold-only-loo',
      selection: 'leave-one-file-out',
    });
    expect(evaluation.inSample).toMatchObject({ series: 'overall/in-sample', selection: 'in-sample' });
  });

  it("re-applies the detector's own flag rule to a trace, and chooses every rule parameter without the held-out file", () => {
    const t0 = Date.UTC(2024, 0, 1);
    const make = (k: number) => {
      const values = Array.from({ length: 2400 }, (_, i) => 10 + ((i * 7) % 11) * 0.1 + (i >= 1600 + 50 * k ? 3 : 0));
      values[1200 + 30 * k] = 30 + k;
      return { name: `f${k}`, timestamps: values.map((_, i) => t0 + i * 300_000), values };
    };
    const series = [0, 1, 2, 3].map(make);
    const windows = Object.fromEntries(
      series.map((s, k) => [s.name, [[s.timestamps[1190 + 30 * k], s.timestamps[1230 + 30 * k]] as [number, number]]]),
    );
    const traces = detectorTraces(series, windows);
    const d = DEFAULT_ANOMALY_PARAMS;
    const defaultRule = {
      threshold: d.threshold,
      cooldownMs: d.cooldownMs,
      recordFraction: d.recordFraction,
      recordHalfLifeMs: d.recordHalfLifeMs,
      levelWeight: d.levelWeight,
      level: true,
    };
    for (const [i, s] of series.entries()) {
      const detector = createAnomalyDetector();
      const live = s.values.map((v, j) => (detector.update(s.timestamps[j], v).anomaly ? 1 : 0));
      expect(flagsWith(traces[i], defaultRule)).toEqual(live);
      expect(live.some((f) => f === 1)).toBe(true);
    }
    const grid = designGrid();
    expect(grid[0]).toEqual({ ...defaultRule, threshold: THRESHOLD_GRID[0] });
    const chosen = selectRules(traces, grid).leaveOneOut.standard;
    // Moving file 0's labels elsewhere cannot change the rule chosen for file 0 (it is chosen on the others).
    const moved = traces.map((t, i) => (i === 0 ? { ...t, windows: [{ start: 100, end: 140 }] } : t));
    expect(selectRules(moved, grid).leaveOneOut.standard[0]).toEqual(chosen[0]);
  });

  it('flags where enough of the voting rules flagged within the tolerance, once per cooldown', () => {
    const t = Array.from({ length: 400 }, (_, i) => i * 300_000);
    const at = (...rows: number[]) => t.map((_, i) => (rows.includes(i) ? 1 : 0));
    // Rows 100/105/110: three rules agree within 2 h; row 300 (16 h later): one rule alone.
    const rules = [at(100, 300), at(105), at(110)];
    expect(votedFlags(rules, t, 0.5).flatMap((f, i) => (f ? [i] : []))).toEqual([105]);
    expect(votedFlags(rules, t, 0.34).flatMap((f, i) => (f ? [i] : []))).toEqual([105]);
    expect(votedFlags(rules, t, 0.3).flatMap((f, i) => (f ? [i] : []))).toEqual([100, 300]);
    expect(votedFlags(rules, t, 1).flatMap((f, i) => (f ? [i] : []))).toEqual([110]);
  });

  it('accepts --no-peers and --fresh-peers', () => {
    const parsed = parseEvalArgs(['--no-peers', '--fresh-peers']);
    expect(parsed).toEqual({
      ok: true,
      args: expect.objectContaining({ peers: false, freshPeers: true, peersMinutes: 30 }),
    });
    expect(parseEvalArgs(['--peers-minutes', '5'])).toEqual({
      ok: true,
      args: expect.objectContaining({ peersMinutes: 5 }),
    });
    expect(parseEvalArgs(['--peers-minutes', '-1'])).toMatchObject({ ok: false });
  });
});
