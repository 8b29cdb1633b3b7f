import * as path from 'node:path';
import { parseEvalArgs } from '../../../src/ml/eval/cli-args';
import { createAnomalyDetector, DEFAULT_ANOMALY_PARAMS } from '../../../src/ml/anomaly';
import {
  chooseRule,
  defaultRule,
  designGrid,
  CONSIDERED_BREAKS,
  DEFAULT_BREAK,
  defaultBreakFirst,
  EARLY_BREAK_SHARE,
  detectorTraces,
  evaluateAnomalyTraces,
  flagsWith,
  rowsAboveBar,
  scoreGrid,
  selectRules,
  thresholdGrid,
  THRESHOLD_GRID,
  type GridScores,
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
    const selection = selectRules(traces, thresholdGrid());
    for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      selection.leaveOneOut[p].forEach((rule) => expect(THRESHOLD_GRID).toContain(rule.threshold));
      expect(THRESHOLD_GRID).toContain(selection.inSample[p].threshold);
    }
    const evaluation = evaluateAnomalyTraces(traces);
    expect(evaluation.overall).toMatchObject({ series: 'overall', selection: 'nested-leave-one-file-out', windows: 3 });
    expect(evaluation.bestRule).toMatchObject({ series: 'overall/best-rule-loo', windows: 3 });
    expect(evaluation.overall.grid_rules).toBe(1080);
    expect(evaluation.flagCount).toMatchObject({ series: 'overall/flag-count-tie-loo', grid_rules: 1080, windows: 3 });
    expect(evaluation.defaultFirst).toMatchObject({ series: 'overall/default-break-first-loo', grid_rules: 1080 });
    expect(evaluation.defaultBreakOnly).toMatchObject({
      series: 'overall/default-break-grid-loo',
      grid_rules: 432,
      windows: 3,
    });
    expect(evaluation.lines.map((l) => l.series)).toEqual([
      'f0',
      'f1',
      'f2',
      'overall',
      'overall/best-rule-loo',
      'overall/flag-count-tie-loo',
      'overall/default-break-first-loo',
      'overall/default-break-grid-loo',
      'overall/threshold-only-loo',
      'overall/in-sample',
    ]);
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
    expect(defaultRule()).toEqual({
      threshold: d.threshold,
      cooldownMs: d.cooldownMs,
      cooldownBreak: d.cooldownBreak,
      cooldownBreakAfterMs: d.cooldownBreakAfterMs,
      cooldownBreakByLevel: d.cooldownBreakByLevel,
      recordFraction: d.recordFraction,
      recordHalfLifeMs: d.recordHalfLifeMs,
      levelWeight: d.levelWeight,
      level: true,
    });
    for (const [i, s] of series.entries()) {
      for (const params of [
        {},
        { cooldownBreak: 0 },
        { cooldownBreakAfterMs: 2 * 3_600_000 },
        { cooldownBreakAfterMs: 2 * 3_600_000, cooldownBreakByLevel: true },
        { cooldownMs: 8 * 3_600_000, levelWeight: 20 },
      ]) {
        const detector = createAnomalyDetector(params);
        const live = s.values.map((v, j) => (detector.update(s.timestamps[j], v).anomaly ? 1 : 0));
        expect(flagsWith(traces[i], { ...defaultRule(), ...params })).toEqual(live);
        expect(live.some((f) => f === 1)).toBe(true);
      }
    }
    // The grid with the default's break timing only: the default design first.
    const narrow = designGrid([DEFAULT_BREAK]);
    expect(DEFAULT_BREAK).toEqual({ share: 0.5, byLevel: false });
    expect(narrow[0]).toEqual({ ...defaultRule(), threshold: THRESHOLD_GRID[0] });
    expect(narrow).toHaveLength(432);
    // The cooldown break waits the same share (half) of every cooldown in that grid.
    expect(narrow.every((r) => r.cooldownBreakAfterMs === r.cooldownMs / 2)).toBe(true);
    expect(new Set(narrow.map((r) => r.cooldownBreakAfterMs / 3_600_000))).toEqual(new Set([12, 6, 4]));
    // The full grid: every break timing the design considered, the break as first added (2 h, either ratio) first,
    // the default last; one variant without a break.
    expect(CONSIDERED_BREAKS).toEqual([
      { share: EARLY_BREAK_SHARE, byLevel: true },
      { share: EARLY_BREAK_SHARE, byLevel: false },
      { share: 0.5, byLevel: true },
      { share: 0.5, byLevel: false },
    ]);
    const grid = designGrid();
    expect(grid).toHaveLength(1080);
    expect(grid[0]).toEqual({
      ...defaultRule(),
      threshold: THRESHOLD_GRID[0],
      cooldownBreakAfterMs: 2 * 3_600_000,
      cooldownBreakByLevel: true,
    });
    expect(grid[3 * 54]).toEqual({ ...defaultRule(), threshold: THRESHOLD_GRID[0] });
    expect(new Set(grid.map((r) => r.cooldownBreakAfterMs / 3_600_000))).toEqual(new Set([12, 6, 4, 2, 1, 8 / 12]));
    expect(grid.filter((r) => r.cooldownBreak === 0)).toHaveLength(216);
    expect(grid.filter((r) => r.cooldownBreak === 0 && r.cooldownBreakByLevel)).toHaveLength(0);
    for (const b of CONSIDERED_BREAKS)
      expect(
        grid.filter(
          (r) =>
            r.cooldownBreak > 0 &&
            r.cooldownBreakAfterMs === r.cooldownMs * b.share &&
            r.cooldownBreakByLevel === b.byLevel,
        ),
      ).toHaveLength(216);
    const chosen = selectRules(traces, grid).leaveOneOut.standard;
    // Moving file 0's labels elsewhere cannot change the rule chosen for file 0 (it is chosen on the others).
    const moved = traces.map((t, i) => (i === 0 ? { ...t, windows: [{ start: 100, end: 140 }] } : t));
    expect(selectRules(moved, grid).leaveOneOut.standard[0]).toEqual(chosen[0]);
  });

  it('treats rules within one false positive of the best as ties, won by the more sensitive rule', () => {
    // [raw score, flagged rows, rows above the bar] per file
    const scores = (rows: [number, number, number][][]): GridScores => ({
      raw: rows.map((files) =>
        files.map(([score]) => ({ standard: score, reward_low_FP_rate: score, reward_low_FN_rate: score })),
      ),
      flags: rows.map((files) => files.map(([, flags]) => flags)),
      aboveBar: rows.map((files) => files.map(([, , above]) => above)),
    });
    // rule 0 is best on files 0+1 by 0.10 (< A_FP 0.11) but is less sensitive; rule 2 is 0.12 behind.
    const s = scores([
      [
        [1.0, 3, 10],
        [1.0, 3, 10],
        [-2, 0, 0],
      ],
      [
        [0.95, 5, 20],
        [0.95, 5, 20],
        [1, 5, 20],
      ],
      [
        [0.94, 9, 30],
        [0.94, 9, 30],
        [1, 9, 30],
      ],
    ]);
    expect(chooseRule(s, 'standard', [2])).toBe(1);
    // A_FP is 0.22 under the low-FP profile: rule 2 is now a tie too, and the most sensitive.
    expect(chooseRule(s, 'reward_low_FP_rate', [2])).toBe(2);
    // With file 2 in, rule 1 is best outright (4.9 against 0.0 and 4.88); rule 2 is 0.02 behind and more sensitive.
    expect(chooseRule(s, 'standard', [])).toBe(2);
    // Excluding files 1 and 2: rule 0 (1.0) and rule 1 (0.95) tie, rule 2 (0.94) too: the most sensitive wins.
    expect(chooseRule(s, 'standard', [1, 2])).toBe(2);
    // Tolerance 0: the plain best rule.
    expect(chooseRule(s, 'standard', [2], 0)).toBe(0);
    expect(chooseRule(s, 'standard', [], 0)).toBe(1);
    // Sensitivity is rows above the bar, not flags: a tie that flags more (a cooldown allowing more repeats) but
    // is less sensitive loses; the earlier tie-break ('flag-count') chose it.
    const repeats = scores([[[1.0, 9, 20]], [[0.95, 4, 25]]]);
    expect(chooseRule(repeats, 'standard', [])).toBe(1);
    expect(chooseRule(repeats, 'standard', [], undefined, 'flag-count')).toBe(0);
    // Equally sensitive: the higher sum; then the fewer flags (its extra flags gained nothing); then the earlier rule.
    expect(chooseRule(scores([[[0.5, 4, 9]], [[0.6, 5, 9]]]), 'standard', [])).toBe(1);
    expect(chooseRule(scores([[[0.6, 5, 9]], [[0.6, 4, 9]]]), 'standard', [])).toBe(1);
    expect(chooseRule(scores([[[0.6, 4, 9]], [[0.6, 4, 9]]]), 'standard', [])).toBe(0);
    // 'flag-count': more flags, then the higher sum, then the earlier rule.
    expect(chooseRule(scores([[[0.5, 4, 1]], [[0.6, 4, 9]]]), 'standard', [], undefined, 'flag-count')).toBe(1);
    expect(chooseRule(scores([[[0.6, 4, 1]], [[0.6, 4, 9]]]), 'standard', [], undefined, 'flag-count')).toBe(0);
    // The excluded file's sensitivity is never read: a huge count there changes nothing.
    const hidden = scores([
      [
        [1.0, 3, 10],
        [1.0, 3, 1000],
      ],
      [
        [0.95, 3, 20],
        [0.95, 3, 0],
      ],
    ]);
    expect(chooseRule(hidden, 'standard', [1])).toBe(1);
  });

  it("counts the rows at or above a rule's bar, before the cooldown and the record rule", () => {
    const c = (r: number, z: number, recordNovelty = 0, recordLevel = 0) => ({ r, z, recordNovelty, recordLevel });
    const trace = {
      name: 'hand',
      timestamps: [0, 1, 2, 3, 4, 5, 6].map((i) => i * 300_000),
      // θ = 1 at threshold 0.5: the level bar is 5 (weight 5) or 10 (weight 10); the records carried here are ignored.
      components: [null, c(1, 0, 0.99), c(0.99, 4.99), c(0, 5, 0, 100), c(0, 10), c(2, 20), c(0.5, 9.99)],
      windows: [],
    };
    const rule = { ...defaultRule(), threshold: 0.5, levelWeight: 5 };
    expect(rowsAboveBar(trace, rule)).toBe(5);
    expect(rowsAboveBar(trace, { ...rule, levelWeight: 10 })).toBe(3);
    expect(rowsAboveBar(trace, { ...rule, level: false })).toBe(2);
    // θ = 2 (threshold 2/3): r ≥ 2 or z ≥ 10.
    expect(rowsAboveBar(trace, { ...rule, threshold: 2 / 3 })).toBe(2);
    // The cooldown, its break and the record rule change the flags, never this count.
    expect(rowsAboveBar(trace, { ...rule, cooldownMs: 0, cooldownBreak: 0, recordFraction: 0 })).toBe(5);
    expect(flagsWith(trace, rule)).toEqual([0, 1, 0, 0, 0, 0, 0]);
  });

  it('reorders the grid so the default break timing comes first, keeping every other order', () => {
    const grid = designGrid();
    const scores: GridScores = {
      raw: grid.map((_, g) => [{ standard: g, reward_low_FP_rate: g, reward_low_FN_rate: g }]),
      flags: grid.map((_, g) => [g]),
      aboveBar: grid.map((_, g) => [-g]),
    };
    const flipped = defaultBreakFirst(grid, scores);
    const order = flipped.scores.flags.map(([g]) => g);
    expect([...order].sort((a, b) => a - b)).toEqual(grid.map((_, g) => g));
    expect(flipped.grid).toEqual(order.map((g) => grid[g]));
    expect(flipped.scores.raw.map(([r]) => r.standard)).toEqual(order);
    expect(flipped.scores.aboveBar.map(([a]) => -a)).toEqual(order);
    // 216 rules per break timing: the default's, half the cooldown by either ratio, 2 h novelty only, 2 h either, off.
    const timing = (r: (typeof grid)[number]) =>
      r.cooldownBreak === 0 ? 'off' : `${r.cooldownBreakAfterMs / r.cooldownMs}/${r.cooldownBreakByLevel}`;
    const blocks = [0, 1, 2, 3, 4].map((k) => new Set(flipped.grid.slice(216 * k, 216 * (k + 1)).map(timing)));
    expect(blocks).toEqual([
      new Set(['0.5/false']),
      new Set(['0.5/true']),
      new Set([`${EARLY_BREAK_SHARE}/false`]),
      new Set([`${EARLY_BREAK_SHARE}/true`]),
      new Set(['off']),
    ]);
    expect(flipped.grid[0]).toEqual({ ...defaultRule(), threshold: THRESHOLD_GRID[0] });
    // Within a block, the grid's own order.
    for (let k = 0; k < 5; k++) {
      const block = order.slice(216 * k, 216 * (k + 1));
      expect(block).toEqual([...block].sort((a, b) => a - b));
    }
  });

  it('scores every rule on every file once, under every profile', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const values = Array.from({ length: 2000 }, (_, i) => (i === 1500 ? 30 : 10 + (i % 7) * 0.1));
    const series = [{ name: 'f', timestamps: values.map((_, i) => t0 + i * 300_000), values }];
    const windows = { f: [[series[0].timestamps[1490], series[0].timestamps[1520]] as [number, number]] };
    const traces = detectorTraces(series, windows);
    const grid = [defaultRule(), { ...defaultRule(), threshold: 0.999 }];
    const scores = scoreGrid(traces, grid);
    expect(scores.flags).toEqual([[1], [0]]);
    // One row (the spike) is above the default bar, none above 0.999's; the cooldown and record rule do not count.
    expect(scores.aboveBar).toEqual([[1], [0]]);
    expect(scores.aboveBar[0][0]).toBe(rowsAboveBar(traces[0], grid[0]));
    // Caught on row 1500 of the window 1490..1520 (31 rows): A_TP·σ(−21/31)/σ(−1) under every profile.
    const y = -(1520 - 1500 + 1) / 31;
    const tp = (2 / (1 + Math.exp(5 * y)) - 1) / (2 / (1 + Math.exp(-5)) - 1);
    expect(scores.raw[0][0].standard).toBeCloseTo(tp, 12);
    expect(scores.raw[0][0].reward_low_FP_rate).toBeCloseTo(tp, 12);
    expect(scores.raw[1][0]).toEqual({ standard: -1, reward_low_FP_rate: -1, reward_low_FN_rate: -2 });
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
