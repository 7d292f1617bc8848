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

For count series the squared error is replaced by the counts' own likelihood
(`pql_whittaker`, penalised quasi-likelihood): maximise
sum_t loglik(k_t | n_t, rate(s_t)) - sum_t (s_t - 2 s_{t-1} + s_{t-2})^2 / (2 q)
by penalised IRLS, each step a Whittaker smooth of the working response
s + (k - mu)/(dmu/ds) with variances Var(k)/(dmu/ds)^2. Least squares on the log/logit of
(k + 0.5)/(n + 1) was biased upwards with 1-3 deaths a year (half a death added to every
year, then averaged on the log scale: +14% for a constant 5 per 1000 with 300 births, and
a fitted 6.6 per 1000 where the district's pooled rate is 5.4); the likelihood fit's
expected deaths add up to the deaths seen, plus half a death per series (PSEUDO_COUNT) so
that a series without any death has a small finite rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from jinlin_analysis.engine.transforms import LOG, LOG_UPPER, LOGIT, from_z, from_z_slope, to_z


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


def whittaker(
    z: np.ndarray, variance: np.ndarray, q: float, prior: SlopePrior | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth equally spaced series (series x years) with known noise variances.

    Years without a value have infinite variance (weight 0). `prior` adds a normal prior
    on each series' mean yearly change (see SlopePrior). Returns the smoothed signal and
    its posterior covariance (series x years x years).
    """
    _m, length = z.shape
    weight = np.where(np.isfinite(variance) & np.isfinite(z), 1 / variance, 0.0)
    second = np.diff(np.eye(length), n=2, axis=0)
    penalty = second.T @ second / q
    a = penalty[None] + weight[:, :, None] * np.eye(length)[None]
    rhs = weight * np.nan_to_num(z)
    if prior is not None:
        d = mean_change(length)
        a = a + prior.precision[:, None, None] * np.outer(d, d)[None]
        rhs = rhs + (prior.precision * prior.mean_or_zero)[:, None] * d[None]
    cov = np.linalg.inv(a)
    return np.einsum("mij,mj->mi", cov, rhs), cov


@dataclass
class SlopePrior:
    """Normal prior on the mean yearly change of the smoothed signal of count series
    (modelling scale), one per series; sd NaN = no prior (precision 0).

    With 1-3 events a year the slope of the counts' own log-linear trend is mostly noise;
    the prior pulls it towards the typical change of the indicator (SLOPE_PRIORS) as far as
    the counts are uninformative, and narrows the variance of extending the line with it.
    It is a rank-one term (s_T - s_1)^2 / ((T - 1)^2 sd^2) in the smoother's penalty."""

    mean: np.ndarray  # (series,)
    sd: np.ndarray  # (series,)

    @property
    def precision(self) -> np.ndarray:
        return np.where(np.isfinite(self.sd) & (self.sd > 0), 1 / self.sd**2, 0.0)

    @property
    def mean_or_zero(self) -> np.ndarray:
        return np.where(self.precision > 0, self.mean, 0.0)

    def take(self, rows: np.ndarray) -> SlopePrior:
        return SlopePrior(mean=self.mean[rows], sd=self.sd[rows])


# Named slope priors for count series (plan: counts.slope_prior), on the modelling scale
# (logit of the rate, ~ log for rates per 1,000). child_mortality: neonatal, infant and
# under-5 mortality, fitted by backtest_counts.fit_slope_prior on the CALIBRATION part of
# the small-count backtest (UN IGME series of hash half A, true rate <= 20 per 1,000,
# 10-year windows ending 1990-2011): mean and sd of the true mean yearly change.
SLOPE_PRIORS = {"child_mortality": (-0.040, 0.024)}


def mean_change(length: int) -> np.ndarray:
    """Weights d of the mean yearly change d's = (s_T - s_1) / (T - 1) of a signal s."""
    d = np.zeros(length)
    d[0], d[-1] = -1 / (length - 1), 1 / (length - 1)
    return d


def whittaker_mean(
    z: np.ndarray, variance: np.ndarray, q: float, prior: SlopePrior | None = None
) -> np.ndarray:
    """The signal of `whittaker` without its covariance, by a banded Cholesky solve: the
    system is pentadiagonal, so a loop over the years (vectorised over series) is ~10x
    faster than inverting every series' matrix, at every step of the likelihood fit.
    The slope prior's rank-one term is added by Sherman-Morrison (a second banded solve)."""
    length = z.shape[1]
    weight = np.where(np.isfinite(variance) & np.isfinite(z), 1 / variance, 0.0)
    second = np.diff(np.eye(length), n=2, axis=0)
    penalty = second.T @ second / q
    bands = [np.diagonal(penalty, k) for k in range(3)]
    rhs = weight * np.nan_to_num(z)
    if prior is None:
        return _pentadiagonal_solve(bands[0] + weight, bands[1], bands[2], rhs)
    # (A + w d d')^-1 b = x - y w (d'x) / (1 + w d'y), with x = A^-1 b, y = A^-1 d
    w, d = prior.precision, mean_change(length)
    rhs = rhs + (w * prior.mean_or_zero)[:, None] * d[None]
    diag = bands[0] + weight
    both = _pentadiagonal_solve(
        np.concatenate([diag, diag]),
        bands[1],
        bands[2],
        np.concatenate([rhs, np.broadcast_to(d, rhs.shape)]),
    )
    x, y = both[: len(z)], both[len(z) :]
    return x - y * (w * (x @ d) / (1 + w * (y @ d)))[:, None]


def _pentadiagonal_solve(
    diag: np.ndarray, off1: np.ndarray, off2: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Solve A x = rhs per series for symmetric positive definite A with main diagonal
    `diag` (series x years) and the same first/second off-diagonals for all series."""
    m, length = diag.shape
    # bands of the Cholesky factor, two zero columns on either side so every step reads
    # its neighbours without special cases
    c0, c1, c2, y, x = (np.zeros((m, length + 4)) for _ in range(5))
    for i in range(2, length + 2):
        c2[:, i] = off2[i - 4] / c0[:, i - 2] if i >= 4 else 0.0
        c1[:, i] = (off1[i - 3] - c2[:, i] * c1[:, i - 1]) / c0[:, i - 1] if i >= 3 else 0.0
        c0[:, i] = np.sqrt(diag[:, i - 2] - c1[:, i] ** 2 - c2[:, i] ** 2)
        y[:, i] = (rhs[:, i - 2] - c1[:, i] * y[:, i - 1] - c2[:, i] * y[:, i - 2]) / c0[:, i]
    for i in range(length + 1, 1, -1):
        x[:, i] = (y[:, i] - c1[:, i + 1] * x[:, i + 1] - c2[:, i + 2] * x[:, i + 2]) / c0[:, i]
    return x[:, 2 : length + 2]


PQL_ITERATIONS = 6  # Newton steps from the least-squares fit: converged to ~1e-6 on the z scale
PSEUDO_COUNT = 0.5  # half a count per SERIES (not per year), spread over its years


@dataclass
class Counts:
    """Counts behind rates (series x years) and how they map to the modelling scale."""

    numerator: np.ndarray  # 0 where not counted
    denominator: np.ndarray  # > 0 where counted
    counted: np.ndarray  # bool
    per: np.ndarray  # (series,)
    lower: np.ndarray  # (series,) bounds and eps as in transforms.to_z
    upper: np.ndarray
    eps: np.ndarray
    binomial: np.ndarray  # (series,) bool: binomial, else Poisson
    gross: np.ndarray  # (series,) bool: gross ratio (gross_count_variance), else as above

    def take(self, rows: np.ndarray, cols: np.ndarray) -> Counts:
        """Series `rows`, each in its own columns (cols: rows x years)."""
        r = rows[:, None]
        return Counts(
            numerator=self.numerator[r, cols],
            denominator=self.denominator[r, cols],
            counted=self.counted[r, cols],
            per=self.per[rows],
            lower=self.lower[rows],
            upper=self.upper[rows],
            eps=self.eps[rows],
            binomial=self.binomial[rows],
            gross=self.gross[rows],
        )


def pql_whittaker(
    start: np.ndarray,
    counts: Counts,
    z: np.ndarray,
    variance: np.ndarray,
    q: float,
    prior: SlopePrior | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Whittaker smoother with the binomial/Poisson likelihood of the counts (penalised
    IRLS): unbiased for the rate where least squares on log((k + 0.5)/(n + 1)) is not.

    start: first guess of the signal; z, variance: the Gaussian data used for years with
    a value but no counts; prior: slope prior per series (None: none). Returns the signal
    and the posterior covariance of the last step.
    """
    if prior is not None and not (prior.precision > 0).any():
        prior = None
    low, high = _z_range(counts)
    k, n = _with_pseudo_count(counts)
    eta = start
    for step in range(PQL_ITERATIONS):
        working, working_var = _working_data(eta, k, n, counts)
        working = np.where(counts.counted, working, z)
        working_var = np.where(counts.counted, working_var, variance)
        if step < PQL_ITERATIONS - 1:
            eta = whittaker_mean(working, working_var, q, prior)
        else:
            eta, cov = whittaker(working, working_var, q, prior)
        eta = np.fmin(np.fmax(eta, low), high)
    return eta, cov


def _with_pseudo_count(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Add PSEUDO_COUNT events in one extra denominator unit, spread over the counted
    years by denominator: an all-zero series then has the finite rate 0.5/(sum n + 1)
    (the pooled rate of sampling_variance) and no year's rate can run off to zero, while
    the bias is 0.5/sum(n), not the 0.5/n of every single year."""
    den = np.where(counts.counted, counts.denominator, 0.0)
    share = den / np.maximum(den.sum(axis=1, keepdims=True), 1e-300)
    k = np.where(counts.counted, counts.numerator, 0.0) + PSEUDO_COUNT * share
    return k, den + share


def _working_data(
    eta: np.ndarray, k: np.ndarray, n: np.ndarray, counts: Counts
) -> tuple[np.ndarray, np.ndarray]:
    """IRLS working response eta + (k - mu)/(dmu/deta) and its variance Var(k)/(dmu/deta)^2
    for expected counts mu = n * rate(eta) / per."""
    per = counts.per[:, None]
    p = from_z(eta, counts.lower, counts.upper) / per
    mu = n * p
    slope = np.maximum(n * from_z_slope(eta, counts.lower, counts.upper) / per, 1e-300)
    var_k = np.where(counts.binomial[:, None], mu * (1 - p), mu)
    if counts.gross.any():
        with np.errstate(divide="ignore", invalid="ignore"):  # uncounted years: n = 0
            var_k = np.where(counts.gross[:, None], gross_count_variance(mu, n), var_k)
    var_k = np.maximum(var_k, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        return eta + (k - mu) / slope, np.where(n > 0, var_k / slope**2, np.inf)


def _z_range(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """The modelling-scale values of the bounds (moved in by eps, as to_z does); NaN = none."""
    low = to_z(counts.lower[:, None], counts.lower, counts.upper, counts.eps)
    high = to_z(counts.upper[:, None], counts.lower, counts.upper, counts.eps)
    return low, high


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
