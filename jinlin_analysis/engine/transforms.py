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
    """Values (series x ...) to the modelling scale."""
    y = np.asarray(y, dtype=float)
    out = np.empty_like(y)
    for kind, rows in _by_kind(lower, upper):
        lo, hi, ep = (_col(np.asarray(a, dtype=float)[rows], y.ndim) for a in (lower, upper, eps))
        v = y[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == LOGIT:
                p = np.clip((v - lo) / (hi - lo), ep / (hi - lo), 1 - ep / (hi - lo))
                out[rows] = np.log(p) - np.log1p(-p)
            elif kind == LOG:
                out[rows] = np.log(np.maximum(v - lo, ep))
            elif kind == LOG_UPPER:
                out[rows] = -np.log(np.maximum(hi - v, ep))
            else:
                out[rows] = v
    return out


def from_z(
    z: np.ndarray, lower: np.ndarray, upper: np.ndarray, eps: np.ndarray | None = None
) -> np.ndarray:
    """Inverse of `to_z`. With `eps`, values within eps of a bound are the bound itself:
    `to_z` moved the bound in by eps, so this maps it (and anything beyond) back; an
    interval for a series sitting at 100% then reaches 100%."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    for kind, rows in _by_kind(lower, upper):
        lo, hi = (_col(np.asarray(a, dtype=float)[rows], z.ndim) for a in (lower, upper))
        v = z[rows]
        with np.errstate(invalid="ignore", over="ignore"):
            if kind == LOGIT:
                v = lo + (hi - lo) / (1 + np.exp(-v))
            elif kind == LOG:
                v = lo + np.exp(v)
            elif kind == LOG_UPPER:
                v = hi - np.exp(-v)
            if eps is not None and kind != IDENTITY:
                ep = _col(np.asarray(eps, dtype=float)[rows], z.ndim) * (1 + 1e-9)
                v = np.where(v >= hi - ep, hi, v)
                v = np.where(v <= lo + ep, lo, v)
        out[rows] = v
    return out


def from_z_slope(z: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """d from_z / dz (no eps): how a value moves with the modelling scale, which the
    count likelihood fit (noise.pql_whittaker) needs to turn count residuals into z."""
    z = np.asarray(z, dtype=float)
    out = np.ones_like(z)
    for kind, rows in _by_kind(lower, upper):
        lo, hi = (_col(np.asarray(a, dtype=float)[rows], z.ndim) for a in (lower, upper))
        v = z[rows]
        with np.errstate(over="ignore"):
            if kind == LOGIT:
                p = 1 / (1 + np.exp(-v))
                out[rows] = (hi - lo) * p * (1 - p)
            elif kind == LOG:
                out[rows] = np.exp(v)
            elif kind == LOG_UPPER:
                out[rows] = np.exp(-v)
    return out


def _by_kind(lower: np.ndarray, upper: np.ndarray):
    """(kind, rows) for each transform kind present; rows is a slice when all share one."""
    kind = transform_kind(np.ravel(lower), np.ravel(upper))
    present = np.unique(kind)
    if len(present) == 1:
        return [(int(present[0]), slice(None))]
    return [(int(k), kind == k) for k in present]


def reporting_decimals(values: np.ndarray, max_decimals: int = 3) -> int:
    """How many decimals a series is reported with (its values' finest digit)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    for d in range(max_decimals + 1):
        if np.allclose(values, np.round(values, d), rtol=0, atol=1e-9):
            return d
    return max_decimals
