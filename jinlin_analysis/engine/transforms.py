"""Map values to an unbounded scale and back, by each series' natural bounds.

Trends and errors are modelled on the transformed scale so that forecasts and intervals
can never leave the bounds: log for quantities bounded below (rates, counts, gross
enrolment), scaled logit for percentages bounded on both sides, log of the distance to
an upper-only bound, identity when unbounded. Everything works on arrays with one row per
series so that thousands of series are transformed at once.

Values exactly at a bound (0 deaths, 100% coverage) are moved inside by `eps`, half a
reporting unit of the series (0.05 for values reported with one decimal), so that they
round back to the bound.
"""

from __future__ import annotations

import numpy as np

LOGIT, LOG, LOG_UPPER, IDENTITY = 0, 1, 2, 3
KIND_NAMES = {LOGIT: "logit", LOG: "log", LOG_UPPER: "log_upper", IDENTITY: "identity"}


def transform_kind(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Kind code per series from its bounds (NaN = no bound)."""
    has_lo, has_hi = np.isfinite(lower), np.isfinite(upper)
    return np.select([has_lo & has_hi, has_lo, has_hi], [LOGIT, LOG, LOG_UPPER], IDENTITY).astype(
        np.int8
    )


def _col(a: np.ndarray, ndim: int) -> np.ndarray:
    """Per-series parameters broadcast against (series, ...) arrays."""
    return np.asarray(a, dtype=float).reshape((-1,) + (1,) * (ndim - 1))


def to_z(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Values (series x years) to the modelling scale."""
    y = np.asarray(y, dtype=float)
    lo, hi, ep = (_col(a, y.ndim) for a in (lower, upper, eps))
    kind = _col(transform_kind(np.ravel(lower), np.ravel(upper)), y.ndim)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        p = np.clip((y - lo) / width, ep / width, 1 - ep / width)
        logit = np.log(p) - np.log1p(-p)
        log_lo = np.log(np.maximum(y - lo, ep))
        log_hi = -np.log(np.maximum(hi - y, ep))
    return np.select([kind == LOGIT, kind == LOG, kind == LOG_UPPER], [logit, log_lo, log_hi], y)


def from_z(z: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Inverse of `to_z` (without the nudge away from the bounds)."""
    z = np.asarray(z, dtype=float)
    lo, hi = (_col(a, z.ndim) for a in (lower, upper))
    kind = _col(transform_kind(np.ravel(lower), np.ravel(upper)), z.ndim)
    with np.errstate(invalid="ignore", over="ignore"):
        width = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        logit = lo + width / (1 + np.exp(-z))
        log_lo = lo + np.exp(z)
        log_hi = hi - np.exp(-z)
    return np.select([kind == LOGIT, kind == LOG, kind == LOG_UPPER], [logit, log_lo, log_hi], z)


def reporting_decimals(values: np.ndarray, max_decimals: int = 3) -> int:
    """How many decimals a series is reported with (its values' finest digit)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    for d in range(max_decimals + 1):
        if np.allclose(values, np.round(values, d), rtol=0, atol=1e-9):
            return d
    return max_decimals
