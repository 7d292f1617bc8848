"""Point forecasts for many series at once: transform, smooth small counts, run the pool.

Input is dense: one row per series, one column per year of a common grid, NaN where a
year has no value. Rows are grouped by the length of their observed span so that every
model runs on a plain matrix (numpy over all series of a length at once, in chunks that
fit the CPU cache). Interior gaps are filled by linear interpolation on the modelling
scale (or by the smoother for count series); a series needs MIN_POINTS observed years.

Series with counts behind their rates get their signal from the counts' binomial/Poisson
likelihood with the smoother's penalty (noise.pql_whittaker), started from the least-squares
smooth of the transformed rates; the pool then runs on that signal. Count series of an
indicator with a named slope prior (noise.SLOPE_PRIORS) have their fitted slope shrunk
towards it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jinlin_analysis.engine import models, noise
from jinlin_analysis.engine.parallel import run_blocks
from jinlin_analysis.engine.transforms import LOGIT, to_z, transform_kind

MIN_POINTS = 3
MAX_HISTORY = 15  # only the latest 15 years are fitted: older structure rarely helps
CHUNK = 2000


@dataclass
class SeriesArrays:
    """Dense history of many series on a common year grid (see module docstring)."""

    years: np.ndarray  # (T,) calendar years of the columns
    values: np.ndarray  # (n, T) reported values, NaN = missing
    lower: np.ndarray  # (n,) natural bounds, NaN = none
    upper: np.ndarray
    eps: np.ndarray  # (n,) half a reporting unit: how far values at a bound are moved in
    numerator: np.ndarray | None = None  # (n, T) counts behind a rate, NaN = not given
    denominator: np.ndarray | None = None
    per: np.ndarray | None = None  # (n,) rate multiplier (100, 1000, ...), NaN = no counts
    slope_prior: noise.SlopePrior | None = None  # count series' slope prior, sd NaN = none

    def __len__(self) -> int:
        return self.values.shape[0]

    def take(self, rows: np.ndarray) -> SeriesArrays:
        """The series `rows` (indices or a mask), on the same year grid."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[rows]

        return SeriesArrays(
            years=self.years,
            values=self.values[rows],
            lower=self.lower[rows],
            upper=self.upper[rows],
            eps=self.eps[rows],
            numerator=pick(self.numerator),
            denominator=pick(self.denominator),
            per=pick(self.per),
            slope_prior=None if self.slope_prior is None else self.slope_prior.take(rows),
        )


@dataclass
class PointForecasts:
    """What the pool says about each series; horizons count from its last observed year."""

    n_points: np.ndarray  # (n,) observed years used
    last_col: np.ndarray  # (n,) column of the last observed year (-1: none)
    usable: np.ndarray  # (n,) bool: enough points to forecast
    has_counts: np.ndarray  # (n,) bool: smoothed for sampling noise
    signal: np.ndarray  # (n, T) fitted signal on the modelling scale (NaN outside span)
    models: np.ndarray  # (n, models, H) each model's forecast, modelling scale
    point: np.ndarray  # (n, H) equal-weight combination
    scale: np.ndarray  # (n,) spread of the series' own year-to-year changes
    extra_var: np.ndarray  # (n, H) variance from estimating a noisy signal (0 if no counts)
    last_denominator: np.ndarray  # (n,) expected denominator of future years (NaN: none)


def point_forecasts(
    data: SeriesArrays,
    horizons: int,
    horizon_to_target: np.ndarray | None = None,
    smoothing_q: float = 0.01,
) -> PointForecasts:
    """Run the pool on every series with at least MIN_POINTS values.

    horizon_to_target (n,): years from each series' last value to the target year; sets
    the ESCAP weights (default: `horizons`).
    """
    n, width = data.values.shape
    kind = transform_kind(data.lower, data.upper)
    observed = np.isfinite(data.values)
    has_counts = np.zeros(n, dtype=bool)
    z = to_z(data.values, data.lower, data.upper, data.eps)
    variance = np.full((n, width), np.nan)
    counts = None
    if data.numerator is not None and data.denominator is not None and data.per is not None:
        counted = np.isfinite(data.numerator) & np.isfinite(data.denominator)
        counted &= data.denominator > 0
        has_counts = counted.any(axis=1) & np.isfinite(data.per)
        num = np.where(counted, data.numerator, 0.0)
        den = np.where(counted, data.denominator, 1.0)
        z_counts = to_z(noise.count_value(num, den, data.per), data.lower, data.upper, data.eps)
        gross = gross_ratio_counts(data.lower, data.upper, data.per)
        var_counts = noise.sampling_variance(num, den, kind, data.per, counted, gross)
        rows = has_counts[:, None] & counted
        z = np.where(rows, z_counts, z)
        # a year with a value but no counts gets the series' typical sampling variance
        typical = np.nanmedian(np.where(rows, var_counts, np.nan)[has_counts], axis=1)
        variance[has_counts] = np.where(rows[has_counts], var_counts[has_counts], typical[:, None])
        observed |= rows
        counts = _counts(data, num, den, rows)
    n_obs_total = observed.sum(axis=1)
    last_col = np.where(observed.any(axis=1), width - 1 - np.argmax(observed[:, ::-1], axis=1), -1)
    first_col = np.argmax(observed, axis=1)
    first_col = np.maximum(first_col, last_col - MAX_HISTORY + 1)
    span = last_col - first_col + 1
    col = np.arange(width)
    in_span = (col >= first_col[:, None]) & (col <= last_col[:, None])
    n_points = (observed & in_span).sum(axis=1)
    usable = (n_points >= MIN_POINTS) & (last_col >= 0)

    if horizon_to_target is None:
        horizon_to_target = np.full(n, horizons)
    n_models = len(models.MODELS)
    result = PointForecasts(
        n_points=np.where(last_col >= 0, n_points, n_obs_total * 0),
        last_col=last_col,
        usable=usable,
        has_counts=has_counts & usable,
        signal=np.full((n, width), np.nan),
        models=np.full((n, n_models, horizons), np.nan),
        point=np.full((n, horizons), np.nan),
        scale=np.full(n, np.nan),
        extra_var=np.zeros((n, horizons)),
        last_denominator=_last_denominators(data, last_col),
    )
    blocks = []
    for length in np.unique(span[usable]):
        rows_len = np.flatnonzero(usable & (span == length))
        for target_h in np.unique(horizon_to_target[rows_len]):
            rows_all = rows_len[horizon_to_target[rows_len] == target_h]
            for start in range(0, len(rows_all), CHUNK):
                rows = rows_all[start : start + CHUNK]
                blocks.append((rows, int(length), int(target_h)))
    run_blocks(
        lambda rows, length, target_h: _fit_block(
            result,
            rows,
            z,
            variance,
            first_col,
            length,
            horizons,
            target_h,
            smoothing_q,
            has_counts,
            counts,
            data.slope_prior,
        ),
        blocks,
    )
    return result


def _counts(data: SeriesArrays, num: np.ndarray, den: np.ndarray, rows: np.ndarray) -> noise.Counts:
    """The counts of every series, for the likelihood fit of the count series."""
    return noise.Counts(
        numerator=num,
        denominator=den,
        counted=rows,
        per=data.per,
        lower=data.lower,
        upper=data.upper,
        eps=data.eps,
        binomial=binomial_counts(data.lower, data.upper, data.per),
        gross=gross_ratio_counts(data.lower, data.upper, data.per),
    )


def _fit_block(
    result, rows, z, variance, first_col, length, horizons, target_h, q, has_counts, counts, prior
):
    idx = first_col[rows, None] + np.arange(length)
    block = z[rows[:, None], idx]
    block = _interpolate_gaps(block)
    extra = np.zeros((len(rows), horizons))
    counted = has_counts[rows]
    if counted.any():
        r, i = rows[counted][:, None], idx[counted]
        prior_r = None if prior is None else prior.take(r[:, 0])
        start = noise.whittaker_mean(z[r, i], variance[r, i], q)  # least squares: first guess
        smooth, cov = noise.pql_whittaker(
            start, counts.take(r[:, 0], i), z[r, i], variance[r, i], q, prior_r
        )
        block[counted] = smooth
        extra[counted] = noise.extrapolation_variance(cov, horizons)
    result.signal[rows[:, None], idx] = block
    forecasts = models.pool(block, horizons, target_h)
    result.models[rows] = forecasts
    result.point[rows] = forecasts.mean(axis=1)
    result.scale[rows] = series_scale(block)
    result.extra_var[rows] = extra


def series_scale(block: np.ndarray) -> np.ndarray:
    """The series' own variability: RMS deviation of its yearly changes from their mean."""
    diffs = np.diff(block, axis=1)
    return np.sqrt(((diffs - diffs.mean(axis=1, keepdims=True)) ** 2).mean(axis=1))


def _interpolate_gaps(block: np.ndarray) -> np.ndarray:
    """Linear interpolation of interior NaNs, row by row (only rows that have gaps)."""
    gaps = np.flatnonzero(np.isnan(block).any(axis=1))
    if len(gaps) == 0:
        return block
    block = block.copy()
    t = np.arange(block.shape[1])
    for r in gaps:
        ok = np.isfinite(block[r])
        block[r] = np.interp(t, t[ok], block[r, ok])
    return block


def _last_denominators(data: SeriesArrays, last_col: np.ndarray) -> np.ndarray:
    """Expected denominator of future years: mean of the latest three known."""
    if data.denominator is None:
        return np.full(len(data), np.nan)
    col = np.arange(data.denominator.shape[1])
    known = np.isfinite(data.denominator) & (col <= last_col[:, None])
    from_right = np.cumsum(known[:, ::-1], axis=1)[:, ::-1]
    pick = known & (from_right <= 3)
    with np.errstate(invalid="ignore"):
        return np.where(pick, data.denominator, 0.0).sum(axis=1) / pick.sum(axis=1)


def binomial_counts(lower: np.ndarray, upper: np.ndarray, per: np.ndarray) -> np.ndarray:
    """Whether a rate's numerator is part of its denominator (bounds span exactly one `per`)."""
    kind = transform_kind(lower, upper)
    with np.errstate(invalid="ignore"):
        return (kind == LOGIT) & np.isclose(upper - lower, per) & (lower == 0)


def gross_ratio_counts(lower: np.ndarray, upper: np.ndarray, per: np.ndarray) -> np.ndarray:
    """Whether a rate is a gross ratio: a percentage with no upper bound (毛入学率, 巩固率).

    Its numerator is nearly all of the denominator and may exceed it (children from
    outside the catchment), so it is neither binomial nor a Poisson count (see
    noise.gross_count_variance). Rates per 1,000 with no upper bound (doctors, beds)
    stay Poisson."""
    with np.errstate(invalid="ignore"):
        return (lower == 0) & ~np.isfinite(upper) & np.isclose(per, 100)
