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
import { ablations, detectorTraces, evaluateAnomalyTraces, formatScoreboard, referenceScores } from './anomaly-eval';
import { EvalArgumentError, type EvalArgs } from './cli-args';
import {
  evaluateForecaster,
  medianStepMinutes,
  peerLines,
  type ForecasterEvalLine,
  type PeerEvalLine,
} from './forecaster-eval';
import { PEER_MODELS, runPeers } from './peers';
import { evaluatePricePredictor } from './price-eval';

/** Five significant digits: enough to compare models, short enough to read. Integers stay as they are. */
export function roundForOutput<T extends object>(record: T): T {
  const rounded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    rounded[key] =
      typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
        ? Number(value.toPrecision(5))
        : value;
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

/** The forecaster's overall MASE against the best baseline or peer: the issue's goal is ratio ≤ 0.9. */
export function compareWithOthers(overall: ForecasterEvalLine, others: PeerEvalLine[]): object | null {
  const overallOthers = others.filter((l) => l.series === overall.series);
  if (overallOthers.length === 0) return null;
  const best = overallOthers.reduce((a, b) => (b.mase < a.mase ? b : a));
  return {
    model: 'forecaster-vs-best-other',
    series: overall.series,
    mase: overall.mase,
    best_other: best.model,
    best_other_mase: best.mase,
    ratio: overall.mase / best.mase,
    compared_with: overallOthers.map((l) => l.model).join(','),
  };
}

function formatForecasterScoreboard(lines: ForecasterEvalLine[], others: PeerEvalLine[]): string {
  const overall = lines.filter((l) => l.series.startsWith('nab/overall'));
  const rows = [
    `${'model'.padEnd(34)} ${'MASE'.padStart(7)}  note`,
    ...overall.map(
      (l) =>
        `${`eksflow forecaster${l.selection === 'in-sample' ? ' (in-sample)' : ''}`.padEnd(34)} ${l.mase.toFixed(3).padStart(7)}  ${
          l.selection === 'in-sample'
            ? `config ${l.config} chosen on all series`
            : 'config chosen leaving each series out'
        }; 80%/95% interval coverage ${(100 * l.coverage_80).toFixed(1)}% / ${(100 * l.coverage_95).toFixed(1)}%`,
    ),
    ...others
      .filter((l) => l.series === 'nab/overall')
      .sort((a, b) => a.mase - b.mase)
      .map((l) => `${l.model.padEnd(34)} ${l.mase.toFixed(3).padStart(7)}  ${l.origins} origins`),
  ];
  return `forecaster on NAB (MASE, 4 h horizon, lower is better):\n${rows.join('\n')}`;
}

export function runEvaluation(args: EvalArgs, out: EvalOutput): void {
  const nabDirArg = args.nabDir ?? (args.defaults ? sharedDataPath(['nab-aws']) : undefined);
  const spotCsv =
    args.spotCsv ?? (args.defaults ? sharedDataPath(['spot-prices', 'spot_prices_us-east-1.csv']) : undefined);
  const wants = (m: EvalArgs['models'][number]) => args.models.includes(m);

  const nabDir = nabDirArg ? resolveNabSeriesDir(nabDirArg) : undefined;
  const nabSeries = nabDir ? listNabSeriesFiles(nabDir).map(loadNabSeries) : [];

  if (wants('forecaster')) {
    const started = Date.now();
    if (nabSeries.length > 0) {
      const series = nabSeries.map((s) => ({
        name: `nab/${s.name}`,
        values: s.values,
        stepMinutes: medianStepMinutes(s.timestamps),
      }));
      const evaluation = evaluateForecaster(series, 'nab/overall');
      evaluation.lines.forEach((l) => out.line(l));
      const others = [...evaluation.peerLines];
      if (args.peers) {
        const peers = runPeers(series, { fresh: args.freshPeers, budgetMinutes: args.peersMinutes });
        if ('unavailable' in peers) out.note(peers.unavailable);
        else {
          out.note(peers.note);
          for (const model of PEER_MODELS) {
            if (peers.mase[model]) others.push(...peerLines(model, peers.mase[model], 'nab/overall'));
          }
        }
      } else {
        out.note('statsforecast peers skipped (--no-peers)');
      }
      others.forEach((l) => out.line(l));
      if (evaluation.overall) {
        const comparison = compareWithOthers(evaluation.overall, others);
        if (comparison) out.line(comparison);
        out.note(formatForecasterScoreboard(evaluation.lines, others));
      }
    }
    if (args.synthetic) {
      const synthetic = evaluateForecaster(syntheticEvaluationSeries(), 'synthetic/overall');
      synthetic.lines.forEach((l) => out.line(l));
      synthetic.peerLines.forEach((l) => out.line(l));
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
      args.nabLabels ??
      firstExisting([path.join(nabDir, 'labels_windows.json'), path.join(nabDir, 'combined_windows.json')]);
    if (!labels) {
      out.note(`anomaly detector not scored: no labels_windows.json in ${nabDir} (pass --nab-labels)`);
      return;
    }
    const started = Date.now();
    const windows = loadNabWindows(labels);
    // Files the labels do not mention are still forecast, but cannot be anomaly-scored.
    const labelled = nabSeries.filter((s) => s.name in windows);
    const traces = detectorTraces(labelled, windows);
    const evaluation = evaluateAnomalyTraces(traces);
    evaluation.lines.forEach((l) => out.line(l));
    const corpus = traces.map((t) => ({ name: t.name, anomalyScores: [], windows: t.windows }));
    const ablation = ablations(labelled, windows);
    ablation.forEach((l) => out.line(l));
    const referenceDir = args.nabReference ?? firstExisting([path.join(nabDir, '..', 'reference-results')]);
    const references = referenceDir ? referenceScores(referenceDir, corpus) : [];
    out.note(
      `anomaly detector on ${corpus.length} files (${((Date.now() - started) / 1000).toFixed(1)} s), NAB scores:\n` +
        formatScoreboard(
          evaluation.overall,
          references,
          evaluation.inSample,
          evaluation.thresholdOnly,
          evaluation.bestRule,
          evaluation.defaultBreakOnly,
          evaluation.flagCount,
          evaluation.defaultFirst,
        ) +
        '\nwhat each change adds (threshold 0.5, standard / low FP / low FN, false positives):\n' +
        ablation
          .map(
            (a) =>
              `  ${a.variant.padEnd(48)} ${a.nab_standard?.toFixed(2)} / ${a.nab_low_fp?.toFixed(2)} / ${a.nab_low_fn?.toFixed(2)}  fp ${a.false_positives}`,
          )
          .join('\n'),
    );
  }
}
