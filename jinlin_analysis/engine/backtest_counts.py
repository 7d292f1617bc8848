"""Semi-synthetic backtest of the small-count path: real trends, district-sized counts.

`jinlin backtest` validates intervals and probabilities on national series, which carry no
sampling noise. The district's warning indicators (neonatal, infant, under-5 mortality with
~300 births and 0-3 deaths a year) take another path: the likelihood smoother
(noise.pql_whittaker), the variance of extending its line, and counts drawn for the value
that will be *reported* (noise.draw_observed). This module checks that path:

1. the TRUE risk of each year is a real UN IGME national series (panel.py), restricted to
   the district's world (at most MAX_RATE per 1,000 at the origin);
2. a district of 250-450 births a year is simulated for each country (seeded per country,
   so a subset of countries sees the same districts) and its deaths are
   Binomial(births, risk / 1000); the reported value is deaths / births x 1000 rounded to
   two decimals, as the district reports it;
3. at rolling origins with HISTORY years of history the engine's own functions run as
   assess() runs them (point_forecasts with counts, Calibration.sample_z with the
   smoother's extra variance, noise.draw_observed with the mean denominator of the last
   three years, the same quasi-random scores), and are scored against the simulated
   reported values of the next 1-5 years;
4. the split is the existing backtest's: calibration = countries in panel hash half A with
   origins 1990-2011 and outcomes up to 2012; evaluation = half B, origins from 2013. The
   engine's calibration file is used as shipped; the climatology base rates and the
   engine's slope prior of child mortality (noise.SLOPE_PRIORS, `fit_slope_prior`: mean and
   sd of the true yearly change) come from the calibration part, nothing from evaluation.

`run_count_backtest()` returns the tables; `render()` writes docs/backtest-small-counts.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jinlin_analysis.engine import noise, panel, targets
from jinlin_analysis.engine.assess import N_PATHS, PROBS
from jinlin_analysis.engine.assess import SEED as ASSESS_SEED
from jinlin_analysis.engine.backtest import reliability_table
from jinlin_analysis.engine.calibration import Calibration, path_scores
from jinlin_analysis.engine.forecast import (
    SeriesArrays,
    binomial_counts,
    gross_ratio_counts,
    point_forecasts,
)
from jinlin_analysis.engine.transforms import from_z, to_z
from jinlin_analysis.paths import PROJECT_ROOT
from jinlin_analysis.plan import TargetType

INDICATORS = ("SH.DYN.NMRT", "SP.DYN.IMRT.IN", "SH.DYN.MORT")  # UN IGME, per 1,000 births
PER = 1000.0
HISTORY = 10  # years of history at each origin, like the district's 2015-2024
HORIZONS = 5
MAX_RATE = 20.0  # true rate at the origin, per 1,000: at most ~9 deaths a year
BIRTHS = (250, 450)
SEED = 2021  # districts' births and deaths
DECIMALS = 2  # reported values, as in the district's returns
TARGET_DECIMALS = 1  # targets are stated with one decimal (婴儿死亡率控制在5.5‰以下)
ESCAP_TARGET_H = 5  # as in the existing backtest
BANDS = (0, 1, 2, 4, np.inf)  # expected deaths a year at the origin
DOCS = PROJECT_ROOT / "docs"
PRIOR_NAME = "child_mortality"  # counts.slope_prior of the plan's three mortality rates


@dataclass
class CountCases:
    """Rolling-origin cases of simulated districts (history columns = origin-9 .. origin)."""

    meta: pd.DataFrame  # indicator, country, origin, split, true_rate, expected_deaths, band
    history: SeriesArrays  # reported values with numerator (deaths) and denominator (births)
    future: np.ndarray  # (n, HORIZONS) reported values at origin+1.., NaN = not observable

    def __len__(self) -> int:
        return len(self.meta)


@dataclass
class CountBacktestResult:
    intervals: pd.DataFrame  # method x horizon: coverage 80/95 (inclusive and PIT), width
    by_band: pd.DataFrame  # engine coverage by expected deaths a year
    attainment: pd.DataFrame  # method x family: Brier, BSS vs climatology, base rate
    reliability: pd.DataFrame  # method x bin: mean forecast, observed, n
    summary: dict = field(default_factory=dict)


# ------------------------------------------------------------------------ simulation


def simulate_districts(data: pd.DataFrame | None = None, seed: int = SEED) -> pd.DataFrame:
    """One simulated district per country and indicator, on the real rate path.

    Births are drawn per country (the same births for all three indicators, as in a real
    district), deaths per country and indicator, each from a generator seeded by a stable
    hash of the country (and indicator), so the draws do not depend on which other
    countries are in `data`. Returns indicator, country, year, rate, births, deaths, value.
    """
    data = panel.load_panel() if data is None else data
    data = data[data["indicator"].isin(INDICATORS)].dropna(subset=["value"])
    parts = []
    for (indicator, country), rows in data.groupby(["indicator", "country_code"], sort=True):
        years = rows["year"].to_numpy()
        rate = rows["value"].to_numpy(dtype=float)
        births = _births(country, years, seed)
        rng = np.random.default_rng([seed, panel.stable_hash("deaths", indicator, country)])
        deaths = rng.binomial(births, np.clip(rate / PER, 0, 1))
        parts.append(
            pd.DataFrame(
                {
                    "indicator": indicator,
                    "country": country,
                    "year": years,
                    "rate": rate,
                    "births": births,
                    "deaths": deaths,
                    "value": np.round(deaths / births * PER, DECIMALS),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _births(country: str, years: np.ndarray, seed: int) -> np.ndarray:
    """Births of the country's district: a level of 280-420 with +-8% yearly variation,
    kept within BIRTHS. Indexed by calendar year so every indicator sees the same births."""
    rng = np.random.default_rng([seed, panel.stable_hash("births", country)])
    level = rng.uniform(280, 420)
    grid = np.arange(1950, 2031)
    yearly = np.clip(np.round(level * np.exp(0.08 * rng.standard_normal(len(grid)))), *BIRTHS)
    return yearly[years - grid[0]].astype(int)


def build_count_cases(sim: pd.DataFrame) -> CountCases:
    """Rolling-origin cases with HISTORY complete years, on the existing backtest's split,
    in the district's world (true rate at the origin <= MAX_RATE)."""
    metas, values, deaths, births, futures = [], [], [], [], []
    for (indicator, country), rows in sim.groupby(["indicator", "country"], sort=True):
        rows = rows.set_index("year").sort_index()
        calib = panel.is_calibration_country(country)
        for origin in rows.index:
            window = np.arange(origin - HISTORY + 1, origin + 1)
            if calib:
                if not panel.CALIBRATION_ORIGINS[0] <= origin <= panel.CALIBRATION_ORIGINS[1]:
                    continue
                last_outcome = panel.CALIBRATION_LAST_OUTCOME
            else:
                if origin < panel.EVALUATION_FIRST_ORIGIN:
                    continue
                last_outcome = 10_000
            if rows.index.isin(window).sum() != HISTORY:
                continue
            rate = float(rows.at[origin, "rate"])
            if rate > MAX_RATE:
                continue
            ahead = np.arange(origin + 1, origin + HORIZONS + 1)
            fut = rows["value"].reindex(ahead).to_numpy(dtype=float, copy=True)
            fut[ahead > last_outcome] = np.nan
            if not np.isfinite(fut).any():
                continue
            hist = rows.loc[window]
            expected = rate / PER * hist["births"].iloc[-3:].mean()
            metas.append(
                (
                    indicator,
                    country,
                    origin,
                    "calibration" if calib else "evaluation",
                    rate,
                    expected,
                )
            )
            values.append(hist["value"].to_numpy(dtype=float))
            deaths.append(hist["deaths"].to_numpy(dtype=float))
            births.append(hist["births"].to_numpy(dtype=float))
            futures.append(fut)
    meta = pd.DataFrame(
        metas, columns=["indicator", "country", "origin", "split", "true_rate", "expected_deaths"]
    )
    meta["band"] = pd.cut(meta["expected_deaths"], BANDS, right=False).astype(str)
    n = len(meta)
    history = SeriesArrays(
        years=np.arange(-HISTORY + 1, 1),
        values=np.array(values),
        lower=np.zeros(n),
        upper=np.full(n, PER),
        eps=np.full(n, 0.5 * 10.0**-DECIMALS),
        numerator=np.array(deaths),
        denominator=np.array(births),
        per=np.full(n, PER),
        slope_prior=_prior(n),
    )
    cases = CountCases(meta=meta, history=history, future=np.array(futures))
    cases.meta["true_slope"] = _true_slopes(sim, cases.meta)
    return cases


def _prior(n: int) -> noise.SlopePrior:
    """The engine's slope prior of these indicators (as the plan names it for them)."""
    mean, sd = noise.SLOPE_PRIORS[PRIOR_NAME]
    return noise.SlopePrior(mean=np.full(n, mean), sd=np.full(n, sd))


def _true_slopes(sim: pd.DataFrame, meta: pd.DataFrame) -> np.ndarray:
    """Mean yearly change of the TRUE rate over each case's history, on the modelling scale
    (logit of rate / 1000, as the smoother's signal)."""
    rate = sim.set_index(["indicator", "country", "year"])["rate"]
    at = lambda years: rate.reindex(  # noqa: E731
        list(zip(meta["indicator"], meta["country"], years, strict=True))
    ).to_numpy(dtype=float)
    first, last = at(meta["origin"] - HISTORY + 1), at(meta["origin"])
    n = len(meta)
    z = to_z(np.column_stack([first, last]), np.zeros(n), np.full(n, PER), np.full(n, 1e-6))
    return (z[:, 1] - z[:, 0]) / (HISTORY - 1)


def fit_slope_prior(cases: CountCases) -> tuple[float, float]:
    """The slope prior as fitted on the CALIBRATION part only: mean and sd of the true
    mean yearly change over the cases' 10-year histories (what noise.SLOPE_PRIORS holds
    for child_mortality, rounded to 3 decimals)."""
    slopes = cases.meta.loc[cases.meta["split"] == "calibration", "true_slope"]
    return float(slopes.mean()), float(slopes.std(ddof=0))


def subset(cases: CountCases, mask: np.ndarray) -> CountCases:
    return CountCases(
        meta=cases.meta[mask].reset_index(drop=True),
        history=cases.history.take(mask),
        future=cases.future[mask],
    )


# ------------------------------------------------------------------------ forecasts


def engine_paths(
    cases: CountCases, calibration: Calibration, seed: int = ASSESS_SEED
) -> np.ndarray:
    """Reported-value paths (cases x paths x HORIZONS) exactly as assess() makes them for a
    count series whose target lies HORIZONS years ahead (assess._simulate / _reported):
    trend paths from the calibrated copula plus the smoother's extrapolation variance, then
    each year's count drawn with the mean denominator of the last three years."""
    h = cases.history
    fc = point_forecasts(h, HORIZONS, np.full(len(cases), ESCAP_TARGET_H), calibration.smoothing_q)
    scores = path_scores(N_PATHS, 2 * HORIZONS + 1, seed)
    z = calibration.sample_z(
        fc.point[:, :HORIZONS], fc.scale, fc.n_points, fc.extra_var[:, :HORIZONS], scores
    )
    rate = from_z(z, h.lower, h.upper)
    return noise.draw_observed(
        rate,
        fc.last_denominator,
        h.per,
        binomial_counts(h.lower, h.upper, h.per),
        scores[:, HORIZONS + 1 :],
        gross_ratio_counts(h.lower, h.upper, h.per),
    )


def baseline_paths(cases: CountCases, seed: int = ASSESS_SEED) -> dict[str, np.ndarray]:
    """Two cheap count baselines with counting noise only (no trend uncertainty), drawn
    from the same scores and denominators as the engine:
    - naive: the pooled rate of the last five years (deaths / births) stays;
    - drift: that rate continues the pace between the two halves of the history."""
    recent, pace = _pooled_rate_and_pace(cases)
    h = cases.history
    steps = np.arange(1, HORIZONS + 1)
    scores = path_scores(N_PATHS, 2 * HORIZONS + 1, seed)
    den = h.denominator[:, -3:].mean(axis=1)
    out = {}
    for name, log_pace in (("naive", np.zeros(len(cases))), ("drift", pace)):
        # the pooled window is centred 2 years before the origin
        rate = recent[:, None] * np.exp(log_pace[:, None] * (steps + 2))
        rate = np.broadcast_to(rate[:, None, :], (len(cases), len(scores), HORIZONS))
        out[name] = noise.draw_observed(
            rate, den, h.per, np.ones(len(cases), bool), scores[:, HORIZONS + 1 :]
        )
    return out


def _pooled_rate_and_pace(cases: CountCases) -> tuple[np.ndarray, np.ndarray]:
    """Pooled rate of the last five years and the yearly log pace from the first five to
    the last five (half a death added to each window so that 0 deaths stays finite)."""
    k, n = cases.history.numerator, cases.history.denominator
    half = HISTORY // 2
    early = (k[:, :half].sum(axis=1) + 0.5) / n[:, :half].sum(axis=1)
    late = (k[:, half:].sum(axis=1) + 0.5) / n[:, half:].sum(axis=1)
    recent = k[:, half:].sum(axis=1) / n[:, half:].sum(axis=1) * PER
    return recent, np.log(late / early) / half


# ------------------------------------------------------------------------ intervals


def interval_table(cases: CountCases, paths: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per method and horizon: inclusive coverage of the 80%/95% intervals of the
    reported value (what a reader of the report sees), randomised-PIT coverage (the
    calibration of the whole predictive distribution, free of the discreteness of counts)
    and the mean width."""
    records = []
    y = cases.future
    for name, sims in paths.items():
        q = np.quantile(sims, PROBS, axis=1)  # probs x cases x H
        pit_lo, pit_hi = _pit_range(sims, y)
        for j in range(HORIZONS):
            ok = np.isfinite(y[:, j])
            rec = {"method": name, "horizon": j + 1, "n": int(ok.sum())}
            for lo, hi, level in ((1, 3, 80), (0, 4, 95)):
                yy = y[ok, j]
                inside = (yy >= q[lo, ok, j] - 1e-9) & (yy <= q[hi, ok, j] + 1e-9)
                rec[f"coverage_{level}"] = float(inside.mean())
                a = (1 - level / 100) / 2
                rec[f"pit_{level}"] = float(_share_within(pit_lo[ok, j], pit_hi[ok, j], a).mean())
                rec[f"width_{level}"] = float(np.mean(q[hi, ok, j] - q[lo, ok, j]))
            records.append(rec)
    return pd.DataFrame(records)


def _pit_range(sims: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[P(Y < y), P(Y <= y)] under the simulated distribution (cases x H)."""
    below = (sims < y[:, None, :] - 1e-9).mean(axis=1)
    at_most = (sims <= y[:, None, :] + 1e-9).mean(axis=1)
    return below, at_most


def _share_within(lo: np.ndarray, hi: np.ndarray, a: float) -> np.ndarray:
    """Expected share of a randomised PIT, uniform on [lo, hi], that lies in [a, 1 - a]
    (Czado, Gneiting & Held 2009): exactly 1 - 2a on average if the forecast is calibrated."""
    width = hi - lo
    overlap = np.clip(np.minimum(hi, 1 - a) - np.maximum(lo, a), 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(width > 0, overlap / width, ((lo >= a) & (lo <= 1 - a)).astype(float))


def coverage_by_band(cases: CountCases, sims: np.ndarray) -> pd.DataFrame:
    """Engine coverage (all horizons pooled) by expected deaths a year at the origin."""
    q = np.quantile(sims, PROBS, axis=1)
    y = cases.future
    ok = np.isfinite(y)
    pit_lo, pit_hi = _pit_range(sims, y)
    records = []
    for band, rows in cases.meta.groupby("band", sort=False).groups.items():
        r = np.asarray(rows)
        m = ok[r]
        rec = {"expected deaths a year": band, "n": int(m.sum())}
        for lo, hi, level in ((1, 3, 80), (0, 4, 95)):
            yy = y[r][m]
            inside = (yy >= q[lo][r][m] - 1e-9) & (yy <= q[hi][r][m] + 1e-9)
            rec[f"coverage_{level}"] = float(inside.mean())
            a = (1 - level / 100) / 2
            rec[f"pit_{level}"] = float(_share_within(pit_lo[r][m], pit_hi[r][m], a).mean())
        records.append(rec)
    order = {str(b): k for k, b in enumerate(pd.cut([0.5, 1.5, 3, 5], BANDS, right=False))}
    frame = pd.DataFrame(records)
    return frame.sort_values("expected deaths a year", key=lambda s: s.map(order)).reset_index(
        drop=True
    )


# ------------------------------------------------------------------------ attainment


def attainment_events(cases: CountCases) -> pd.DataFrame:
    """Targets set at each origin, judged on the simulated REPORTED value (horizon 1-5
    hashed per case, outcome needs every year up to it):
    - pace: at most X in origin+H, X = the pooled rate of the last five years continued at
      a hashed multiple f in {0.5, 1, 1.5} of the pace between the halves of the history
      (f = 0.5: an easier target when the rate falls), stated with one decimal;
    - improve: the reported value in origin+H below the origin's (decrease);
    - keep: never up from one year to the next from the origin to origin+H and lower
      in origin+H than at the origin (keep_decreasing, the engine's reading of 持续下降)."""
    meta = cases.meta
    keys = list(zip(meta["indicator"], meta["country"], meta["origin"], strict=True))
    horizon = 1 + np.array([panel.stable_hash("H", *k) % HORIZONS for k in keys])
    multiple = np.array([(0.5, 1.0, 1.5)[panel.stable_hash("f", *k) % 3] for k in keys])
    ahead = np.arange(HORIZONS) < horizon[:, None]
    complete = (np.isfinite(cases.future) | ~ahead).all(axis=1)
    rows = np.flatnonzero(complete)
    recent, pace = _pooled_rate_and_pace(cases)
    goal = recent * np.exp(multiple * pace * (horizon + 2))
    goal = np.round(goal, TARGET_DECIMALS)[rows]
    common = pd.DataFrame(
        {
            "row": rows,
            "split": meta["split"].to_numpy()[rows],
            "indicator": meta["indicator"].to_numpy()[rows],
            "band": meta["band"].to_numpy()[rows],
            "horizon": horizon[rows],
        }
    )
    families = [
        ("pace", TargetType.AT_MOST, goal),
        ("improve", TargetType.DECREASE, np.nan),
        ("keep", TargetType.KEEP_DECREASING, np.nan),
    ]
    events = pd.concat(
        [common.assign(family=f, type=t, value=v) for f, t, v in families], ignore_index=True
    )
    events = events.sort_values(["row", "family"], kind="stable").reset_index(drop=True)
    events["met"] = judge(cases, events, None)[:, 0]
    return events


def judge(cases: CountCases, events: pd.DataFrame, sims: np.ndarray | None) -> np.ndarray:
    """Met (events x paths): origin = year 0, then years 1..5 of `sims` (cases x paths x
    5) or, with sims None, of the simulated reported outcomes; rules of targets.py."""
    r = events["row"].to_numpy()
    past = cases.history.values[r, -1:]
    future = cases.future[r, None, :] if sims is None else sims[r]
    out = np.zeros(future.shape[:2], dtype=bool)
    for kind in events["type"].unique():
        sel = (events["type"] == kind).to_numpy()
        n = int(sel.sum())
        out[sel] = targets.met(
            kind,
            past[sel],
            np.array([0]),
            future[sel],
            events.loc[sel, "value"].to_numpy(dtype=float),
            np.zeros(n, int),
            np.ones(n, int),
            events.loc[sel, "horizon"].to_numpy(),
            np.full(n, DECIMALS),
        )
    return out


def brier_table(events: pd.DataFrame, probs: pd.DataFrame) -> pd.DataFrame:
    """Brier score and skill against climatology (calibration base rate per family)."""
    met = events["met"].to_numpy(dtype=float)
    ref = probs["climatology"].to_numpy()
    records = []
    for name in probs.columns:
        p = probs[name].to_numpy()
        for fam in ["all", *sorted(events["family"].unique())]:
            sel = np.ones(len(p), bool) if fam == "all" else (events["family"] == fam).to_numpy()
            bs = float(np.mean((p[sel] - met[sel]) ** 2))
            records.append(
                {
                    "method": name,
                    "family": fam,
                    "n": int(sel.sum()),
                    "base_rate": float(met[sel].mean()),
                    "brier": bs,
                    "bss": 1 - bs / float(np.mean((ref[sel] - met[sel]) ** 2)),
                }
            )
    return pd.DataFrame(records)


def reliability(events: pd.DataFrame, probs: pd.DataFrame) -> pd.DataFrame:
    """Observed frequency by forecast bin over all events (backtest.reliability_table)."""
    table = reliability_table(events, probs)
    return table[table["family"] == "all"].drop(columns="family").reset_index(drop=True)


# ------------------------------------------------------------------------ the run


def run_count_backtest(
    cases: CountCases | None = None, calibration: Calibration | None = None
) -> CountBacktestResult:
    """Score the engine's small-count path on the evaluation part (see module docstring)."""
    cases = cases if cases is not None else build_count_cases(simulate_districts())
    calibration = calibration or Calibration.load()
    engine = engine_paths(cases, calibration)
    paths = {"engine": engine, **baseline_paths(cases)}
    ev_case = (cases.meta["split"] == "evaluation").to_numpy()
    ev_cases = subset(cases, ev_case)
    intervals = interval_table(ev_cases, {k: v[ev_case] for k, v in paths.items()})
    by_band = coverage_by_band(ev_cases, engine[ev_case])

    events = attainment_events(cases)
    probs = pd.DataFrame(
        {name: judge(cases, events, sims).mean(axis=1) for name, sims in paths.items()}
    )
    cal = (events["split"] == "calibration").to_numpy()
    base = events[cal].groupby("family")["met"].mean()
    probs["climatology"] = events["family"].map(base).to_numpy()
    ev = ~cal
    summary = {
        "cases_calibration": int((~ev_case).sum()),
        "cases_evaluation": int(ev_case.sum()),
        "events_calibration": int(cal.sum()),
        "events_evaluation": int(ev.sum()),
        "slope_prior_fitted": fit_slope_prior(cases),
        "slope_prior": noise.SLOPE_PRIORS[PRIOR_NAME],
        "countries_evaluation": int(ev_cases.meta["country"].nunique()),
        "deaths_per_year_median": float(np.median(ev_cases.history.numerator)),
        "births_mean": float(np.mean(ev_cases.history.denominator)),
        "base_rates_calibration": {k: float(v) for k, v in base.items()},
    }
    return CountBacktestResult(
        intervals=intervals,
        by_band=by_band,
        attainment=brier_table(events[ev], probs[ev]),
        reliability=reliability(events[ev], probs[ev]),
        summary=summary,
    )


# ------------------------------------------------------------------------ writing

METHOD_NAMES = {
    "engine": "engine (count smoother + calibrated paths + counting noise)",
    "naive": "naive: pooled rate of the last 5 years, counting noise only",
    "drift": "drift: that rate continued at the history's pace, counting noise only",
    "climatology": "climatology (calibration base rate per family)",
}


def render(result: CountBacktestResult, docs: Path = DOCS) -> tuple[Path, Path]:
    """Write docs/backtest-small-counts.md and the reliability chart beside it."""
    from jinlin_analysis.engine.backtest_report import markdown_table, reliability_chart

    docs.mkdir(parents=True, exist_ok=True)
    s = result.summary
    iv = result.intervals
    engine = iv[iv["method"] == "engine"].drop(columns="method")
    cols = ["coverage_80", "pit_80", "coverage_95", "pit_95", "width_80", "width_95"]
    overall = iv.groupby("method", sort=False)[cols].mean().reset_index()
    att = result.attainment
    wide = att.pivot_table(index="method", columns="family", values="bss", sort=False)
    wide = wide.reset_index()
    brier_all = att[att["family"] == "all"].set_index("method")["brier"]
    vs = pd.DataFrame(
        {
            "reference": ["climatology", "naive", "drift"],
            "BSS of the engine": [
                1 - brier_all["engine"] / brier_all[r] for r in ("climatology", "naive", "drift")
            ],
        }
    )
    att_all = (
        att[att["family"] == "all"]
        .drop(columns="family")
        .assign(method=lambda f: f["method"].map(METHOD_NAMES))
    )
    wide["method"] = wide["method"].map(METHOD_NAMES)
    rel = result.reliability
    base = ", ".join(f"{k} {v:.1%}" for k, v in s["base_rates_calibration"].items())
    lines = [
        "# Backtest of the small-count path (semi-synthetic)",
        "",
        "Generated by `jinlin backtest --small-counts`; deterministic (seeded), so a rerun",
        "reproduces this file and `backtest-small-counts-reliability.png`. Method:",
        "[engine.md](engine.md) §4; the backtest on national series without counts:",
        "[backtest.md](backtest.md).",
        "",
        "## Design",
        "",
        "- **Truth**: the real UN IGME national series of neonatal, infant and under-5",
        "  mortality per 1,000 live births (`data/raw/international/panel.csv`) are the",
        "  underlying risk of each year, in the district's world only: true rate at the",
        f"  origin at most {MAX_RATE:g} per 1,000.",
        f"- **District**: {BIRTHS[0]}-{BIRTHS[1]} births a year (a level of 280-420 per",
        "  country, +-8% from year to year; the same births for the three indicators),",
        "  deaths ~ Binomial(births, rate / 1000) per indicator, reported value = deaths /",
        f"  births x 1000 rounded to {DECIMALS} decimals. One district per country, seeded by",
        f"  country (seed {SEED}); evaluation cases: mean {s['births_mean']:.0f} births and a",
        f"  median of {s['deaths_per_year_median']:.0f} deaths a year.",
        f"- **Origins**: rolling, each with {HISTORY} years of history (the district has",
        "  2015-2024); forecasts of the value reported 1-5 years ahead.",
        "- **Engine**: the real code path of `assess()` for a count series: the",
        "  likelihood smoother of the counts with the slope prior of child mortality",
        f"  (mean yearly change {s['slope_prior'][0]:+.3f}, sd {s['slope_prior'][1]:.3f} on the",
        "  logit scale; fitted on the calibration part: mean and sd of the true change over",
        f"  the cases' 10-year histories, {s['slope_prior_fitted'][0]:+.4f} and"
        f" {s['slope_prior_fitted'][1]:.4f}),",
        "  the pool on its signal, calibrated paths",
        "  (`calibration.json` as shipped) plus the variance of extending the fitted line,",
        "  counts drawn with the mean births of the last three years; 256 quasi-random paths",
        "  with assess()'s seed.",
        "- **Split** as in `jinlin backtest`: calibration = countries in hash half A, origins",
        "  1990-2011, outcomes up to 2012; evaluation = half B, origins 2013 and later. Nothing",
        "  here is fitted on the evaluation part; the calibration part gives the slope prior",
        f"  and the climatology base rates ({base}).",
        f"- Cases: {s['cases_calibration']} calibration, {s['cases_evaluation']} evaluation",
        f"  ({s['countries_evaluation']} countries); attainment events:",
        f"  {s['events_calibration']} calibration, {s['events_evaluation']} evaluation.",
        "- Baselines (same paths' scores, same expected births): *naive* = the pooled rate",
        "  of the last five years (deaths / births) stays; *drift* = that rate continues the",
        "  pace between the two halves of the history. Both carry counting noise only.",
        "",
        "## Intervals for the reported value (evaluation part)",
        "",
        "*coverage* = share of reported outcomes inside the interval, limits included (what",
        "a reader of the report sees). Counts are discrete, so an interval whose limits sit",
        "on possible values covers more than its level even when the forecast is right;",
        "*pit* is the same share for the randomised PIT (Czado, Gneiting & Held 2009),",
        "which is exactly 80% / 95% for a calibrated forecast of counts. Widths in per",
        "1,000. Goal: within 3 points of 80% and 95%.",
        "",
        "Engine by horizon:",
        "",
        markdown_table(engine),
        "",
        _verdict(engine),
        "",
        "Mean over horizons 1-5, engine and baselines:",
        "",
        markdown_table(overall),
        "",
        "Engine by expected deaths a year at the origin (true rate x births; horizons",
        "pooled):",
        "",
        markdown_table(result.by_band),
        "",
        "## Attainment probabilities (evaluation part)",
        "",
        "Events set at each origin (horizon 1-5 hashed per case), judged on the simulated",
        "*reported* value with the rules of `targets.py`: *pace* = at most X in origin+H,",
        "X the pooled rate of the last five years continued at 0.5, 1 or 1.5 times the pace",
        "between the halves of the history, one decimal (like 婴儿死亡率控制在5.5‰以下);",
        "*improve* = the reported value lower in origin+H than at the origin; *keep* = never",
        "up from year to year and lower at the end (持续下降).",
        "",
        markdown_table(att_all),
        "",
        "Brier skill score by event family (against climatology):",
        "",
        markdown_table(wide),
        "",
        "Brier skill score of the engine against each reference (all events):",
        "",
        markdown_table(vs),
        "",
        "## Reliability (evaluation part)",
        "",
        "![reliability](backtest-small-counts-reliability.png)",
        "",
        markdown_table(rel),
        "",
    ]
    md = docs / "backtest-small-counts.md"
    md.write_text("\n".join(lines), encoding="utf-8")
    png = docs / "backtest-small-counts-reliability.png"
    png.write_bytes(reliability_chart(rel))
    return md, png


def _verdict(engine: pd.DataFrame) -> str:
    """One sentence per level: at which horizons coverage is within 3 points."""
    parts = []
    for level in (80, 95):
        for column, name in ((f"coverage_{level}", "coverage"), (f"pit_{level}", "PIT")):
            ok = engine.loc[(engine[column] - level / 100).abs() <= 0.03, "horizon"]
            within = ", ".join(str(int(h)) for h in ok) or "none"
            parts.append(f"{level}% {name} within 3 points at horizons: {within}.")
    return " ".join(parts)
