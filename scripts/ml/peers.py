"""
statsforecast peers for `npm run eval:ml` (called by src/ml/eval/peers.ts; not run by hand).

stdin: JSON {"horizon": H, "season": S, "series": [{"name": ..., "values": [...], "origins": [i, ...]}]}
stdout: one JSON line per (model, series): {"model": "peer:AutoETS", "series": name, "forecasts": [[H floats] per origin]}
        then {"done": true, "seconds": ...}. A model that fails at an origin forecasts the last value there
        and is counted in "failures" (so one numerical failure cannot sink a whole run).

Each model is fitted on values[:origin] (the same history the project's forecaster sees) and forecasts H steps.
- AutoETS: statsforecast AutoETS, non-seasonal (season_length=1): ETS cannot carry a 288-step daily season.
- AutoTheta: AutoTheta with season_length=S (it tests seasonality itself and deseasonalises when found).
- MSTL: MSTL with a daily season (S), trend/remainder by AutoETS (statsforecast's default trend forecaster).
"""
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


def run_task(task):
    """One model on one series, at every origin (a task for the worker pool)."""
    name, series, horizon, season = task
    values = np.asarray(series["values"], dtype=float)
    forecasts = []
    failures = 0
    for origin in series["origins"]:
        history = values[:origin]
        try:
            mean = make_model(name, season).forecast(y=history, h=horizon)["mean"]
            if not np.all(np.isfinite(mean)):
                raise ValueError("non-finite forecast")
            forecasts.append([float(v) for v in mean])
        except Exception:  # noqa: BLE001 - a failed fit at one origin falls back to naive
            failures += 1
            forecasts.append([float(history[-1])] * horizon)
    return {"model": name, "series": series["name"], "forecasts": forecasts, "failures": failures}


def main() -> None:
    request = json.load(sys.stdin)
    horizon = int(request["horizon"])
    season = int(request["season"])
    started = time.time()
    only = request.get("models")
    tasks = [(name, series, horizon, season) for name in MODELS if not only or name in only for series in request["series"]]
    # Fits are independent: one worker per core, results written in task order (deterministic output).
    workers = max(1, min(len(tasks), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for line in pool.map(run_task, tasks):
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
    sys.stdout.write(json.dumps({"done": True, "seconds": round(time.time() - started, 1), "workers": workers}) + "\n")


if __name__ == "__main__":
    main()
