"""The semi-synthetic backtest of the small-count path (engine/backtest_counts.py).

On a slice (every third country): the engine's intervals for the reported value cover
about as often as they say, its probabilities are not degenerate, and a rerun gives the
same figures; the backtest's path is assess()'s path (same interval and p_attain for one
simulated district); and `jinlin backtest --small-counts` reproduces the committed report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_helpers import plan
from test_backtest import _assert_same_text_and_close_figures

from jinlin_analysis.engine import backtest_counts, noise, panel
from jinlin_analysis.engine.assess import PROBS, assess
from jinlin_analysis.engine.calibration import Calibration
from jinlin_analysis.plan import TargetType


def _slice_cases() -> backtest_counts.CountCases:
    data = panel.load_panel()
    countries = sorted(data["country_code"].unique())[::3]
    sim = backtest_counts.simulate_districts(data[data["country_code"].isin(countries)])
    return backtest_counts.build_count_cases(sim)


@pytest.fixture(scope="module")
def cases() -> backtest_counts.CountCases:
    return _slice_cases()


@pytest.fixture(scope="module")
def result(cases) -> backtest_counts.CountBacktestResult:
    return backtest_counts.run_count_backtest(cases)


def test_districts_are_small_and_split_like_the_existing_backtest(cases):
    h = cases.history
    assert h.denominator.min() >= 250 and h.denominator.max() <= 450
    assert np.median(h.numerator) <= 4  # the district's world: a few deaths a year
    meta = cases.meta
    cal, ev = meta[meta["split"] == "calibration"], meta[meta["split"] == "evaluation"]
    assert set(cal["country"]).isdisjoint(ev["country"])
    assert cal["origin"].max() <= panel.CALIBRATION_ORIGINS[1]
    assert ev["origin"].min() >= panel.EVALUATION_FIRST_ORIGIN
    assert (meta["true_rate"] <= backtest_counts.MAX_RATE).all()


def test_districts_do_not_depend_on_the_other_countries():
    data = panel.load_panel()
    one = data[data["country_code"] == "FRA"]
    alone = backtest_counts.simulate_districts(one)
    full = backtest_counts.simulate_districts(data[data["country_code"].isin(["FRA", "DEU"])])
    pd.testing.assert_frame_equal(alone, full[full["country"] == "FRA"].reset_index(drop=True))


def test_intervals_of_the_reported_value_are_about_right(result):
    """Randomised-PIT coverage (calibration of the predictive distribution of counts)
    within a few points of 80% / 95% on the slice; the inclusive coverage of the reported
    interval is at least its level (counts are discrete) but not absurdly wide."""
    engine = result.intervals[result.intervals["method"] == "engine"]
    assert 0.74 <= engine["pit_80"].mean() <= 0.86
    assert 0.91 <= engine["pit_95"].mean() <= 0.985
    assert 0.78 <= engine["coverage_80"].mean() <= 0.93
    # counting noise alone (the naive baseline) is too narrow: the trend error matters
    naive = result.intervals[result.intervals["method"] == "naive"]
    assert naive["pit_80"].mean() < engine["pit_80"].mean()


def test_probabilities_are_informative_and_not_degenerate(result):
    att = result.attainment.set_index(["method", "family"])
    assert att.loc[("engine", "all"), "bss"] > 0  # better than climatology
    rel = result.reliability[result.reliability["method"] == "engine"]
    assert len(rel) >= 8  # probabilities spread over the bins, not all 0 or 1
    assert rel["n"].max() < 0.5 * rel["n"].sum()
    rates = att.xs("engine", level="method")["base_rate"]
    assert ((rates > 0.1) & (rates < 0.9)).all()  # events neither all met nor all missed


def test_two_runs_give_identical_figures(result):
    again = backtest_counts.run_count_backtest(_slice_cases())
    for name in ("intervals", "by_band", "attainment", "reliability"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(again, name))


def test_backtest_path_is_the_path_of_assess(cases):
    """One simulated district through assess() (target: at most 5 per 1,000 five years
    after the origin) gives the backtest's interval and probability for that year."""
    row = int(np.flatnonzero(cases.meta["split"] == "evaluation")[0])
    one = backtest_counts.subset(cases, np.arange(len(cases)) == row)
    origin = int(one.meta["origin"][0])
    years = origin + one.history.years
    obs = pd.DataFrame(
        {
            "indicator_id": "child_deaths",  # counts.slope_prior: child_mortality
            "region": "测试区",
            "year": years,
            "value": one.history.values[0],
            "numerator": one.history.numerator[0],
            "denominator": one.history.denominator[0],
        }
    )
    calibration = Calibration.load()
    row_assess = assess(plan(), obs, as_of=origin, target_year=origin + 5)
    row_assess = row_assess[row_assess["indicator_id"] == "child_deaths"].iloc[0]
    sims = backtest_counts.engine_paths(one, calibration)
    q = np.quantile(sims[0, :, 4], PROBS)
    assert row_assess["lower_80"] == pytest.approx(q[1])
    assert row_assess["upper_80"] == pytest.approx(q[3])
    assert row_assess["upper_95"] == pytest.approx(q[4])
    event = pd.DataFrame({"row": [0], "type": [TargetType.AT_MOST], "value": [5.0], "horizon": [5]})
    p = backtest_counts.judge(one, event, sims).mean()
    assert row_assess["p_attain"] == pytest.approx(p)


def test_slope_prior_is_fitted_on_the_calibration_part():
    """noise.SLOPE_PRIORS['child_mortality'] is the mean and sd of the true yearly change
    of the calibration part's cases (all countries), rounded to 3 decimals."""
    cases = backtest_counts.build_count_cases(backtest_counts.simulate_districts())
    mean, sd = backtest_counts.fit_slope_prior(cases)
    assert noise.SLOPE_PRIORS[backtest_counts.PRIOR_NAME] == (round(mean, 3), round(sd, 3))


def test_full_run_reproduces_the_committed_report(tmp_path):
    """`jinlin backtest --small-counts` (about 15 s): same text, figures equal up to the
    last digit (see test_backtest for the tolerance)."""
    md, png = backtest_counts.render(backtest_counts.run_count_backtest(), tmp_path)
    committed = (backtest_counts.DOCS / "backtest-small-counts.md").read_text(encoding="utf-8")
    _assert_same_text_and_close_figures(md.read_text(encoding="utf-8"), committed)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
