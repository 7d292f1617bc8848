"""Assess every target: forecast, interval, probability of attainment, status, volatility.

The public functions (what an analyst calls in a notebook; docs/engine.md explains the
method):

- assess(plan, observations, as_of, target_year=None) -> one row per indicator x region
  x breakdown (sex, residence), plus milestone rows;
- forecast_table(plan, observations, as_of, target_year=None) -> long table for charts:
  per series and year the reported value, the fitted signal and the forecast fan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jinlin_analysis.engine import comparators, noise, targets, volatility
from jinlin_analysis.engine.calibration import Calibration
from jinlin_analysis.engine.forecast import PointForecasts, binomial_counts, point_forecasts
from jinlin_analysis.engine.observations import TOTAL, Dense, dense_series, normalise
from jinlin_analysis.engine.transforms import from_z, to_z
from jinlin_analysis.plan import Indicator, Plan, Scope, TargetType

N_PATHS = 1000
PROBS = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
SEED = 20250101

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


@dataclass
class _Run:
    """Everything computed for the measurable series of one assessment."""

    plan: Plan
    dense: Dense
    indicators: list[Indicator]
    as_of: int
    target_year: int
    fc: PointForecasts
    horizons: int
    last_year: np.ndarray
    quantiles: np.ndarray  # n x H x len(PROBS), reported-value scale
    paths: np.ndarray | None  # n x paths x H reported values (only rows that needed them)
    path_rows: np.ndarray


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
    run = _run(plan, frame, as_of, target_year, calibration, n_paths, seed)
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
        part["forecast"] = _median_trend(run, rows, h)
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


def _run(plan, frame, as_of, target_year, calibration, n_paths, seed) -> _Run:
    target_year = target_year or plan.plan.target_year
    dense = dense_series(frame, plan, as_of)
    a = dense.arrays
    indicators = [plan.indicator(i) for i in dense.keys["indicator_id"]]
    n = len(indicators)
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
    usable = fc.usable
    plain = usable & ~fc.has_counts
    if plain.any():
        rows = np.flatnonzero(plain)
        qz = calibration.quantiles_z(fc.point[rows], fc.scale[rows], fc.n_points[rows], PROBS)
        quantiles[rows] = from_z(qz, a.lower[rows], a.upper[rows])
    rng = np.random.default_rng(seed)
    needs_paths = usable & (fc.has_counts | _needs_paths(indicators, dense, last_year, target_year))
    path_rows = np.flatnonzero(needs_paths)
    paths = None
    if len(path_rows):
        paths = _sample_values(a, fc, path_rows, calibration, n_paths, rng)
        counted = fc.has_counts[path_rows]
        if counted.any():
            quantiles[path_rows[counted]] = np.moveaxis(
                np.quantile(paths[counted], PROBS, axis=1), 0, -1
            )
    return _Run(
        plan,
        dense,
        indicators,
        as_of,
        target_year,
        fc,
        horizons,
        last_year,
        quantiles,
        paths,
        path_rows,
    )


def _needs_paths(indicators, dense, last_year, target_year) -> np.ndarray:
    """Targets that depend on several future years (or a future baseline) need paths."""
    out = np.zeros(len(indicators), dtype=bool)
    for r, ind in enumerate(indicators):
        kind = ind.target.type
        if kind not in targets.SINGLE_YEAR or (
            kind.needs_baseline and ind.target.baseline_year > last_year[r]
        ):
            out[r] = True
    return out & (last_year < target_year)


def _sample_values(a, fc, rows, calibration, n_paths, rng) -> np.ndarray:
    """Reported-value paths (rows x paths x H): trend paths plus sampling noise of counts."""
    z = calibration.sample_z(
        fc.point[rows], fc.scale[rows], fc.n_points[rows], fc.extra_var[rows], n_paths, rng
    )
    values = from_z(z, a.lower[rows], a.upper[rows])
    counted = fc.has_counts[rows] & np.isfinite(fc.last_denominator[rows])
    if counted.any() and a.per is not None:
        sub = rows[counted]
        values[counted] = noise.draw_observed(
            values[counted],
            fc.last_denominator[sub],
            a.per[sub],
            binomial_counts(a.lower[sub], a.upper[sub], a.per[sub]),
            rng,
        )
    return values


def _median_trend(run: _Run, rows: np.ndarray, h: int) -> np.ndarray:
    a = run.dense.arrays
    cal_med = run.quantiles[rows, h, 2]
    counted = run.fc.has_counts[rows]
    trend = from_z(run.fc.point[rows, h : h + 1], a.lower[rows], a.upper[rows])[:, 0]
    return np.where(counted, trend, cal_med)


# ------------------------------------------------------------------------- series rows


def _series_rows(run: _Run, calibration: Calibration) -> pd.DataFrame:
    a, keys, fc = run.dense.arrays, run.dense.keys, run.fc
    n = len(keys)
    inds = run.indicators
    years = a.years
    value_t = np.array([np.nan if i.target.value is None else i.target.value for i in inds])
    base_year = np.array(
        [i.target.baseline_year or run.plan.plan.base_year for i in inds], dtype=int
    )
    period_start = np.full(n, run.plan.plan.base_year)
    target_year = np.full(n, run.target_year)
    decimals = run.dense.decimals
    last_val = (
        a.values[np.arange(n), np.clip(run.last_year - years[0], 0, None)] if n else np.zeros(0)
    )

    # year axis for judging targets: from the earliest relevant year to the target year
    axis_start = int(min([years[0], *base_year, run.plan.plan.base_year])) if n else years[0]
    axis = np.arange(axis_start, run.target_year + 1)
    observed = np.full((n, len(axis)), np.nan)
    pos = years - axis_start
    inside = years <= run.target_year
    observed[:, pos[inside]] = a.values[:, inside]

    base_value = np.full(n, np.nan)
    in_axis = (base_year >= axis_start) & (base_year <= run.last_year)
    base_value[in_axis] = observed[np.flatnonzero(in_axis), (base_year - axis_start)[in_axis]]

    p = np.full(n, np.nan)
    met_now = np.zeros(n, dtype=bool)
    reason = [""] * n
    path_index = {r: k for k, r in enumerate(run.path_rows)}
    for kind in {i.target.type for i in inds}:
        rows = np.flatnonzero([i.target.type is kind for i in inds])
        args = (value_t[rows], base_year[rows], period_start[rows])
        # met as of the last reported year (the target year moved to it)
        now = targets.met(
            kind,
            observed[rows][:, None, :],
            axis,
            *args,
            np.minimum(run.last_year[rows], run.target_year),
            decimals[rows],
        )[:, 0]
        met_now[rows] = now
        final = targets.met(
            kind, observed[rows][:, None, :], axis, *args, target_year[rows], decimals[rows]
        )[:, 0]
        for k, r in enumerate(rows):
            needs_base = kind.needs_baseline
            base_missing = (
                needs_base and base_year[r] <= run.last_year[r] and np.isnan(base_value[r])
            )
            if run.last_year[r] >= run.target_year:
                p[r] = float(final[k])
                reason[r] = f"{run.target_year}年已有数据，结果已定"
            elif base_missing:
                reason[r] = f"基期{base_year[r]}年无数据，无法判断"
            elif not fc.usable[r]:
                reason[r] = f"仅有{fc.n_points[r]}个数据点（少于3个），不作预测"
        todo = [
            r
            for r in rows
            if fc.usable[r]
            and run.last_year[r] < run.target_year
            and np.isnan(p[r])
            and not reason[r]
        ]
        if not todo:
            continue
        todo = np.array(todo)
        analytic = np.array([r not in path_index for r in todo])
        if analytic.any():
            p[todo[analytic]] = _analytic_p(
                run, calibration, kind, todo[analytic], value_t, base_value
            )
        sampled = todo[~analytic]
        if len(sampled):
            full = _full_paths(run, sampled, observed, axis, path_index)
            ok = targets.met(
                kind,
                full,
                axis,
                value_t[sampled],
                base_year[sampled],
                period_start[sampled],
                target_year[sampled],
                decimals[sampled],
            )
            p[sampled] = ok.mean(axis=1)

    status, reason = _status(run, p, met_now, reason, calibration)
    flag, notes = _volatility(run)
    unsd_ratio, unsd_cat, osdg_ratio, osdg_cat = _comparators(
        run, value_t, base_value, met_now, last_val
    )

    h_target = np.clip(run.target_year - run.last_year, 1, run.horizons) - 1
    forecast = np.full(n, np.nan)
    q = np.full((n, len(PROBS)), np.nan)
    ahead = fc.usable & (run.last_year < run.target_year)
    rows = np.flatnonzero(ahead)
    if len(rows):
        q[rows] = run.quantiles[rows, h_target[rows]]
        forecast[rows] = (
            np.array([_median_trend(run, np.array([r]), int(h_target[r]))[0] for r in rows])
            if len(rows) < 50
            else _median_trend_rows(run, rows, h_target[rows])
        )
    out = keys.copy()
    out["indicator_name"] = [i.name for i in inds]
    out["domain"] = [run.plan.domains.get(i.domain, i.domain) for i in inds]
    out["unit"] = [i.unit or "" for i in inds]
    out["scope"] = [i.scope.value for i in inds]
    out["as_of"] = run.as_of
    out["n_points"] = fc.n_points
    out["last_year"] = run.last_year
    out["last_value"] = last_val
    out["target_type"] = [i.target.type.value for i in inds]
    out["target_value"] = value_t
    out["baseline_year"] = pd.array([i.target.baseline_year for i in inds], dtype="Int64")
    out["baseline_value"] = np.where(
        [i.target.type.needs_baseline for i in inds], base_value, np.nan
    )
    out["target_year"] = run.target_year
    out["forecast"] = forecast
    out["lower_95"], out["lower_80"] = q[:, 0], q[:, 1]
    out["upper_80"], out["upper_95"] = q[:, 3], q[:, 4]
    out["p_attain"] = p
    out["status"] = status
    out["volatile"] = flag
    out["volatility_note"] = notes
    out["unsd_ratio"], out["unsd_category"] = unsd_ratio, unsd_cat
    out["opensdg_ratio"], out["opensdg_category"] = osdg_ratio, osdg_cat
    out["milestone_status"] = None
    out["reason"] = reason
    out["_met_now"] = met_now
    return out


def _median_trend_rows(run: _Run, rows: np.ndarray, h: np.ndarray) -> np.ndarray:
    out = np.empty(len(rows))
    for hh in np.unique(h):
        sel = h == hh
        out[sel] = _median_trend(run, rows[sel], int(hh))
    return out


def _analytic_p(run, calibration, kind, rows, value_t, base_value) -> np.ndarray:
    a, fc = run.dense.arrays, run.fc
    c, upper = targets.threshold(kind, value_t[rows], base_value[rows], run.dense.decimals[rows])
    zc = to_z(c[:, None], a.lower[rows], a.upper[rows], np.zeros(len(rows)) + 1e-12)[:, 0]
    horizon = run.target_year - run.last_year[rows]
    hcol = np.clip(horizon, 1, run.horizons) - 1
    cdf = calibration.cdf_z(zc, fc.point[rows, hcol], fc.scale[rows], fc.n_points[rows], horizon)
    return cdf if upper else 1 - cdf


def _full_paths(run, rows, observed, axis, path_index) -> np.ndarray:
    """Observed years followed by simulated ones, on the target axis (rows x paths x years)."""
    sims = run.paths[[path_index[r] for r in rows]]
    n_paths = sims.shape[1]
    full = np.repeat(observed[rows][:, None, :], n_paths, axis=1)
    for k, r in enumerate(rows):
        start = run.last_year[r] + 1 - axis[0]
        length = len(axis) - start
        full[k, :, start:] = sims[k, :, :length]
    return full


def _status(run, p, met_now, reason, calibration):
    """achieved / on_track / at_risk / off_track / insufficient_data, with a reason."""
    n = len(p)
    status = np.full(n, "insufficient_data", dtype=object)
    reason = list(reason)
    final = run.last_year >= run.target_year
    for r in range(n):
        if np.isnan(p[r]):
            reason[r] = reason[r] or "数据不足"
            continue
        if final[r]:
            status[r] = "achieved" if p[r] >= 1 else "off_track"
            continue
        if met_now[r] and p[r] >= calibration.on_track:
            status[r] = "achieved"
            reason[r] = f"截至{run.last_year[r]}年已达标，预计能保持（达标概率{p[r]:.0%}）"
        elif p[r] >= calibration.on_track:
            status[r] = "on_track"
            reason[r] = f"按趋势预计能达标（达标概率{p[r]:.0%}）"
        elif p[r] < calibration.off_track:
            status[r] = "off_track"
            broke = (
                p[r] == 0
                and not met_now[r]
                and run.indicators[r].target.type not in targets.SINGLE_YEAR
            )
            reason[r] = (
                "往年已未达到要求，目标已无法实现"
                if broke
                else f"按趋势预计难以达标（达标概率{p[r]:.0%}）"
            )
        else:
            status[r] = "at_risk"
            now = "目前达标但" if met_now[r] else ""
            reason[r] = f"{now}能否达标不确定（达标概率{p[r]:.0%}）"
    return status, reason


def _volatility(run):
    a, fc = run.dense.arrays, run.fc
    expected = from_z(fc.signal, a.lower, a.upper)
    has = fc.has_counts
    num = np.where(has[:, None], a.numerator, np.nan)
    return volatility.volatility(
        a.values,
        a.years,
        num,
        a.denominator,
        expected,
        a.per,
        binomial_counts(a.lower, a.upper, a.per),
    )


def _comparators(run, value_t, base_value_target, met_now, last_val):
    """UNSD and Open SDG ratios from the plan base year (or the first year) to the latest."""
    a = run.dense.arrays
    n = len(value_t)
    inds = run.indicators
    base_y = np.full(n, run.plan.plan.base_year)
    col = base_y - a.years[0]
    ok = (col >= 0) & (col < len(a.years))
    base_v = np.full(n, np.nan)
    base_v[ok] = a.values[np.flatnonzero(ok), col[ok]]
    fallback = ~np.isfinite(base_v) | (base_y >= run.last_year)
    first_col = np.argmax(np.isfinite(a.values), axis=1)
    base_y = np.where(fallback, a.years[first_col], base_y)
    base_v = np.where(fallback, a.values[np.arange(n), first_col], base_v)
    goal = value_t.copy()
    reduce = np.array([i.target.type is TargetType.REDUCE_BY for i in inds], dtype=bool)
    goal[reduce] = base_value_target[reduce] * (1 - value_t[reduce] / 100)
    ratio = comparators.growth_ratio(base_v, base_y, last_val, run.last_year, goal, run.target_year)
    return (
        ratio,
        comparators.unsd_category(ratio, met_now),
        ratio,
        comparators.opensdg_category(ratio, met_now),
    )


# ------------------------------------------------------------------- each town, milestones


def _add_each_town(rows: pd.DataFrame, plan: Plan, calibration: Calibration) -> pd.DataFrame:
    """For each_town targets the district row becomes: every town meets it (joint)."""
    region = plan.plan.region
    headline = (rows["sex"] == TOTAL) & (rows["residence"] == TOTAL)
    for ind in plan.measurable:
        if ind.scope is not Scope.EACH_TOWN:
            continue
        towns = rows[(rows["indicator_id"] == ind.id) & headline & (rows["region"] != region)]
        if towns.empty:
            continue
        district = (rows["indicator_id"] == ind.id) & headline & (rows["region"] == region)
        p_all = float(np.prod(towns["p_attain"])) if towns["p_attain"].notna().all() else np.nan
        all_now = bool(towns["_met_now"].all())
        final = bool((towns["last_year"] >= towns["target_year"]).all())
        if np.isnan(p_all):
            status, why = "insufficient_data", "部分镇数据不足"
        elif final:
            status, why = ("achieved" if p_all >= 1 else "off_track"), "各镇结果已定"
        elif all_now and p_all >= calibration.on_track:
            status, why = "achieved", "各镇均已达标，预计能保持"
        elif p_all >= calibration.on_track:
            status, why = "on_track", "预计各镇均能达标"
        elif p_all < calibration.off_track:
            status, why = "off_track", "预计至少一个镇难以达标"
        else:
            status, why = "at_risk", "至少一个镇能否达标不确定"
        weakest = towns.sort_values("p_attain").iloc[0]
        why += (
            f"（{len(towns)}个镇均达标的概率{p_all:.0%}；最弱：{weakest['region']}）"
            if not np.isnan(p_all)
            else ""
        )
        if district.any():
            rows.loc[district, ["p_attain", "status", "reason"]] = [p_all, status, why]
        else:
            extra = towns.iloc[[0]].copy()
            extra[["region", "p_attain", "status", "reason"]] = [region, p_all, status, why]
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
            extra[["unsd_category", "opensdg_category", "volatility_note"]] = [
                "not_applicable"
            ] * 2 + ["见各镇"]
            rows = pd.concat([rows, extra], ignore_index=True)
    return rows.drop(columns="_met_now")


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
