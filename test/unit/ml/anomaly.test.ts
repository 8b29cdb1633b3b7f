import {
  anomalyDetectorParamsSchema,
  anomalyDetectorStateSchema,
  createAnomalyDetector,
  breaksCooldownOnlyByNovelty,
  DEFAULT_ANOMALY_PARAMS,
  isAnomalous,
  thresholdAfterFlag,
  type AnomalyResult,
} from '../../../src/ml/anomaly';
import { gaussian, seededRandom } from '../../../src/ml/metrics';

const STEP_MS = 5 * 60_000;
const T0 = Date.UTC(2024, 0, 1);

function run(values: number[], params = {}): AnomalyResult[] {
  const detector = createAnomalyDetector(params);
  return values.map((v, i) => detector.update(T0 + i * STEP_MS, v));
}

/** Three days of a noisy daily cycle (5-minute points), like a CPU metric. */
function noisyDailyCycle(seed: number, length = 3 * 288): number[] {
  const normal = gaussian(seededRandom(seed));
  return Array.from({ length }, (_, i) => 40 + 15 * Math.sin((2 * Math.PI * i) / 288) + 1.5 * normal());
}

const flagged = (results: AnomalyResult[]) => results.flatMap((r, i) => (r.anomaly ? [i] : []));

describe('streaming anomaly detector', () => {
  it('raises nothing on a flat series', () => {
    const results = run(new Array(2000).fill(42));
    expect(flagged(results)).toEqual([]);
    expect(Math.max(...results.map((r) => r.score))).toBe(0);
  });

  it('flags a spike injected into a flat series at once', () => {
    const values = new Array(1000).fill(42);
    values[700] = 60;
    expect(flagged(run(values))).toEqual([700]);
  });

  it('flags a spike in a noisy daily cycle within a few points, and nothing else', () => {
    const values = noisyDailyCycle(3);
    const spikeAt = 700;
    values[spikeAt] += 40;
    const hits = flagged(run(values));
    expect(hits.length).toBeGreaterThanOrEqual(1);
    expect(hits[0]).toBeGreaterThanOrEqual(spikeAt);
    expect(hits[0]).toBeLessThanOrEqual(spikeAt + 3);
    expect(hits.filter((i) => i < spikeAt)).toEqual([]);
  });

  it('stays quiet on the same noisy cycle without a spike', () => {
    expect(flagged(run(noisyDailyCycle(3)))).toEqual([]);
  });

  it('flags a level shift to values never seen before', () => {
    const normal = gaussian(seededRandom(5));
    const values = Array.from({ length: 1200 }, (_, i) => (i < 900 ? 20 : 45) + normal());
    const hits = flagged(run(values));
    expect(hits[0]).toBeGreaterThanOrEqual(900);
    expect(hits[0]).toBeLessThanOrEqual(902);
  });

  it('scores within [0, 1] and raises one flag per cooldown during a long incident', () => {
    const values = [...new Array(600).fill(10), ...Array.from({ length: 50 }, (_, i) => 100 + 10 * i)];
    const results = run(values, { cooldownBreak: 0 });
    expect(results.every((r) => r.score >= 0 && r.score <= 1)).toBe(true);
    expect(flagged(results)).toEqual([600]);
    // The default break waits 12 h (half the cooldown), so a 4 h ramp is still one incident …
    expect(flagged(run(values))).toEqual([600]);
    // … while a break allowed 2 h after a flag re-flags a ramp that keeps breaking new ground at more
    // than 3× the bar every 2 h (24 points): the cost that made the default wait half the cooldown.
    expect(flagged(run(values, { cooldownBreakAfterMs: 2 * 3_600_000 }))).toEqual([600, 624, 648]);
  });

  it('waits half the cooldown before a second incident may break it (by default)', () => {
    expect(DEFAULT_ANOMALY_PARAMS.cooldownBreakAfterMs).toBe(DEFAULT_ANOMALY_PARAMS.cooldownMs / 2);
    // A clearly larger spike 11 h 55 min after the first is the same incident; 12 h after, a new one.
    const at = (gapPoints: number) => {
      const values = Array.from({ length: 1400 }, (_, i) => 10 + (i % 2) * 0.1);
      values[600] = 12;
      values[600 + gapPoints] = 30;
      return flagged(run(values));
    };
    expect(at(143)).toEqual([600]);
    expect(at(144)).toEqual([600, 744]);
    // Past the cooldown (24 h) the ordinary bar applies again.
    expect(at(288)).toEqual([600, 888]);
  });

  it('resumes from a JSON round-trip of its state exactly where it left off', () => {
    const values = noisyDailyCycle(9, 1500);
    values[1200] += 50;
    const uninterrupted = run(values);
    const first = createAnomalyDetector();
    const before = values.slice(0, 1000).map((v, i) => first.update(T0 + i * STEP_MS, v));
    const persisted = JSON.parse(JSON.stringify(first.state()));
    const second = createAnomalyDetector({}, persisted);
    const after = values.slice(1000).map((v, i) => second.update(T0 + (1000 + i) * STEP_MS, v));
    expect([...before, ...after]).toEqual(uninterrupted);
  });

  it('keeps bounded memory however long it runs', () => {
    const random = seededRandom(1);
    const detector = createAnomalyDetector();
    for (let i = 0; i < 20000; i++) detector.update(T0 + i * STEP_MS, random() * 1000);
    const state = detector.state();
    expect(state.intervals.length).toBeLessThanOrEqual(DEFAULT_ANOMALY_PARAMS.maxIntervals);
    expect(JSON.stringify(state).length).toBeLessThan(5000);
  });

  it('ignores replayed and out-of-order points', () => {
    const detector = createAnomalyDetector({ warmupPoints: 0 });
    detector.update(T0, 1);
    detector.update(T0 + STEP_MS, 1);
    const count = detector.state().count;
    expect(detector.update(T0 + STEP_MS, 999)).toEqual({ score: 0, anomaly: false });
    expect(detector.update(T0, 999)).toEqual({ score: 0, anomaly: false });
    expect(detector.state().count).toBe(count);
  });

  it('flags a sustained level shift that stays inside the range already seen', () => {
    // Level 20 with small noise and occasional spikes to ±10; then the level moves to 26, inside the spikes' range.
    const random = seededRandom(11);
    const noise = () => (random() < 0.1 ? 20 : 2) * (random() - 0.5);
    const values = Array.from({ length: 1200 }, (_, i) => (i < 800 ? 20 : 26) + noise());
    const hits = flagged(run(values, { warmupPoints: 100 }));
    expect(hits.filter((i) => i < 800)).toEqual([]);
    expect(hits.some((i) => i >= 800 && i <= 830)).toBe(true);
  });

  it('does not re-flag an incident it already reported once the cooldown ends', () => {
    const values = [...new Array(600).fill(10), ...new Array(600).fill(100)];
    const hits = flagged(run(values, { cooldownMs: 2 * 3_600_000 }));
    expect(hits).toEqual([600]);
  });

  it('raises the bar within the cooldown by the break factor, and allows nothing just after a flag', () => {
    const H = 3_600_000;
    const rule = { cooldownMs: 24 * H, cooldownBreak: 3, cooldownBreakAfterMs: 2 * H };
    expect(thresholdAfterFlag(0.5, Infinity, rule)).toBe(0.5);
    expect(thresholdAfterFlag(0.5, 24 * H, rule)).toBe(0.5);
    expect(thresholdAfterFlag(0.5, 2 * H - 1, rule)).toBeNull();
    // θ = 1 → 3: score 3/4. θ = 0.9 → 2.7: score 2.7/3.7.
    expect(thresholdAfterFlag(0.5, 2 * H, rule)).toBe(0.75);
    expect(thresholdAfterFlag(0.9 / 1.9, 10 * H, rule)).toBeCloseTo(2.7 / 3.7, 12);
    expect(thresholdAfterFlag(0.5, 10 * H, { ...rule, cooldownBreak: 0 })).toBeNull();
    expect(thresholdAfterFlag(0.5, 0, { ...rule, cooldownMs: 0 })).toBe(0.5);
  });

  it('flags a second, larger incident within the cooldown, and not a smaller one', () => {
    // A flat series with small steps; a spike at 600, then a 3× larger one 12 h later, then a small one.
    const values = Array.from({ length: 1400 }, (_, i) => 10 + (i % 2) * 0.1);
    values[600] = 12;
    values[744] = 30;
    values[900] = 10.25;
    expect(flagged(run(values))).toEqual([600, 744]);
    expect(flagged(run(values, { cooldownBreak: 0 }))).toEqual([600]);
    // Before cooldownBreakAfterMs (here 13 h) nothing breaks the cooldown.
    expect(flagged(run(values, { cooldownBreakAfterMs: 13 * 3_600_000 }))).toEqual([600]);
  });

  it('resumes a version-2 state persisted before the cooldown break existed with the rule it had', () => {
    const detector = createAnomalyDetector();
    noisyDailyCycle(5, 400).forEach((v, i) => detector.update(T0 + i * STEP_MS, v));
    const {
      cooldownBreak: _b,
      cooldownBreakAfterMs: _a,
      cooldownBreakByLevel: _l,
      ...oldParams
    } = detector.state().params;
    const persisted = anomalyDetectorStateSchema.parse({ ...detector.state(), params: oldParams });
    expect(persisted.params).not.toHaveProperty('cooldownBreak');
    expect(createAnomalyDetector({}, persisted).state().params).toMatchObject({
      cooldownBreak: 0,
      cooldownBreakAfterMs: 2 * 3_600_000,
      cooldownBreakByLevel: true,
    });
    expect(createAnomalyDetector({}, detector.state()).state().params.cooldownBreak).toBe(3);
  });

  it('resumes a version-2 state persisted before cooldownBreakByLevel existed with the level breaking too', () => {
    const detector = createAnomalyDetector({ cooldownBreakAfterMs: 2 * 3_600_000 });
    noisyDailyCycle(6, 400).forEach((v, i) => detector.update(T0 + i * STEP_MS, v));
    const { cooldownBreakByLevel: _l, ...oldParams } = detector.state().params;
    const persisted = anomalyDetectorStateSchema.parse(
      JSON.parse(JSON.stringify({ ...detector.state(), params: oldParams })),
    );
    expect(persisted.params).not.toHaveProperty('cooldownBreakByLevel');
    const resumed = createAnomalyDetector({}, persisted).state().params;
    expect(resumed).toMatchObject({
      cooldownBreak: 3,
      cooldownBreakAfterMs: 2 * 3_600_000,
      cooldownBreakByLevel: true,
    });
    expect(createAnomalyDetector({}, detector.state()).state().params.cooldownBreakByLevel).toBe(false);
    expect(DEFAULT_ANOMALY_PARAMS.cooldownBreakByLevel).toBe(false);
  });

  it('lets the level ratio flag unless told not to (the cooldown break is novelty only)', () => {
    const levelOnly = { r: 0, z: 16, recordNovelty: 0, recordLevel: 0 };
    const noveltyOnly = { r: 3.5, z: 0, recordNovelty: 0, recordLevel: 0 };
    // threshold 0.75 ⇔ θ = 3: r ≥ 3 or z ≥ 15 at level weight 5.
    expect(isAnomalous(levelOnly, 0.75, 5, 0.8)).toBe(true);
    expect(isAnomalous(levelOnly, 0.75, 5, 0.8, false)).toBe(false);
    expect(isAnomalous(noveltyOnly, 0.75, 5, 0.8, false)).toBe(true);
    expect(isAnomalous({ ...levelOnly, z: 14.9 }, 0.75, 5, 0.8)).toBe(false);
    // The record rule still applies to novelty when the level may not flag.
    expect(isAnomalous({ ...noveltyOnly, recordNovelty: 0.99 }, 0.75, 5, 0.8, false)).toBe(false);
    const H = 3_600_000;
    const rule = { cooldownMs: 24 * H, cooldownBreakByLevel: false };
    expect(breaksCooldownOnlyByNovelty(12 * H, rule)).toBe(true);
    expect(breaksCooldownOnlyByNovelty(24 * H - 1, rule)).toBe(true);
    expect(breaksCooldownOnlyByNovelty(24 * H, rule)).toBe(false);
    expect(breaksCooldownOnlyByNovelty(Infinity, rule)).toBe(false);
    expect(breaksCooldownOnlyByNovelty(12 * H, { ...rule, cooldownBreakByLevel: true })).toBe(false);
  });

  it('does not break the cooldown for a level move inside the range seen, but flags it once the cooldown is over', () => {
    // Level 20 with small noise and occasional spikes to ±10: a spike beyond them flags at 700; from
    // 900 the level sits at 26, inside the spikes' range (novelty ~0, level z high) — 16.7 h later.
    const random = seededRandom(11);
    const noise = () => (random() < 0.1 ? 20 : 2) * (random() - 0.5);
    const values = Array.from({ length: 1400 }, (_, i) => (i < 900 ? 20 : 26) + noise());
    values[700] = 60;
    const run2 = (params: object) => flagged(run(values, { warmupPoints: 100, ...params }));
    const byLevel = run2({ cooldownBreakByLevel: true });
    expect(byLevel[0]).toBe(700);
    // With the level allowed to break (× 3 bar), the shift flags within the cooldown …
    expect(byLevel.some((i) => i >= 900 && i < 700 + 288)).toBe(true);
    // … by default it does not (novelty only), and the shift is not re-flagged later either.
    const byDefault = run2({});
    expect(byDefault[0]).toBe(700);
    expect(byDefault.filter((i) => i > 700 && i < 700 + 288)).toEqual([]);
  });

  it('validates partial params without filling in the ones not given (the defaults apply)', () => {
    expect(anomalyDetectorParamsSchema.partial().parse({ threshold: 0.6 })).toEqual({ threshold: 0.6 });
    expect(anomalyDetectorParamsSchema.parse({ ...DEFAULT_ANOMALY_PARAMS })).toEqual(DEFAULT_ANOMALY_PARAMS);
    expect(anomalyDetectorStateSchema.parse(JSON.parse(JSON.stringify(createAnomalyDetector().state())))).toEqual(
      createAnomalyDetector().state(),
    );
  });

  it('resumes from a version-1 state, keeping its novelty memory', () => {
    const values = noisyDailyCycle(4, 1000);
    const current = createAnomalyDetector();
    values.forEach((v, i) => current.update(T0 + i * STEP_MS, v));
    const {
      version: _version,
      recent: _r,
      levelMean: _m,
      levelDeviation: _d,
      levelCount: _c,
      recordNovelty: _n,
      recordLevel: _l,
      ...core
    } = current.state();
    const v1 = anomalyDetectorStateSchema.parse({ ...core, version: 1, params: { threshold: 0.5, warmupPoints: 300 } });
    const resumed = createAnomalyDetector({}, v1);
    expect(resumed.state()).toMatchObject({
      version: 2,
      count: 1000,
      intervals: current.state().intervals,
      levelCount: 0,
    });
    expect(resumed.update(T0 + 1000 * STEP_MS, 500).anomaly).toBe(true);
  });
});
