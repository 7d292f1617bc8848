"""Assess every target: forecast, interval, probability of attainment, status, volatility.

The public functions (what an analyst calls in a notebook; docs/engine.md explains the
method):

- assess(plan, observations, as_of, target_year=None) -> one row per indicator x region
  x breakdown (sex, residence), plus milestone rows;
- forecast_table(plan, observations, as_of, target_year=None) -> long table for charts:
  per series and year the reported value, the fitted signal and the forecast fan.

Everything is computed for all series at once (numpy arrays with one row per series,
grouped by target type or by last reported year where the rules need it); no step loops
over series, so a province-sized job (every county x every indicator) stays fast
(benchmarks/engine_speed.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from jinlin_analysis.engine import comparators, noise, targets, volatility
from jinlin_analysis.engine.calibration import Calibration, path_scores
from jinlin_analysis.engine.forecast import (
    PointForecasts,
    binomial_counts,
    gross_ratio_counts,
    point_forecasts,
)
from jinlin_analysis.engine.observations import TOTAL, Dense, dense_series, normalise
from jinlin_analysis.engine.parallel import run_blocks
from jinlin_analysis.engine.transforms import from_z, to_z
from jinlin_analysis.plan import Plan, Scope, TargetType

N_PATHS = 256  # quasi-random paths (benchmarks/engine_speed.py: as accurate as ~1,000 random)
PROBS = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
SEED = 20250101
BLOCK_VALUES = 2_000_000  # simulated values held in memory at once
_TEXT = StringDType()

STATUS_ORDER = ["achieved", "on_track", "at_risk", "off_track", "insufficient_data"]

COLUMNS = [
    "indicator_id",
    "indicator_name",
    "domain",
    "unit",
    "region",
    "sex",
    "residence",
    "scope",
    "as_of",
    "n_points",
    "last_year",
    "last_value",
    "target_type",
    "target_value",
    "baseline_year",
    "baseline_value",
    "target_year",
    "forecast",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "p_attain",
    "met_so_far",
    "status",
    "volatile",
    "volatility_note",
    "unsd_ratio",
    "unsd_category",
    "opensdg_ratio",
    "opensdg_category",
    "milestone_status",
    "reason",
]


_KINDS = list(TargetType)
_KIND_VALUES = np.array([k.value for k in _KINDS], dtype=object)
_NEEDS_BASELINE = np.array([k.needs_baseline for k in _KINDS])
_SINGLE_YEAR = np.array([k in targets.SINGLE_YEAR for k in _KINDS])


@dataclass
class _Targets:
    """The target of each series' indicator, as arrays aligned with the series."""

    code: np.ndarray  # index of the target type in _KINDS
    value: np.ndarray  # target value, NaN if none
    baseline_year: np.ndarray  # baseline year, the plan's base year if none given
    given_baseline: np.ndarray  # the baseline year as the plan states it (None: none)
    name: np.ndarray
    domain: np.ndarray
    unit: np.ndarray
    scope: np.ndarray

    @classmethod
    def of(cls, plan: Plan, indicator_ids: pd.Series) -> _Targets:
        inds = plan.measurable
        codes = pd.Index([i.id for i in inds]).get_indexer(indicator_ids)

        def column(values, dtype=object) -> np.ndarray:
            return np.asarray(values, dtype=dtype)[codes]

        base = plan.plan.base_year
        return cls(
            code=column([_KINDS.index(i.target.type) for i in inds], int),
            value=column(
                [np.nan if i.target.value is None else i.target.value for i in inds], float
            ),
            baseline_year=column([i.target.baseline_year or base for i in inds], int),
            given_baseline=column([i.target.baseline_year for i in inds]),
            name=column([i.name for i in inds]),
            domain=column([plan.domains.get(i.domain, i.domain) for i in inds]),
            unit=column([i.unit or "" for i in inds]),
            scope=column([i.scope.value for i in inds]),
        )

    def kinds(self, rows: np.ndarray | slice = slice(None)) -> list[TargetType]:
        """The target types present among `rows`."""
        return [_KINDS[c] for c in np.unique(self.code[rows])]

    def of_kind(self, kind: TargetType) -> np.ndarray:
        return self.code == _KINDS.index(kind)

    @property
    def type_names(self) -> np.ndarray:
        return _KIND_VALUES[self.code]

    @property
    def needs_baseline(self) -> np.ndarray:
        return _NEEDS_BASELINE[self.code]

    @property
    def single_year(self) -> np.ndarray:
        return _SINGLE_YEAR[self.code]


@dataclass
class _Run:
    """Everything computed for the measurable series of one assessment."""

    plan: Plan
    dense: Dense
    targets: _Targets
    as_of: int
    target_year: int
    fc: PointForecasts
    horizons: int
    last_year: np.ndarray
    quantiles: np.ndarray  # n x H x len(PROBS), reported-value scale
    base_value: np.ndarray  # reported value in the baseline year (NaN: none yet)
    p: np.ndarray  # probability of attainment (NaN: not assessed)
    met_now: np.ndarray  # met as of the last reported year


def assess(
    plan: Plan,
    observations: pd.DataFrame,
    as_of: int,
    target_year: int | None = None,
    calibration: Calibration | None = None,
    n_paths: int = N_PATHS,
    seed: int = SEED,
) -> pd.DataFrame:
    """One row per indicator x region x breakdown as of `as_of` (data after it ignored).

    Columns: see COLUMNS and docs/engine.md. `forecast` is the median of the underlying
    trend value in the target year; the 80%/95% limits are for the value that will be
    reported (sampling noise of small counts included). p_attain is the probability that
    the target is met as the plan defines it; status uses the thresholds tuned on the
    calibration split of the backtest.
    """
    calibration = calibration or Calibration.load()
    frame = normalise(observations)
    run = _run(plan, frame, as_of, target_year, calibration, n_paths, seed)
    rows = _series_rows(run, calibration)
    rows = _add_each_town(rows, plan, calibration)
    rows = pd.concat(
        [rows, _milestone_rows(plan, frame, as_of, run.target_year)], ignore_index=True
    )
    order = {i.id: k for k, i in enumerate(plan.indicators)}
    rows["_order"] = rows["indicator_id"].map(order)
    rows["_district"] = rows["region"] != plan.plan.region
    rows["_total"] = (rows["sex"] != TOTAL) | (rows["residence"] != TOTAL)
    rows = rows.sort_values(["_order", "_district", "region", "_total", "sex", "residence"])
    return rows[COLUMNS].reset_index(drop=True)


def forecast_table(
    plan: Plan,
    observations: pd.DataFrame,
    as_of: int,
    target_year: int | None = None,
    calibration: Calibration | None = None,
    n_paths: int = N_PATHS,
    seed: int = SEED,
) -> pd.DataFrame:
    """Long table for charts: one row per series and year, history then forecast.

    Columns: indicator_id, region, sex, residence, year, observed (reported value),
    fitted (the underlying trend the models saw: smoothed where counts are small),
    forecast (median trend value), lower_80, upper_80, lower_95, upper_95 (for the value
    that will be reported).
    """
    calibration = calibration or Calibration.load()
    frame = normalise(observations)
    run = _run(plan, frame, as_of, target_year, calibration, n_paths, seed, all_horizons=True)
    a = run.dense.arrays
    keys = run.dense.keys
    fitted = from_z(run.fc.signal, a.lower, a.upper)
    parts = []
    hist = keys.loc[np.repeat(np.arange(len(keys)), len(a.years))].reset_index(drop=True)
    hist["year"] = np.tile(a.years, len(keys))
    hist["observed"] = a.values.ravel()
    hist["fitted"] = fitted.ravel()
    parts.append(hist[hist["observed"].notna() | hist["fitted"].notna()])
    usable = np.flatnonzero(run.fc.usable)
    for h in range(run.horizons):
        year = run.last_year[usable] + h + 1
        keep = year <= run.target_year
        rows = usable[keep]
        q = run.quantiles[rows, h]
        part = keys.iloc[rows].reset_index(drop=True)
        part["year"] = year[keep]
        part["forecast"] = _median_trend(run, rows, np.full(len(rows), h))
        for k, name in enumerate(["lower_95", "lower_80", "_median", "upper_80", "upper_95"]):
            part[name] = q[:, k]
        parts.append(part.drop(columns="_median"))
    table = pd.concat(parts, ignore_index=True)
    columns = [
        "indicator_id",
        "region",
        "sex",
        "residence",
        "year",
        "observed",
        "fitted",
        "forecast",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
    ]
    table = table.reindex(columns=columns)
    return table.sort_values(["indicator_id", "region", "sex", "residence", "year"]).reset_index(
        drop=True
    )


# ------------------------------------------------------------------------------- the run


def _run(plan, frame, as_of, target_year, calibration, n_paths, seed, all_horizons=False) -> _Run:
    target_year = target_year or plan.plan.target_year
    dense = dense_series(frame, plan, as_of)
    a = dense.arrays
    tg = _Targets.of(plan, dense.keys["indicator_id"])
    n = len(a)
    has_any = np.isfinite(a.values).any(axis=1)
    last_col = np.where(
        has_any, a.values.shape[1] - 1 - np.argmax(np.isfinite(a.values)[:, ::-1], axis=1), 0
    )
    last_year = a.years[last_col] if n else np.zeros(0, int)
    horizons = int(max(1, (target_year - last_year).max(initial=1)))
    fc = point_forecasts(
        a, horizons, np.clip(target_year - last_year, 1, None), calibration.smoothing_q
    )
    quantiles = np.full((n, horizons, len(PROBS)), np.nan)
    plain = np.flatnonzero(fc.usable & ~fc.has_counts)
    if len(plain):
        qz = calibration.quantiles_z(fc.point[plain], fc.scale[plain], fc.n_points[plain], PROBS)
        quantiles[plain] = from_z(qz, a.lower[plain], a.upper[plain], a.eps[plain])
    base_value = _year_value(a.values, a.years, tg.baseline_year)
    base_value[tg.baseline_year > last_year] = np.nan
    run = _Run(
        plan=plan,
        dense=dense,
        targets=tg,
        as_of=as_of,
        target_year=target_year,
        fc=fc,
        horizons=horizons,
        last_year=last_year,
        quantiles=quantiles,
        base_value=base_value,
        p=np.full(n, np.nan),
        met_now=np.zeros(n, dtype=bool),
    )
    _judge_reported(run)
    _analytic_p(run, calibration)
    _simulate(run, calibration, n_paths, seed, all_horizons)
    return run


def _year_value(values: np.ndarray, years: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Each series' value in its own `year` (NaN outside the grid)."""
    col = year - years[0]
    ok = (col >= 0) & (col < len(years))
    out = np.full(len(values), np.nan)
    out[ok] = values[np.flatnonzero(ok), col[ok]]
    return out


def _periods(run: _Run, rows: np.ndarray):
    tg = run.targets
    return (
        tg.value[rows],
        tg.baseline_year[rows],
        np.full(len(rows), run.plan.plan.base_year),
    )


def _judge_reported(run: _Run) -> None:
    """met_now (as of the last reported year) for every series; p = 0/1 where the target
    year is already reported."""
    a, tg = run.dense.arrays, run.targets
    no_future = np.empty((len(a), 1, 0))
    final = run.last_year >= run.target_year
    for kind in tg.kinds():
        rows = np.flatnonzero(tg.of_kind(kind))
        args = (kind, a.values[rows], a.years, no_future[rows], *_periods(run, rows))
        decimals = run.dense.decimals[rows]
        now = np.minimum(run.last_year[rows], run.target_year)
        run.met_now[rows] = targets.met(*args, now, decimals)[:, 0]
        done = final[rows]
        if done.any():
            outcome = targets.met(*args, np.full(len(rows), run.target_year), decimals)[:, 0]
            run.p[rows[done]] = outcome[done].astype(float)


def _open_rows(run: _Run) -> np.ndarray:
    """Series whose target is still ahead, with a forecast and (if needed) a baseline."""
    tg = run.targets
    missing_base = tg.needs_baseline & (tg.baseline_year <= run.last_year)
    missing_base &= np.isnan(run.base_value)
    return run.fc.usable & (run.last_year < run.target_year) & ~missing_base


def _analytic_p(run: _Run, calibration: Calibration) -> None:
    """Single-year targets on series without counts: one evaluation of the calibrated CDF."""
    a, fc, tg = run.dense.arrays, run.fc, run.targets
    future_base = tg.needs_baseline & (tg.baseline_year > run.last_year)
    eligible = _open_rows(run) & ~fc.has_counts & tg.single_year & ~future_base
    for kind in tg.kinds(eligible):
        rows = np.flatnonzero(eligible & tg.of_kind(kind))
        if len(rows) == 0:
            continue
        c, upper = targets.threshold(
            kind, tg.value[rows], run.base_value[rows], run.dense.decimals[rows]
        )
        zc = to_z(c, a.lower[rows], a.upper[rows], np.full(len(rows), 1e-12))
        horizon = run.target_year - run.last_year[rows]
        point = fc.point[rows, np.clip(horizon, 1, run.horizons) - 1]
        cdf = calibration.cdf_z(zc, point, fc.scale[rows], fc.n_points[rows], horizon)
        run.p[rows] = cdf if upper else 1 - cdf


def _simulate(
    run: _Run, calibration: Calibration, n_paths: int, seed: int, all_horizons: bool
) -> None:
    """Sample paths where a target needs several future years (or a future baseline) and
    for count series (their reported value includes sampling noise): p_attain from the
    paths, and the count series' intervals from the simulated reported values.

    Series are taken by last reported year (so their future years line up) in blocks of
    at most BLOCK_VALUES simulated values; all series share one set of quasi-random scores.
    A count series whose target needs only the target year has only that year turned into
    reported values; with `all_horizons` (the chart table) its earlier years follow, from
    the same scores, so the target year agrees with assess()."""
    fc, tg = run.fc, run.targets
    open_rows = _open_rows(run) & np.isnan(run.p)
    future_base = tg.needs_baseline & (tg.baseline_year > run.last_year)
    every_year = open_rows & (~tg.single_year | future_base)
    simulate = (fc.usable & (run.last_year < run.target_year) & fc.has_counts) | open_rows
    blocks = []
    for year in np.unique(run.last_year[simulate]):
        horizons = int(run.target_year - year)
        # trend (H), shared smoother error (1), count noise (H)
        scores = path_scores(n_paths, 2 * horizons + 1, seed)
        rows_all = np.flatnonzero(simulate & (run.last_year == year))
        size = max(1, BLOCK_VALUES // (len(scores) * horizons))
        for start in range(0, len(rows_all), size):
            blocks.append((rows_all[start : start + size], int(year), scores))

    def simulate_block(block, year, scores):
        horizons = int(run.target_year - year)
        z = calibration.sample_z(
            fc.point[block, :horizons],
            fc.scale[block],
            fc.n_points[block],
            fc.extra_var[block, :horizons],
            scores,
        )
        noise_scores = scores[:, horizons + 1 :]
        full = every_year[block]
        for sel, first in ((full, 0), (~full, horizons - 1)):
            if sel.any():
                rows = block[sel]
                values = _reported(run, rows, z[sel][:, :, first:], noise_scores[:, first:])
                _store_quantiles(run, rows, values, first)
                _judge_paths(run, rows[open_rows[rows]], values[open_rows[rows]], year)
        if all_horizons and horizons > 1 and (~full).any():
            rows = block[~full]
            values = _reported(run, rows, z[~full][:, :, :-1], noise_scores[:, :-1])
            _store_quantiles(run, rows, values, 0)

    run_blocks(simulate_block, blocks)


def _reported(run: _Run, rows: np.ndarray, z: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Values that would be reported on trend paths z: back-transformed, plus the sampling
    noise of counts where the series has a denominator (the count's quantile at the
    path's quasi-random score; noise.draw_observed)."""
    a, fc = run.dense.arrays, run.fc
    values = from_z(z, a.lower[rows], a.upper[rows])
    drawn = fc.has_counts[rows] & np.isfinite(fc.last_denominator[rows])
    if drawn.any():
        sub = rows[drawn]
        lower, upper, per = a.lower[sub], a.upper[sub], a.per[sub]
        values[drawn] = noise.draw_observed(
            values[drawn],
            fc.last_denominator[sub],
            per,
            binomial_counts(lower, upper, per),
            scores,
            gross_ratio_counts(lower, upper, per),
        )
    return values


def _store_quantiles(run: _Run, rows: np.ndarray, values: np.ndarray, first: int) -> None:
    """Count series: their interval is the spread of the simulated reported values."""
    counted = run.fc.has_counts[rows]
    if counted.any():
        q = np.quantile(values[counted], PROBS, axis=1)
        cols = slice(first, first + values.shape[2])
        run.quantiles[rows[counted], cols] = np.moveaxis(q, 0, -1)


def _judge_paths(run: _Run, rows: np.ndarray, values: np.ndarray, last_year: int) -> None:
    """p_attain = share of paths meeting the target. values: the years up to the target
    year after last_year, or the target year alone (then the years in between are unknown
    history to the rule, which only needs the target year)."""
    a, tg = run.dense.arrays, run.targets
    end = int(run.target_year - values.shape[2])
    past = a.years <= last_year
    past_years = np.arange(a.years[0], end + 1)
    past_values = np.pad(
        a.values[rows][:, past], ((0, 0), (0, end - last_year)), constant_values=np.nan
    )
    for kind in tg.kinds(rows):
        sel = tg.of_kind(kind)[rows]
        r = rows[sel]
        ok = targets.met(
            kind,
            past_values[sel],
            past_years,
            values[sel],
            *_periods(run, r),
            np.full(len(r), run.target_year),
            run.dense.decimals[r],
        )
        run.p[r] = ok.mean(axis=1)


def _median_trend(run: _Run, rows: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Median of the underlying trend at horizon index h (0-based) per row: the pooled
    point forecast for count series (their calibrated median includes sampling noise),
    the calibrated median otherwise."""
    a = run.dense.arrays
    trend = from_z(run.fc.point[rows, h], a.lower[rows], a.upper[rows])
    return np.where(run.fc.has_counts[rows], trend, run.quantiles[rows, h, 2])


# ------------------------------------------------------------------------- series rows


def _series_rows(run: _Run, calibration: Calibration) -> pd.DataFrame:
    a, keys, fc, tg = run.dense.arrays, run.dense.keys, run.fc, run.targets
    n = len(keys)
    last_val = _year_value(a.values, a.years, run.last_year)
    status, reason = _status(run, calibration)
    flag, notes = _volatility(run)
    unsd_ratio, unsd_cat, osdg_ratio, osdg_cat = _comparators(run, last_val)

    h_target = np.clip(run.target_year - run.last_year, 1, run.horizons) - 1
    forecast = np.full(n, np.nan)
    q = np.full((n, len(PROBS)), np.nan)
    rows = np.flatnonzero(fc.usable & (run.last_year < run.target_year))
    q[rows] = run.quantiles[rows, h_target[rows]]
    forecast[rows] = _median_trend(run, rows, h_target[rows])
    out = keys.copy()
    out["indicator_name"] = tg.name
    out["domain"] = tg.domain
    out["unit"] = tg.unit
    out["scope"] = tg.scope
    out["as_of"] = run.as_of
    out["n_points"] = fc.n_points
    out["last_year"] = run.last_year
    out["last_value"] = last_val
    out["target_type"] = tg.type_names
    out["target_value"] = tg.value
    out["baseline_year"] = pd.array(tg.given_baseline, dtype="Int64")
    out["baseline_value"] = np.where(tg.needs_baseline, run.base_value, np.nan)
    out["target_year"] = run.target_year
    out["forecast"] = forecast
    out["lower_95"], out["lower_80"] = q[:, 0], q[:, 1]
    out["upper_80"], out["upper_95"] = q[:, 3], q[:, 4]
    out["p_attain"] = run.p
    out["status"] = status
    out["volatile"] = flag
    out["volatility_note"] = notes
    out["unsd_ratio"], out["unsd_category"] = unsd_ratio, unsd_cat
    out["opensdg_ratio"], out["opensdg_category"] = osdg_ratio, osdg_cat
    out["milestone_status"] = None
    out["reason"] = reason
    out["met_so_far"] = run.met_now
    return out


def _text(*parts) -> np.ndarray:
    """Concatenate strings and string arrays element-wise (numpy StringDType, no loop)."""
    out = np.asarray(parts[0], dtype=_TEXT)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=_TEXT))
    return out


def _percent(p: np.ndarray) -> np.ndarray:
    """0.874 -> "87%" (rounded half to even, as Python's format does); never a false "0%" or
    "100%" from rounding: "不足1%" and "99%以上", as narrative.probability says it."""
    p = np.asarray(p, dtype=float)
    rounded = np.rint(p * 100)
    text = _text(rounded.astype(np.int64).astype(_TEXT), "%")
    text = np.where((rounded <= 0) & (p > 0), np.asarray("不足1%", dtype=_TEXT), text)
    return np.where((rounded >= 100) & (p < 1), np.asarray("99%以上", dtype=_TEXT), text)


def _status(run: _Run, calibration: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """achieved / on_track / at_risk / off_track / insufficient_data, with a reason.

    Every reason is one of a few templates filled with whole arrays (years, counts,
    probabilities), so no step loops over the series."""
    tg, p, now = run.targets, run.p, run.met_now
    n = len(p)
    on, off = calibration.on_track, calibration.off_track
    final = run.last_year >= run.target_year
    missing_base = tg.needs_baseline & (tg.baseline_year <= run.last_year)
    missing_base &= np.isnan(run.base_value)
    assessed = np.isfinite(p) & ~missing_base
    odds = _text("（达标概率", _percent(np.nan_to_num(p)), "）")
    broke = (p == 0) & ~now & ~tg.single_year
    cases = [
        (
            "insufficient_data",
            missing_base,
            _text("基期", tg.baseline_year.astype(_TEXT), "年无数据，无法判断"),
        ),
        (
            "insufficient_data",
            ~assessed & ~run.fc.usable,
            _text("仅有", run.fc.n_points.astype(_TEXT), "个数据点（少于3个），不作预测"),
        ),
        ("insufficient_data", ~assessed, "数据不足"),
        ("achieved", final & (p >= 1), _text(str(run.target_year), "年已有数据，结果已定")),
        ("off_track", final, _text(str(run.target_year), "年已有数据，结果已定")),
        (
            "achieved",
            now & (p >= on),
            _text("截至", run.last_year.astype(_TEXT), "年已达标，预计能保持", odds),
        ),
        ("on_track", p >= on, _text("按趋势预计能达标", odds)),
        ("off_track", (p < off) & broke, "往年已未达到要求，目标已无法实现"),
        ("off_track", p < off, _text("按趋势预计难以达标", odds)),
        ("at_risk", now, _text("目前达标但能否达标不确定", odds)),
        ("at_risk", np.ones(n, dtype=bool), _text("能否达标不确定", odds)),
    ]
    status = np.full(n, "insufficient_data", dtype=object)
    reason = np.full(n, "", dtype=_TEXT)
    decided = np.zeros(n, dtype=bool)
    for name, when, text in cases:
        pick = when & ~decided
        status[pick] = name
        reason[pick] = np.broadcast_to(np.asarray(text, dtype=_TEXT), (n,))[pick]
        decided |= pick
    return status, reason.astype(object)


def _volatility(run: _Run):
    a, fc = run.dense.arrays, run.fc
    counted = fc.has_counts[:, None]
    return volatility.volatility(
        a.values,
        a.years,
        np.where(counted, a.numerator, np.nan),
        a.denominator,
        np.where(counted, from_z(fc.signal, a.lower, a.upper), np.nan),
        a.per,
        binomial_counts(a.lower, a.upper, a.per),
    )


def _comparators(run: _Run, last_val: np.ndarray):
    """UNSD and Open SDG ratios from the plan base year (or the first year) to the latest."""
    a, tg = run.dense.arrays, run.targets
    n = len(last_val)
    base_y = np.full(n, run.plan.plan.base_year)
    base_v = _year_value(a.values, a.years, base_y)
    fallback = ~np.isfinite(base_v) | (base_y >= run.last_year)
    first_col = np.argmax(np.isfinite(a.values), axis=1)
    base_y = np.where(fallback, a.years[first_col], base_y)
    base_v = np.where(fallback, a.values[np.arange(n), first_col], base_v)
    goal = tg.value.copy()
    reduce = tg.of_kind(TargetType.REDUCE_BY)
    goal[reduce] = run.base_value[reduce] * (1 - tg.value[reduce] / 100)
    ratio = comparators.growth_ratio(base_v, base_y, last_val, run.last_year, goal, run.target_year)
    return (
        ratio,
        comparators.unsd_category(ratio, run.met_now),
        ratio,
        comparators.opensdg_category(ratio, run.met_now),
    )


# ------------------------------------------------------------------- each town, milestones


def _add_each_town(rows: pd.DataFrame, plan: Plan, calibration: Calibration) -> pd.DataFrame:
    """For each_town targets the district row becomes: every town meets it (joint)."""
    region = plan.plan.region
    each_town = [i.id for i in plan.measurable if i.scope is Scope.EACH_TOWN]
    headline = (rows["sex"] == TOTAL) & (rows["residence"] == TOTAL)
    towns = rows[rows["indicator_id"].isin(each_town) & headline & (rows["region"] != region)]
    if towns.empty:
        return rows
    towns = towns.assign(_final=towns["last_year"] >= towns["target_year"])
    towns = towns.sort_values("p_attain", kind="stable")
    grouped = towns.groupby("indicator_id", sort=False)
    summary = pd.DataFrame(
        {
            "p_all": grouped["p_attain"].prod(),
            "complete": grouped["p_attain"].count() == grouped.size(),
            "all_now": grouped["met_so_far"].all(),
            "final": grouped["_final"].all(),
            "n_towns": grouped.size(),
            "weakest": grouped["region"].first(),
        }
    )
    p_all = summary["p_all"].where(summary["complete"]).to_numpy(dtype=float)
    known = np.isfinite(p_all)
    final, all_now = summary["final"].to_numpy(), summary["all_now"].to_numpy()
    status = np.select(
        [
            ~known,
            final & (p_all >= 1),
            final,
            all_now & (p_all >= calibration.on_track),
            p_all >= calibration.on_track,
            p_all < calibration.off_track,
        ],
        ["insufficient_data", "achieved", "off_track", "achieved", "on_track", "off_track"],
        "at_risk",
    ).astype(object)
    why = np.select(
        [
            ~known,
            final,
            all_now & (p_all >= calibration.on_track),
            p_all >= calibration.on_track,
            p_all < calibration.off_track,
        ],
        [
            "部分镇数据不足",
            "各镇结果已定",
            "各镇均已达标，预计能保持",
            "预计各镇均能达标",
            "预计至少一个镇难以达标",
        ],
        "至少一个镇能否达标不确定",
    )
    detail = _text(
        "（",
        summary["n_towns"].to_numpy().astype(_TEXT),
        "个镇均达标的概率",
        _percent(np.nan_to_num(p_all)),
        "；最弱：",
        summary["weakest"].to_numpy(dtype=str).astype(_TEXT),
        "）",
    )
    why = np.where(known, _text(why, detail), np.asarray(why, dtype=_TEXT)).astype(object)
    joint = pd.DataFrame(
        {"p_attain": p_all, "met_so_far": all_now, "status": status, "reason": why},
        index=summary.index,
    )
    district = rows["indicator_id"].isin(summary.index) & headline & (rows["region"] == region)
    ids = rows.loc[district, "indicator_id"]
    for column in joint.columns:
        rows.loc[district, column] = joint.loc[ids, column].to_numpy()
    absent = summary.index.difference(ids)
    if len(absent):
        extra = towns.groupby("indicator_id", sort=False).head(1)
        extra = extra[extra["indicator_id"].isin(absent)].drop(columns="_final")
        extra["region"] = region
        for column in joint.columns:
            extra[column] = joint.loc[extra["indicator_id"], column].to_numpy()
        for column in (
            "forecast",
            "lower_80",
            "upper_80",
            "lower_95",
            "upper_95",
            "last_value",
            "unsd_ratio",
            "opensdg_ratio",
        ):
            extra[column] = np.nan
        extra[["unsd_category", "opensdg_category"]] = "not_applicable"
        extra["volatility_note"] = "见各镇"
        rows = pd.concat([rows, extra], ignore_index=True)
    return rows


def _milestone_rows(plan: Plan, frame: pd.DataFrame, as_of: int, target_year: int) -> pd.DataFrame:
    """Milestones carry their latest reported status (未启动 / 推进中 / 已完成), no probability."""
    status_map = {"已完成": "achieved", "推进中": "at_risk", "未启动": "off_track"}
    reported = frame[(frame["year"] <= as_of) & frame["status"].notna()]
    reported = reported.sort_values("year").groupby(["indicator_id", "region"]).tail(1)
    latest = {(r.indicator_id, r.region): r for r in reported.itertuples()}
    rows = []
    for ind in plan.milestones:
        r = latest.get((ind.id, plan.plan.region))
        rows.append(
            {
                "indicator_id": ind.id,
                "indicator_name": ind.name,
                "domain": plan.domains.get(ind.domain, ind.domain),
                "unit": "",
                "region": plan.plan.region,
                "sex": TOTAL,
                "residence": TOTAL,
                "scope": ind.scope.value,
                "as_of": as_of,
                "n_points": 0 if r is None else 1,
                "last_year": None if r is None else int(r.year),
                "target_type": "milestone",
                "target_year": target_year,
                "milestone_status": None if r is None else r.status,
                "met_so_far": r is not None and r.status == "已完成",
                "status": "insufficient_data"
                if r is None
                else status_map.get(r.status, "insufficient_data"),
                "volatile": False,
                "unsd_category": "not_applicable",
                "opensdg_category": "not_applicable",
                "reason": "未报告进展"
                if r is None
                else (r.note if isinstance(r.note, str) else f"报告状态：{r.status}"),
            }
        )
    return pd.DataFrame(rows)
