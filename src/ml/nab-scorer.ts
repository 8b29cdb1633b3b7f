/**
 * A re-implementation of the Numenta Anomaly Benchmark scorer (NAB v1.0 rules, "sweep" scorer),
 * written from the rules in shared/data/nab-aws/README.md. It scores a detector's per-row
 * anomaly scores against labelled windows: early detections inside a window earn up to A_TP,
 * detections outside cost up to A_FP (less right after a window), a missed window costs A_FN.
 */
import type { TimeWindow } from './data';

export interface CostProfile {
  tp: number;
  fp: number;
  fn: number;
}

/** NAB config/profiles.json (A_TN is unused by the scorer). */
export const NAB_PROFILES = {
  standard: { tp: 1.0, fp: 0.11, fn: 1.0 },
  reward_low_FP_rate: { tp: 1.0, fp: 0.22, fn: 1.0 },
  reward_low_FN_rate: { tp: 1.0, fp: 0.11, fn: 2.0 },
} as const satisfies Record<string, CostProfile>;

export type NabProfileName = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfileName[];

/** NAB's scaled sigmoid: 2·sigmoid(−5y) − 1, clamped to −1 beyond y > 3. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Rows before P are a warm-up the scorer ignores: min(floor(0.15·N), 750). */
export function probationaryRows(rowCount: number): number {
  return Math.min(Math.floor(0.15 * rowCount), Math.floor(0.15 * 5000));
}

/** A window as inclusive row indices. */
export interface RowWindow {
  start: number;
  end: number;
}

/**
 * Maps time windows to row indices: the first row at or after the start and the last row at or
 * before the end (equal to NAB's exact-timestamp match when the ends are rows, and still defined
 * when they are not). Windows that contain no row are dropped.
 */
export function windowsToRows(timestamps: number[], windows: TimeWindow[]): RowWindow[] {
  const rows: RowWindow[] = [];
  for (const [startTime, endTime] of windows) {
    let start = -1;
    let end = -1;
    for (let i = 0; i < timestamps.length; i++) {
      if (timestamps[i] >= startTime && timestamps[i] <= endTime) {
        if (start < 0) start = i;
        end = i;
      }
    }
    if (start >= 0) rows.push({ start, end });
  }
  return rows.sort((a, b) => a.start - b.start);
}

export interface FileScore {
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  /** windows with at least one detection */
  detectedWindows: number;
  windows: number;
}

/**
 * Raw NAB score of one file for a set of detection flags (one per row, all rows including the
 * probationary ones, which are ignored).
 */
export function scoreFile(detections: boolean[], windows: RowWindow[], profile: CostProfile): FileScore {
  const n = detections.length;
  const probation = probationaryRows(n);
  const windowOfRow = new Int32Array(n).fill(-1);
  windows.forEach((w, k) => {
    for (let i = w.start; i <= Math.min(w.end, n - 1); i++) windowOfRow[i] = k;
  });
  const bestInWindow: (number | null)[] = windows.map(() => null);
  const sigmoidAtLeftEdge = scaledSigmoid(-1);
  let falsePositiveSum = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  // The most recent window that has ended before row i (drives the FP discount right after a window).
  let lastEnded: RowWindow | null = null;
  let nextToEnd = 0;
  for (let i = 0; i < n; i++) {
    while (nextToEnd < windows.length && windows[nextToEnd].end < i) lastEnded = windows[nextToEnd++];
    if (i < probation) continue;
    const k = windowOfRow[i];
    const detected = detections[i];
    if (k >= 0) {
      if (!detected) {
        fn++;
        continue;
      }
      tp++;
      const w = windows[k];
      const width = w.end - w.start + 1;
      const y = -(w.end - i + 1) / width;
      const rowScore = (profile.tp * scaledSigmoid(y)) / sigmoidAtLeftEdge;
      const best = bestInWindow[k];
      bestInWindow[k] = best === null ? rowScore : Math.max(best, rowScore);
    } else if (!detected) {
      tn++;
    } else {
      fp++;
      if (lastEnded === null) {
        falsePositiveSum += -profile.fp;
      } else {
        const width = lastEnded.end - lastEnded.start + 1;
        const y = (i - lastEnded.end) / (width - 1);
        falsePositiveSum += profile.fp * scaledSigmoid(y);
      }
    }
  }
  let windowSum = 0;
  let detectedWindows = 0;
  for (const best of bestInWindow) {
    if (best === null) windowSum -= profile.fn;
    else {
      windowSum += best;
      detectedWindows++;
    }
  }
  return { score: windowSum + falsePositiveSum, tp, tn, fp, fn, detectedWindows, windows: windows.length };
}

/** Detection flags for a threshold: NAB counts a row as a detection when score ≥ threshold. */
export function detectionsAt(anomalyScores: number[], threshold: number): boolean[] {
  return anomalyScores.map((score) => score >= threshold);
}

/**
 * Normalised corpus score: 100·(S − S_null)/(S_perfect − S_null), where the null detector misses
 * every window (−A_FN each) and the perfect one catches each on its first row (+A_TP each).
 * Undefined (null) for a corpus without windows.
 */
export function normaliseScore(rawSum: number, windowCount: number, profile: CostProfile): number | null {
  const nullScore = -profile.fn * windowCount;
  const perfectScore = profile.tp * windowCount;
  if (perfectScore === nullScore) return null;
  return (100 * (rawSum - nullScore)) / (perfectScore - nullScore);
}

export interface CorpusFile {
  name: string;
  /** one anomaly score per row, all rows */
  anomalyScores: number[];
  windows: RowWindow[];
}

export interface CorpusScore {
  profile: NabProfileName;
  threshold: number;
  raw: number;
  normalised: number | null;
  windows: number;
  perFile: (FileScore & { name: string })[];
}

/** Scores a corpus at one threshold for one profile. */
export function scoreCorpus(files: CorpusFile[], threshold: number, profileName: NabProfileName): CorpusScore {
  const profile = NAB_PROFILES[profileName];
  const perFile = files.map((file) => ({
    name: file.name,
    ...scoreFile(detectionsAt(file.anomalyScores, threshold), file.windows, profile),
  }));
  const raw = perFile.reduce((sum, f) => sum + f.score, 0);
  const windows = perFile.reduce((sum, f) => sum + f.windows, 0);
  return { profile: profileName, threshold, raw, normalised: normaliseScore(raw, windows, profile), windows, perFile };
}

/**
 * NAB's threshold optimiser: every distinct anomaly score on the scored (post-probation) rows is
 * a candidate, plus "above everything" (no detections); the corpus raw score is maximised. It
 * sweeps rows from the highest score down, so it costs one sort instead of one scoring pass per
 * candidate. For studying a detector on training data (e.g. how far its fixed threshold is
 * from the optimum); the evaluation never uses it on the data being scored.
 */
export function optimiseThreshold(
  files: CorpusFile[],
  profileName: NabProfileName,
): { threshold: number; raw: number } {
  const profile = NAB_PROFILES[profileName];
  const sigmoidAtLeftEdge = scaledSigmoid(-1);
  // Each scored row becomes, when detected, either an FP with a fixed cost or a candidate for its window's best.
  const events: { score: number; fpCost: number; window: number; windowScore: number }[] = [];
  let windowCount = 0;
  for (const file of files) {
    const n = file.anomalyScores.length;
    const probation = probationaryRows(n);
    let lastEnded: RowWindow | null = null;
    let nextToEnd = 0;
    let w = 0;
    for (let i = 0; i < n; i++) {
      while (nextToEnd < file.windows.length && file.windows[nextToEnd].end < i) lastEnded = file.windows[nextToEnd++];
      while (w < file.windows.length && file.windows[w].end < i) w++;
      if (i < probation) continue;
      const inside = w < file.windows.length && file.windows[w].start <= i;
      if (inside) {
        const win = file.windows[w];
        const width = win.end - win.start + 1;
        const rowScore = (profile.tp * scaledSigmoid(-(win.end - i + 1) / width)) / sigmoidAtLeftEdge;
        events.push({ score: file.anomalyScores[i], fpCost: 0, window: windowCount + w, windowScore: rowScore });
      } else {
        const fpCost =
          lastEnded === null
            ? -profile.fp
            : profile.fp * scaledSigmoid((i - lastEnded.end) / (lastEnded.end - lastEnded.start));
        events.push({ score: file.anomalyScores[i], fpCost, window: -1, windowScore: 0 });
      }
    }
    windowCount += file.windows.length;
  }
  events.sort((a, b) => b.score - a.score);
  const best: (number | null)[] = new Array(windowCount).fill(null);
  let fpSum = 0;
  let windowSum = -profile.fn * windowCount;
  let result = { threshold: Number.POSITIVE_INFINITY, raw: windowSum };
  for (let k = 0; k < events.length; k++) {
    const e = events[k];
    if (e.window < 0) fpSum += e.fpCost;
    else {
      const previous = best[e.window];
      if (previous === null) {
        windowSum += profile.fn + e.windowScore;
        best[e.window] = e.windowScore;
      } else if (e.windowScore > previous) {
        windowSum += e.windowScore - previous;
        best[e.window] = e.windowScore;
      }
    }
    // Only evaluate once all rows with this score are in: a threshold admits ties together.
    const lastOfTie = k === events.length - 1 || events[k + 1].score !== e.score;
    if (lastOfTie && fpSum + windowSum > result.raw) result = { threshold: e.score, raw: fpSum + windowSum };
  }
  return result;
}
