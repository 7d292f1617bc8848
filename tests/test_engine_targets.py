"""Every target type on hand-made series whose right answer is known."""

import numpy as np
import pandas as pd
import pytest
from engine_helpers import linear, plan, series

from jinlin_analysis.engine import assess


def _row(frame, indicator_id, region="测试区"):
    rows = frame[(frame["indicator_id"] == indicator_id) & (frame["region"] == region)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.fixture(scope="module")
def result():
    obs = pd.concat(
        [
            series("high_coverage", linear(96, 0.2)),  # far above 90
            series("low_mortality", linear(20, 0.5)),  # far above the 5 per mille cap, rising
            series("maintained", {**linear(97, 0.1), 2021: 93.0}),  # broken in 2021
            series("reach_hold", linear(80, 3)),  # reached 90 in 2019 (rising above)
            series("reduced", linear(30, -2)),  # 2020 = 20; 2025 needs <= 17; falling 2/yr
            series("raised", linear(60, -1)),  # falling: will not be above 2020
            series("lowered", linear(60, -1.5)),  # falling fast
            series("rising", {**linear(10, 2), 2022: 10.0}),  # fell in 2022: broken
            series("falling", linear(50, -3)),  # falling every year
            series("capped", linear(20, 1)),  # rising fast: will exceed its 2020 value
            series("towns_coverage", linear(99, 0), region="甲镇"),
            series("towns_coverage", linear(92, 0.2), region="乙镇"),  # below 95: broken
            pd.DataFrame(
                [
                    {
                        "indicator_id": "hotline",
                        "region": "测试区",
                        "year": 2023,
                        "status": "已完成",
                        "note": "已开通",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    return assess(plan(), obs, as_of=2024)


def test_far_above_at_least_is_certain_and_achieved(result):
    row = _row(result, "high_coverage")
    assert row["p_attain"] > 0.97
    assert row["status"] == "achieved"
    assert row["lower_95"] <= row["forecast"] <= row["upper_95"] <= 100


def test_far_above_at_most_is_hopeless(result):
    row = _row(result, "low_mortality")
    assert row["p_attain"] < 0.03 and row["status"] == "off_track"


def test_maintain_broken_in_a_past_year_is_zero(result):
    row = _row(result, "maintained")
    assert row["p_attain"] == 0 and row["status"] == "off_track"


def test_reach_and_maintain_on_a_rising_series(result):
    row = _row(result, "reach_hold")
    assert row["p_attain"] > 0.9


def test_reduce_by_on_pace(result):
    row = _row(result, "reduced")
    assert row["baseline_value"] == 20.0
    assert row["p_attain"] > 0.8


def test_increase_on_a_falling_series_fails(result):
    assert _row(result, "raised")["p_attain"] < 0.05


def test_decrease_on_a_falling_series_holds(result):
    row = _row(result, "lowered")
    assert row["p_attain"] > 0.95 and row["status"] in ("achieved", "on_track")


def test_keep_increasing_broken_is_zero(result):
    assert _row(result, "rising")["p_attain"] == 0


def test_keep_decreasing_steady_fall_is_likely(result):
    assert _row(result, "falling")["p_attain"] > 0.5


def test_no_increase_on_a_rising_series_fails(result):
    assert _row(result, "capped")["p_attain"] < 0.05


def test_each_town_needs_every_town(result):
    district = _row(result, "towns_coverage", "测试区")
    assert _row(result, "towns_coverage", "甲镇")["p_attain"] > 0.9
    assert _row(result, "towns_coverage", "乙镇")["p_attain"] == 0
    assert district["p_attain"] == 0 and district["status"] == "off_track"


def test_milestone_keeps_reported_status_without_probability(result):
    row = _row(result, "hotline")
    assert row["milestone_status"] == "已完成" and row["status"] == "achieved"
    assert np.isnan(row["p_attain"])


def test_fewer_than_three_points_is_insufficient():
    obs = series("high_coverage", {2023: 95.0, 2024: 96.0})
    row = _row(assess(plan(), obs, as_of=2024), "high_coverage")
    assert row["status"] == "insufficient_data" and np.isnan(row["p_attain"])
    assert np.isnan(row["forecast"])


def test_gaps_and_values_at_the_bound():
    obs = series("high_coverage", {2016: 100.0, 2018: 100.0, 2019: 100.0, 2021: 100.0, 2024: 100.0})
    row = _row(assess(plan(), obs, as_of=2024), "high_coverage")
    assert row["n_points"] == 5
    assert row["upper_95"] <= 100 and row["p_attain"] > 0.9


def test_data_after_as_of_is_ignored():
    obs = series("high_coverage", linear(96, 0.2))
    early = _row(assess(plan(), obs, as_of=2019), "high_coverage")
    assert early["last_year"] == 2019 and early["as_of"] == 2019


def test_target_year_observed_gives_certain_outcome():
    obs = series("high_coverage", linear(80, 1, range(2015, 2026)))
    row = _row(assess(plan(), obs, as_of=2025), "high_coverage")
    assert row["p_attain"] == 1 and row["status"] == "achieved"


ZEROS = dict.fromkeys(range(2015, 2026), 0.0)


@pytest.mark.parametrize("indicator_id", ["lowered", "falling"])
def test_a_falling_target_from_zero_is_met_by_staying_at_zero(indicator_id):
    """下降/持续下降 from a baseline of 0 (no deaths in 2020): holding 0 meets it; read
    literally it could never be met, and a district with no deaths would be warned."""
    held = _row(assess(plan(), series(indicator_id, ZEROS), as_of=2025), indicator_id)
    assert held["p_attain"] == 1 and held["status"] == "achieved"
    up = series(indicator_id, {**ZEROS, 2025: 1.0})
    assert _row(assess(plan(), up, as_of=2025), indicator_id)["p_attain"] == 0


def test_keep_decreasing_from_zero_is_broken_by_a_rise_in_between():
    blip = series("falling", {**ZEROS, 2022: 5.0})
    assert _row(assess(plan(), blip, as_of=2025), "falling")["p_attain"] == 0


@pytest.mark.parametrize("indicator_id", ["lowered", "falling"])
def test_a_falling_target_from_zero_before_the_target_year_is_met_so_far(indicator_id):
    zeros = series(indicator_id, dict.fromkeys(range(2015, 2025), 0.0))
    row = _row(assess(plan(), zeros, as_of=2024), indicator_id)
    assert row["met_so_far"] and row["p_attain"] > 0.5 and row["status"] != "off_track"


def test_reasons_never_round_a_probability_to_a_false_zero_or_hundred():
    from jinlin_analysis.engine.assess import _percent

    shown = _percent(np.array([0.0, 0.0039, 0.5, 0.996, 1.0]))
    assert list(shown) == ["0%", "不足1%", "50%", "99%以上", "100%"]
