/**
 * NAB evaluation of the streaming anomaly detector, and the reference numbers it is read
 * against: NAB's own detectors on the same files (from per_file_scores.csv), NAB's HTM re-scored
 * by this scorer from its per-row outputs, and the published whole-corpus scoreboard.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createAnomalyDetector,
  DEFAULT_ANOMALY_PARAMS,
  initialAnomalyState,
  type AnomalyDetectorParams,
  isAnomalous,
  stepAnomalyComponents,
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
  /** how many flag rules the nested leave-one-file-out chose from */
  grid_rules?: number;
  /** per file, the single rule chosen on the other files */
  per_file_rules?: string[];
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

/** Runs the detector (default parameters) once over every file; flags for any threshold come from the trace. */
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

/** The detector's flags at `threshold` (the same rule and cooldown as stepAnomalyState). */
export function flagsAt(trace: DetectorTrace, threshold: number): number[] {
  const p = DEFAULT_ANOMALY_PARAMS;
  let lastFlag = Number.NEGATIVE_INFINITY;
  return trace.components.map((c, i) => {
    if (c === null || trace.timestamps[i] - lastFlag < p.cooldownMs) return 0;
    if (!isAnomalous(c, threshold, p.levelWeight, p.recordFraction)) return 0;
    lastFlag = trace.timestamps[i];
    return 1;
  });
}

/** Per-file corpus with the flags at one threshold per file. */
export function corpusAt(traces: DetectorTrace[], thresholds: number[]): CorpusFile[] {
  return traces.map((t, i) => ({ name: t.name, anomalyScores: flagsAt(t, thresholds[i]), windows: t.windows }));
}

export interface ThresholdSelection {
  /** profile → threshold chosen for each file without looking at it */
  leaveOneOut: Record<NabProfileName, number[]>;
  /** profile → the threshold that is best on all files together (in-sample) */
  inSample: Record<NabProfileName, number>;
}

/**
 * Chooses thresholds from THRESHOLD_GRID by raw NAB score, per profile (as NAB does): for each
 * file, the best threshold on the other files (leave-one-file-out); and the best on all files.
 * Ties go to the lower threshold: a missed window costs as much as nine false positives.
 */
export function selectThresholds(traces: DetectorTrace[]): ThresholdSelection {
  const grid = THRESHOLD_GRID;
  // raw[g][f][profile]: flags once per threshold, scored under each profile.
  const raw = grid.map((threshold) =>
    traces.map((trace) => {
      const detections = flagsAt(trace, threshold).map((f) => f === 1);
      return Object.fromEntries(
        NAB_PROFILE_NAMES.map((p) => [p, scoreFile(detections, trace.windows, NAB_PROFILES[p]).score]),
      ) as Record<NabProfileName, number>;
    }),
  );
  const best = (profile: NabProfileName, skip: number) => {
    let chosen = 0;
    let chosenSum = Number.NEGATIVE_INFINITY;
    grid.forEach((_, g) => {
      const sum = raw[g].reduce((acc, file, f) => (f === skip ? acc : acc + file[profile]), 0);
      if (sum > chosenSum + 1e-12) {
        chosen = g;
        chosenSum = sum;
      }
    });
    return grid[chosen];
  };
  const leaveOneOut = {} as Record<NabProfileName, number[]>;
  const inSample = {} as Record<NabProfileName, number>;
  for (const p of NAB_PROFILE_NAMES) {
    leaveOneOut[p] = traces.map((_, f) => best(p, f));
    inSample[p] = best(p, -1);
  }
  return { leaveOneOut, inSample };
}

export interface AnomalyEvaluation {
  /** per-file lines (each file under the rules chosen on the other files), then the overall lines */
  lines: AnomalyEvalLine[];
  /** the headline: every flag parameter (design and threshold) chosen leaving the file out */
  overall: AnomalyEvalLine;
  /** the single best rule on the other files (no vote) scored on each file */
  singleRule: AnomalyEvalLine;
  /** the default design with only the threshold chosen leaving the file out */
  thresholdOnly: AnomalyEvalLine;
  /** one rule chosen on all files (in-sample) */
  inSample: AnomalyEvalLine;
}

/**
 * Scores the traces three ways: nested leave-one-file-out over the whole design grid (headline);
 * the default design with the threshold chosen leaving each file out (the design itself was tuned
 * on these files, so this one overstates unseen-data performance); and one rule chosen on all files.
 */
export function evaluateAnomalyTraces(traces: DetectorTrace[], grid: FlagRule[] = designGrid()): AnomalyEvaluation {
  const flagCorpus = (rules: Record<NabProfileName, FlagRule[]>) =>
    Object.fromEntries(
      NAB_PROFILE_NAMES.map((p) => [
        p,
        traces.map((t, i) => ({ name: t.name, anomalyScores: flagsWith(t, rules[p][i]), windows: t.windows })),
      ]),
    ) as Record<NabProfileName, CorpusFile[]>;
  const nested = selectRules(traces, grid);
  const loo = evaluateAnomalyDetector(flagCorpus(nested.leaveOneOut));
  const inSampleLines = evaluateAnomalyDetector(
    flagCorpus(
      Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, traces.map(() => nested.inSample[p])])) as Record<
        NabProfileName,
        FlagRule[]
      >,
    ),
  );
  const selection = selectThresholds(traces);
  const perProfile = (thresholds: Record<NabProfileName, number[]>) =>
    Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, corpusAt(traces, thresholds[p])])) as Record<
      NabProfileName,
      CorpusFile[]
    >;
  const thresholdLines = evaluateAnomalyDetector(perProfile(selection.leaveOneOut));
  const voted = evaluateVoted(traces, grid);
  const votedLines = evaluateAnomalyDetector(voted.corpus);
  const perFile = votedLines.slice(0, -1).map((line, i) => {
    const choice = voted.choices.standard[i];
    return { ...line, rule: `vote of the top ${choice.k} rules, ${Math.round(100 * choice.agree)}% agreeing` };
  });
  const overall: AnomalyEvalLine = {
    ...votedLines[votedLines.length - 1],
    selection: 'nested-leave-one-file-out',
    grid_rules: grid.length,
  };
  const singleRule: AnomalyEvalLine = {
    ...loo[loo.length - 1],
    series: 'overall/single-rule-loo',
    selection: 'nested-leave-one-file-out',
    grid_rules: grid.length,
    per_file_rules: nested.leaveOneOut.standard.map(describeRule),
  };
  const thresholdOnly: AnomalyEvalLine = {
    ...thresholdLines[thresholdLines.length - 1],
    series: 'overall/threshold-only-loo',
    selection: 'leave-one-file-out',
  };
  const inSample: AnomalyEvalLine = {
    ...inSampleLines[inSampleLines.length - 1],
    series: 'overall/in-sample',
    selection: 'in-sample',
    threshold: nested.inSample.standard.threshold,
    rule: describeRule(nested.inSample.standard),
  };
  return {
    lines: [...perFile, overall, singleRule, thresholdOnly, inSample],
    overall,
    singleRule,
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

/** What each part of the detector adds, at the default threshold: each variant adds one change to the one before. */
export const ABLATIONS: { name: string; params: Partial<AnomalyDetectorParams> }[] = [
  {
    name: 'novelty only, 8 h cooldown (before issue 18)',
    params: { levelWindowPoints: 0, recordFraction: 0, cooldownMs: 8 * HOUR_MS },
  },
  { name: '+ level ratio', params: { recordFraction: 0, cooldownMs: 8 * HOUR_MS } },
  { name: '+ 12 h cooldown', params: { recordFraction: 0 } },
  { name: '+ decaying-record rule (default)', params: {} },
  { name: 'default without the level ratio', params: { levelWindowPoints: 0 } },
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
  singleRule?: AnomalyEvalLine,
): string {
  const fmt = (v: number | null) => (v === null ? '   n/a' : v.toFixed(2).padStart(6));
  const rows = [
    `${'detector'.padEnd(20)} ${'std'.padStart(6)} ${'lowFP'.padStart(6)} ${'lowFN'.padStart(6)}  source`,
    `${'eksflow (this)'.padEnd(20)} ${fmt(overall.nab_standard)} ${fmt(overall.nab_low_fp)} ${fmt(overall.nab_low_fn)}  this run, ${overall.windows} windows, vote of the best rules, every choice made leaving each file out (headline)`,
    ...(singleRule
      ? [
          `${'eksflow 1-rule LOO'.padEnd(20)} ${fmt(singleRule.nab_standard)} ${fmt(singleRule.nab_low_fp)} ${fmt(singleRule.nab_low_fn)}  this run, the single best rule on the other files (no vote)`,
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
 * level ratio's weight, the cooldown and the decaying-record rule. These are the parameters that were
 * tuned by looking at the NAB files, so the evaluation re-chooses all of them per held-out file.
 */
export interface FlagRule {
  threshold: number;
  cooldownMs: number;
  recordFraction: number;
  recordHalfLifeMs: number;
  levelWeight: number;
  /** whether the level ratio may flag (false = novelty only) */
  level: boolean;
}

/**
 * The design grid chosen leaving each file out: small and spread around the defaults (each value
 * a round, a-priori choice: cooldown one working shift / half a day / a day; the level ratio on or
 * off; the record rule off or at 80%; level weight halved / default / doubled) × THRESHOLD_GRID.
 * Order matters only for ties (the first wins): the default design comes first.
 */
export function designGrid(): FlagRule[] {
  const rules: FlagRule[] = [];
  const d = DEFAULT_ANOMALY_PARAMS;
  for (const level of [true, false])
    for (const cooldownMs of [12 * HOUR_MS, 8 * HOUR_MS, 24 * HOUR_MS])
      for (const recordFraction of [d.recordFraction, 0])
        for (const levelWeight of level ? [d.levelWeight, d.levelWeight / 2, d.levelWeight * 2] : [d.levelWeight])
          for (const threshold of THRESHOLD_GRID)
            rules.push({
              threshold,
              cooldownMs,
              recordFraction,
              recordHalfLifeMs: d.recordHalfLifeMs,
              levelWeight,
              level,
            });
  return rules;
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
    recordNovelty = Math.max(view.recordNovelty, c.r === Infinity ? 1 : c.r / (1 + c.r));
    recordLevel = Math.max(view.recordLevel, Math.min(z, 1e12));
    if (t - lastFlag < rule.cooldownMs) return 0;
    if (!isAnomalous(view, rule.threshold, rule.levelWeight, rule.recordFraction)) return 0;
    lastFlag = t;
    return 1;
  });
}

export interface NestedSelection {
  /** profile → for each file, the rule chosen on the other files */
  leaveOneOut: Record<NabProfileName, FlagRule[]>;
  /** profile → the rule best on all files (in-sample) */
  inSample: Record<NabProfileName, FlagRule>;
}

/** Nested leave-one-file-out over the whole design grid, per profile, by raw NAB score on the other files. */
export function selectRules(traces: DetectorTrace[], grid: FlagRule[] = designGrid()): NestedSelection {
  const raw = grid.map((rule) =>
    traces.map((trace) => {
      const detections = flagsWith(trace, rule).map((f) => f === 1);
      return Object.fromEntries(
        NAB_PROFILE_NAMES.map((p) => [p, scoreFile(detections, trace.windows, NAB_PROFILES[p]).score]),
      ) as Record<NabProfileName, number>;
    }),
  );
  const best = (profile: NabProfileName, skip: number) => {
    let chosen = 0;
    let chosenSum = Number.NEGATIVE_INFINITY;
    grid.forEach((_, g) => {
      const sum = raw[g].reduce((acc, file, f) => (f === skip ? acc : acc + file[profile]), 0);
      if (sum > chosenSum + 1e-9) {
        chosen = g;
        chosenSum = sum;
      }
    });
    return grid[chosen];
  };
  const leaveOneOut = {} as Record<NabProfileName, FlagRule[]>;
  const inSample = {} as Record<NabProfileName, FlagRule>;
  for (const p of NAB_PROFILE_NAMES) {
    leaveOneOut[p] = traces.map((_, f) => best(p, f));
    inSample[p] = best(p, -1);
  }
  return { leaveOneOut, inSample };
}

/** A rule in a few characters, for the per-file lines. */
export function describeRule(rule: FlagRule): string {
  return `${rule.level ? `level×${rule.levelWeight}` : 'novelty-only'} cd${rule.cooldownMs / HOUR_MS}h rec${rule.recordFraction} s${rule.threshold.toFixed(3)}`;
}

/** Vote settings: how many of the best rules vote, and what share of them must agree. */
export interface VoteChoice {
  k: number;
  agree: number;
}

/** The vote settings the doubly nested selection chooses from. */
export const VOTE_CHOICES: VoteChoice[] = [5, 9, 15, 25].flatMap((k) => [0.5, 0.34].map((agree) => ({ k, agree })));

/** A rule's flag counts as a vote for this many rows after it (2 h at 5 min: rules flag an event a few rows apart). */
const VOTE_TOLERANCE_ROWS = 24;
/** One flag per incident for the vote, as for one rule. */
const VOTE_COOLDOWN_MS = DEFAULT_ANOMALY_PARAMS.cooldownMs;

/** Flags of a file when the given rules vote (each rule's flags given). */
export function votedFlags(ruleFlags: number[][], timestamps: number[], agree: number): number[] {
  const n = timestamps.length;
  const votes = new Array<number>(n).fill(0);
  for (const flags of ruleFlags) {
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (flags[i] === 1) last = i;
      if (i - last < VOTE_TOLERANCE_ROWS) votes[i]++;
    }
  }
  const out = new Array<number>(n).fill(0);
  let lastFlag = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (votes[i] >= agree * ruleFlags.length && timestamps[i] - lastFlag >= VOTE_COOLDOWN_MS) {
      out[i] = 1;
      lastFlag = timestamps[i];
    }
  }
  return out;
}

export interface VotedEvaluation {
  /** profile → per file the flags of the vote chosen without that file */
  corpus: Record<NabProfileName, CorpusFile[]>;
  /** profile → per file the vote settings chosen without that file */
  choices: Record<NabProfileName, VoteChoice[]>;
}

/**
 * A vote of the best rules instead of the single best (the single best is a knife edge: see the
 * README). Doubly nested, so no choice looks at the scored file: for held-out file f, each vote
 * setting is itself scored by leave-one-out on the other files (for each other file g, the top k
 * rules on the files other than f and g vote on g); the best setting's top k rules on all files but
 * f then vote on f.
 */
export function evaluateVoted(traces: DetectorTrace[], grid: FlagRule[] = designGrid()): VotedEvaluation {
  const flags = grid.map((rule) => traces.map((trace) => flagsWith(trace, rule)));
  const raw = flags.map((perFile) =>
    perFile.map(
      (f, i) =>
        Object.fromEntries(
          NAB_PROFILE_NAMES.map((p) => [
            p,
            scoreFile(
              f.map((x) => x === 1),
              traces[i].windows,
              NAB_PROFILES[p],
            ).score,
          ]),
        ) as Record<NabProfileName, number>,
    ),
  );
  const top = (profile: NabProfileName, exclude: number[], k: number) => {
    const sums = grid.map((_, g) =>
      raw[g].reduce((acc, file, f) => (exclude.includes(f) ? acc : acc + file[profile]), 0),
    );
    return grid
      .map((_, g) => g)
      .sort((a, b) => sums[b] - sums[a] || a - b)
      .slice(0, k);
  };
  const vote = (profile: NabProfileName, exclude: number[], file: number, choice: VoteChoice) =>
    votedFlags(
      top(profile, exclude, choice.k).map((g) => flags[g][file]),
      traces[file].timestamps,
      choice.agree,
    );
  const corpus = {} as Record<NabProfileName, CorpusFile[]>;
  const choices = {} as Record<NabProfileName, VoteChoice[]>;
  for (const p of NAB_PROFILE_NAMES) {
    choices[p] = traces.map((_, f) => {
      let best = VOTE_CHOICES[0];
      let bestSum = Number.NEGATIVE_INFINITY;
      for (const choice of VOTE_CHOICES) {
        let sum = 0;
        traces.forEach((trace, g) => {
          if (g === f) return;
          const detections = vote(p, [f, g], g, choice).map((x) => x === 1);
          sum += scoreFile(detections, trace.windows, NAB_PROFILES[p]).score;
        });
        if (sum > bestSum + 1e-9) {
          best = choice;
          bestSum = sum;
        }
      }
      return best;
    });
    corpus[p] = traces.map((t, f) => ({
      name: t.name,
      anomalyScores: vote(p, [f], f, choices[p][f]),
      windows: t.windows,
    }));
  }
  return { corpus, choices };
}
