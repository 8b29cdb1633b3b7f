/**
 * The ML evaluation run: resolves the data from the arguments, evaluates each model, and writes
 * JSON lines (stdout) and the anomaly scoreboard (stderr). All model parameters are the fixed
 * defaults in the model modules; nothing is fitted to the data being scored except what the
 * models themselves learn online from each series' past.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listNabSeriesFiles, loadNabSeries, loadNabWindows, loadSpotPrices } from '../data';
import { sharedDataPath } from '../../data/shared';
import { syntheticEvaluationSeries } from '../synthetic';
import { detectorCorpus, evaluateAnomalyDetector, formatScoreboard, referenceScores } from './anomaly-eval';
import { EvalArgumentError, type EvalArgs } from './cli-args';
import { evaluateForecaster, medianStepMinutes } from './forecaster-eval';
import { evaluatePricePredictor } from './price-eval';

/** Five significant digits: enough to compare models, short enough to read. Integers stay as they are. */
export function roundForOutput<T extends object>(record: T): T {
  const rounded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    rounded[key] = typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value) ? Number(value.toPrecision(5)) : value;
  }
  return rounded as T;
}

export interface EvalOutput {
  line(record: object): void;
  note(text: string): void;
}

/** A folder of NAB series: the folder itself if it holds CSVs, else its realAWSCloudwatch/ child. */
function resolveNabSeriesDir(dir: string): string {
  if (listNabSeriesFiles(dir).length > 0) return dir;
  const child = path.join(dir, 'realAWSCloudwatch');
  if (fs.existsSync(child) && listNabSeriesFiles(child).length > 0) return child;
  throw new EvalArgumentError(`--nab-dir: no series (timestamp,value CSV files) in ${dir} or ${child}`);
}

function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((p) => fs.existsSync(p));
}

export function runEvaluation(args: EvalArgs, out: EvalOutput): void {
  const nabDirArg = args.nabDir ?? (args.defaults ? sharedDataPath(['nab-aws']) : undefined);
  const spotCsv = args.spotCsv ?? (args.defaults ? sharedDataPath(['spot-prices', 'spot_prices_us-east-1.csv']) : undefined);
  const wants = (m: EvalArgs['models'][number]) => args.models.includes(m);

  const nabDir = nabDirArg ? resolveNabSeriesDir(nabDirArg) : undefined;
  const nabSeries = nabDir ? listNabSeriesFiles(nabDir).map(loadNabSeries) : [];

  if (wants('forecaster')) {
    const started = Date.now();
    if (nabSeries.length > 0) {
      const series = nabSeries.map((s) => ({ name: `nab/${s.name}`, values: s.values, stepMinutes: medianStepMinutes(s.timestamps) }));
      evaluateForecaster(series, 'nab/overall').forEach((l) => out.line(l));
    }
    if (args.synthetic) {
      evaluateForecaster(syntheticEvaluationSeries(), 'synthetic/overall').forEach((l) => out.line(l));
    }
    out.note(`forecaster evaluated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  if (wants('price') && spotCsv) {
    const started = Date.now();
    evaluatePricePredictor(loadSpotPrices(spotCsv)).forEach((l) => out.line(l));
    out.note(`price predictor evaluated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  if (wants('anomaly') && nabDir) {
    const labels =
      args.nabLabels ?? firstExisting([path.join(nabDir, 'labels_windows.json'), path.join(nabDir, 'combined_windows.json')]);
    if (!labels) {
      out.note(`anomaly detector not scored: no labels_windows.json in ${nabDir} (pass --nab-labels)`);
      return;
    }
    const started = Date.now();
    const windows = loadNabWindows(labels);
    // Files the labels do not mention are still forecast, but cannot be anomaly-scored.
    const labelled = nabSeries.filter((s) => s.name in windows);
    const corpus = detectorCorpus(labelled, windows);
    const lines = evaluateAnomalyDetector(corpus);
    lines.forEach((l) => out.line(l));
    const referenceDir = args.nabReference ?? firstExisting([path.join(nabDir, '..', 'reference-results')]);
    const references = referenceDir ? referenceScores(referenceDir, corpus) : [];
    out.note(`anomaly detector on ${corpus.length} files (${((Date.now() - started) / 1000).toFixed(1)} s), NAB scores:\n` +
      formatScoreboard(lines[lines.length - 1], references));
  }
}
