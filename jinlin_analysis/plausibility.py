"""Is a new value unusual for its series? A warning, never an error: the value may be right.

"Usual" has to respect small counts. With 300 births a year, 1 or 3 neonatal deaths are
both ordinary, so the rate can double or halve by chance; a naive z-score on the rates
would cry wolf every year. Where counts are given, each year's rate is put on a
variance-stabilising scale (2·asin√p for proportions, 2·√r for rates that can exceed 1),
where sampling noise has variance 1/denominator whatever the level, and the new year is
compared with the pooled earlier years. Real series vary more than sampling alone (trends,
changes in practice), so the earlier years' own extra variation (a quasi-likelihood
dispersion, never below 1) widens the band. Without counts, the year-to-year changes of
the earlier years give the band, robustly (median and MAD), with a floor so that flat
series do not flag every movement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jinlin_analysis.observations import SERIES_KEY
from jinlin_analysis.plan import Indicator, Plan
from jinlin_analysis.problems import Problem

WINDOW = 6  # earlier years compared with
MIN_YEARS = 3  # fewer earlier years tell too little about what is usual
COUNT_Z = 4.0  # about 1 in 16,000 by chance alone, per value checked
LEVEL_Z = 5.0  # robust scale from few differences: a wider band


def unusual_changes(
    new: pd.DataFrame, plan: Plan, history: pd.DataFrame | None = None
) -> list[Problem]:
    """Warnings for new values far outside their series' usual year-to-year movement."""
    if new.empty:
        return []
    frames = [new.assign(_new=True)]
    if history is not None and not history.empty:
        frames.insert(0, history.assign(_new=False))
    combined = pd.concat(frames, ignore_index=True)
    combined = combined[combined["value"].notna()]
    combined = combined.drop_duplicates(
        ["indicator_id", "region", "year", "sex", "residence"], keep="last"
    )
    problems = []
    for key, series in combined.groupby(list(SERIES_KEY), sort=False):
        if not series["_new"].any() or key[0] not in plan.by_id:
            continue
        indicator = plan.by_id[key[0]]
        series = series.sort_values("year")
        arrays = _Arrays(
            years=series["year"].to_numpy(int),
            values=series["value"].to_numpy(float),
            numerators=series["numerator"].to_numpy(float, na_value=np.nan),
            denominators=series["denominator"].to_numpy(float, na_value=np.nan),
        )
        for position in np.flatnonzero(series["_new"].to_numpy(bool)):
            first = max(0, position - WINDOW)
            if position - first < MIN_YEARS:
                continue
            found = _check(indicator, arrays, first, position)
            if found is not None:
                problems.append(_problem(series.iloc[position], arrays, first, position, *found))
    return problems


@dataclass(frozen=True)
class _Arrays:
    years: np.ndarray
    values: np.ndarray
    numerators: np.ndarray
    denominators: np.ndarray


def _check(indicator: Indicator, a: _Arrays, first: int, position: int) -> tuple[str, float] | None:
    """('counts' or 'values', expected value) when the value at `position` is unusual."""
    earlier = slice(first, position)
    counted = ~np.isnan(a.numerators[earlier]) & ~np.isnan(a.denominators[earlier])
    has_counts = not np.isnan(a.numerators[position]) and not np.isnan(a.denominators[position])
    if has_counts and counted.sum() >= MIN_YEARS:
        result = count_z(
            indicator,
            a.numerators[earlier][counted],
            a.denominators[earlier][counted],
            a.numerators[position],
            a.denominators[position],
        )
        basis, threshold = "counts", COUNT_Z
    else:
        result = level_z(a.values[earlier], a.values[position])
        basis, threshold = "values", LEVEL_Z
    if result is None or abs(result[0]) <= threshold:
        return None
    return basis, result[1]


def _problem(
    row: pd.Series, a: _Arrays, first: int, position: int, basis: str, expected: float
) -> Problem:
    start, end = int(a.years[first]), int(a.years[position - 1])
    hint_zh, hint_en = _scale_hint(float(row["value"]), expected)
    return Problem(
        "unusual_change",
        file=row.get("_file", ""),
        sheet=row.get("_sheet", ""),
        row=int(row["_row"]) if pd.notna(row.get("_row")) else None,
        column="value",
        value=row["value"],
        params={
            "basis": f"{start}—{end}年的{'分子分母' if basis == 'counts' else '数值'}",
            "basis_en": f"the {basis} of {start}-{end}",
            "expected": f"{expected:.3g}",
            "value": f"{row['value']:g}",
            "hint_zh": hint_zh,
            "hint_en": hint_en,
        },
    )


def count_z(
    indicator: Indicator,
    numerators: np.ndarray,
    denominators: np.ndarray,
    numerator: float,
    denominator: float,
) -> tuple[float, float] | None:
    """z of a year's counts against the pooled earlier years, overdispersion allowed."""
    scale = indicator.scale or 1
    upper = indicator.bounds[1]
    proportion = upper is not None and upper <= scale  # a share of the denominator
    transform = _asin if proportion else _sqrt
    if (denominators <= 0).any() or denominator <= 0:
        return None
    y = transform(numerators / denominators)
    weight = denominators.sum()
    centre = float((denominators * y).sum() / weight)
    dispersion = max(1.0, float((denominators * (y - centre) ** 2).sum() / (len(y) - 1)))
    new_y = float(transform(np.array([numerator / denominator]))[0])
    spread = math.sqrt(dispersion * (1 / denominator + 1 / weight))
    expected = _inverse(centre, proportion) * scale
    return (new_y - centre) / spread, expected


def level_z(earlier: np.ndarray, value: float) -> tuple[float, float] | None:
    """z of the new value against last value + usual change, on a robust scale."""
    changes = np.diff(earlier)
    typical = float(np.median(changes))
    expected = float(earlier[-1] + typical)
    mad = 1.4826 * float(np.median(np.abs(changes - typical)))
    level = float(np.median(np.abs(earlier)))
    if np.all(np.mod(earlier, 1) == 0):
        floor = math.sqrt(max(level, 1.0))  # counts of things: Poisson-sized steps are usual
    else:
        floor = 0.05 * level if level > 0 else 1e-9
    return (value - expected) / max(mad, floor), expected


def _asin(p: np.ndarray) -> np.ndarray:
    return 2 * np.arcsin(np.sqrt(np.clip(p, 0, 1)))


def _sqrt(r: np.ndarray) -> np.ndarray:
    return 2 * np.sqrt(np.clip(r, 0, None))


def _inverse(y: float, proportion: bool) -> float:
    return math.sin(y / 2) ** 2 if proportion else (y / 2) ** 2


def _scale_hint(value: float, expected: float) -> tuple[str, str]:
    """Off by a power of ten: most likely a unit or decimal-point slip."""
    if value <= 0 or expected <= 0:
        return "", ""
    ratio = math.log10(value / expected)
    nearest = round(ratio)
    if nearest != 0 and abs(ratio - nearest) < 0.07:
        factor = 10 ** abs(nearest)
        return (
            f"（相差约 {factor} 倍，可能是单位或小数点错误）",
            f" (about {factor} times off: a unit or decimal-point slip?)",
        )
    return "", ""
