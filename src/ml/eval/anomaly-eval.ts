/**
 * NAB evaluation of the streaming anomaly detector, and the reference numbers it is read
 * against: NAB's own detectors on the same files (from per_file_scores.csv), NAB's HTM re-scored
 * by this scorer from its per-row outputs, and the published whole-corpus scoreboard.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAnomalyDetector } from '../anomaly';
import {
  loadNabDetectorRows,
  loadNabPerFileScores,
  loadNabThresholds,
  type TimeSeries,
  type TimeWindow,
} from '../data';
import {
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  normaliseScore,
  scoreCorpus,
  windowsToRows,
  type CorpusFile,
  type NabProfileName,
} from '../nab-scorer';

export interface AnomalyEvalLine {
  model: 'anomaly';
  series: string;
  /** normalised NAB scores (null for a file without anomaly windows, where only raw scores mean something) */
  nab_standard: number | null;
  nab_low_fp: number | null;
  nab_low_fn: number | null;
  raw_standard: number;
  raw_low_fp: number;
  raw_low_fn: number;
  windows: number;
  detected_windows: number;
  false_positives: number;
}

export interface ReferenceScore {
  detector: string;
  source: string;
  standard: number | null;
  low_fp: number | null;
  low_fn: number | null;
}

const PROFILE_KEYS: Record<NabProfileName, 'standard' | 'low_fp' | 'low_fn'> = {
  standard: 'standard',
  reward_low_FP_rate: 'low_fp',
  reward_low_FN_rate: 'low_fn',
};

/** Runs the detector (fixed default parameters) over every file; its flags are the per-row NAB scores. */
export function detectorCorpus(series: TimeSeries[], windows: Record<string, TimeWindow[]>): CorpusFile[] {
  return series.map((s) => {
    const detector = createAnomalyDetector();
    const flags = s.values.map((value, i) => (detector.update(s.timestamps[i], value).anomaly ? 1 : 0));
    return { name: s.name, anomalyScores: flags, windows: windowsToRows(s.timestamps, windows[s.name] ?? []) };
  });
}

export function evaluateAnomalyDetector(corpus: CorpusFile[]): AnomalyEvalLine[] {
  // Flags are 0/1, so threshold 1 means "flagged"; the same flags are scored under every profile.
  const byProfile = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, scoreCorpus(corpus, 1, p)])) as Record<
    NabProfileName,
    ReturnType<typeof scoreCorpus>
  >;
  const lines: AnomalyEvalLine[] = corpus.map((file, i) => {
    const perProfile = (p: NabProfileName) => byProfile[p].perFile[i];
    const norm = (p: NabProfileName) => normaliseScore(perProfile(p).score, perProfile(p).windows, NAB_PROFILES[p]);
    return {
      model: 'anomaly',
      series: file.name,
      nab_standard: norm('standard'),
      nab_low_fp: norm('reward_low_FP_rate'),
      nab_low_fn: norm('reward_low_FN_rate'),
      raw_standard: perProfile('standard').score,
      raw_low_fp: perProfile('reward_low_FP_rate').score,
      raw_low_fn: perProfile('reward_low_FN_rate').score,
      windows: perProfile('standard').windows,
      detected_windows: perProfile('standard').detectedWindows,
      false_positives: perProfile('standard').fp,
    };
  });
  lines.push({
    model: 'anomaly',
    series: 'overall',
    nab_standard: byProfile.standard.normalised,
    nab_low_fp: byProfile.reward_low_FP_rate.normalised,
    nab_low_fn: byProfile.reward_low_FN_rate.normalised,
    raw_standard: byProfile.standard.raw,
    raw_low_fp: byProfile.reward_low_FP_rate.raw,
    raw_low_fn: byProfile.reward_low_FN_rate.raw,
    windows: byProfile.standard.windows,
    detected_windows: byProfile.standard.perFile.reduce((s, f) => s + f.detectedWindows, 0),
    false_positives: byProfile.standard.perFile.reduce((s, f) => s + f.fp, 0),
  });
  return lines;
}

/**
 * Reference scores for the same files, when NAB's reference results sit beside the data:
 * every NAB detector's per-file raw scores summed over exactly these files and normalised with
 * their window count; NAB's HTM re-scored here from its per-row output (this must equal the
 * `numenta` row); and the published whole-corpus scores.
 */
export function referenceScores(referenceDir: string, corpus: CorpusFile[]): ReferenceScore[] {
  const out: ReferenceScore[] = [];
  const names = new Set(corpus.map((f) => f.name));
  const windowCount = corpus.reduce((s, f) => s + f.windows.length, 0);
  const perFilePath = path.join(referenceDir, 'per_file_scores.csv');
  if (fs.existsSync(perFilePath)) {
    const rows = loadNabPerFileScores(perFilePath).filter((r) => names.has(r.file));
    const detectors = [...new Set(rows.map((r) => r.detector))];
    const complete = detectors.filter((d) =>
      NAB_PROFILE_NAMES.every((p) => rows.filter((r) => r.detector === d && r.profile === p).length === names.size),
    );
    const scores = complete.map((detector) => {
      const entry: ReferenceScore = { detector, source: 'NAB per_file_scores.csv, these files', standard: null, low_fp: null, low_fn: null };
      for (const p of NAB_PROFILE_NAMES) {
        const raw = rows.filter((r) => r.detector === detector && r.profile === p).reduce((s, r) => s + r.score, 0);
        entry[PROFILE_KEYS[p]] = normaliseScore(raw, windowCount, NAB_PROFILES[p]);
      }
      return entry;
    });
    out.push(...scores.sort((a, b) => (b.standard ?? -Infinity) - (a.standard ?? -Infinity)));
  }
  const thresholdsPath = path.join(referenceDir, 'thresholds.json');
  const htmFiles = corpus.map((f) => path.join(referenceDir, `numenta_${f.name}`));
  if (fs.existsSync(thresholdsPath) && htmFiles.every((f) => fs.existsSync(f))) {
    const thresholds = loadNabThresholds(thresholdsPath);
    const htmCorpus = corpus.map((file, i) => ({ ...file, anomalyScores: loadNabDetectorRows(htmFiles[i]).anomalyScores }));
    const entry: ReferenceScore = { detector: 'numenta', source: 'HTM per-row output re-scored by this scorer', standard: null, low_fp: null, low_fn: null };
    for (const p of NAB_PROFILE_NAMES) {
      entry[PROFILE_KEYS[p]] = scoreCorpus(htmCorpus, thresholds.numenta[p].threshold, p).normalised;
    }
    out.push(entry);
  }
  const finalPath = path.join(referenceDir, 'final_results.json');
  if (fs.existsSync(finalPath)) {
    const published = JSON.parse(fs.readFileSync(finalPath, 'utf8')) as Record<string, Record<string, number>>;
    for (const detector of ['numenta', 'contextOSE', 'knncad', 'relativeEntropy', 'randomCutForest', 'windowedGaussian', 'null']) {
      const r = published[detector];
      if (!r) continue;
      out.push({
        detector,
        source: 'NAB final_results.json, whole 58-file corpus',
        standard: r.standard,
        low_fp: r.reward_low_FP_rate,
        low_fn: r.reward_low_FN_rate,
      });
    }
  }
  return out;
}

/** A plain-text table of this detector beside the references, for people (goes to stderr). */
export function formatScoreboard(overall: AnomalyEvalLine, references: ReferenceScore[]): string {
  const fmt = (v: number | null) => (v === null ? '   n/a' : v.toFixed(2).padStart(6));
  const rows = [
    `${'detector'.padEnd(20)} ${'std'.padStart(6)} ${'lowFP'.padStart(6)} ${'lowFN'.padStart(6)}  source`,
    `${'eksflow (this)'.padEnd(20)} ${fmt(overall.nab_standard)} ${fmt(overall.nab_low_fp)} ${fmt(overall.nab_low_fn)}  this run, ${overall.windows} windows`,
    ...references.map(
      (r) => `${r.detector.padEnd(20)} ${fmt(r.standard)} ${fmt(r.low_fp)} ${fmt(r.low_fn)}  ${r.source}`,
    ),
  ];
  return rows.join('\n');
}
