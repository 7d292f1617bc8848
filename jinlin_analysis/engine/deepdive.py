"""One series in depth, for the analyst notebook: each model's forecast and past errors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jinlin_analysis.engine.calibration import Calibration
from jinlin_analysis.engine.forecast import SeriesArrays, point_forecasts
from jinlin_analysis.engine.models import MODELS
from jinlin_analysis.engine.observations import TOTAL, ObservationError, dense_series, normalise
from jinlin_analysis.engine.transforms import from_z
from jinlin_analysis.plan import Plan


def _one_series(plan, observations, indicator_id, region, as_of, sex, residence):
    dense = dense_series(normalise(observations), plan, as_of)
    k = dense.keys
    hit = np.flatnonzero(
        (k["indicator_id"] == indicator_id)
        & (k["region"] == (region or plan.plan.region))
        & (k["sex"] == sex)
        & (k["residence"] == residence)
    )
    if len(hit) == 0:
        raise ObservationError(f"no observations for {indicator_id} / {region or plan.plan.region}")
    return dense.arrays.take(hit[:1])


def model_forecasts(
    plan: Plan,
    observations: pd.DataFrame,
    indicator_id: str,
    region: str | None = None,
    as_of: int | None = None,
    target_year: int | None = None,
    sex: str = TOTAL,
    residence: str = TOTAL,
) -> pd.DataFrame:
    """Each pool model's forecast (and the equal-weight combination) for one series.

    Columns: year, model (drift, damped, escap, theta, combination), forecast. Values are
    the underlying trend (back-transformed), without calibration or sampling noise.
    """
    as_of = as_of or int(normalise(observations)["year"].max())
    target_year = target_year or plan.plan.target_year
    s = _one_series(plan, observations, indicator_id, region, as_of, sex, residence)
    last = int(s.years[np.flatnonzero(np.isfinite(s.values[0]))[-1]])
    horizons = max(target_year - last, 1)
    fc = point_forecasts(s, horizons, np.array([horizons]), Calibration.load().smoothing_q)
    if not fc.usable[0]:
        return pd.DataFrame(columns=["year", "model", "forecast"])
    paths = np.vstack([fc.models[0], fc.point[0][None]])
    values = from_z(paths, np.repeat(s.lower, 5), np.repeat(s.upper, 5))
    names = [*MODELS, "combination"]
    years = last + 1 + np.arange(horizons)
    return pd.DataFrame(
        [
            {"year": int(y), "model": m, "forecast": float(v)}
            for m, row in zip(names, values, strict=True)
            for y, v in zip(years, row, strict=True)
        ]
    )


def series_backtest(
    plan: Plan,
    observations: pd.DataFrame,
    indicator_id: str,
    region: str | None = None,
    as_of: int | None = None,
    sex: str = TOTAL,
    residence: str = TOTAL,
) -> pd.DataFrame:
    """Rolling-origin errors of every model on this series' own history.

    For each origin with at least 3 earlier values and each later reported year: columns
    origin, year, horizon, model, forecast, actual, error (forecast - actual).
    """
    as_of = as_of or int(normalise(observations)["year"].max())
    s = _one_series(plan, observations, indicator_id, region, as_of, sex, residence)
    q = Calibration.load().smoothing_q
    records = []
    observed = np.flatnonzero(np.isfinite(s.values[0]))
    for c in observed[2:-1]:
        cut = SeriesArrays(
            years=s.years[: c + 1],
            values=s.values[:, : c + 1],
            lower=s.lower,
            upper=s.upper,
            eps=s.eps,
            numerator=s.numerator[:, : c + 1],
            denominator=s.denominator[:, : c + 1],
            per=s.per,
            slope_prior=s.slope_prior,
        )
        horizons = len(s.years) - 1 - c
        fc = point_forecasts(cut, horizons, np.array([horizons]), q)
        if not fc.usable[0]:
            continue
        paths = np.vstack([fc.models[0], fc.point[0][None]])
        values = from_z(paths, np.repeat(s.lower, 5), np.repeat(s.upper, 5))
        for m, row in zip([*MODELS, "combination"], values, strict=True):
            for h in range(horizons):
                actual = s.values[0, c + 1 + h]
                if np.isfinite(actual):
                    records.append(
                        {
                            "origin": int(s.years[c]),
                            "year": int(s.years[c + 1 + h]),
                            "horizon": h + 1,
                            "model": m,
                            "forecast": float(row[h]),
                            "actual": float(actual),
                            "error": float(row[h] - actual),
                        }
                    )
    return pd.DataFrame(
        records, columns=["origin", "year", "horizon", "model", "forecast", "actual", "error"]
    )
