"""
statsforecast peers for `npm run eval:ml` (called by src/ml/eval/peers.ts; not run by hand).

stdin: JSON {"horizon": H, "season": S, "series": [{"name": ..., "values": [...], "origins": [i, ...]}],
        "cache_dir": optional folder where each (model, series) result is kept as soon as it is fitted}
stdout: one JSON line per (model, series): {"model": "peer:AutoETS", "series": name, "forecasts": [[H floats] per origin]}
        ({"model", "series", "skipped": true} for a task the budget in argv[1] seconds left unfitted)
        then {"done": true, "seconds": ...}. A model that fails at an origin forecasts the last value there
        and is counted in "failures" (so one numerical failure cannot sink a whole run).

Each model is fitted on values[:origin] (the same history the project's forecaster sees) and forecasts H steps.
- AutoETS: statsforecast AutoETS, non-seasonal (season_length=1): ETS cannot carry a 288-step daily season.
- AutoTheta: AutoTheta with season_length=S (it tests seasonality itself and deseasonalises when found).
- MSTL: MSTL with a daily season (S), trend/remainder by AutoETS (statsforecast's default trend forecaster).
"""
import hashlib
import inspect
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

warnings.filterwarnings("ignore")


MODELS = ("peer:AutoETS", "peer:AutoTheta", "peer:MSTL")


def make_model(name: str, season: int):
    from statsforecast.models import MSTL, AutoETS, AutoTheta

    if name == "peer:AutoETS":
        return AutoETS(season_length=1)
    if name == "peer:AutoTheta":
        return AutoTheta(season_length=season)
    return MSTL(season_length=[season])


def task_key(name, series, horizon, season) -> str:
    """Cache key of one task: the model, the exact data and origins, the protocol and this script."""
    digest = hashlib.sha256()
    import statsforecast

    digest.update(json.dumps([name, series["name"], series["values"], series["origins"], horizon, season]).encode())
    # The code that fits (not this file: a comment edit must not refit hours of models).
    digest.update((inspect.getsource(make_model) + inspect.getsource(fit_forecasts) + statsforecast.__version__).encode())
    return digest.hexdigest()[:32]


def run_task(task):
    """One model on one series, at every origin (a task for the worker pool), cached per task."""
    name, series, horizon, season, cache_dir, deadline = task
    cached = os.path.join(cache_dir, f"task-{task_key(name, series, horizon, season)}.json") if cache_dir else None
    if cached and os.path.exists(cached):
        with open(cached, encoding="utf-8") as f:
            return json.load(f)
    if time.time() > deadline:
        return {"model": name, "series": series["name"], "skipped": True}
    forecasts, failures = fit_forecasts(name, series["values"], series["origins"], horizon, season)
    result = {"model": name, "series": series["name"], "forecasts": forecasts, "failures": failures}
    if cached:
        # Written as each task ends, so a run cut short keeps what it fitted (the next run resumes).
        os.makedirs(cache_dir, exist_ok=True)
        with open(cached + ".tmp", "w", encoding="utf-8") as f:
            json.dump(result, f)
        os.replace(cached + ".tmp", cached)
    return result


def fit_forecasts(name, series_values, origins, horizon, season):
    """The model fitted on values[:origin] at each origin, H steps ahead."""
    values = np.asarray(series_values, dtype=float)
    forecasts = []
    failures = 0
    for origin in origins:
        history = values[:origin]
        try:
            mean = make_model(name, season).forecast(y=history, h=horizon)["mean"]
            if not np.all(np.isfinite(mean)):
                raise ValueError("non-finite forecast")
            forecasts.append([float(v) for v in mean])
        except Exception:  # noqa: BLE001 - a failed fit at one origin falls back to naive
            failures += 1
            forecasts.append([float(history[-1])] * horizon)
    return forecasts, failures


def main() -> None:
    request = json.load(sys.stdin)
    horizon = int(request["horizon"])
    season = int(request["season"])
    started = time.time()
    only = request.get("models")
    cache_dir = request.get("cache_dir")
    # argv[1]: fitting budget in seconds; a task not cached and not started by then is skipped.
    deadline = started + (float(sys.argv[1]) if len(sys.argv) > 1 else float("inf"))
    tasks = [(name, series, horizon, season, cache_dir, deadline) for name in MODELS if not only or name in only for series in request["series"]]
    # Fits are independent: one worker per core, results written in task order (deterministic output).
    workers = max(1, min(len(tasks), int(request.get("workers") or os.cpu_count() or 1)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for line in pool.map(run_task, tasks):
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
    sys.stdout.write(json.dumps({"done": True, "seconds": round(time.time() - started, 1), "workers": workers}) + "\n")


if __name__ == "__main__":
    main()
