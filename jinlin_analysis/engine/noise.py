"""Sampling noise of rates built from small counts, and a trend fit that does not chase it.

A district with ~300 births a year sees 0-3 neonatal deaths: the observed rate jumps by
chance far more than the underlying risk moves. Where numerator and denominator are known
we (1) give each year its sampling variance on the modelling scale (binomial, Poisson, or for
gross ratios a binomial shortfall below 100% plus a Poisson excess above),
(2) estimate the underlying signal with a Whittaker smoother whose penalty is the signal's
own year-to-year variability (second differences, measured on the international panel),
so a year is pulled towards the trend exactly as much as its counts are uninformative, and
(3) add sampling noise back when predicting the value that will be reported.

The smoother is the posterior mean of an integrated random walk observed with known noise:
minimise sum_t (z_t - s_t)^2 / v_t + sum_t (s_t - 2 s_{t-1} + s_{t-2})^2 / q. Its
posterior covariance (A^-1 below) gives the uncertainty of the fitted level and slope.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from jinlin_analysis.engine.transforms import LOG, LOG_UPPER, LOGIT


def count_value(numerator: np.ndarray, denominator: np.ndarray, per: np.ndarray) -> np.ndarray:
    """Rate from counts with half a count added, so that 0 deaths has a finite log/logit."""
    return (numerator + 0.5) / (denominator + 1.0) * per[:, None]


def sampling_variance(
    numerator: np.ndarray,
    denominator: np.ndarray,
    kind: np.ndarray,
    per: np.ndarray,
    pooled: np.ndarray | None = None,
    gross: np.ndarray | None = None,
) -> np.ndarray:
    """Variance of the transformed observed rate due to counting alone (series x years).

    Uses each year's denominator with the series' POOLED rate (all counted years), not the
    year's own count: weighting years by their own counts would give chance highs more
    weight than chance lows and bias small-count rates upwards. `gross` (n,) marks gross
    ratios, whose count varies by `gross_count_variance` rather than as a Poisson count.
    """
    mask = np.ones_like(numerator, dtype=bool) if pooled is None else pooled
    n = denominator + 1.0
    rate = (np.where(mask, numerator, 0).sum(axis=1) + 0.5) / (np.where(mask, n, 0).sum(axis=1) + 1)
    x = n * rate[:, None]  # expected count of each year
    k = kind[:, None]
    logit_var = 1 / x + 1 / np.maximum(n - x, 0.5)
    log_var = 1 / x
    if gross is not None and gross.any():
        log_var = np.where(gross[:, None], gross_count_variance(x, n) / x**2, log_var)
    upper_var = 1 / np.maximum(n - x, 0.5)
    value_var = x * (per[:, None] / n) ** 2
    return np.select(
        [k == LOGIT, k == LOG, k == LOG_UPPER], [logit_var, log_var, upper_var], value_var
    )


def gross_count_variance(expected: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Variance of a gross ratio's numerator with `expected` count out of `n`.

    Below n it is a binomial shortfall (children of the cohort who left or dropped out,
    n p (1 - p)); above n a Poisson excess (children from outside the catchment or outside
    the age group, variance = the excess). The shortfall is at least half a child, as for
    percentages, so that a ratio at exactly 100% keeps a finite weight in the smoother.
    """
    inside = np.minimum(expected, n)
    return inside * np.maximum(n - inside, 0.5) / n + np.maximum(expected - n, 0)


def whittaker(z: np.ndarray, variance: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Smooth equally spaced series (series x years) with known noise variances.

    Years without a value have infinite variance (weight 0). Returns the smoothed signal and
    its posterior covariance (series x years x years).
    """
    _m, length = z.shape
    weight = np.where(np.isfinite(variance) & np.isfinite(z), 1 / variance, 0.0)
    second = np.diff(np.eye(length), n=2, axis=0)
    penalty = second.T @ second / q
    a = penalty[None] + weight[:, :, None] * np.eye(length)[None]
    cov = np.linalg.inv(a)
    rhs = weight * np.nan_to_num(z)
    return np.einsum("mij,mj->mi", cov, rhs), cov


def extrapolation_variance(cov: np.ndarray, horizons: int) -> np.ndarray:
    """Variance of extending the fitted line from its last two years, h = 1..horizons."""
    h = np.arange(1, horizons + 1)
    v_last, v_prev = cov[:, -1, -1], cov[:, -2, -2]
    c = cov[:, -1, -2]
    return (1 + h) ** 2 * v_last[:, None] + h**2 * v_prev[:, None] - 2 * h * (1 + h) * c[:, None]


NORMAL_MIN_VARIANCE = 10.0  # counts with at least this variance: skewness-corrected normal


def draw_observed(
    rate: np.ndarray,
    denominator: np.ndarray,
    per: np.ndarray,
    binomial: np.ndarray,
    scores: np.ndarray,
    gross: np.ndarray | None = None,
) -> np.ndarray:
    """Reported values for simulated underlying rates (series x paths x horizons).

    binomial where the numerator is part of the denominator (percentages, deaths per live
    birth); Poisson otherwise (per 1,000 children of doctors, beds ...); `gross` (n,) marks
    gross ratios (% with no upper bound): binomial shortfall below 100%, the denominator
    plus a Poisson excess above (see gross_count_variance). Each count is the quantile of
    its distribution at the path's normal score (`scores`: paths x horizons, quasi-random
    in assess()), so the sampling noise is as accurate as the trend paths:
    - variance < NORMAL_MIN_VARIANCE: the exact binomial / Poisson quantile (a search
      from 0 up, a few steps for small counts);
    - otherwise the continuity- and skewness-corrected (Cornish-Fisher) normal quantile:
      its CDF is within 0.0015 of the exact one (checked for p from 0.001 to 0.999 and
      for Poisson), a tenth of the Monte Carlo error of 1,000 random paths, for a few
      arithmetic operations."""
    n = np.maximum(np.round(denominator), 1)[:, None, None]
    p = np.clip(rate / per[:, None, None], 0, None)
    b = np.broadcast_to(np.asarray(binomial, dtype=bool)[:, None, None], rate.shape)
    base = None
    if gross is not None and np.any(gross):
        base, p, b = _gross_as_count_law(n, p, b, np.asarray(gross, dtype=bool))
    z = np.broadcast_to(scores[None], rate.shape)
    counts = _count_quantile(z, np.broadcast_to(n, rate.shape), np.where(b, np.minimum(p, 1), p), b)
    if base is not None:
        counts += base
    return counts / n * per[:, None, None]


def _gross_as_count_law(
    n: np.ndarray, p: np.ndarray, binomial: np.ndarray, gross: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A gross ratio's count as (fixed base, rate, binomial?) of the plain laws: below 100%
    binomial(n, p); above, n + Poisson(n (p - 1)) counted from the base n."""
    above = gross[:, None, None] & (p > 1)
    base = np.where(above, n, 0.0)
    p = np.where(above, p - 1, p)
    return base, p, binomial | (gross[:, None, None] & ~above)


def _count_quantile(z: np.ndarray, n: np.ndarray, p: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Binomial(n, p) (b) or Poisson(n p) count at normal score z, all arrays one shape."""
    mean = n * p
    variance = np.where(b, mean * (1 - p), mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(variance)
        skew = np.where(b, 1 - 2 * p, 1.0) / sd
        counts = np.floor(mean + sd * (z + skew * (z**2 - 1) / 6) + 0.5)
    counts = np.clip(counts, 0, np.where(b, n, np.inf))
    small = variance < NORMAL_MIN_VARIANCE
    if small.any():
        counts[small] = _small_count_quantile(ndtr(z[small]), n[small], p[small], b[small])
    return counts


def _small_count_quantile(
    u: np.ndarray, n: np.ndarray, p: np.ndarray, binomial: np.ndarray
) -> np.ndarray:
    """Smallest k with CDF(k) >= u, for binomial(n, p) or Poisson(n p) counts of small
    variance: the probabilities are accumulated from k = 0 up. A binomial with p > 1/2 is
    searched by its failures (1 - p, from 1 - u)."""
    flip = binomial & (p > 0.5)
    q = np.where(flip, 1 - p, p)
    u = np.where(flip, 1 - u, u)
    mean = n * q
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = np.where(binomial, q / (1 - q), 0.0)
        pmf = np.where(binomial, np.exp(n * np.log1p(-np.minimum(q, 1 - 1e-16))), np.exp(-mean))
    # pmf(k) / pmf(k - 1) = top / k - odds: binomial (n + 1) q/(1-q) / k - q/(1-q); Poisson mean / k
    top = np.where(binomial, (n + 1) * odds, mean)
    k = _accumulate(u, pmf, top, odds)
    return np.where(flip, n - k, k)


def _accumulate(u, pmf, top, odds) -> np.ndarray:
    """Count the k at which the running CDF is still below u (see _small_count_quantile):
    whole arrays while most values are still searching, then only the rest."""
    k = np.zeros(len(u))
    cdf = pmf.copy()
    searching = cdf < u
    step = 0
    while searching.mean() > 0.25:
        step += 1
        k += searching
        with np.errstate(over="ignore", invalid="ignore"):  # finished values run on
            pmf *= top / step - odds
            cdf += pmf
        searching &= (cdf < u) & (pmf > 0)
    rest = np.flatnonzero(searching)
    pmf, cdf, top, odds, u = pmf[rest], cdf[rest], top[rest], odds[rest], u[rest]
    while len(rest) and step < 1000:
        step += 1
        k[rest] += 1
        pmf *= top / step - odds
        cdf += pmf
        going = (cdf < u) & (pmf > 0)
        if not going.all():
            rest, pmf, cdf, top, odds, u = (a[going] for a in (rest, pmf, cdf, top, odds, u))
    return k
