"""Forecast error distributions learned from real series, and sampling from them.

Plug-in intervals of short-series models are far too narrow: they ignore that trends bend.
Instead, the engine's error on the modelling scale at horizon h, divided by the series' own
scale s = sqrt(scale^2 + floor^2), is given the empirical distribution of the same ratio
in rolling-origin forecasts on the calibration half of the international panel (per horizon
and per history-length bucket). Intervals are point + s * quantile. Sample paths over
several years use a Gaussian copula: normal scores with the across-horizon correlation seen
in the calibration errors, mapped through each horizon's empirical quantiles, so a path that
starts badly tends to stay bad, as real series do.

The table is built by `jinlin backtest` (engine/backtest.py) and shipped as
`calibration.json`; it holds no evaluation data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri

LEVELS = np.round(np.concatenate([[0.0025], np.arange(0.005, 0.996, 0.005), [0.9975]]), 4)
BUCKET_EDGES = (5, 8)  # history lengths 3-4, 5-7, 8+
BUCKET_NAMES = ("3-4", "5-7", "8+")
CALIBRATION_FILE = "calibration.json"


def bucket(n_points: np.ndarray) -> np.ndarray:
    return np.digitize(n_points, BUCKET_EDGES)


@dataclass
class Calibration:
    """Everything the engine learned on the calibration split (see docs/engine.md)."""

    levels: list[float]
    quantiles: list[list[list[float]]]  # [bucket][horizon-1][level] scaled errors
    correlation: list[list[float]]  # across horizons, of normal scores
    scale_floor: float
    smoothing_q: float  # signal variance of second differences for the count smoother
    on_track: float  # status thresholds on p_attain
    off_track: float
    comparator_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def max_horizon(self) -> int:
        return len(self.quantiles[0])

    def table(self) -> np.ndarray:
        return np.asarray(self.quantiles)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        if path is None:
            path = Path(str(resources.files("jinlin_analysis.engine") / CALIBRATION_FILE))
        return cls(**json.loads(Path(path).read_text()))

    def effective_scale(self, scale: np.ndarray) -> np.ndarray:
        return np.sqrt(scale**2 + self.scale_floor**2)

    def horizon_table(self, n_points: np.ndarray, horizons: int) -> tuple[np.ndarray, np.ndarray]:
        """Scaled-error quantiles per series and horizon (n x H x levels), and the stretch
        applied beyond the longest calibrated horizon (sqrt of the horizon ratio)."""
        table = self.table()[bucket(n_points)]  # n x Hcal x K
        hmax = self.max_horizon
        h = np.arange(1, horizons + 1)
        idx = np.minimum(h, hmax) - 1
        stretch = np.sqrt(np.maximum(h / hmax, 1.0))
        return table[:, idx, :], stretch

    def quantiles_z(
        self,
        point: np.ndarray,
        scale: np.ndarray,
        n_points: np.ndarray,
        probs: np.ndarray,
    ) -> np.ndarray:
        """Quantiles on the modelling scale (n x H x len(probs)) without sampling noise."""
        table, stretch = self.horizon_table(n_points, point.shape[1])
        levels = np.asarray(self.levels)
        med = _interp_last(np.full((*table.shape[:2], 1), 0.5), levels, table)[..., 0]
        q = _interp_last(np.broadcast_to(probs, (*table.shape[:2], len(probs))), levels, table)
        q = med[..., None] + (q - med[..., None]) * stretch[None, :, None]
        return point[..., None] + self.effective_scale(scale)[:, None, None] * q

    def cdf_z(
        self,
        threshold: np.ndarray,
        point: np.ndarray,
        scale: np.ndarray,
        n_points: np.ndarray,
        horizon: np.ndarray,
    ) -> np.ndarray:
        """P(z <= threshold) at one horizon per series (no sampling noise)."""
        hmax = self.max_horizon
        table = self.table()[bucket(n_points), np.minimum(horizon, hmax) - 1]  # n x K
        stretch = np.sqrt(np.maximum(horizon / hmax, 1.0))
        levels = np.asarray(self.levels)
        med = _interp_rows(np.full(len(table), 0.5), levels, table)
        e = (threshold - point) / self.effective_scale(scale)
        e = med + (e - med) / stretch
        lo_pad = table[:, 0] - (table[:, -1] - table[:, 0]) / 2
        hi_pad = table[:, -1] + (table[:, -1] - table[:, 0]) / 2
        grid = np.column_stack([lo_pad, table, hi_pad])
        lv = np.concatenate([[0.0], levels, [1.0]])
        return _interp_inverse(e, grid, lv)

    def sample_z(
        self,
        point: np.ndarray,
        scale: np.ndarray,
        n_points: np.ndarray,
        extra_var: np.ndarray,
        n_paths: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Sample paths on the modelling scale: n x paths x H."""
        n, horizons = point.shape
        corr = np.asarray(self.correlation)
        corr = _extend_correlation(corr, horizons)
        chol = np.linalg.cholesky(corr + 1e-9 * np.eye(horizons))
        normals = rng.standard_normal((n, n_paths, horizons)) @ chol.T
        u = ndtr(normals)
        table, stretch = self.horizon_table(n_points, horizons)
        levels = np.asarray(self.levels)
        e = np.empty_like(u)
        for h in range(horizons):
            e[:, :, h] = _interp_last_rows(u[:, :, h], levels, table[:, h, :])
        med = np.array(
            [_interp_rows(np.full(n, 0.5), levels, table[:, h]) for h in range(horizons)]
        ).T
        e = med[:, None, :] + (e - med[:, None, :]) * stretch
        z = point[:, None, :] + self.effective_scale(scale)[:, None, None] * e
        if np.any(extra_var > 0):
            shared = rng.standard_normal((n, n_paths, 1))
            z = z + shared * np.sqrt(extra_var)[:, None, :]
        return z


def _extend_correlation(corr: np.ndarray, horizons: int) -> np.ndarray:
    """Correlation for H horizons; beyond the calibrated ones repeat the last row's pattern."""
    hmax = corr.shape[0]
    if horizons <= hmax:
        return corr[:horizons, :horizons]
    idx = np.minimum(np.arange(horizons), hmax - 1)
    out = corr[np.ix_(idx, idx)].copy()
    np.fill_diagonal(out, 1.0)
    return out


def _interp_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """np.interp with one x and one fp row per series (common xp)."""
    pos = np.clip(np.searchsorted(xp, x) - 1, 0, len(xp) - 2)
    w = np.clip((x - xp[pos]) / (xp[pos + 1] - xp[pos]), 0, 1)
    rows = np.arange(len(x))
    return fp[rows, pos] * (1 - w) + fp[rows, pos + 1] * w


def _interp_last_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """x (n x S) on a common grid xp; fp (n x K) per series."""
    pos = np.clip(np.searchsorted(xp, x) - 1, 0, len(xp) - 2)
    w = np.clip((x - xp[pos]) / (xp[pos + 1] - xp[pos]), 0, 1)
    lo = np.take_along_axis(fp, pos, axis=1)
    hi = np.take_along_axis(fp, pos + 1, axis=1)
    return lo * (1 - w) + hi * w


def _interp_last(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """x (n x H x P) probabilities; fp (n x H x K) quantiles -> values (n x H x P)."""
    pos = np.clip(np.searchsorted(xp, x) - 1, 0, len(xp) - 2)
    w = np.clip((x - xp[pos]) / (xp[pos + 1] - xp[pos]), 0, 1)
    lo = np.take_along_axis(fp, pos, axis=2)
    hi = np.take_along_axis(fp, pos + 1, axis=2)
    return lo * (1 - w) + hi * w


def _interp_inverse(e: np.ndarray, grid: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per row, the level at which the (increasing) quantile row reaches e."""
    grid = np.maximum.accumulate(grid, axis=1)
    pos = (grid < e[:, None]).sum(axis=1) - 1
    pos = np.clip(pos, 0, grid.shape[1] - 2)
    rows = np.arange(len(e))
    lo, hi = grid[rows, pos], grid[rows, pos + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(hi > lo, (e - lo) / (hi - lo), 0.5)
    return np.clip(levels[pos] * (1 - np.clip(w, 0, 1)) + levels[pos + 1] * np.clip(w, 0, 1), 0, 1)


def fit_tables(
    errors: np.ndarray, scale: np.ndarray, n_points: np.ndarray, floor: float
) -> tuple[list, list]:
    """Quantile tables and horizon correlation from calibration errors (n x H, NaN = none)."""
    s = np.sqrt(scale**2 + floor**2)[:, None]
    scaled = errors / s
    b = bucket(n_points)
    tables = []
    for k in range(len(BUCKET_NAMES)):
        rows = []
        for h in range(errors.shape[1]):
            e = scaled[b == k, h]
            e = e[np.isfinite(e)]
            rows.append(np.quantile(e, LEVELS).round(6).tolist())
        tables.append(rows)
    # correlation of normal scores (ranks per horizon), pairwise over available cases
    scores = np.full_like(scaled, np.nan)
    for h in range(errors.shape[1]):
        ok = np.isfinite(scaled[:, h])
        ranks = scaled[ok, h].argsort().argsort()
        scores[ok, h] = ndtri((ranks + 0.5) / ok.sum())
    horizons = errors.shape[1]
    corr = np.eye(horizons)
    for i in range(horizons):
        for j in range(i + 1, horizons):
            ok = np.isfinite(scores[:, i]) & np.isfinite(scores[:, j])
            corr[i, j] = corr[j, i] = np.corrcoef(scores[ok, i], scores[ok, j])[0, 1]
    corr = _nearest_correlation(corr)
    return tables, corr.round(6).tolist()


def _nearest_correlation(corr: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues so pairwise estimates form a valid correlation matrix."""
    vals, vecs = np.linalg.eigh(corr)
    fixed = vecs @ np.diag(np.maximum(vals, 1e-6)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)
