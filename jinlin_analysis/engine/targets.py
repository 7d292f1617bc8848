"""Whether a path of reported values meets a target, for every target type of the plan.

A path is the series' reported values for past years (NaN where nothing was reported)
followed by simulated values for future years. Past values are the same on every path, so
they are judged once per series (`past`: series x past years) and only the future is judged
per path (`future`: series x paths x future years, the years straight after the past ones).
Every rule compares values ROUNDED to the series' reporting precision, as an evaluator
comparing published figures would; so 75.0 meets "75%以上" and 100% coverage can be held.
A threshold rule "rounded value >= X" is checked as "value >= X - half a unit" (the same
thing without rounding every simulated value).

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
- decrease / keep_decreasing from a baseline of zero (no child drowned in 2020): a rate
  cannot fall below zero, so holding it at zero meets the target (every year, for 持续);
  read literally the target could never be met and the report would warn about a
  district that had no deaths at all.
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
_TOL = 1e-9


def round_to(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    factor = 10.0 ** np.asarray(decimals, dtype=float).reshape((-1,) + (1,) * (values.ndim - 1))
    return np.round(values * factor) / factor


def met(
    kind: TargetType,
    past: np.ndarray,
    past_years: np.ndarray,
    future: np.ndarray,
    value: np.ndarray,
    baseline_year: np.ndarray,
    period_start: np.ndarray,
    target_year: np.ndarray,
    decimals: np.ndarray,
) -> np.ndarray:
    """Boolean (series x paths): does each path meet the target?

    past: (n x Tp) reported values for past_years; future: (n x P x H) values for the H
    years after past_years[-1] (H may be 0, P >= 1). NaN-safe: False where the rule needs
    a value that is missing (callers flag those series first)."""
    kind = TargetType(kind)
    n, n_paths, horizons = future.shape
    first_future = int(past_years[-1]) + 1
    future_years = first_future + np.arange(horizons)
    x = np.asarray(value, dtype=float)[:, None]
    factor = 10.0 ** np.asarray(decimals, dtype=float)[:, None]
    half = 0.5 / factor
    target = np.asarray(target_year)[:, None]
    final = _year_values(past, past_years, future, target_year)
    if kind is TargetType.AT_LEAST:
        return final >= x - half - _TOL
    if kind is TargetType.AT_MOST:
        return final <= x + half + _TOL
    start = np.asarray(period_start)[:, None]
    period_past = (past_years >= start) & (past_years <= target)  # n x Tp
    period_future = (future_years >= start) & (future_years <= target)  # n x H
    if kind is TargetType.MAINTAIN_AT_LEAST:
        below_past = (past < x - half - _TOL) & period_past
        below_future = (future < x[..., None] - half[..., None] - _TOL) & period_future[:, None]
        return ~below_past.any(axis=1)[:, None] & ~below_future.any(axis=2)
    if kind is TargetType.REACH_AND_MAINTAIN_AT_LEAST:
        return _reach_and_maintain(
            past, future, final, x, half, period_past, period_future[:, None]
        )
    base = _year_values(past, past_years, future, baseline_year)
    k_final = np.rint(final * factor)
    k_base = np.rint(base * factor)
    if kind is TargetType.REDUCE_BY:
        return k_final <= np.rint(k_base * (1 - x / 100)) + _TOL
    if kind is TargetType.INCREASE:
        return k_final > k_base + 0.5
    if kind is TargetType.DECREASE:
        return (k_final < k_base - 0.5) | _held_at_zero(k_base, k_final)
    if kind is TargetType.NO_INCREASE:
        return k_final <= k_base + 0.5
    if kind in (TargetType.KEEP_INCREASING, TargetType.KEEP_DECREASING):
        sign = 1 if kind is TargetType.KEEP_INCREASING else -1
        base_year = np.asarray(baseline_year)[:, None]
        window_past = (past_years >= base_year) & (past_years <= target)
        k_past = _ffill(np.where(window_past, np.rint(past * factor), np.nan))
        steps = np.diff(k_past, axis=1)
        wrong_past = (sign * steps < -0.5) & np.isfinite(steps)
        window_future = (future_years >= base_year) & (future_years <= target)
        k_future = np.where(window_future[:, None], np.rint(future * factor[..., None]), np.nan)
        last_past = np.broadcast_to(k_past[:, -1:, None], (n, n_paths, 1))
        steps = np.diff(np.concatenate([last_past, k_future], axis=2), axis=2)
        wrong_future = (sign * steps < -0.5) & np.isfinite(steps)
        better = sign * (k_final - k_base) > 0.5
        if sign < 0:
            better |= _held_at_zero(k_base, k_final)
        return ~wrong_past.any(axis=1)[:, None] & ~wrong_future.any(axis=2) & better
    raise ValueError(f"no rule for target type {kind}")


def _held_at_zero(k_base: np.ndarray, k_final: np.ndarray) -> np.ndarray:
    """A falling target whose baseline is already zero is met by staying at zero."""
    return (k_base == 0) & (k_final == 0)


def _reach_and_maintain(past, future, final, x, half, period_past, period_future):
    reached_past = (past >= x - half - _TOL) & period_past
    since_past = np.cumsum(reached_past, axis=1) > 0
    dropped_past = (since_past & (past < x - half - _TOL) & period_past).any(axis=1)
    below = future < x[..., None] - half[..., None] - _TOL
    reached = ~below & period_future
    since = reached_past.any(axis=1)[:, None, None] | (np.cumsum(reached, axis=2) > 0)
    dropped_future = (since & below & period_future).any(axis=2)
    return (final >= x - half - _TOL) & ~dropped_past[:, None] & ~dropped_future


def _year_values(
    past: np.ndarray, past_years: np.ndarray, future: np.ndarray, year: np.ndarray
) -> np.ndarray:
    """The value in `year` (one per series) on every path (n x P); NaN if not on the axis."""
    n, n_paths, horizons = future.shape
    year = np.asarray(year)
    out = np.full((n, n_paths), np.nan)
    col = year - past_years[0]
    in_past = (col >= 0) & (col < len(past_years))
    rows = np.flatnonzero(in_past)
    out[rows] = past[rows, col[rows]][:, None]
    fcol = col - len(past_years)
    in_future = (fcol >= 0) & (fcol < horizons)
    rows = np.flatnonzero(in_future)
    if len(rows):
        out[rows] = np.take_along_axis(future[rows], fcol[rows][:, None, None], axis=2)[..., 0]
    return out


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
    if kind is TargetType.DECREASE:  # from zero: staying at zero (see _held_at_zero)
        return np.where(round_to(base, decimals) == 0, half, base - half), True
    if kind is TargetType.NO_INCREASE:
        return base + half, True
    raise ValueError(f"{kind} is not a single-year target")
