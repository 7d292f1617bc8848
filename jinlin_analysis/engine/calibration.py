"""Forecast error distributions learned from real series, and sample paths drawn from them.

Plug-in intervals of short-series models are far too narrow: they ignore that trends bend.
Instead, the engine's error on the modelling scale at horizon h, divided by the series' own
scale s = sqrt(scale^2 + floor^2) (scale = spread of its yearly changes), is given the
empirical distribution of the same ratio in rolling-origin forecasts on the calibration
half of the international panel.

The distribution is learned per group: roughness class (quartiles of the calibration
series' scale) x history length (3-4, 5-7, 8+ points) x horizon. Smooth and rough series
err differently: a smooth series (a modelled estimate, a big population) keeps its
wobble small and errs by a slowly growing trend error, so its error grows about linearly
with the horizon; a rough one (immunisation coverage) wobbles from year to year around its
trend. One pooled table gave the smooth series intervals far too wide at short horizons
and the rough ones far too narrow.

Sample paths (targets over several years) use a Gaussian copula per roughness class: the
normal scores of the calibration errors have a class-specific correlation across horizons
(about 0.8 between successive error changes for smooth series, about 0 for rough ones),
and each horizon's score is mapped through that group's empirical quantiles, so the
marginal of every year is exactly the calibrated interval. Scores come from a scrambled
Sobol sequence shared by all series (randomised quasi-Monte Carlo: at the same accuracy it
needs far fewer paths than plain random draws; benchmarks/engine_speed.py measures it).

The tables are built by `jinlin backtest` (engine/backtest.py) and shipped as
`calibration.json`; they hold no evaluation data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri

LEVELS = np.round(np.concatenate([[0.0025], np.arange(0.005, 0.996, 0.005), [0.9975]]), 4)
BUCKET_EDGES = (5, 8)  # history lengths 3-4, 5-7, 8+
BUCKET_NAMES = ("3-4", "5-7", "8+")
N_BUCKETS = len(BUCKET_NAMES)
N_CLASSES = 4  # roughness classes: quartiles of the calibration series' scale
MIN_GROUP_CASES = 50  # fewer errors than this in a group: use its class's pooled table
TAIL_SCORE = 6.0  # normal score at which the padded tails end
CALIBRATION_FILE = "calibration.json"


def bucket(n_points: np.ndarray) -> np.ndarray:
    return np.digitize(n_points, BUCKET_EDGES)


@dataclass
class Calibration:
    """Everything the engine learned on the calibration split (see docs/engine.md)."""

    levels: list[float]
    class_edges: list[float]  # scale boundaries between roughness classes
    quantiles: list  # [class][bucket][horizon-1][level] scaled errors
    correlation: list  # [class][horizon][horizon] of normal scores
    scale_floor: float
    smoothing_q: float  # signal variance of second differences for the count smoother
    on_track: float  # status thresholds on p_attain
    off_track: float
    comparator_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def max_horizon(self) -> int:
        return len(self.quantiles[0][0])

    def save(self, path: Path) -> None:
        data = {k: v for k, v in asdict(self).items()}
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        if path is None:
            path = Path(str(resources.files("jinlin_analysis.engine") / CALIBRATION_FILE))
        return cls(**json.loads(Path(path).read_text()))

    # -------------------------------------------------------------------- lookups

    def effective_scale(self, scale: np.ndarray) -> np.ndarray:
        return np.maximum(np.sqrt(scale**2 + self.scale_floor**2), 1e-9)

    def roughness_class(self, scale: np.ndarray) -> np.ndarray:
        return np.digitize(scale, self.class_edges)

    def group(self, scale: np.ndarray, n_points: np.ndarray) -> np.ndarray:
        """Table group of each series: roughness class x history-length bucket."""
        return self.roughness_class(scale) * N_BUCKETS + bucket(n_points)

    @cached_property
    def _knots(self) -> tuple[np.ndarray, np.ndarray]:
        """Quantile functions in normal-score space: x knots (K+2,) and y (G, H, K+2).

        The tables are padded by half their range beyond the extreme levels (reached at
        score +/- TAIL_SCORE) and made strictly increasing, so that the same knots give
        the quantile function (u -> error) and the CDF (error -> u)."""
        table = np.asarray(self.quantiles, dtype=float)
        table = table.reshape(-1, *table.shape[2:])  # groups x H x K
        pad = (table[..., -1:] - table[..., :1]) / 2
        y = np.concatenate([table[..., :1] - pad, table, table[..., -1:] + pad], axis=-1)
        y = np.maximum.accumulate(y, axis=-1) + np.arange(y.shape[-1]) * 1e-12
        x = np.concatenate([[-TAIL_SCORE], ndtri(np.asarray(self.levels)), [TAIL_SCORE]])
        return x, y

    def _stretch(self, horizon: int) -> float:
        """Beyond the longest calibrated horizon the spread grows with sqrt(h)."""
        return float(np.sqrt(max(horizon / self.max_horizon, 1.0)))

    def _errors(self, group: int, horizon: int, scores: np.ndarray) -> np.ndarray:
        """Scaled errors at the given normal scores for one group and horizon (1-based)."""
        x, y = self._knots
        row = y[group, min(horizon, self.max_horizon) - 1]
        med = np.interp(0.0, x, row)
        return med + (np.interp(scores, x, row) - med) * self._stretch(horizon)

    def _scores(self, group: int, horizon: int, errors: np.ndarray) -> np.ndarray:
        """Inverse of `_errors`: normal scores of scaled errors."""
        x, y = self._knots
        row = y[group, min(horizon, self.max_horizon) - 1]
        med = np.interp(0.0, x, row)
        return np.interp(med + (errors - med) / self._stretch(horizon), row, x)

    def quantiles_z(
        self,
        point: np.ndarray,
        scale: np.ndarray,
        n_points: np.ndarray,
        probs: np.ndarray,
    ) -> np.ndarray:
        """Quantiles on the modelling scale (n x H x len(probs)) without sampling noise."""
        n, horizons = point.shape
        groups = self.group(scale, n_points)
        s = self.effective_scale(scale)
        scores = ndtri(np.asarray(probs, dtype=float))
        out = np.empty((n, horizons, len(scores)))
        for g in np.unique(groups):
            rows = groups == g
            for h in range(horizons):
                e = self._errors(int(g), h + 1, scores)
                out[rows, h] = point[rows, h, None] + s[rows, None] * e[None, :]
        return out

    def cdf_z(
        self,
        threshold: np.ndarray,
        point: np.ndarray,
        scale: np.ndarray,
        n_points: np.ndarray,
        horizon: np.ndarray,
    ) -> np.ndarray:
        """P(z <= threshold) at one horizon per series (no sampling noise)."""
        groups = self.group(scale, n_points)
        e = (threshold - point) / self.effective_scale(scale)
        out = np.empty(len(e))
        keys = groups * 10_000 + horizon
        for key in np.unique(keys):
            rows = keys == key
            out[rows] = ndtr(self._scores(int(key // 10_000), int(key % 10_000), e[rows]))
        return out

    def sample_z(
        self,
        point: np.ndarray,
        scale: np.ndarray,
        n_points: np.ndarray,
        extra_var: np.ndarray,
        scores: np.ndarray,
    ) -> np.ndarray:
        """Sample paths on the modelling scale: n x paths x H.

        scores: independent standard normal scores (paths x at least H + 1 columns), e.g.
        from `path_scores`; the first H are correlated per roughness class and mapped
        through each horizon's quantiles, column H carries the shared (persistent) error of
        a smoothed count series' fitted line (extra_var); further columns are not read."""
        n, horizons = point.shape
        groups = self.group(scale, n_points)
        s = self.effective_scale(scale)
        out = np.empty((n, scores.shape[0], horizons))
        for c in np.unique(groups // N_BUCKETS):
            corr = _extend_correlation(np.asarray(self.correlation[c]), horizons)
            chol = np.linalg.cholesky(corr + 1e-9 * np.eye(horizons))
            correlated = scores[:, :horizons] @ chol.T
            for g in range(c * N_BUCKETS, (c + 1) * N_BUCKETS):
                rows = np.flatnonzero(groups == g)
                if len(rows) == 0:
                    continue
                e = np.column_stack(
                    [self._errors(g, h + 1, correlated[:, h]) for h in range(horizons)]
                )
                out[rows] = point[rows, None, :] + s[rows, None, None] * e[None]
        if np.any(extra_var > 0):
            out += scores[None, :, horizons, None] * np.sqrt(extra_var)[:, None, :]
        return out


def path_scores(n_paths: int, dims: int, seed: int) -> np.ndarray:
    """Standard normal scores (paths x dims) from a scrambled Sobol sequence.

    n_paths is rounded up to a power of two (Sobol points are balanced in blocks of 2^m).
    Deterministic for a given seed. `sample_z` reads the first H + 1 columns; assess()
    gives the next H to the sampling noise of counts."""
    from scipy.stats import qmc

    m = int(np.ceil(np.log2(max(n_paths, 2))))
    points = qmc.Sobol(d=dims, scramble=True, seed=seed).random_base2(m)
    return ndtri(np.clip(points, 1e-12, 1 - 1e-12))


def _extend_correlation(corr: np.ndarray, horizons: int) -> np.ndarray:
    """Correlation for H horizons; beyond the calibrated ones repeat the last row's pattern."""
    hmax = corr.shape[0]
    if horizons <= hmax:
        return corr[:horizons, :horizons]
    idx = np.minimum(np.arange(horizons), hmax - 1)
    out = corr[np.ix_(idx, idx)].copy()
    np.fill_diagonal(out, 1.0)
    return out


# ------------------------------------------------------------------------------ fitting


def class_edges(scale: np.ndarray) -> list[float]:
    """Roughness class boundaries: quartiles of the calibration series' scale."""
    cuts = np.linspace(0, 1, N_CLASSES + 1)[1:-1]
    return np.quantile(scale, cuts).round(8).tolist()


def fit(
    errors: np.ndarray,
    scale: np.ndarray,
    n_points: np.ndarray,
    floor: float,
    edges: list[float],
    **settings,
) -> Calibration:
    """A Calibration from calibration errors (n x H); settings: smoothing_q, on_track,
    off_track, notes (defaults: NaN, 0.9, 0.1, none)."""
    tables, correlation = fit_tables(errors, scale, n_points, floor, edges)
    defaults = {"smoothing_q": float("nan"), "on_track": 0.9, "off_track": 0.1}
    return Calibration(
        levels=LEVELS.tolist(),
        class_edges=edges,
        quantiles=tables,
        correlation=correlation,
        scale_floor=floor,
        **{**defaults, **settings},
    )


def fit_tables(
    errors: np.ndarray,
    scale: np.ndarray,
    n_points: np.ndarray,
    floor: float,
    edges: list[float],
) -> tuple[list, list]:
    """Quantile tables [class][bucket][h][level] and per-class horizon correlations of
    normal scores, from calibration errors (n x H, NaN = none)."""
    s = np.maximum(np.sqrt(scale**2 + floor**2), 1e-9)[:, None]
    scaled = errors / s
    klass = np.digitize(scale, edges)
    groups = klass * N_BUCKETS + bucket(n_points)
    horizons = errors.shape[1]
    tables = np.empty((N_CLASSES, N_BUCKETS, horizons, len(LEVELS)))
    scores = np.full_like(scaled, np.nan)
    for c in range(N_CLASSES):
        for b in range(N_BUCKETS):
            g = c * N_BUCKETS + b
            for h in range(horizons):
                ok = (groups == g) & np.isfinite(scaled[:, h])
                if ok.sum() < MIN_GROUP_CASES:
                    ok = (klass == c) & np.isfinite(scaled[:, h])
                tables[c, b, h] = np.quantile(scaled[ok, h], LEVELS)
                # normal scores of the group's own errors (ranks within the group)
                own = (groups == g) & np.isfinite(scaled[:, h])
                ranks = scaled[own, h].argsort().argsort()
                scores[own, h] = ndtri((ranks + 0.5) / max(own.sum(), 1))
    correlations = []
    for c in range(N_CLASSES):
        sc = scores[klass == c]
        corr = np.eye(horizons)
        for i in range(horizons):
            for j in range(i + 1, horizons):
                ok = np.isfinite(sc[:, i]) & np.isfinite(sc[:, j])
                corr[i, j] = corr[j, i] = np.corrcoef(sc[ok, i], sc[ok, j])[0, 1]
        correlations.append(_nearest_correlation(corr).round(6).tolist())
    return tables.round(6).tolist(), correlations


def _nearest_correlation(corr: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues so pairwise estimates form a valid correlation matrix."""
    vals, vecs = np.linalg.eigh(corr)
    fixed = vecs @ np.diag(np.maximum(vals, 1e-6)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)
