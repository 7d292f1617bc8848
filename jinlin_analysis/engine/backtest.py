"""Rolling-origin backtest on the real international panel; builds the calibration too.

`run_backtest()` (and `jinlin backtest`):
1. cuts rolling-origin cases from the panel (engine/panel.py: calibration half A with
   origins 1990-2011 and outcomes to 2012; evaluation half B with origins from 2013);
2. calibrates on A only: the scale floor (chosen by 2-fold cross-validation across
   A's countries), the error quantile tables and horizon correlation, the count
   smoother's signal variance, the status thresholds and the comparator categories'
   success rates; writes them to `calibration.json`;
3. evaluates on B: point accuracy (MASE), interval coverage and Winkler score at 80% and
   95%, and for attainment events the Brier score, Brier skill score (against the
   calibration base rate) and a reliability table, for the engine and the baselines;
4. writes docs/backtest.md and docs/backtest-reliability.png.

Everything is seeded, so a rerun reproduces the committed files exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from jinlin_analysis.engine import calibration as cal
from jinlin_analysis.engine import comparators, panel, targets
from jinlin_analysis.engine.forecast import point_forecasts
from jinlin_analysis.engine.parallel import run_blocks
from jinlin_analysis.engine.transforms import from_z, to_z
from jinlin_analysis.paths import PROJECT_ROOT
from jinlin_analysis.plan import TargetType

SEED = 4
N_PATHS = 256  # quasi-random paths per series (see benchmarks/engine_speed.py)
BLOCK = 2000  # series simulated at once
EVAL_HORIZONS = 5
FLOOR_CANDIDATES = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05)
ESCAP_TARGET_H = 5
DOCS = PROJECT_ROOT / "docs"


@dataclass
class BacktestResult:
    calibration: cal.Calibration
    intervals: pd.DataFrame  # method x horizon: MASE, coverage, Winkler
    attainment: pd.DataFrame  # method x event family: Brier, BSS, n
    reliability: pd.DataFrame  # method x bin: mean forecast, observed frequency, n
    status_rates: pd.DataFrame  # status -> share met, on calibration and evaluation
    categories: pd.DataFrame  # UNSD x Open SDG category counts of the evaluation events
    by_indicator: pd.DataFrame  # indicator x family: Brier skill of engine, drift, naive
    summary: dict


def run_backtest(cases: panel.Cases | None = None) -> BacktestResult:
    cases = cases or panel.build_cases()
    h = cases.history
    fc = point_forecasts(h, panel.MAX_H, np.full(len(h), ESCAP_TARGET_H))
    z_future = to_z(cases.future, h.lower, h.upper, h.eps)
    errors = z_future - fc.point
    split = cases.meta["split"].to_numpy()
    is_cal = (split == "calibration") & fc.usable
    is_eval = (split == "evaluation") & fc.usable

    edges = cal.class_edges(fc.scale[is_cal])
    floor = _choose_floor(
        errors[is_cal],
        fc.scale[is_cal],
        fc.n_points[is_cal],
        cases.meta["country"][is_cal].to_numpy(),
        _naive_scale(h.values[is_cal], h.lower[is_cal], h.upper[is_cal], h.eps[is_cal]),
        edges,
    )
    calibration = cal.fit(
        errors[is_cal],
        fc.scale[is_cal],
        fc.n_points[is_cal],
        floor,
        edges,
        smoothing_q=_smoothing_q(cases, is_cal),
        on_track=0.8,
        off_track=0.2,
        notes={
            "split": "calibration: panel countries in hash half A, origins 1990-2011, "
            "outcomes <= 2012; evaluation: half B, origins >= 2013",
            "n_calibration_cases": int(is_cal.sum()),
            "n_evaluation_cases": int(is_eval.sum()),
        },
    )
    events = attainment_events(cases, fc)
    probs = _event_probabilities(cases, fc, events, calibration)
    cal_ev = (events["split"] == "calibration").to_numpy()
    calibration.on_track, calibration.off_track = _tune_thresholds(
        probs.loc[cal_ev, "engine"], events.loc[cal_ev, "met"]
    )
    base_rates = events[cal_ev].groupby("family")["met"].mean()
    probs["climatology"] = events["family"].map(base_rates).to_numpy()
    for name in ("unsd", "opensdg"):
        column = f"{name}_category"
        rates = events[cal_ev].groupby(["family", column])["met"].mean()
        calibration.comparator_rates[name] = {
            f"{fam}/{cat}": round(float(v), 6) for (fam, cat), v in rates.items()
        }
        key = pd.MultiIndex.from_frame(events[["family", column]])
        p = rates.reindex(key).to_numpy()
        # no number to compare (improve, keep) or no ratio: the family's base rate
        missing = ~np.isfinite(p) | (events[column] == "not_applicable").to_numpy()
        probs[name] = np.where(missing, probs["climatology"], p)

    intervals, tails = _interval_metrics(cases, fc, calibration, is_eval)
    ev = ~cal_ev
    attainment = _brier_table(events[ev], probs[ev])
    reliability = reliability_table(events[ev], probs[ev])
    status_rates = _status_rates(events, probs, calibration)
    categories = pd.crosstab(events.loc[ev, "unsd_category"], events.loc[ev, "opensdg_category"])
    summary = {
        "cases_calibration": int(is_cal.sum()),
        "cases_evaluation": int(is_eval.sum()),
        "events_calibration": int(cal_ev.sum()),
        "events_evaluation": int(ev.sum()),
        "base_rate_evaluation": float(events.loc[ev, "met"].mean()),
        "winkler_95_tails": tails,
    }
    by_indicator = _skill_by_indicator(events[ev], probs[ev])
    return BacktestResult(
        calibration,
        intervals,
        attainment,
        reliability,
        status_rates,
        categories,
        by_indicator,
        summary,
    )


# ------------------------------------------------------------------------ calibration


def _naive_scale(values, lower, upper, eps) -> np.ndarray:
    """Mean absolute yearly change on the modelling scale (0 for a constant history): a
    per-series unit, fixed before any calibration choice, that makes scores comparable
    between smooth and rough series."""
    return _mean_abs(_observed_diffs(to_z(values, lower, upper, eps)))


def _mean_abs(diffs: np.ndarray) -> np.ndarray:
    """Mean absolute value per row over the finite entries (NaN for none)."""
    ok = np.isfinite(diffs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, np.abs(diffs), 0).sum(axis=1) / ok.sum(axis=1)


def _choose_floor(errors, scale, n_points, countries, unit, edges) -> float:
    """Scale floor with the best mean 80%/95% interval score in 2-fold CV over countries.

    Scores are divided by the series' own unit (`_naive_scale`), so that the rough series
    do not decide alone; constant histories (unit 0) are left out of the score."""
    fold = np.array([panel.stable_hash("cv", c) % 2 for c in countries])
    scores = {}
    for floor in FLOOR_CANDIDATES:
        total = 0.0
        for k in (0, 1):
            train, test = fold == k, (fold != k) & (unit > 0)
            fitted = cal.fit(errors[train], scale[train], n_points[train], floor, edges)
            q = fitted.quantiles_z(
                np.zeros((int(test.sum()), EVAL_HORIZONS)),
                scale[test],
                n_points[test],
                np.array([0.025, 0.1, 0.9, 0.975]),
            )
            e = errors[test, :EVAL_HORIZONS]
            ok = np.isfinite(e)
            u = np.broadcast_to(unit[test, None], e.shape)
            for lo, hi, alpha in ((1, 2, 0.2), (0, 3, 0.05)):
                w = _winkler(e, q[..., lo], q[..., hi], alpha) / u
                total += float(np.mean(w[ok]))
        scores[floor] = total
    return min(scores, key=scores.get)


def _smoothing_q(cases: panel.Cases, is_cal: np.ndarray) -> float:
    """Median squared second difference of REPORTED (not modelled) enrolment series: the
    year-to-year bending of a real administrative rate away from the bounds (immunisation
    near 99% bends far more on the logit scale and would let the smoother chase noise)."""
    reported = cases.meta["indicator"].str.startswith("SE.").to_numpy()
    rows = is_cal & reported & (cases.meta["n_history"].to_numpy() >= 8)
    z = to_z(
        cases.history.values[rows],
        cases.history.lower[rows],
        cases.history.upper[rows],
        cases.history.eps[rows],
    )
    d2 = np.diff(z, n=2, axis=1)
    has = np.isfinite(d2).any(axis=1)
    if not has.any():  # a panel slice without enrolment series
        return float("nan")
    per_series = np.nanmean(d2[has] ** 2, axis=1)
    return float(np.round(np.nanmedian(per_series), 6))


def _tune_thresholds(p: pd.Series, met: pd.Series) -> tuple[float, float]:
    """on_track: lowest p above which >= 90% of calibration targets were met;
    off_track: highest p below which <= 10% were met."""
    p, met = p.to_numpy(), met.to_numpy().astype(float)
    grid = np.round(np.arange(0.5, 0.96, 0.05), 2)
    on = next((t for t in grid if (p >= t).any() and met[p >= t].mean() >= 0.9), 0.95)
    grid_low = np.round(np.arange(0.5, 0.04, -0.05), 2)
    off = next((t for t in grid_low if (p < t).any() and met[p < t].mean() <= 0.1), 0.05)
    return float(on), float(off)


# ------------------------------------------------------------------------ attainment


def attainment_events(cases: panel.Cases, fc) -> pd.DataFrame:
    """Targets set at each origin so that outcomes are not trivially all met or missed.

    For a series with a direction of improvement, at origin T and a horizon H in 1..5
    (from a hash), four families:
    - pace: reach by T+H the value the recent pace of progress leads to, at a hashed
      multiple f in {0.5, 1, 1.5} of that pace (at_least / at_most);
    - maintain: stay at or better than the worst of the last three values every year
      T+1..T+H (maintain_at_least; only for higher-is-better series);
    - keep: improve every year T..T+H (keep_increasing / keep_decreasing);
    - improve: the value at T+H better than at T (increase / decrease).
    The event's outcome needs every future year up to T+H to be reported.
    """
    meta = cases.meta
    h = cases.history
    keys = list(zip(meta["indicator"], meta["country"], meta["origin"], strict=True))
    horizon = 1 + np.array([panel.stable_hash("H", *k) % EVAL_HORIZONS for k in keys])
    multiple = np.array([(0.5, 1.0, 1.5)[panel.stable_hash("f", *k) % 3] for k in keys])
    ahead = np.arange(EVAL_HORIZONS) < horizon[:, None]
    complete = (np.isfinite(cases.future[:, :EVAL_HORIZONS]) | ~ahead).all(axis=1)
    rows = np.flatnonzero(fc.usable & meta["higher_is_better"].notna().to_numpy() & complete)

    values = h.values[rows]
    z = to_z(values, h.lower[rows], h.upper[rows], h.eps[rows])
    observed = np.isfinite(values)
    # rank 1 = the latest observed year, 2 = the one before, ...
    rank = np.cumsum(observed[:, ::-1], axis=1)[:, ::-1]
    k = np.minimum(observed.sum(axis=1) - 1, 5)
    last = _pick(z, observed & (rank == 1))
    earlier = _pick(z, observed & (rank == k[:, None] + 1))
    pace = (last - earlier) / k
    hz = horizon[rows]
    goal_z = last + multiple[rows] * pace * hz
    goal = from_z(goal_z[:, None], h.lower[rows], h.upper[rows])[:, 0]
    decimals = np.round(-np.log10(2 * h.eps[rows])).astype(int)
    goal = np.array([round(float(g), int(d)) for g, d in zip(goal, decimals, strict=True)])
    worst = np.nanmin(np.where(observed & (rank <= 3), values, np.nan), axis=1)
    worst = targets.round_to(worst, decimals)  # targets are stated in the reporting precision
    better = meta["higher_is_better"].to_numpy()[rows].astype(bool)

    common = pd.DataFrame(
        {
            "row": rows,
            "split": meta["split"].to_numpy()[rows],
            "indicator": meta["indicator"].to_numpy()[rows],
            "horizon": hz,
            "decimals": decimals,
        }
    )

    def by_direction(up: TargetType, down: TargetType) -> np.ndarray:
        return np.array([down, up], dtype=object)[better.astype(int)]

    families = [
        ("pace", by_direction(TargetType.AT_LEAST, TargetType.AT_MOST), goal, True),
        ("maintain", by_direction(TargetType.MAINTAIN_AT_LEAST, None), worst, better),
        (
            "keep",
            by_direction(TargetType.KEEP_INCREASING, TargetType.KEEP_DECREASING),
            np.nan,
            True,
        ),
        ("improve", by_direction(TargetType.INCREASE, TargetType.DECREASE), np.nan, True),
    ]
    parts = []
    for order, (family, kind, value, present) in enumerate(families):
        part = common.assign(family=family, type=kind, value=value, _order=order)
        parts.append(part[np.broadcast_to(present, len(rows))])
    events = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["row", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    events["met"] = _judge(cases, events, None)[:, 0]
    _add_comparators(cases, events)
    return events


def _pick(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The value of each row at its single True column of mask (NaN if none)."""
    has = mask.any(axis=1)
    return np.where(has, a[np.arange(len(a)), np.argmax(mask, axis=1)], np.nan)


def _judge(cases, events, sims: np.ndarray | None) -> np.ndarray:
    """Met (events x paths) on the relative year axis: origin = 0, then years 1..5 of the
    simulated paths (`sims`, events x paths x 5) or, with sims None, the actual outcomes."""
    r = events["row"].to_numpy()
    past = cases.history.values[r, -1:]
    future = cases.future[r, None, :EVAL_HORIZONS] if sims is None else sims
    out = np.zeros(future.shape[:2], dtype=bool)
    for kind in events["type"].unique():
        sel = (events["type"] == kind).to_numpy()
        e = events[sel]
        n = int(sel.sum())
        out[sel] = targets.met(
            kind,
            past[sel],
            np.array([0]),
            future[sel],
            e["value"].to_numpy(dtype=float),
            np.zeros(n, int),
            np.ones(n, int),
            e["horizon"].to_numpy(),
            e["decimals"].to_numpy(),
        )
    return out


def _add_comparators(cases, events) -> None:
    """UNSD / Open SDG categories for the numeric (pace, maintain) events."""
    r = events["row"].to_numpy()
    hist = cases.history.values[r]
    first_col = np.argmax(np.isfinite(hist), axis=1)
    base_v = hist[np.arange(len(r)), first_col]
    base_y = first_col - (hist.shape[1] - 1)
    current = hist[:, -1]
    ratio = comparators.growth_ratio(
        base_v,
        base_y,
        current,
        np.zeros(len(r)),
        events["value"].to_numpy(dtype=float),
        events["horizon"].to_numpy(),
    )
    better = events["type"].isin([TargetType.AT_LEAST, TargetType.MAINTAIN_AT_LEAST]).to_numpy()
    value = events["value"].to_numpy(dtype=float)
    met_now = np.where(better, current >= value, current <= value)
    numeric = events["family"].isin(["pace", "maintain"]).to_numpy()
    events["unsd_category"] = np.where(
        numeric, comparators.unsd_category(ratio, met_now), "not_applicable"
    )
    events["opensdg_category"] = np.where(
        numeric, comparators.opensdg_category(ratio, met_now), "not_applicable"
    )


def _event_probabilities(cases, fc, events, calibration) -> pd.DataFrame:
    """P(met) per event for the engine and for naive / drift random walks (normal), from
    the same quasi-random normal scores, a block of series at a time (on every core)."""
    rows = events["row"].to_numpy()
    h = cases.history
    scores = cal.path_scores(N_PATHS, EVAL_HORIZONS + 1, SEED)
    out = {name: np.empty(len(events)) for name in ("engine", "naive", "drift")}
    uniq = np.unique(rows)

    def block_probabilities(block: np.ndarray) -> None:
        sel = (rows >= block[0]) & (rows <= block[-1])
        inverse = np.searchsorted(block, rows[sel])
        z_engine = calibration.sample_z(
            fc.point[block, :EVAL_HORIZONS],
            fc.scale[block],
            fc.n_points[block],
            np.zeros((len(block), EVAL_HORIZONS)),
            scores,
        )
        for name, z in (("engine", z_engine), *_baseline_paths(cases, block, scores)):
            sims = from_z(z, h.lower[block], h.upper[block])[inverse]
            out[name][sel] = _judge(cases, events[sel], sims).mean(axis=1)

    run_blocks(block_probabilities, [(uniq[i : i + BLOCK],) for i in range(0, len(uniq), BLOCK)])
    return pd.DataFrame(out)


def _baseline_paths(cases, rows, scores):
    """Naive (no change) and drift random walks with plug-in normal errors, modelling scale."""
    h = cases.history
    z = to_z(h.values[rows], h.lower[rows], h.upper[rows], h.eps[rows])
    last = z[:, -1]
    diffs = _observed_diffs(z)
    out = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in ("naive", "drift"):
            if name == "naive":
                mean = np.zeros(len(rows))
                sigma = np.sqrt(np.nanmean(diffs**2, axis=1))
            else:
                mean = np.nanmean(diffs, axis=1)
                sigma = np.nanstd(diffs, axis=1, ddof=1)
                sigma = np.where(np.isfinite(sigma), sigma, np.sqrt(np.nanmean(diffs**2, axis=1)))
            steps = scores[None, :, :EVAL_HORIZONS] * sigma[:, None, None] + mean[:, None, None]
            out.append((name, last[:, None, None] + np.cumsum(steps, axis=2)))
    return out


def _observed_diffs(z: np.ndarray) -> np.ndarray:
    """Year-on-year changes between reported years, spread evenly over gaps (left-aligned)."""
    observed = np.isfinite(z)
    rank = np.cumsum(observed, axis=1)  # 1 = first observed year
    n_obs = observed.sum(axis=1)
    t = np.arange(z.shape[1])
    out = np.full((z.shape[0], z.shape[1] - 1), np.nan)
    for k in range(1, z.shape[1]):
        cur = observed & (rank == k + 1)
        prev = observed & (rank == k)
        ok = n_obs > k
        dz = _pick(z, cur) - _pick(z, prev)
        dt = _pick(np.broadcast_to(t, z.shape), cur) - _pick(np.broadcast_to(t, z.shape), prev)
        out[ok, k - 1] = (dz / dt)[ok]
    return out


# --------------------------------------------------------------------------- metrics


def _winkler(y, lo, hi, alpha):
    return (hi - lo) + 2 / alpha * np.maximum(lo - y, 0) + 2 / alpha * np.maximum(y - hi, 0)


def _interval_metrics(cases, fc, calibration, is_eval) -> tuple[pd.DataFrame, dict]:
    """MASE, coverage and scaled Winkler score on the evaluation split, per horizon 1..5;
    and per interval method the share of its 95% Winkler total (all horizons) that comes
    from its 10 worst case-horizons, and its mean without them (how much a mean is carried
    by a few series).

    Coverage counts every case with an outcome; MASE and Winkler are divided by the
    history's mean absolute yearly change and so leave out constant histories. Limits
    within half a reporting unit of a bound are the bound (`from_z` with eps), for every
    method alike."""
    rows = np.flatnonzero(is_eval)
    h = cases.history
    y = cases.future[rows, :EVAL_HORIZONS]
    hist = h.values[rows]
    lower, upper, eps = h.lower[rows], h.upper[rows], h.eps[rows]
    scale_v = _mean_abs(_observed_diffs(hist))
    probs = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
    qz = calibration.quantiles_z(
        fc.point[rows, :EVAL_HORIZONS], fc.scale[rows], fc.n_points[rows], probs
    )
    methods = {"engine": from_z(qz, lower, upper, eps)}
    z = to_z(hist, lower, upper, eps)
    diffs = _observed_diffs(z)
    last = z[:, -1]
    n_hist = np.isfinite(hist).sum(axis=1)
    hh = np.arange(1, EVAL_HORIZONS + 1)
    z95, z80 = ndtri(0.975), ndtri(0.9)
    with np.errstate(invalid="ignore"):
        sig_naive = np.sqrt(np.nanmean(diffs**2, axis=1))
        drift = np.nanmean(diffs, axis=1)
        sig_drift = np.nan_to_num(np.nanstd(diffs, axis=1, ddof=1), nan=0.0)
    for name, centre, sd in (
        ("naive", last[:, None] + 0 * hh, sig_naive[:, None] * np.sqrt(hh)),
        (
            "drift",
            last[:, None] + drift[:, None] * hh,
            sig_drift[:, None] * np.sqrt(hh * (1 + hh / np.maximum(n_hist - 1, 1)[:, None])),
        ),
    ):
        qzb = centre[..., None] + sd[..., None] * np.array([-z95, -z80, 0, z80, z95])
        methods[name] = from_z(qzb, lower, upper, eps)
    for k, model in enumerate(("drift", "damped", "escap", "theta")):
        methods[f"pool:{model}"] = from_z(fc.models[rows, k, :EVAL_HORIZONS, None], lower, upper)
    records = []
    tails = {}
    for name, q in methods.items():
        if q.shape[2] > 1:
            ok = np.isfinite(y) & (scale_v > 0)[:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                w = _winkler(y, q[..., 0], q[..., 4], 0.05) / scale_v[:, None]
            w = np.sort(w[ok])
            tails[name] = {
                "top10_share": round(float(w[-10:].sum() / w.sum()), 4),
                "mean_without_top10": round(float(w[:-10].mean()), 3),
            }
        for j in range(EVAL_HORIZONS):
            has = np.isfinite(y[:, j])
            ok = has & (scale_v > 0)
            yy, s = y[ok, j], scale_v[ok]
            med = q[ok, j, 2] if q.shape[2] > 1 else q[ok, j, 0]
            rec = {
                "method": name,
                "horizon": j + 1,
                "n": int(has.sum()),
                "MASE": float(np.mean(np.abs(yy - med) / s)),
            }
            if q.shape[2] > 1:
                for alpha, lo, hi, tag in ((0.2, 1, 3, "80"), (0.05, 0, 4, "95")):
                    inside = (y[has, j] >= q[has, j, lo]) & (y[has, j] <= q[has, j, hi])
                    rec[f"coverage_{tag}"] = float(np.mean(inside))
                    w = _winkler(yy, q[ok, j, lo], q[ok, j, hi], alpha) / s
                    rec[f"winkler_{tag}"] = float(np.mean(w))
            records.append(rec)
    return pd.DataFrame(records), tails


def _brier_table(events, probs) -> pd.DataFrame:
    met = events["met"].to_numpy().astype(float)
    records = []
    fams = ["all", *sorted(events["family"].unique())]
    for name in ("engine", "naive", "drift", "unsd", "opensdg", "climatology"):
        p = probs[name].to_numpy()
        for fam in fams:
            sel = np.isfinite(p) & ((events["family"] == fam).to_numpy() if fam != "all" else True)
            if not sel.any():
                continue
            ref = probs["climatology"].to_numpy()[sel]
            bs = float(np.mean((p[sel] - met[sel]) ** 2))
            bs_ref = float(np.mean((ref - met[sel]) ** 2))
            records.append(
                {
                    "method": name,
                    "family": fam,
                    "n": int(sel.sum()),
                    "base_rate": float(met[sel].mean()),
                    "brier": bs,
                    "bss": 1 - bs / bs_ref,
                }
            )
    return pd.DataFrame(records)


def _skill_by_indicator(events, probs) -> pd.DataFrame:
    """Brier skill score per panel indicator and event family (engine, drift, naive)."""
    frame = events[["indicator", "family"]].assign(
        met=events["met"].to_numpy(dtype=float),
        **{name: probs[name].to_numpy() for name in ("engine", "drift", "naive", "climatology")},
    )
    records = []
    for (indicator, family), group in frame.groupby(["indicator", "family"]):
        ref = np.mean((group["climatology"] - group["met"]) ** 2)
        record = {"indicator": indicator, "family": family, "n": len(group)}
        for name in ("engine", "drift", "naive"):
            record[name] = 1 - np.mean((group[name] - group["met"]) ** 2) / ref
        records.append(record)
    return pd.DataFrame(records)


def reliability_table(events, probs, bins: int = 10) -> pd.DataFrame:
    """Observed frequency by forecast bin, for all events ("all") and per event family."""
    met = events["met"].to_numpy().astype(float)
    family = events["family"].to_numpy()
    records = []
    for name in ("engine", "naive", "drift"):
        p = probs[name].to_numpy()
        b = np.minimum((p * bins).astype(int), bins - 1)
        for fam in ["all", *sorted(set(family))]:
            in_family = (family == fam) if fam != "all" else np.ones(len(p), bool)
            for k in range(bins):
                sel = (b == k) & in_family
                if sel.any():
                    records.append(
                        {
                            "method": name,
                            "family": fam,
                            "bin": f"{k / bins:.1f}-{(k + 1) / bins:.1f}",
                            "mean_forecast": float(p[sel].mean()),
                            "observed": float(met[sel].mean()),
                            "n": int(sel.sum()),
                        }
                    )
    return pd.DataFrame(records)


def _status_rates(events, probs, calibration) -> pd.DataFrame:
    p = probs["engine"].to_numpy()
    status = np.select(
        [p >= calibration.on_track, p < calibration.off_track], ["on_track", "off_track"], "at_risk"
    )
    frame = pd.DataFrame({"split": events["split"], "status": status, "met": events["met"]})
    return frame.groupby(["split", "status"])["met"].agg(["mean", "size"]).reset_index()


# --------------------------------------------------------------------------- writing


def calibration_path() -> Path:
    return Path(str(resources.files("jinlin_analysis.engine") / cal.CALIBRATION_FILE))


def write_report(result: BacktestResult, docs: Path = DOCS) -> tuple[Path, Path]:
    from jinlin_analysis.engine.backtest_report import render

    return render(result, docs)
