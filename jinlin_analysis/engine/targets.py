"""Whether a path of reported values meets a target, for every target type of the plan.

A path is one row of values over a year axis: reported values for past years (NaN where
nothing was reported) followed by simulated values for future years. Each rule below is
vectorised over (series x paths x years) and compares values ROUNDED to the series'
reporting precision, as an evaluator comparing published figures would; so 75.0 meets
"75%以上" and 100% coverage can be held.

Readings (docs/plan-format.md; docs/engine.md explains the choices):
- maintain_at_least: every year of the plan period that has a value, base year included.
- reach_and_maintain_at_least: met in the target year and in every year after the first
  year of the period in which it was met.
- keep_increasing / keep_decreasing (持续): no year from the baseline year to the target year
  moves the wrong way, and the target year is strictly better than the baseline year. A
  strict change every single year is impossible for a rate that has reached 0 deaths, and
  ties occur only through rounding, so "never worse, and better overall" is the reading.
- reduce_by: target-year value <= baseline-year value x (1 - X/100), the baseline being the
  value reported for that year (noise included), not the underlying rate.
"""

from __future__ import annotations

import numpy as np

from jinlin_analysis.plan import TargetType

SINGLE_YEAR = {
    TargetType.AT_LEAST,
    TargetType.AT_MOST,
    TargetType.REDUCE_BY,
    TargetType.INCREASE,
    TargetType.DECREASE,
    TargetType.NO_INCREASE,
}


def round_to(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    factor = 10.0 ** np.asarray(decimals, dtype=float).reshape((-1,) + (1,) * (values.ndim - 1))
    return np.round(values * factor) / factor


def met(
    kind: TargetType,
    paths: np.ndarray,
    years: np.ndarray,
    value: np.ndarray,
    baseline_year: np.ndarray,
    period_start: np.ndarray,
    target_year: np.ndarray,
    decimals: np.ndarray,
) -> np.ndarray:
    """Boolean (series x paths): does each path meet the target? NaN-safe: returns False
    where the rule needs a value that is missing (callers flag those series first)."""
    v = round_to(paths, decimals)
    x = np.asarray(value, dtype=float)[:, None]
    col_t = _col(years, target_year)
    final = np.take_along_axis(v, col_t[:, None, None], axis=2)[..., 0]
    if kind in (TargetType.AT_LEAST,):
        return final >= x - 1e-9
    if kind is TargetType.AT_MOST:
        return final <= x + 1e-9
    in_period = (years[None, :] >= period_start[:, None]) & (years[None, :] <= target_year[:, None])
    if kind is TargetType.MAINTAIN_AT_LEAST:
        ok = (v >= x[..., None] - 1e-9) | np.isnan(v) | ~in_period[:, None, :]
        return ok.all(axis=2)
    if kind is TargetType.REACH_AND_MAINTAIN_AT_LEAST:
        reached = (v >= x[..., None] - 1e-9) & in_period[:, None, :]
        since = np.cumsum(reached, axis=2) > 0
        dropped = since & (v < x[..., None] - 1e-9) & in_period[:, None, :]
        return (final >= x - 1e-9) & ~dropped.any(axis=2)
    base = np.take_along_axis(v, _col(years, baseline_year)[:, None, None], axis=2)[..., 0]
    if kind is TargetType.REDUCE_BY:
        return final <= round_to(base * (1 - x / 100), decimals) + 1e-9
    if kind is TargetType.INCREASE:
        return final > base + 1e-9
    if kind is TargetType.DECREASE:
        return final < base - 1e-9
    if kind is TargetType.NO_INCREASE:
        return final <= base + 1e-9
    if kind in (TargetType.KEEP_INCREASING, TargetType.KEEP_DECREASING):
        window = (years[None, :] >= baseline_year[:, None]) & (
            years[None, :] <= target_year[:, None]
        )
        filled = _ffill(np.where(window[:, None, :], v, np.nan))
        step = np.diff(filled, axis=2)
        sign = 1 if kind is TargetType.KEEP_INCREASING else -1
        wrong_way = (sign * step < -1e-9) & np.isfinite(step)
        return ~wrong_way.any(axis=2) & (sign * (final - base) > 1e-9)
    raise ValueError(f"no rule for target type {kind}")


def _col(years: np.ndarray, year: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(year) - years[0], 0, len(years) - 1).astype(int)


def _ffill(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaN along the last axis."""
    idx = np.where(np.isfinite(a), np.arange(a.shape[-1]), 0)
    np.maximum.accumulate(idx, axis=-1, out=idx)
    return np.take_along_axis(a, idx, axis=-1)


def threshold(
    kind: TargetType, value: np.ndarray, base: np.ndarray, decimals: np.ndarray
) -> tuple[np.ndarray, bool]:
    """For single-year rules: the unrounded value c with met <=> y >= c (upper=False) or
    y < c (upper=True), so a probability is one CDF evaluation."""
    half = 0.5 * 10.0 ** -np.asarray(decimals, dtype=float)
    if kind is TargetType.AT_LEAST:
        return value - half, False
    if kind is TargetType.AT_MOST:
        return value + half, True
    if kind is TargetType.REDUCE_BY:
        return round_to(base * (1 - value / 100), decimals) + half, True
    if kind is TargetType.INCREASE:
        return base + half, False
    if kind is TargetType.DECREASE:
        return base - half, True
    if kind is TargetType.NO_INCREASE:
        return base + half, True
    raise ValueError(f"{kind} is not a single-year target")
