import * as path from 'node:path';
import { parseEvalArgs } from '../../../src/ml/eval/cli-args';
import { evaluateForecasterOnSeries } from '../../../src/ml/eval/forecaster-eval';
import { evaluatePricePredictor } from '../../../src/ml/eval/price-eval';
import { dailySinePlusTrend } from '../../../src/ml/synthetic';
import type { SpotPriceRow } from '../../../src/ml/data';

const repoRoot = path.resolve(__dirname, '../../..');

describe('eval-ml arguments', () => {
  it('defaults to the shared data and the synthetic set', () => {
    const parsed = parseEvalArgs([]);
    expect(parsed).toEqual({ ok: true, args: expect.objectContaining({ defaults: true, synthetic: true, models: ['forecaster', 'price', 'anomaly'] }) });
  });

  it('evaluates only the data given, in --key value and --key=value forms', () => {
    const parsed = parseEvalArgs(['--nab-dir', repoRoot, '--only=forecaster,anomaly']);
    expect(parsed).toEqual({
      ok: true,
      args: expect.objectContaining({ defaults: false, synthetic: false, nabDir: repoRoot, models: ['forecaster', 'anomaly'] }),
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
    const series = dailySinePlusTrend({ days: 6, stepMinutes: 5, level: 50, amplitude: 20, trendPerDay: 1, noise: 1, seed: 8 });
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
