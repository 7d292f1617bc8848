"""The forecasting pool for short annual series, vectorised over many series at once.

Each function takes `z`, an array (series x years) of equally spaced values on the
modelling scale with no gaps, and returns point forecasts (series x horizons). All
series in one call share a length; `forecast.py` groups series by length. The models:

- drift: random walk with drift (the last value plus the average past change);
- damped: additive damped-trend exponential smoothing (Holt), parameters chosen per
  series from a grid by in-sample one-step squared error;
- escap: the ESCAP time-weighted linear trend, w_i = (T - t_min) / (T - t_i) with T the
  year being forecast to (the target year), so recent years count more;
- theta: the standard Theta method (Assimakopoulos & Nikolopoulos 2000, as in
  statsmodels' `ThetaModel` with theta = 2): simple exponential smoothing plus half the
  linear-trend slope.

statsmodels is the reference implementation: `reference_forecasts` fits the same models
one series at a time with statsmodels, and tests/test_models.py shows both agree (exactly
with the same parameters, closely with each library's own parameter search).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

MODELS = ("drift", "damped", "escap", "theta")

SES_ALPHAS = np.round(np.arange(0.05, 1.0001, 0.05), 4)
_HOLT_ALPHAS = (0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
_HOLT_BETAS = (0.02, 0.1, 0.3, 0.6)
_HOLT_PHIS = (0.8, 0.9, 0.98)
# statsmodels requires smoothing_trend <= smoothing_level; keep the grid inside that region.
HOLT_GRID = np.array(
    [(a, b, p) for a, b, p in itertools.product(_HOLT_ALPHAS, _HOLT_BETAS, _HOLT_PHIS) if b <= a]
)
HOLT_BOUNDS = np.array([[0.01, 1.0], [0.0, 1.0], [0.8, 0.995]])


def drift(z: np.ndarray, horizons: int) -> np.ndarray:
    n = z.shape[1]
    slope = (z[:, -1] - z[:, 0]) / max(n - 1, 1)
    h = np.arange(1, horizons + 1)
    return z[:, -1:] + slope[:, None] * h


def escap_weights(n: int, horizon_to_target: int) -> np.ndarray:
    """w_i = (T - t_min) / (T - t_i), t_i = 0..n-1, T = the target, n - 1 + horizon_to_target."""
    t = np.arange(n, dtype=float)
    target = n - 1 + max(horizon_to_target, 1)
    return target / (target - t)


def escap(z: np.ndarray, horizons: int, horizon_to_target: int | None = None) -> np.ndarray:
    n = z.shape[1]
    w = escap_weights(n, horizon_to_target or horizons)
    t = np.arange(n, dtype=float)
    tw = np.average(t, weights=w)
    zw = z @ w / w.sum()
    slope = ((z - zw[:, None]) * (w * (t - tw))).sum(axis=1) / (w * (t - tw) ** 2).sum()
    future = np.arange(n, n + horizons, dtype=float)
    return zw[:, None] + slope[:, None] * (future - tw)


def _ses_sse(z: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SSE and final level of SES for candidate alphas (candidates x series)."""
    level = np.broadcast_to(z[None, :, 0], alpha.shape).copy()
    sse = np.zeros_like(level)
    for t in range(1, z.shape[1]):
        err = z[None, :, t] - level
        sse += err**2
        level += alpha * err
    return sse, level


def ses(z: np.ndarray, alphas: np.ndarray = SES_ALPHAS) -> tuple[np.ndarray, np.ndarray]:
    """Simple exponential smoothing, initial level = first value, alpha by search.

    A grid, then golden-section steps inside the best grid cell, all series at once.
    Returns (alpha, one-step forecast) per series.
    """
    cols = np.arange(z.shape[0])
    grid = np.repeat(alphas[:, None], z.shape[0], axis=1)
    sse, _ = _ses_sse(z, grid)
    best = _argmin_first(sse)
    step = alphas[1] - alphas[0]
    lo = np.clip(alphas[best] - step, 1e-4, 1.0)
    hi = np.clip(alphas[best] + step, 1e-4, 1.0)
    best_alpha, best_sse = alphas[best], sse[best, cols]
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(12):
        c = hi - ratio * (hi - lo)
        d = lo + ratio * (hi - lo)
        sse_cd, _ = _ses_sse(z, np.stack([c, d]))
        left = sse_cd[0] < sse_cd[1]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        for cand, cand_sse in ((c, sse_cd[0]), (d, sse_cd[1])):
            better = cand_sse < best_sse - 1e-12
            best_alpha = np.where(better, cand, best_alpha)
            best_sse = np.where(better, cand_sse, best_sse)
    _, level = _ses_sse(z, best_alpha[None])
    return best_alpha, level[0]


def theta(z: np.ndarray, horizons: int) -> np.ndarray:
    n = z.shape[1]
    t = np.arange(n, dtype=float)
    b0 = ((t - t.mean()) * (z - z.mean(axis=1, keepdims=True))).sum(axis=1) / (
        (t - t.mean()) ** 2
    ).sum()
    alpha, one_step = ses(z)
    h = np.arange(horizons, dtype=float)[None, :] + 1 / alpha[:, None]
    h = h - (1 - alpha[:, None]) ** n / alpha[:, None]
    return one_step[:, None] + 0.5 * b0[:, None] * h


def holt_damped_initial(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Initial level and trend: the first value, and the mean change over the first steps."""
    k = min(2, z.shape[1] - 1)
    trend = (z[:, k] - z[:, 0]) / k
    return z[:, 0] - trend, trend


def _holt_run(z: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Damped Holt recursions; params (candidates x series x 3) -> SSE, final level, trend."""
    alpha, beta, phi = params[..., 0], params[..., 1], params[..., 2]
    level0, trend0 = holt_damped_initial(z)
    level = np.broadcast_to(level0, alpha.shape).copy()
    trend = np.broadcast_to(trend0, alpha.shape).copy()
    sse = np.zeros_like(level)
    for t in range(z.shape[1]):
        fit = level + phi * trend
        sse += (z[None, :, t] - fit) ** 2
        new_level = alpha * z[None, :, t] + (1 - alpha) * fit
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return sse, level, trend


def damped(
    z: np.ndarray, horizons: int, grid: np.ndarray = HOLT_GRID
) -> tuple[np.ndarray, np.ndarray]:
    """Damped-trend Holt; returns (forecasts, chosen (alpha, beta, phi) per series).

    Parameters: the best point of a coarse grid, then a local search around it (each
    parameter moved by a shrinking step while that lowers the in-sample SSE).
    """
    m = z.shape[0]
    cols = np.arange(m)
    sse, _, _ = _holt_run(z, np.broadcast_to(grid[:, None, :], (len(grid), m, 3)))
    best = grid[_argmin_first(sse)]
    best_sse = sse.min(axis=0)
    step = np.array([0.1, 0.05, 0.05])
    for _ in range(3):
        moves = []
        for k in range(3):
            for sign in (-1, 1):
                cand = best.copy()
                cand[:, k] += sign * step[k]
                cand[:, k] = np.clip(cand[:, k], *HOLT_BOUNDS[k])
                cand[:, 1] = np.minimum(cand[:, 1], cand[:, 0])
                moves.append(cand)
        cands = np.stack(moves)
        cand_sse, _, _ = _holt_run(z, cands)
        pick = np.argmin(cand_sse, axis=0)
        improved = cand_sse[pick, cols] < best_sse - 1e-12
        best = np.where(improved[:, None], cands[pick, cols], best)
        best_sse = np.where(improved, cand_sse[pick, cols], best_sse)
        step = step / 2
    _, level, trend = _holt_run(z, best[None])
    damp = np.cumsum(best[:, 2:3] ** np.arange(1, horizons + 1), axis=1)
    return level[0][:, None] + damp * trend[0][:, None], best


def _argmin_first(sse: np.ndarray) -> np.ndarray:
    """Index of the smallest error per series; ties (flat series) go to the first grid point."""
    return np.argmin(np.round(sse, 12), axis=0)


def pool(z: np.ndarray, horizons: int, horizon_to_target: int | None = None) -> np.ndarray:
    """Forecasts of every model: array (series x models x horizons), models in MODELS order."""
    return np.stack(
        [
            drift(z, horizons),
            damped(z, horizons)[0],
            escap(z, horizons, horizon_to_target),
            theta(z, horizons),
        ],
        axis=1,
    )


def reference_forecasts(
    series: np.ndarray, horizons: int, horizon_to_target: int | None = None
) -> dict[str, np.ndarray]:
    """The same four models fitted by statsmodels on one series (the slow reference)."""
    from statsmodels.regression.linear_model import WLS
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.asarray(series, dtype=float)
    n = len(y)
    h = np.arange(1, horizons + 1)
    level0, trend0 = holt_damped_initial(y[None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        holt = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=True,
            initialization_method="known",
            initial_level=float(level0[0]),
            initial_trend=float(trend0[0]),
        ).fit()
        theta_fit = ThetaModel(y, period=1, deseasonalize=False, method="additive").fit(
            use_mle=False
        )
        t = np.arange(n, dtype=float)
        design = np.column_stack([np.ones(n), t])
        wls = WLS(y, design, weights=escap_weights(n, horizon_to_target or horizons)).fit()
    future = np.column_stack([np.ones(horizons), np.arange(n, n + horizons, dtype=float)])
    return {
        "drift": y[-1] + h * (y[-1] - y[0]) / (n - 1),
        "damped": np.asarray(holt.forecast(horizons)),
        "escap": future @ wls.params,
        "theta": np.asarray(theta_fit.forecast(horizons)),
    }
