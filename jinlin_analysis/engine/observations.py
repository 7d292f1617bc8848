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
from jinlin_analysis.engine.noise import SLOPE_PRIORS, SlopePrior
from jinlin_analysis.engine.transforms import reporting_decimals
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.observations import COLUMNS, REQUIRED, SERIES_KEY, TOTAL
from jinlin_analysis.plan import Plan

KEYS = list(SERIES_KEY)
OPTIONAL = [column for column in COLUMNS if column not in REQUIRED]


class ObservationError(JinlinError, ValueError):
    """Observations that the engine cannot use."""


def normalise(observations: pd.DataFrame) -> pd.DataFrame:
    """Required columns checked, optional ones added, types fixed, 合计 filled in."""
    missing = [c for c in REQUIRED if c not in observations.columns]
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
        frame[column] = frame[column].where(frame[column].notna(), TOTAL)
    for column in ("indicator_id", "region", "sex", "residence"):
        if frame[column].dtype != "str":
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
    """Series of the plan's measurable indicators, years up to as_of, as dense arrays.

    Series are identified by integer codes of their key columns (no grouping on strings),
    so a million observation rows take well under a second."""
    measurable = plan.measurable
    ind_code = pd.Index([i.id for i in measurable]).get_indexer(frame["indicator_id"])
    keep = (ind_code >= 0) & (frame["year"].to_numpy() <= as_of)
    frame, ind_code = frame[keep], ind_code[keep]
    # a value may be given by counts alone
    scale = np.array([i.scale or np.nan for i in measurable], dtype=float)[ind_code]
    numerator = frame["numerator"].to_numpy(dtype=float)
    denominator = frame["denominator"].to_numpy(dtype=float)
    value = frame["value"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(np.isnan(value), numerator / denominator * scale, value)
    has = np.isfinite(value)
    frame, ind_code = frame[has], ind_code[has]
    value, numerator, denominator = value[has], numerator[has], denominator[has]
    year = frame["year"].to_numpy()
    years = np.arange(int(year.min()) if len(year) else as_of, as_of + 1)
    key = ind_code.astype(np.int64)
    uniques = [np.array([i.id for i in measurable], dtype=object)]
    for column in KEYS[1:]:
        codes, labels = pd.factorize(frame[column], sort=True)
        key = key * len(labels) + codes
        uniques.append(np.asarray(labels, dtype=object))
    series_key = _sorted_unique(key)
    series = np.searchsorted(series_key, key)
    n, width = len(series_key), len(years)
    col = year - years[0]
    cell = series * width + col
    duplicated = _duplicated(cell)
    if duplicated.any():
        first = frame.iloc[np.flatnonzero(duplicated)[0]]
        raise ObservationError(
            f"{int(duplicated.sum())} rows repeat a series and year, e.g. "
            f"{first['indicator_id']} / {first['region']} / {first['sex']} / "
            f"{first['residence']} / {first['year']}; keep one value per series and year"
        )
    keys = {}
    rest = series_key
    for column, labels in zip(KEYS[:0:-1], uniques[:0:-1], strict=True):
        keys[column] = labels[rest % len(labels)]
        rest = rest // len(labels)
    indicator_index = rest
    keys[KEYS[0]] = uniques[0][indicator_index]
    keys = pd.DataFrame({column: keys[column] for column in KEYS}).astype(str)

    def matrix(column_values: np.ndarray) -> np.ndarray:
        out = np.full((n, width), np.nan)
        out[series, col] = column_values
        return out

    values = matrix(value)
    lower = np.array([np.nan if i.bounds[0] is None else i.bounds[0] for i in measurable])
    upper = np.array([np.nan if i.bounds[1] is None else i.bounds[1] for i in measurable])
    per = np.array([np.nan if i.scale is None else i.scale for i in measurable])
    prior = np.array([_slope_prior(i) for i in measurable]).reshape(-1, 2)
    decimals = _decimals_by_row(values)
    arrays = SeriesArrays(
        years=years,
        values=values,
        lower=lower[indicator_index],
        upper=upper[indicator_index],
        eps=0.5 * 10.0**-decimals,
        numerator=matrix(numerator),
        denominator=matrix(denominator),
        per=per[indicator_index],
        slope_prior=SlopePrior(mean=prior[indicator_index, 0], sd=prior[indicator_index, 1])
        if np.isfinite(prior[:, 1]).any()
        else None,
    )
    return Dense(keys=keys, arrays=arrays, decimals=decimals)


def _slope_prior(indicator) -> tuple[float, float]:
    """(mean, sd) of the indicator's named slope prior for count series; NaN = none."""
    name = indicator.counts.slope_prior if indicator.counts is not None else None
    return SLOPE_PRIORS[name] if name else (np.nan, np.nan)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy 2's hash-based unique is far slower on large int arrays)."""
    s = np.sort(a)
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if len(s) else s


def _duplicated(cell: np.ndarray) -> np.ndarray:
    """Rows whose (series, year) cell occurs more than once."""
    order = np.argsort(cell, kind="stable")
    s = cell[order]
    same = np.concatenate([[False], s[1:] == s[:-1]])
    repeated = same | np.concatenate([same[1:], [False]])
    out = np.zeros(len(cell), dtype=bool)
    out[order] = repeated
    return out


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
