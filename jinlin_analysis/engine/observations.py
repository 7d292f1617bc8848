"""Turn a long observation table (docs/observation-format.md) into dense series arrays.

A series is one (indicator_id, region, sex, residence); missing sex/residence mean 合计.
Only data up to `as_of` is used. Everything is vectorised so that files with thousands of
regions and indicators stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jinlin_analysis.engine.forecast import SeriesArrays
from jinlin_analysis.engine.transforms import reporting_decimals
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.plan import Plan

KEYS = ["indicator_id", "region", "sex", "residence"]
TOTAL = "合计"
OPTIONAL = ["value", "numerator", "denominator", "sex", "residence", "status", "source", "note"]


class ObservationError(JinlinError, ValueError):
    """Observations that the engine cannot use."""


def normalise(observations: pd.DataFrame) -> pd.DataFrame:
    """Required columns checked, optional ones added, types fixed, 合计 filled in."""
    missing = [c for c in ("indicator_id", "region", "year") if c not in observations.columns]
    if missing:
        raise ObservationError(
            f"observations lack the column(s) {', '.join(missing)}; "
            "see docs/observation-format.md for the long-table format"
        )
    frame = observations.copy()
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = np.nan
    for column in ("sex", "residence"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), TOTAL)
    for column in ("indicator_id", "region", "sex", "residence"):
        frame[column] = frame[column].astype(str)
    for column in ("value", "numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
    if frame["year"].isna().any():
        raise ObservationError("observations have rows without a valid year")
    frame["year"] = frame["year"].astype(int)
    return frame


@dataclass
class Dense:
    keys: pd.DataFrame  # one row per series: KEYS
    arrays: SeriesArrays
    decimals: np.ndarray


def dense_series(frame: pd.DataFrame, plan: Plan, as_of: int) -> Dense:
    """Series of the plan's measurable indicators, years up to as_of, as dense arrays."""
    measurable = {i.id: i for i in plan.measurable}
    frame = frame[frame["indicator_id"].isin(measurable) & (frame["year"] <= as_of)]
    # a value may be given by counts alone
    scale = frame["indicator_id"].map({k: (i.scale or np.nan) for k, i in measurable.items()})
    from_counts = frame["numerator"] / frame["denominator"] * scale
    frame = frame.assign(value=frame["value"].fillna(from_counts))
    frame = frame[frame["value"].notna()]
    duplicated = frame.duplicated([*KEYS, "year"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise ObservationError(
            f"{int(duplicated.sum())} rows repeat a series and year, e.g. "
            f"{first['indicator_id']} / {first['region']} / {first['sex']} / "
            f"{first['residence']} / {first['year']}; keep one value per series and year"
        )
    if frame.empty:
        years = np.arange(as_of, as_of + 1)
    else:
        years = np.arange(int(frame["year"].min()), as_of + 1)
    grouped = frame.groupby(KEYS, sort=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index()[KEYS] if len(frame) else pd.DataFrame(columns=KEYS)
    n, width = len(keys), len(years)
    col = frame["year"].to_numpy() - years[0]

    def matrix(column: str) -> np.ndarray:
        out = np.full((n, width), np.nan)
        out[codes, col] = frame[column].to_numpy(dtype=float)
        return out

    values = matrix("value")
    indicators = [measurable[i] for i in keys["indicator_id"]]
    lower = np.array([np.nan if i.bounds[0] is None else i.bounds[0] for i in indicators])
    upper = np.array([np.nan if i.bounds[1] is None else i.bounds[1] for i in indicators])
    per = np.array([np.nan if i.scale is None else i.scale for i in indicators])
    decimals = _decimals_by_row(values)
    arrays = SeriesArrays(
        years=years,
        values=values,
        lower=lower,
        upper=upper,
        eps=0.5 * 10.0**-decimals,
        numerator=matrix("numerator"),
        denominator=matrix("denominator"),
        per=per,
    )
    return Dense(keys=keys, arrays=arrays, decimals=decimals)


def _decimals_by_row(values: np.ndarray, max_decimals: int = 3) -> np.ndarray:
    """Reporting precision per series, vectorised (see transforms.reporting_decimals)."""
    out = np.full(values.shape[0], max_decimals)
    for d in range(max_decimals, -1, -1):
        exact = np.isclose(values, np.round(values, d), rtol=0, atol=1e-9) | np.isnan(values)
        out = np.where(exact.all(axis=1), d, out)
    return out


__all__ = [
    "KEYS",
    "TOTAL",
    "Dense",
    "ObservationError",
    "dense_series",
    "normalise",
    "reporting_decimals",
]
