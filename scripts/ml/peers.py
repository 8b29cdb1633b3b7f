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
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def main() -> None:
    from statsforecast.models import MSTL, AutoETS, AutoTheta

    request = json.load(sys.stdin)
    horizon = int(request["horizon"])
    season = int(request["season"])
    started = time.time()
    models = {
        "peer:AutoETS": lambda: AutoETS(season_length=1),
        "peer:AutoTheta": lambda: AutoTheta(season_length=season),
        "peer:MSTL": lambda: MSTL(season_length=[season]),
    }
    only = request.get("models")
    for name, make in models.items():
        if only and name not in only:
            continue
        for series in request["series"]:
            values = np.asarray(series["values"], dtype=float)
            forecasts = []
            failures = 0
            for origin in series["origins"]:
                history = values[:origin]
                try:
                    model = make()
                    mean = model.forecast(y=history, h=horizon)["mean"]
                    if not np.all(np.isfinite(mean)):
                        raise ValueError("non-finite forecast")
                    forecasts.append([float(v) for v in mean])
                except Exception:  # noqa: BLE001 - a failed fit at one origin falls back to naive
                    failures += 1
                    forecasts.append([float(history[-1])] * horizon)
            line = {"model": name, "series": series["name"], "forecasts": forecasts, "failures": failures}
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
    sys.stdout.write(json.dumps({"done": True, "seconds": round(time.time() - started, 1)}) + "\n")


if __name__ == "__main__":
    main()
