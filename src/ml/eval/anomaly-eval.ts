/**
 * NAB evaluation of the streaming anomaly detector, and the reference numbers it is read
 * against: NAB's own detectors on the same files (from per_file_scores.csv), NAB's HTM re-scored
 * by this scorer from its per-row outputs, and the published whole-corpus scoreboard.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  breaksCooldownOnlyByNovelty,
  createAnomalyDetector,
  DEFAULT_ANOMALY_PARAMS,
  initialAnomalyState,
  type AnomalyDetectorParams,
  isAnomalous,
  ratioToScore,
  stepAnomalyComponents,
  thresholdAfterFlag,
  type AnomalyComponents,
} from '../anomaly';
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
  scoreFile,
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
  /** the standard profile's threshold (per file: chosen on the other files) */
  threshold?: number;
  /** the standard profile's whole flag rule (per file: chosen on the other files) */
  rule?: string;
  /** how many flag rules the leave-one-file-out chose from */
  grid_rules?: number;
  selection?: 'nested-leave-one-file-out' | 'leave-one-file-out' | 'in-sample';
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

/**
 * Thresholds the evaluation chooses from (score space; θ = s/(1−s) is the novelty ratio, the level
 * ratio's bar is θ·levelWeight). The default, 0.5, is in the middle of the grid.
 */
export const THRESHOLD_GRID = [0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2].map((theta) => theta / (1 + theta));

/** One file's detector trace: the components of every row (null for rows the detector ignored). */
export interface DetectorTrace {
  name: string;
  timestamps: number[];
  components: (AnomalyComponents | null)[];
  windows: CorpusFile['windows'];
}

/** Runs the detector (default parameters) once over every file; flags for any rule come from the trace. */
export function detectorTraces(series: TimeSeries[], windows: Record<string, TimeWindow[]>): DetectorTrace[] {
  return series.map((s) => {
    const state = initialAnomalyState();
    const components = s.values.map((value, i) => stepAnomalyComponents(state, s.timestamps[i], value));
    return {
      name: s.name,
      timestamps: s.timestamps,
      components,
      windows: windowsToRows(s.timestamps, windows[s.name] ?? []),
    };
  });
}

/** The default design with only the threshold varying (the threshold-only selection). */
export function thresholdGrid(): FlagRule[] {
  return THRESHOLD_GRID.map((threshold) => ({ ...defaultRule(), threshold }));
}

/**
 * Raw NAB score of every rule on every file under every profile, how many rows each rule flags, and
 * how many rows are at or above its bar before the cooldown and the record rule thin them out.
 */
export interface GridScores {
  /** raw[g][f][profile] */
  raw: Record<NabProfileName, number>[][];
  /** flags[g][f]: flagged rows */
  flags: number[][];
  /**
   * aboveBar[g][f]: rows at or above the rule's bar (novelty r ≥ θ, or level z ≥ θ·levelWeight when the
   * level ratio is on), ignoring the cooldown and the record rule — the rule's sensitivity, which
   * only its threshold, level weight and level switch set
   */
  aboveBar: number[][];
}

/** Rows of a trace at or above a rule's bar, before the cooldown and the record rule (see GridScores.aboveBar). */
export function rowsAboveBar(trace: DetectorTrace, rule: FlagRule): number {
  return trace.components.reduce(
    (n, c) =>
      c !== null &&
      isAnomalous(
        { r: c.r, z: rule.level ? c.z : 0, recordNovelty: 0, recordLevel: 0 },
        rule.threshold,
        rule.levelWeight,
        0,
      )
        ? n + 1
        : n,
    0,
  );
}

/** Scores every rule of a grid on every trace once; every selection below reads this table. */
export function scoreGrid(traces: DetectorTrace[], grid: FlagRule[]): GridScores {
  const raw: Record<NabProfileName, number>[][] = [];
  const flags: number[][] = [];
  const aboveBar: number[][] = [];
  for (const rule of grid) {
    const rawRow: Record<NabProfileName, number>[] = [];
    const flagRow: number[] = [];
    for (const trace of traces) {
      const detections = flagsWith(trace, rule).map((f) => f === 1);
      rawRow.push(
        Object.fromEntries(
          NAB_PROFILE_NAMES.map((p) => [p, scoreFile(detections, trace.windows, NAB_PROFILES[p]).score]),
        ) as Record<NabProfileName, number>,
      );
      flagRow.push(detections.filter(Boolean).length);
    }
    raw.push(rawRow);
    flags.push(flagRow);
    aboveBar.push(traces.map((trace) => rowsAboveBar(trace, rule)));
  }
  return { raw, flags, aboveBar };
}

/**
 * How `chooseRule` breaks a tie: `sensitivity` (the headline) — the rule with the most rows at or
 * above its bar (`aboveBar`), then the higher sum, then the fewer flagged rows; `flag-count` (the
 * earlier procedure, reported beside it) — the rule that flags more rows, then the higher sum. Then
 * the earlier rule in the grid.
 */
export type TieBreak = 'sensitivity' | 'flag-count';

/**
 * The rule chosen on the files not in `exclude`, for one profile: the rules whose summed raw score
 * is within one false positive's cost (the profile's A_FP) of the best are ties — a difference
 * that small is one flag on one file — and a tie goes to the more sensitive rule on those files (a
 * missed window costs as much as nine false positives, so the more sensitive of two equally good
 * rules is the safer bet on an unseen file). Sensitivity is what the rule considers anomalous — rows
 * at or above its bar — not how many of them it reports: the cooldown, its break and the record rule
 * only thin out repeated flags of one incident, so a rule whose cooldown allows more repeats is not
 * more sensitive. Between equally sensitive ties the higher sum wins, then the one that flags fewer
 * rows (its extra flags gained nothing on those files), then the earlier rule in the grid.
 * `tolerance` 0 is the plain best rule (reported beside the headline). Never reads the excluded files.
 */
export function chooseRule(
  scores: GridScores,
  profile: NabProfileName,
  exclude: readonly number[],
  tolerance: number = NAB_PROFILES[profile].fp,
  tieBreak: TieBreak = 'sensitivity',
): number {
  const total = (perFile: number[]) => perFile.reduce((acc, n, f) => (exclude.includes(f) ? acc : acc + n), 0);
  const sums = scores.raw.map((perFile) => total(perFile.map((file) => file[profile])));
  const flagged = scores.flags.map(total);
  const above = scores.aboveBar.map(total);
  const top = Math.max(...sums);
  // Positive when rule g beats rule c as a tie-break.
  const better = (g: number, c: number): number => {
    const bySum = sums[g] > sums[c] + 1e-9 ? 1 : sums[g] < sums[c] - 1e-9 ? -1 : 0;
    if (tieBreak === 'flag-count') return flagged[g] - flagged[c] || bySum;
    return above[g] - above[c] || bySum || flagged[c] - flagged[g];
  };
  let chosen = -1;
  sums.forEach((sum, g) => {
    if (sum < top - tolerance - 1e-9) return;
    if (chosen < 0 || better(g, chosen) > 0) chosen = g;
  });
  return chosen;
}

export interface AnomalyEvaluation {
  /** per-file lines (each file under the rule chosen on the other files), then the overall lines */
  lines: AnomalyEvalLine[];
  /** the headline: every flag parameter (design and threshold) chosen leaving the file out */
  overall: AnomalyEvalLine;
  /** the plain best rule on the other files (no tie tolerance), for comparison */
  bestRule: AnomalyEvalLine;
  /** the default design with only the threshold chosen leaving the file out */
  thresholdOnly: AnomalyEvalLine;
  /** leave-one-file-out over the grid with only the default's break timing (the headline before issue 18's widening) */
  defaultBreakOnly: AnomalyEvalLine;
  /** leave-one-file-out with the earlier tie-break (the tie that flags more rows) */
  flagCount: AnomalyEvalLine;
  /** the headline's selection with the break timings in the opposite grid order (the default's first; see defaultBreakFirst) */
  defaultFirst: AnomalyEvalLine;
  /** one rule chosen on all files (in-sample) */
  inSample: AnomalyEvalLine;
}

/**
 * Scores the traces: leave-one-file-out over the whole design grid — every break timing the design
 * considered — with the sensitivity tie-break (headline); beside it, on the same scoring table, the
 * plain best rule, the earlier flag-count tie-break and the default's break timing first in grid
 * order; leave-one-file-out over the grid with only the default's break timing; the default design
 * with the threshold chosen leaving each file out (the design itself was tuned on these files, so
 * this one overstates unseen-data performance); and one rule chosen on all files. Each profile
 * chooses its own rule, as NAB does.
 */
export function evaluateAnomalyTraces(traces: DetectorTrace[], grid: FlagRule[] = designGrid()): AnomalyEvaluation {
  const corpusOf = (chosen: (profile: NabProfileName, f: number) => FlagRule) =>
    Object.fromEntries(
      NAB_PROFILE_NAMES.map((p) => [
        p,
        traces.map((t, f) => ({ name: t.name, anomalyScores: flagsWith(t, chosen(p, f)), windows: t.windows })),
      ]),
    ) as Record<NabProfileName, CorpusFile[]>;
  /** The overall line of one leave-one-file-out choice per profile and file, named. */
  const overallOf = (
    leaveOneOut: Record<NabProfileName, FlagRule[]>,
    series: string,
    gridRules: number | undefined,
    selection: AnomalyEvalLine['selection'] = 'nested-leave-one-file-out',
  ): AnomalyEvalLine => {
    const lines = evaluateAnomalyDetector(corpusOf((p, f) => leaveOneOut[p][f]));
    return {
      ...lines[lines.length - 1],
      series,
      selection,
      ...(gridRules === undefined ? {} : { grid_rules: gridRules }),
    };
  };
  const scores = scoreGrid(traces, grid);
  const nested = selectRules(traces, grid, scores);
  const flipped = defaultBreakFirst(grid, scores);
  // The grid's rules whose break follows the default's timing or is off: the grid before every
  // considered timing joined it (designGrid([DEFAULT_BREAK])'s rules, in its order), scored once.
  const defaultOnly = pickRules(
    grid,
    scores,
    grid.flatMap((r, g) =>
      r.cooldownBreak === 0 || CONSIDERED_BREAKS[breakTimingIndex(r)] === DEFAULT_BREAK ? [g] : [],
    ),
  );
  const loo = evaluateAnomalyDetector(corpusOf((p, f) => nested.leaveOneOut[p][f]));
  const inSampleLines = evaluateAnomalyDetector(corpusOf((p) => nested.inSample[p]));
  const perFile = loo.slice(0, -1).map((line, f) => ({
    ...line,
    threshold: nested.leaveOneOut.standard[f].threshold,
    rule: describeRule(nested.leaveOneOut.standard[f]),
  }));
  const overall = overallOf(nested.leaveOneOut, 'overall', grid.length);
  const bestRule = overallOf(nested.bestRule, 'overall/best-rule-loo', grid.length);
  const flagCount = overallOf(nested.flagCount, 'overall/flag-count-tie-loo', grid.length);
  const defaultFirst = overallOf(
    selectRules(traces, flipped.grid, flipped.scores).leaveOneOut,
    'overall/default-break-first-loo',
    grid.length,
  );
  const defaultBreakOnly = overallOf(
    selectRules(traces, defaultOnly.grid, defaultOnly.scores).leaveOneOut,
    'overall/default-break-grid-loo',
    defaultOnly.grid.length,
  );
  const thresholdOnly = overallOf(
    selectRules(traces, thresholdGrid()).leaveOneOut,
    'overall/threshold-only-loo',
    undefined,
    'leave-one-file-out',
  );
  const inSample: AnomalyEvalLine = {
    ...inSampleLines[inSampleLines.length - 1],
    series: 'overall/in-sample',
    selection: 'in-sample',
    threshold: nested.inSample.standard.threshold,
    rule: describeRule(nested.inSample.standard),
  };
  return {
    lines: [...perFile, overall, bestRule, flagCount, defaultFirst, defaultBreakOnly, thresholdOnly, inSample],
    overall,
    bestRule,
    flagCount,
    defaultFirst,
    defaultBreakOnly,
    thresholdOnly,
    inSample,
  };
}

/**
 * NAB scores of per-profile flag sets (flags are 0/1, so NAB's threshold is 1 = "flagged"). Each
 * profile may have its own flags (its own threshold), as in NAB.
 */
export function evaluateAnomalyDetector(
  corpusByProfile: Record<NabProfileName, CorpusFile[]> | CorpusFile[],
): AnomalyEvalLine[] {
  const corpora = Array.isArray(corpusByProfile)
    ? (Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, corpusByProfile])) as Record<NabProfileName, CorpusFile[]>)
    : corpusByProfile;
  const byProfile = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, scoreCorpus(corpora[p], 1, p)])) as Record<
    NabProfileName,
    ReturnType<typeof scoreCorpus>
  >;
  const corpus = corpora.standard;
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

const HOUR_MS = 3_600_000;

/** The parameters that changed after the decaying-record rule was added, at their earlier values. */
const BEFORE_BREAK: Partial<AnomalyDetectorParams> = { cooldownBreak: 0, levelWeight: 10 };

/** The cooldown break as it was first added: 2 h after a flag, by either ratio. */
const BREAK_BEFORE: Partial<AnomalyDetectorParams> = { cooldownBreakAfterMs: 2 * HOUR_MS, cooldownBreakByLevel: true };

/** What each part of the detector adds, at the default threshold: each variant adds one change to the one before. */
export const ABLATIONS: { name: string; params: Partial<AnomalyDetectorParams> }[] = [
  {
    name: 'novelty only, 8 h cooldown (before issue 18)',
    params: { ...BEFORE_BREAK, levelWindowPoints: 0, recordFraction: 0, cooldownMs: 8 * HOUR_MS },
  },
  { name: '+ level ratio', params: { ...BEFORE_BREAK, recordFraction: 0, cooldownMs: 8 * HOUR_MS } },
  { name: '+ 12 h cooldown', params: { ...BEFORE_BREAK, recordFraction: 0, cooldownMs: 12 * HOUR_MS } },
  { name: '+ decaying-record rule', params: { cooldownBreak: 0, levelWeight: 10, cooldownMs: 12 * HOUR_MS } },
  { name: '+ 24 h cooldown that 3× the bar breaks', params: { levelWeight: 10, ...BREAK_BEFORE } },
  { name: '+ level weight 5', params: BREAK_BEFORE },
  { name: '+ break only 12 h after a flag', params: { cooldownBreakByLevel: true } },
  { name: '+ only novelty breaks it (default)', params: {} },
  { name: 'default without the level ratio', params: { levelWindowPoints: 0 } },
  { name: 'default without the cooldown break', params: { cooldownBreak: 0 } },
];

export interface AblationLine {
  model: 'anomaly-ablation';
  series: string;
  variant: string;
  nab_standard: number | null;
  nab_low_fp: number | null;
  nab_low_fn: number | null;
  false_positives: number;
  detected_windows: number;
  /** raw standard score per file */
  per_file: Record<string, number>;
}

export function ablations(series: TimeSeries[], windows: Record<string, TimeWindow[]>): AblationLine[] {
  return ABLATIONS.map(({ name, params }) => {
    const corpus = series.map((s) => {
      const detector = createAnomalyDetector(params);
      const flags = s.values.map((value, i) => (detector.update(s.timestamps[i], value).anomaly ? 1 : 0));
      return { name: s.name, anomalyScores: flags, windows: windowsToRows(s.timestamps, windows[s.name] ?? []) };
    });
    const overall = evaluateAnomalyDetector(corpus).at(-1)!;
    const standard = scoreCorpus(corpus, 1, 'standard');
    return {
      model: 'anomaly-ablation',
      series: 'overall',
      variant: name,
      nab_standard: overall.nab_standard,
      nab_low_fp: overall.nab_low_fp,
      nab_low_fn: overall.nab_low_fn,
      false_positives: overall.false_positives,
      detected_windows: overall.detected_windows,
      per_file: Object.fromEntries(standard.perFile.map((f) => [f.name, Number(f.score.toFixed(3))])),
    };
  });
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
      const entry: ReferenceScore = {
        detector,
        source: 'NAB per_file_scores.csv, these files',
        standard: null,
        low_fp: null,
        low_fn: null,
      };
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
    const htmCorpus = corpus.map((file, i) => ({
      ...file,
      anomalyScores: loadNabDetectorRows(htmFiles[i]).anomalyScores,
    }));
    const entry: ReferenceScore = {
      detector: 'numenta',
      source: 'HTM per-row output re-scored by this scorer',
      standard: null,
      low_fp: null,
      low_fn: null,
    };
    for (const p of NAB_PROFILE_NAMES) {
      entry[PROFILE_KEYS[p]] = scoreCorpus(htmCorpus, thresholds.numenta[p].threshold, p).normalised;
    }
    out.push(entry);
  }
  const finalPath = path.join(referenceDir, 'final_results.json');
  if (fs.existsSync(finalPath)) {
    const published = JSON.parse(fs.readFileSync(finalPath, 'utf8')) as Record<string, Record<string, number>>;
    for (const detector of [
      'numenta',
      'contextOSE',
      'knncad',
      'relativeEntropy',
      'randomCutForest',
      'windowedGaussian',
      'null',
    ]) {
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
export function formatScoreboard(
  overall: AnomalyEvalLine,
  references: ReferenceScore[],
  inSample?: AnomalyEvalLine,
  thresholdOnly?: AnomalyEvalLine,
  bestRule?: AnomalyEvalLine,
  defaultBreakOnly?: AnomalyEvalLine,
  flagCount?: AnomalyEvalLine,
  defaultFirst?: AnomalyEvalLine,
): string {
  const fmt = (v: number | null) => (v === null ? '   n/a' : v.toFixed(2).padStart(6));
  const rows = [
    `${'detector'.padEnd(20)} ${'std'.padStart(6)} ${'lowFP'.padStart(6)} ${'lowFN'.padStart(6)}  source`,
    `${'eksflow (this)'.padEnd(20)} ${fmt(overall.nab_standard)} ${fmt(overall.nab_low_fp)} ${fmt(overall.nab_low_fn)}  this run, ${overall.windows} windows, every choice in the design grid (${overall.grid_rules} rules, every break timing considered) made leaving each file out (headline)`,
    ...(defaultFirst
      ? [
          `${'eksflow dflt-1st LOO'.padEnd(20)} ${fmt(defaultFirst.nab_standard)} ${fmt(defaultFirst.nab_low_fp)} ${fmt(defaultFirst.nab_low_fn)}  this run, the headline's selection with the default's break timing first in the grid (grid order breaks exact ties only)`,
        ]
      : []),
    ...(defaultBreakOnly
      ? [
          `${'eksflow dflt-brk LOO'.padEnd(20)} ${fmt(defaultBreakOnly.nab_standard)} ${fmt(defaultBreakOnly.nab_low_fp)} ${fmt(defaultBreakOnly.nab_low_fn)}  this run, the grid with only the default's break timing (${defaultBreakOnly.grid_rules} rules)`,
        ]
      : []),
    ...(flagCount
      ? [
          `${'eksflow flag-tie LOO'.padEnd(20)} ${fmt(flagCount.nab_standard)} ${fmt(flagCount.nab_low_fp)} ${fmt(flagCount.nab_low_fn)}  this run, the headline's grid (${flagCount.grid_rules} rules), a tie going to the rule that flags more rows (the earlier tie-break)`,
        ]
      : []),
    ...(bestRule
      ? [
          `${'eksflow 1-rule LOO'.padEnd(20)} ${fmt(bestRule.nab_standard)} ${fmt(bestRule.nab_low_fp)} ${fmt(bestRule.nab_low_fn)}  this run, the plain best rule on the other files (no tie tolerance)`,
        ]
      : []),
    ...(thresholdOnly
      ? [
          `${'eksflow thr-only LOO'.padEnd(20)} ${fmt(thresholdOnly.nab_standard)} ${fmt(thresholdOnly.nab_low_fp)} ${fmt(thresholdOnly.nab_low_fn)}  this run, design tuned on all files, threshold chosen leaving each file out`,
        ]
      : []),
    ...(inSample
      ? [
          `${'eksflow in-sample'.padEnd(20)} ${fmt(inSample.nab_standard)} ${fmt(inSample.nab_low_fp)} ${fmt(inSample.nab_low_fn)}  this run, one rule chosen on all files`,
        ]
      : []),
    ...references.map(
      (r) => `${r.detector.padEnd(20)} ${fmt(r.standard)} ${fmt(r.low_fp)} ${fmt(r.low_fn)}  ${r.source}`,
    ),
  ];
  return rows.join('\n');
}

/**
 * Everything the detector decides after its two ratios: which ratios may flag, the threshold, the
 * level ratio's weight, the cooldown (and what may break it) and the decaying-record rule. These
 * are the parameters that were tuned by looking at the NAB files, so the evaluation re-chooses all
 * of them per held-out file.
 */
export interface FlagRule {
  threshold: number;
  cooldownMs: number;
  /** 0 = nothing breaks the cooldown (see AnomalyDetectorParams.cooldownBreak) */
  cooldownBreak: number;
  cooldownBreakAfterMs: number;
  /** whether the level ratio may break the cooldown (see AnomalyDetectorParams.cooldownBreakByLevel) */
  cooldownBreakByLevel: boolean;
  recordFraction: number;
  recordHalfLifeMs: number;
  levelWeight: number;
  /** whether the level ratio may flag (false = novelty only) */
  level: boolean;
}

/** The detector's own flag rule (its default parameters). */
export function defaultRule(): FlagRule {
  const d = DEFAULT_ANOMALY_PARAMS;
  return {
    threshold: d.threshold,
    cooldownMs: d.cooldownMs,
    cooldownBreak: d.cooldownBreak,
    cooldownBreakAfterMs: d.cooldownBreakAfterMs,
    cooldownBreakByLevel: d.cooldownBreakByLevel,
    recordFraction: d.recordFraction,
    recordHalfLifeMs: d.recordHalfLifeMs,
    levelWeight: d.levelWeight,
    level: true,
  };
}

/** When the cooldown break may fire (a share of the cooldown) and whether the level ratio may fire it. */
export interface BreakTiming {
  /** the break waits this share of the cooldown after a flag */
  share: number;
  /** see AnomalyDetectorParams.cooldownBreakByLevel */
  byLevel: boolean;
}

/** The default's break: from half the cooldown on (12 h of 24 h), by novelty only. */
export const DEFAULT_BREAK: BreakTiming = Object.freeze({
  share: DEFAULT_ANOMALY_PARAMS.cooldownBreakAfterMs / DEFAULT_ANOMALY_PARAMS.cooldownMs,
  byLevel: DEFAULT_ANOMALY_PARAMS.cooldownBreakByLevel,
});

/** The break as it was first added: 2 h after a flag (1/12 of the 24 h cooldown). */
export const EARLY_BREAK_SHARE = 1 / 12;

/**
 * Every break timing the design considered, in the order it considered them: the break as first
 * added (2 h, either ratio), the same by novelty only, half the cooldown by either ratio, and the
 * default (half the cooldown, novelty only). The default was chosen after seeing all 13 files
 * (grok's second break); in the grid it is one alternative among four, and it comes last, so an
 * exact tie (every criterion of `chooseRule` equal) never goes to it by grid order.
 */
export const CONSIDERED_BREAKS: readonly BreakTiming[] = Object.freeze([
  { share: EARLY_BREAK_SHARE, byLevel: true },
  { share: EARLY_BREAK_SHARE, byLevel: false },
  { share: DEFAULT_BREAK.share, byLevel: true },
  DEFAULT_BREAK,
]);

/**
 * The design grid chosen leaving each file out: small and spread around the defaults (each value
 * a round, a-priori choice: cooldown one working shift / half a day / a day; the cooldown break at
 * the default factor with each timing in `breaks` (by default every one the design considered), or
 * off; the level ratio on or off; the record rule at 80% or off; level weight 5 / 10 / 20) ×
 * THRESHOLD_GRID. Order matters only for exact ties (the first wins).
 */
export function designGrid(breaks: readonly BreakTiming[] = CONSIDERED_BREAKS): FlagRule[] {
  const rules: FlagRule[] = [];
  const d = defaultRule();
  // A break that is off has no timing: one variant of it.
  const variants = [
    ...breaks.map((b) => ({ cooldownBreak: d.cooldownBreak, ...b })),
    { cooldownBreak: 0, ...DEFAULT_BREAK },
  ];
  for (const level of [true, false])
    for (const cooldownMs of [d.cooldownMs, 12 * HOUR_MS, 8 * HOUR_MS])
      for (const { cooldownBreak, share, byLevel } of variants)
        for (const recordFraction of [d.recordFraction, 0])
          for (const levelWeight of level ? [d.levelWeight, 10, 20] : [d.levelWeight])
            for (const threshold of THRESHOLD_GRID)
              rules.push({
                ...d,
                threshold,
                cooldownMs,
                cooldownBreak,
                // the break waits the same share of every cooldown (the default: half of it)
                cooldownBreakAfterMs: cooldownMs * share,
                cooldownBreakByLevel: byLevel,
                recordFraction,
                levelWeight,
                level,
              });
  return rules;
}

/**
 * The grid (and its scores) reordered so that, between rules differing only in the break timing,
 * the default's comes first and the break as first added last — the opposite of CONSIDERED_BREAKS.
 * Grid order only decides exact ties (every criterion of `chooseRule` equal on the other files), so
 * this measures how much the headline owes to it (stable: every other order is kept).
 */
export function defaultBreakFirst(grid: FlagRule[], scores: GridScores): { grid: FlagRule[]; scores: GridScores } {
  const rank = (r: FlagRule) => {
    const at = breakTimingIndex(r);
    return at < 0 ? CONSIDERED_BREAKS.length : CONSIDERED_BREAKS.length - 1 - at;
  };
  return pickRules(
    grid,
    scores,
    grid.map((_, g) => g).sort((a, b) => rank(grid[a]) - rank(grid[b]) || a - b),
  );
}

/** Which of CONSIDERED_BREAKS a rule's break follows; -1 when its break is off (or none of them). */
function breakTimingIndex(r: FlagRule): number {
  if (r.cooldownBreak === 0) return -1;
  return CONSIDERED_BREAKS.findIndex(
    (b) => r.cooldownBreakAfterMs === r.cooldownMs * b.share && r.cooldownBreakByLevel === b.byLevel,
  );
}

/** Rows `order` of a grid already scored, with their scores: a reordering or a subset, scored once. */
function pickRules(grid: FlagRule[], scores: GridScores, order: number[]): { grid: FlagRule[]; scores: GridScores } {
  return {
    grid: order.map((g) => grid[g]),
    scores: {
      raw: order.map((g) => scores.raw[g]),
      flags: order.map((g) => scores.flags[g]),
      aboveBar: order.map((g) => scores.aboveBar[g]),
    },
  };
}

/** The flags of a trace under any rule: the decaying records are recomputed from the ratios (as the detector does). */
export function flagsWith(trace: DetectorTrace, rule: FlagRule): number[] {
  let lastFlag = Number.NEGATIVE_INFINITY;
  let lastT: number | null = null;
  let recordNovelty = 0;
  let recordLevel = 0;
  return trace.components.map((c, i) => {
    if (c === null) return 0;
    const t = trace.timestamps[i];
    const elapsed = lastT === null ? 0 : t - lastT;
    lastT = t;
    const decay = rule.recordHalfLifeMs > 0 ? Math.pow(0.5, elapsed / rule.recordHalfLifeMs) : 0;
    const z = rule.level ? c.z : 0;
    const view: AnomalyComponents = {
      r: c.r,
      z,
      recordNovelty: recordNovelty * decay,
      recordLevel: recordLevel * decay,
    };
    recordNovelty = Math.max(view.recordNovelty, ratioToScore(c.r));
    recordLevel = Math.max(view.recordLevel, Math.min(z, 1e12));
    const bar = thresholdAfterFlag(rule.threshold, t - lastFlag, rule);
    const levelMayFlag = !breaksCooldownOnlyByNovelty(t - lastFlag, rule);
    if (bar === null || !isAnomalous(view, bar, rule.levelWeight, rule.recordFraction, levelMayFlag)) return 0;
    lastFlag = t;
    return 1;
  });
}

export interface NestedSelection {
  /** profile → for each file, the rule chosen on the other files */
  leaveOneOut: Record<NabProfileName, FlagRule[]>;
  /** profile → the rule chosen on all files (in-sample) */
  inSample: Record<NabProfileName, FlagRule>;
  /** profile → for each file, the plain best rule on the other files (no tie tolerance) */
  bestRule: Record<NabProfileName, FlagRule[]>;
  /** profile → for each file, the rule chosen on the other files with the earlier tie-break (more flags) */
  flagCount: Record<NabProfileName, FlagRule[]>;
}

/** Leave-one-file-out over a rule grid, per profile (chooseRule on the other files); and the in-sample choice. */
export function selectRules(
  traces: DetectorTrace[],
  grid: FlagRule[] = designGrid(),
  scores: GridScores = scoreGrid(traces, grid),
): NestedSelection {
  const leaveOneOut = {} as Record<NabProfileName, FlagRule[]>;
  const inSample = {} as Record<NabProfileName, FlagRule>;
  const bestRule = {} as Record<NabProfileName, FlagRule[]>;
  const flagCount = {} as Record<NabProfileName, FlagRule[]>;
  for (const p of NAB_PROFILE_NAMES) {
    leaveOneOut[p] = traces.map((_, f) => grid[chooseRule(scores, p, [f])]);
    inSample[p] = grid[chooseRule(scores, p, [])];
    bestRule[p] = traces.map((_, f) => grid[chooseRule(scores, p, [f], 0)]);
    flagCount[p] = traces.map((_, f) => grid[chooseRule(scores, p, [f], NAB_PROFILES[p].fp, 'flag-count')]);
  }
  return { leaveOneOut, inSample, bestRule, flagCount };
}

/** A rule in a few characters, for the per-file lines. */
export function describeRule(rule: FlagRule): string {
  const brk =
    rule.cooldownBreak > 0
      ? `÷${rule.cooldownBreak}@${+(rule.cooldownBreakAfterMs / HOUR_MS).toFixed(2)}h${rule.cooldownBreakByLevel ? '+level' : ''}`
      : '';
  return `${rule.level ? `level×${rule.levelWeight}` : 'novelty-only'} cd${rule.cooldownMs / HOUR_MS}h${brk} rec${rule.recordFraction} s${rule.threshold.toFixed(3)}`;
}
