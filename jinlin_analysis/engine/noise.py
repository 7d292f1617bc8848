"""Sampling noise of rates built from small counts, and a trend fit that does not chase it.

A district with ~300 births a year sees 0-3 neonatal deaths: the observed rate jumps by
chance far more than the underlying risk moves. Where numerator and denominator are known
we (1) give each year its sampling variance on the modelling scale (binomial or Poisson),
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
) -> np.ndarray:
    """Variance of the transformed observed rate due to counting alone (series x years).

    Uses each year's denominator with the series' POOLED rate (all counted years), not the
    year's own count: weighting years by their own counts would give chance highs more
    weight than chance lows and bias small-count rates upwards.
    """
    mask = np.ones_like(numerator, dtype=bool) if pooled is None else pooled
    n = denominator + 1.0
    rate = (np.where(mask, numerator, 0).sum(axis=1) + 0.5) / (np.where(mask, n, 0).sum(axis=1) + 1)
    x = n * rate[:, None]  # expected count of each year
    k = kind[:, None]
    logit_var = 1 / x + 1 / np.maximum(n - x, 0.5)
    log_var = 1 / x
    upper_var = 1 / np.maximum(n - x, 0.5)
    value_var = x * (per[:, None] / n) ** 2
    return np.select(
        [k == LOGIT, k == LOG, k == LOG_UPPER], [logit_var, log_var, upper_var], value_var
    )


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


def draw_observed(
    rate: np.ndarray,
    denominator: np.ndarray,
    per: np.ndarray,
    binomial: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Reported values for simulated underlying rates (series x paths x horizons).

    binomial where the numerator is part of the denominator (percentages, deaths per live
    birth); Poisson otherwise (per 1,000 children of doctors, beds ...). Each series is
    drawn from its own distribution only (no throw-away draws)."""
    n = np.maximum(np.round(denominator), 1)[:, None, None]
    p = np.clip(rate / per[:, None, None], 0, None)
    counts = np.empty_like(rate)
    b = np.asarray(binomial, dtype=bool)
    if b.any():
        counts[b] = rng.binomial(n[b].astype(np.int64), np.clip(p[b], 0, 1))
    if (~b).any():
        counts[~b] = rng.poisson(p[~b] * n[~b])
    return counts / n * per[:, None, None]
