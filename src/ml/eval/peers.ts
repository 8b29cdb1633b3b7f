/**
 * statsforecast peers (AutoETS, AutoTheta, MSTL) for the forecaster evaluation: runs
 * scripts/ml/peers.py in the provisioned Python environment on the same histories and origins
 * as the project's forecaster, and scores their forecasts with the same MASE.
 *
 * The environment is `$EKSFLOW_PEERS_PYTHON` when set, else `.tools/statsforecast/bin/python` (made
 * by scripts/provision.sh) or its cache folder. Without it the evaluation says so and goes on without the peers.
 * Forecasts are cached by a hash of the exact request and the script (so an unchanged run does
 * not refit hundreds of models), and per (model, series) by the Python side as each fit ends (a run
 * cut short resumes); `--fresh-peers` ignores the whole-run cache.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEnv, type EksflowEnv } from '../../config/env';
import { meanAbsoluteError, naiveScale } from '../metrics';
import { evaluationOrigins, horizonSteps, type ForecastSeries } from './forecaster-eval';

export const STATSFORECAST_VERSION = '2.1.1';
export const PEER_MODELS = ['peer:AutoETS', 'peer:AutoTheta', 'peer:MSTL'] as const;

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const script = path.join(repoRoot, 'scripts', 'ml', 'peers.py');

/** The Python with statsforecast: EKSFLOW_PEERS_PYTHON when set (and only it), else the provisioned one. */
export function peersPython(
  env: Pick<EksflowEnv, 'EKSFLOW_PEERS_PYTHON' | 'XDG_CACHE_HOME'> = readEnv(),
): string | null {
  if (env.EKSFLOW_PEERS_PYTHON !== undefined)
    return fs.existsSync(env.EKSFLOW_PEERS_PYTHON) ? env.EKSFLOW_PEERS_PYTHON : null;
  const candidates = [
    path.join(repoRoot, '.tools', 'statsforecast', 'bin', 'python'),
    path.join(
      env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
      'eksflow',
      `statsforecast-${STATSFORECAST_VERSION}`,
      'bin',
      'python',
    ),
  ];
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

export interface PeerResult {
  /** model → per series (in input order) the MASE at each origin */
  mase: Record<string, { name: string; mase: number[] }[]>;
  note: string;
}

interface PeerLine {
  model: string;
  series: string;
  forecasts: number[][];
  failures: number;
  /** not fitted: the budget ran out before this task started (and it was not cached) */
  skipped?: boolean;
}

/** A peers answer with a fit the budget left out (Python's json writes `"skipped": true`). */
const HAS_SKIPPED = /"skipped":\s*true/;

function cacheDir(): string {
  return path.join(readEnv().XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'eksflow', 'ml-peers');
}

/** Runs the peers, or returns why they could not run (the caller prints it and carries on). */
export function runPeers(
  series: ForecastSeries[],
  options: { fresh?: boolean; budgetMinutes?: number } = {},
): PeerResult | { unavailable: string } {
  const python = peersPython();
  if (python === null) {
    return {
      unavailable:
        `statsforecast peers not run: no Python environment with statsforecast ${STATSFORECAST_VERSION} ` +
        '(run `bash scripts/provision.sh`, or set EKSFLOW_PEERS_PYTHON)',
    };
  }
  if (series.length === 0) return { mase: {}, note: 'no series' };
  const horizon = horizonSteps(series[0].stepMinutes);
  const season = Math.round(1440 / series[0].stepMinutes);
  const request = {
    horizon,
    season,
    series: series.map((s) => ({ name: s.name, values: s.values, origins: evaluationOrigins(s) })),
  };
  // Each (model, series) result is also kept as soon as it is fitted (keyed by its data and the fitting
  // code), so a run cut short resumes where it stopped instead of refitting everything.
  const body = JSON.stringify({ ...request, cache_dir: options.fresh ? undefined : path.join(cacheDir(), 'tasks') });
  const budgetSeconds = Math.round((options.budgetMinutes ?? 30) * 60);
  const key = createHash('sha256')
    .update(body)
    .update(fs.readFileSync(script))
    .update(STATSFORECAST_VERSION)
    .digest('hex')
    .slice(0, 24);
  const cached = path.join(cacheDir(), `${key}.jsonl`);
  let output: string;
  let how: string;
  // A whole-run answer with skipped fits (left by an older version) is not an answer: refit what is missing.
  const whole = !options.fresh && fs.existsSync(cached) ? fs.readFileSync(cached, 'utf8') : undefined;
  if (whole !== undefined && !HAS_SKIPPED.test(whole)) {
    output = whole;
    how = `cached forecasts ${cached} (same data, origins and script; --fresh-peers refits)`;
  } else {
    const started = Date.now();
    // The budget is passed beside the request (not in it): it changes what is fitted now, not the answer.
    const run = spawnSync(python, [script, String(budgetSeconds)], {
      input: body,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      timeout: 4 * 60 * 60_000,
    });
    if (run.status !== 0) {
      return {
        unavailable: `statsforecast peers failed (exit ${run.status ?? run.signal}): ${(run.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`,
      };
    }
    output = run.stdout;
    fs.mkdirSync(cacheDir(), { recursive: true });
    // Only a complete answer is kept whole; a partial one lives on in the per-task cache.
    if (!HAS_SKIPPED.test(output)) fs.writeFileSync(cached, output);
    how = `scripts/ml/peers.py ran ${((Date.now() - started) / 1000).toFixed(0)} s (fits already in the per-task cache are reused)`;
  }
  const lines = output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PeerLine | { done: true });
  const mase: PeerResult['mase'] = {};
  const failures: string[] = [];
  const skipped: Record<string, number> = {};
  for (const line of lines) {
    if ('done' in line) continue;
    if (line.skipped) {
      skipped[line.model] = (skipped[line.model] ?? 0) + 1;
      continue;
    }
    const s = request.series.find((r) => r.name === line.series);
    if (!s) continue;
    const values = series.find((x) => x.name === line.series)!.values;
    const errors = s.origins.map((origin, k) => {
      const history = values.slice(0, origin);
      const actual = values.slice(origin, origin + horizon);
      return meanAbsoluteError(actual, line.forecasts[k]) / naiveScale(history);
    });
    (mase[line.model] ??= []).push({ name: line.series, mase: errors });
    if (line.failures > 0) failures.push(`${line.model} ${line.series}: ${line.failures} origins fell back to naive`);
  }
  // A peer is scored only on all the series, never on the subset that happened to fit in time.
  for (const model of Object.keys(skipped)) delete mase[model];
  const incomplete = Object.entries(skipped).map(
    ([model, n]) =>
      `${model} not scored: ${n} of ${series.length} series not fitted within --peers-minutes ${options.budgetMinutes ?? 30} (finished fits are cached; rerun to continue)`,
  );
  return {
    mase,
    note: `statsforecast ${STATSFORECAST_VERSION} peers: ${how}${[...failures, ...incomplete].map((t) => `; ${t}`).join('')}`,
  };
}
