import * as path from 'node:path';
import {
  listNabSeriesFiles,
  loadNabDetectorRows,
  loadNabPerFileScores,
  loadNabSeries,
  loadNabThresholds,
  loadNabWindows,
} from '../../../src/ml/data';
import { sharedDataPath } from '../../../src/data/shared';
import {
  detectionsAt,
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  optimiseThreshold,
  probationaryRows,
  scaledSigmoid,
  scoreCorpus,
  scoreFile,
  windowsToRows,
  type CorpusFile,
} from '../../../src/ml/nab-scorer';

const nabDir = sharedDataPath(['nab-aws']);
const seriesDir = path.join(nabDir, 'realAWSCloudwatch');
const referenceDir = path.join(nabDir, 'reference-results');
const windows = loadNabWindows(path.join(seriesDir, 'labels_windows.json'));
const series = listNabSeriesFiles(seriesDir).map(loadNabSeries);
const rowWindows = Object.fromEntries(series.map((s) => [s.name, windowsToRows(s.timestamps, windows[s.name] ?? [])]));

const htmRowsCache: Record<string, ReturnType<typeof loadNabDetectorRows>> = {};
/** NAB's HTM per-row output for a file (read once per test file). */
function htmRows(name: string) {
  return (htmRowsCache[name] ??= loadNabDetectorRows(path.join(referenceDir, `numenta_${name}`)));
}

function corpusWith(scoresFor: (name: string, length: number) => number[]): CorpusFile[] {
  return series.map((s) => ({
    name: s.name,
    anomalyScores: scoresFor(s.name, s.values.length),
    windows: rowWindows[s.name],
  }));
}

describe('NAB scoring rules', () => {
  it('has the scaled sigmoid of the NAB README', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.986614, 6);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.848284, 6);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.986614, 6);
    expect(scaledSigmoid(3.01)).toBe(-1);
  });

  it('has a probationary period of 15% capped at 750 rows', () => {
    expect(probationaryRows(4032)).toBe(604);
    expect(probationaryRows(1243)).toBe(186);
    expect(probationaryRows(10000)).toBe(750);
  });

  it('maps the README example window to 201 rows', () => {
    const w = rowWindows['ec2_cpu_utilization_24ae8d.csv'][0];
    expect(w.end - w.start + 1).toBe(201);
  });

  it('weights detections by position: first row of a window earns A_TP, a late one almost nothing, FPs cost A_FP', () => {
    const n = 1000; // probation 150
    const window = { start: 400, end: 499 };
    const at = (rows: number[]) => {
      const flags = new Array(n).fill(false);
      rows.forEach((r) => (flags[r] = true));
      return scoreFile(flags, [window], NAB_PROFILES.standard);
    };
    expect(at([400]).score).toBeCloseTo(1, 12);
    expect(at([499]).score).toBeGreaterThan(0);
    expect(at([499]).score).toBeLessThan(0.1);
    // Several detections in one window count once (the best one).
    expect(at([400, 450, 499]).score).toBeCloseTo(1, 12);
    // Before any window has ended an FP costs the full A_FP; right after a window almost nothing; far after, A_FP.
    expect(at([300]).score).toBeCloseTo(-1 - 0.11, 12);
    expect(at([500]).score).toBeGreaterThan(-1 - 0.01);
    expect(at([999]).score).toBeCloseTo(-1 - 0.11, 6);
    // Detections during the probationary period change nothing.
    expect(at([10]).score).toBe(-1);
    const counts = at([300, 400]);
    expect([counts.tp, counts.fp, counts.fn, counts.tn]).toEqual([1, 1, 99, n - 150 - 100 - 1]);
  });
});

describe('NAB scorer on the realAWSCloudwatch files', () => {
  it('gives the perfect detector 100 and the null detector 0 under every profile', () => {
    const perfect = corpusWith((name, length) => {
      const scores = new Array(length).fill(0);
      for (const w of rowWindows[name]) scores[w.start] = 1;
      return scores;
    });
    const nothing = corpusWith((_, length) => new Array(length).fill(0));
    for (const profile of NAB_PROFILE_NAMES) {
      expect(scoreCorpus(perfect, 1, profile).normalised).toBeCloseTo(100, 10);
      expect(scoreCorpus(nothing, 1, profile).normalised).toBeCloseTo(0, 10);
    }
    expect(scoreCorpus(nothing, 1, 'standard').windows).toBe(23);
  });

  it("reproduces NAB's per-file raw scores and counts for its HTM detector at NAB's thresholds", () => {
    const thresholds = loadNabThresholds(path.join(referenceDir, 'thresholds.json'));
    const reference = loadNabPerFileScores(path.join(referenceDir, 'per_file_scores.csv')).filter(
      (r) => r.detector === 'numenta',
    );
    expect(reference).toHaveLength(39);
    let maxDiff = 0;
    for (const row of reference) {
      const htm = htmRows(row.file);
      const profile = row.profile as keyof typeof NAB_PROFILES;
      const result = scoreFile(
        detectionsAt(htm.anomalyScores, thresholds.numenta[profile].threshold),
        windowsToRows(htm.timestamps, windows[row.file]),
        NAB_PROFILES[profile],
      );
      maxDiff = Math.max(maxDiff, Math.abs(result.score - row.score));
      expect({ file: row.file, profile, tp: result.tp, fp: result.fp, fn: result.fn, tn: result.tn }).toEqual({
        file: row.file,
        profile,
        tp: row.tp,
        fp: row.fp,
        fn: row.fn,
        tn: row.tn,
      });
      // The pre-2019 scorer's per-row contributions sum to the same file score.
      const columnSum = htm.contributions[profile].reduce((s, v) => s + v, 0);
      expect(result.score).toBeCloseTo(columnSum, 9);
    }
    expect(maxDiff).toBeLessThan(1e-9);
  });

  it('reproduces the derived subset scoreboard for HTM (68.32 / 59.32 / 71.63)', () => {
    const thresholds = loadNabThresholds(path.join(referenceDir, 'thresholds.json'));
    const htmCorpus = corpusWith((name) => htmRows(name).anomalyScores);
    const expected = { standard: 68.32, reward_low_FP_rate: 59.32, reward_low_FN_rate: 71.63 };
    for (const profile of NAB_PROFILE_NAMES) {
      expect(scoreCorpus(htmCorpus, thresholds.numenta[profile].threshold, profile).normalised).toBeCloseTo(
        expected[profile],
        2,
      );
    }
  });

  it('optimises the threshold like a brute-force search over every candidate', () => {
    const htmCorpus = corpusWith((name) => htmRows(name).anomalyScores.map((s) => Math.round(s * 50) / 50));
    const candidates = [...new Set(htmCorpus.flatMap((f) => f.anomalyScores))].sort((a, b) => a - b);
    for (const profile of NAB_PROFILE_NAMES) {
      const bruteForce = Math.max(
        scoreCorpus(htmCorpus, Infinity, profile).raw,
        ...candidates.map((c) => scoreCorpus(htmCorpus, c, profile).raw),
      );
      expect(optimiseThreshold(htmCorpus, profile).raw).toBeCloseTo(bruteForce, 9);
    }
  });
});
