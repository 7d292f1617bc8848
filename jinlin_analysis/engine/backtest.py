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
from jinlin_analysis.engine.transforms import from_z, to_z
from jinlin_analysis.paths import PROJECT_ROOT
from jinlin_analysis.plan import TargetType

SEED = 4
N_PATHS = 400
EVAL_HORIZONS = 5
FLOOR_CANDIDATES = (0.01, 0.02, 0.05, 0.1, 0.2)
ESCAP_TARGET_H = 5
DOCS = PROJECT_ROOT / "docs"


@dataclass
class BacktestResult:
    calibration: cal.Calibration
    intervals: pd.DataFrame  # method x horizon: MASE, coverage, Winkler
    attainment: pd.DataFrame  # method x event family: Brier, BSS, n
    reliability: pd.DataFrame  # method x bin: mean forecast, observed frequency, n
    status_rates: pd.DataFrame  # status -> share met, on calibration and evaluation
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

    floor = _choose_floor(
        errors[is_cal],
        fc.scale[is_cal],
        fc.n_points[is_cal],
        cases.meta["country"][is_cal].to_numpy(),
    )
    tables, corr = cal.fit_tables(errors[is_cal], fc.scale[is_cal], fc.n_points[is_cal], floor)
    calibration = cal.Calibration(
        levels=cal.LEVELS.tolist(),
        quantiles=tables,
        correlation=corr,
        scale_floor=floor,
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
    rng = np.random.default_rng(SEED)
    probs = _event_probabilities(cases, fc, events, calibration, rng)
    cal_ev = events["split"] == "calibration"
    calibration.on_track, calibration.off_track = _tune_thresholds(
        probs.loc[cal_ev, "engine"], events.loc[cal_ev, "met"]
    )
    base_rates = events[cal_ev].groupby("family")["met"].mean()
    probs["climatology"] = events["family"].map(base_rates).to_numpy()
    for name in ("unsd", "opensdg"):
        rates = events[cal_ev].groupby(f"{name}_category")["met"].mean()
        calibration.comparator_rates[name] = {k: round(float(v), 6) for k, v in rates.items()}
        probs[name] = events[f"{name}_category"].map(rates).to_numpy()

    intervals = _interval_metrics(cases, fc, calibration, is_eval)
    ev = ~cal_ev.to_numpy()
    attainment = _brier_table(events[ev], probs[ev])
    reliability = _reliability(events[ev], probs[ev])
    status_rates = _status_rates(events, probs, calibration)
    summary = {
        "cases_calibration": int(is_cal.sum()),
        "cases_evaluation": int(is_eval.sum()),
        "events_calibration": int(cal_ev.sum()),
        "events_evaluation": int(ev.sum()),
        "base_rate_evaluation": float(events.loc[ev, "met"].mean()),
    }
    return BacktestResult(calibration, intervals, attainment, reliability, status_rates, summary)


# ------------------------------------------------------------------------ calibration


def _choose_floor(errors, scale, n_points, countries) -> float:
    """Scale floor with the best mean 80%/95% interval score in 2-fold CV over countries."""
    fold = np.array([panel.stable_hash("cv", c) % 2 for c in countries])
    scores = {}
    for floor in FLOOR_CANDIDATES:
        total = 0.0
        for k in (0, 1):
            tables, _ = cal.fit_tables(
                errors[fold == k], scale[fold == k], n_points[fold == k], floor
            )
            table = np.asarray(tables)
            test = fold != k
            s = np.sqrt(scale[test] ** 2 + floor**2)
            b = cal.bucket(n_points[test])
            for h in range(EVAL_HORIZONS):
                e = errors[test, h]
                ok = np.isfinite(e)
                for alpha in (0.2, 0.05):
                    qlo = np.array(
                        [np.interp(alpha / 2, cal.LEVELS, table[bb, h]) for bb in range(3)]
                    )[b]
                    qhi = np.array(
                        [np.interp(1 - alpha / 2, cal.LEVELS, table[bb, h]) for bb in range(3)]
                    )[b]
                    total += np.mean(_winkler(e[ok], (s * qlo)[ok], (s * qhi)[ok], alpha))
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
    per_series = np.nanmean(d2**2, axis=1)[np.isfinite(d2).any(axis=1)]
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
    rows = []
    for r in np.flatnonzero(fc.usable & meta["higher_is_better"].notna().to_numpy()):
        m = meta.iloc[r]
        better = bool(m["higher_is_better"])
        horizon = (
            1 + panel.stable_hash("H", m["indicator"], m["country"], m["origin"]) % EVAL_HORIZONS
        )
        fut = cases.future[r, :horizon]
        if not np.isfinite(fut).all():
            continue
        hist = h.values[r]
        ok = np.isfinite(hist)
        z = to_z(hist[None], h.lower[r : r + 1], h.upper[r : r + 1], h.eps[r : r + 1])[0]
        zk = z[ok]
        k = min(len(zk) - 1, 5)
        pace = (zk[-1] - zk[-1 - k]) / k
        f = (0.5, 1.0, 1.5)[panel.stable_hash("f", m["indicator"], m["country"], m["origin"]) % 3]
        goal = from_z(
            np.array([[zk[-1] + f * pace * horizon]]), h.lower[r : r + 1], h.upper[r : r + 1]
        )[0, 0]
        decimals = round(-np.log10(2 * h.eps[r]))
        goal = float(np.round(goal, decimals))
        common = {
            "row": r,
            "split": m["split"],
            "indicator": m["indicator"],
            "horizon": horizon,
            "decimals": decimals,
        }
        kind = TargetType.AT_LEAST if better else TargetType.AT_MOST
        rows.append({**common, "family": "pace", "type": kind, "value": goal})
        if better:
            worst = float(np.min(hist[ok][-3:]))
            rows.append(
                {
                    **common,
                    "family": "maintain",
                    "type": TargetType.MAINTAIN_AT_LEAST,
                    "value": worst,
                }
            )
        rows.append(
            {
                **common,
                "family": "keep",
                "value": np.nan,
                "type": TargetType.KEEP_INCREASING if better else TargetType.KEEP_DECREASING,
            }
        )
        rows.append(
            {
                **common,
                "family": "improve",
                "value": np.nan,
                "type": TargetType.INCREASE if better else TargetType.DECREASE,
            }
        )
    events = pd.DataFrame(rows)
    events["met"] = _judge(cases, events, observed_only=True)[:, 0]
    _add_comparators(cases, events)
    return events


def _axis_paths(cases, events, sims: np.ndarray | None) -> np.ndarray:
    """Values on a relative year axis 0..5: origin value, then future (sims or actual)."""
    r = events["row"].to_numpy()
    origin = cases.history.values[r, -1]
    future = (
        cases.future[r, :EVAL_HORIZONS][:, None, :] if sims is None else sims[:, :, :EVAL_HORIZONS]
    )
    first = np.repeat(origin[:, None, None], future.shape[1], axis=1)
    return np.concatenate([first, future], axis=2)


def _judge(cases, events, observed_only=False, sims=None) -> np.ndarray:
    paths = _axis_paths(cases, events, None if observed_only else sims)
    axis = np.arange(EVAL_HORIZONS + 1)
    out = np.zeros(paths.shape[:2], dtype=bool)
    for kind in events["type"].unique():
        sel = (events["type"] == kind).to_numpy()
        e = events[sel]
        n = int(sel.sum())
        out[sel] = targets.met(
            kind,
            paths[sel],
            axis,
            e["value"].to_numpy(),
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
        events["value"].to_numpy(),
        events["horizon"].to_numpy(),
    )
    better = events["type"].isin([TargetType.AT_LEAST, TargetType.MAINTAIN_AT_LEAST]).to_numpy()
    met_now = np.where(better, current >= events["value"], current <= events["value"])
    numeric = events["family"].isin(["pace", "maintain"]).to_numpy()
    events["unsd_category"] = np.where(
        numeric, comparators.unsd_category(ratio, met_now), "not_applicable"
    )
    events["opensdg_category"] = np.where(
        numeric, comparators.opensdg_category(ratio, met_now), "not_applicable"
    )


def _event_probabilities(cases, fc, events, calibration, rng) -> pd.DataFrame:
    """P(met) per event for the engine and for naive / drift random walks (normal)."""
    rows = events["row"].to_numpy()
    uniq, inverse = np.unique(rows, return_inverse=True)
    h = cases.history
    out = {}
    z_engine = calibration.sample_z(
        fc.point[uniq, :EVAL_HORIZONS],
        fc.scale[uniq],
        fc.n_points[uniq],
        np.zeros((len(uniq), EVAL_HORIZONS)),
        N_PATHS,
        rng,
    )
    for name, z in (("engine", z_engine), *(_baseline_paths(cases, uniq, rng))):
        sims = from_z(z, h.lower[uniq], h.upper[uniq])[inverse]
        out[name] = _judge(cases, events, sims=sims).mean(axis=1)
    return pd.DataFrame(out)


def _baseline_paths(cases, rows, rng):
    """Naive (no change) and drift random walks with plug-in normal errors, modelling scale."""
    h = cases.history
    z = to_z(h.values[rows], h.lower[rows], h.upper[rows], h.eps[rows])
    last = z[:, -1]
    out = []
    for name in ("naive", "drift"):
        diffs = _observed_diffs(z)
        if name == "naive":
            mean = np.zeros(len(rows))
            sigma = np.sqrt(np.nanmean(diffs**2, axis=1))
        else:
            mean = np.nanmean(diffs, axis=1)
            sigma = (
                np.nanstd(diffs, axis=1, ddof=1) if diffs.shape[1] > 2 else np.nanstd(diffs, axis=1)
            )
            sigma = np.where(np.isfinite(sigma), sigma, np.sqrt(np.nanmean(diffs**2, axis=1)))
        steps = rng.standard_normal((len(rows), N_PATHS, EVAL_HORIZONS)) * sigma[:, None, None]
        steps += mean[:, None, None]
        out.append((name, last[:, None, None] + np.cumsum(steps, axis=2)))
    return out


def _observed_diffs(z: np.ndarray) -> np.ndarray:
    """Year-on-year changes between reported years, spread evenly over gaps."""
    t = np.arange(z.shape[1])
    out = np.full((z.shape[0], z.shape[1] - 1), np.nan)
    for r in range(z.shape[0]):
        ok = np.isfinite(z[r])
        tt, zz = t[ok], z[r, ok]
        steps = np.diff(zz) / np.diff(tt)
        out[r, : len(steps)] = steps
    return out


# --------------------------------------------------------------------------- metrics


def _winkler(y, lo, hi, alpha):
    return (hi - lo) + 2 / alpha * np.maximum(lo - y, 0) + 2 / alpha * np.maximum(y - hi, 0)


def _interval_metrics(cases, fc, calibration, is_eval) -> pd.DataFrame:
    """MASE, coverage and scaled Winkler score on the evaluation split, per horizon 1..5."""
    rows = np.flatnonzero(is_eval)
    h = cases.history
    y = cases.future[rows, :EVAL_HORIZONS]
    hist = h.values[rows]
    scale_v = np.nanmean(np.abs(_observed_diffs(hist)), axis=1)
    probs = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
    qz = calibration.quantiles_z(
        fc.point[rows, :EVAL_HORIZONS], fc.scale[rows], fc.n_points[rows], probs
    )
    engine_q = from_z(qz, h.lower[rows], h.upper[rows])
    z = to_z(hist, h.lower[rows], h.upper[rows], h.eps[rows])
    diffs = _observed_diffs(z)
    last = z[:, -1]
    n_hist = np.isfinite(hist).sum(axis=1)
    hh = np.arange(1, EVAL_HORIZONS + 1)
    z95, z80 = ndtri(0.975), ndtri(0.9)
    methods = {"engine": engine_q}
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
        methods[name] = from_z(qzb, h.lower[rows], h.upper[rows])
    for k, model in enumerate(("drift", "damped", "escap", "theta")):
        methods[f"pool:{model}"] = from_z(
            fc.models[rows, k, :EVAL_HORIZONS, None], h.lower[rows], h.upper[rows]
        )
    records = []
    for name, q in methods.items():
        for j in range(EVAL_HORIZONS):
            ok = np.isfinite(y[:, j]) & (scale_v > 0)
            yy, s = y[ok, j], scale_v[ok]
            med = q[ok, j, 2] if q.shape[2] > 1 else q[ok, j, 0]
            rec = {
                "method": name,
                "horizon": j + 1,
                "n": int(ok.sum()),
                "MASE": float(np.mean(np.abs(yy - med) / s)),
            }
            if q.shape[2] > 1:
                for alpha, lo, hi, tag in ((0.2, 1, 3, "80"), (0.05, 0, 4, "95")):
                    low, up = q[ok, j, lo], q[ok, j, hi]
                    rec[f"coverage_{tag}"] = float(np.mean((yy >= low) & (yy <= up)))
                    rec[f"winkler_{tag}"] = float(np.mean(_winkler(yy, low, up, alpha) / s))
            records.append(rec)
    return pd.DataFrame(records)


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


def _reliability(events, probs, bins: int = 10) -> pd.DataFrame:
    met = events["met"].to_numpy().astype(float)
    records = []
    for name in ("engine", "naive", "drift"):
        p = probs[name].to_numpy()
        b = np.minimum((p * bins).astype(int), bins - 1)
        for k in range(bins):
            sel = b == k
            if sel.any():
                records.append(
                    {
                        "method": name,
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
