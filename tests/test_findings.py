"""What the report says (jinlin_analysis.findings), on the simulated demo data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jinlin_analysis import findings
from jinlin_analysis.database import load_database
from jinlin_analysis.engine import assess, forecast_table


@pytest.fixture(scope="module")
def observations(demo_database) -> pd.DataFrame:
    return load_database(demo_database).observations


@pytest.fixture(scope="module")
def assessed(plan, observations) -> dict[int, pd.DataFrame]:
    return {year: assess(plan, observations, as_of=year) for year in (2023, 2024)}


def _row(rows: pd.DataFrame, indicator_id: str) -> pd.Series:
    return rows.set_index("indicator_id").loc[indicator_id]


def test_one_headline_row_per_target_of_the_plan(plan, assessed):
    rows = findings.headline_rows(assessed[2024], plan)
    assert list(rows["indicator_id"]) == [i.id for i in plan.indicators]
    assert (rows["region"] == plan.plan.region).all()
    # the every-town target's headline row is the joint one: 丙镇 fell below 95% in 2021
    immunisation = _row(rows, "immunisation_coverage")
    assert immunisation["status"] == "off_track" and not immunisation["met_so_far"]
    assert "丙镇" in immunisation["reason"]


def test_counts_and_attainment_rate_count_measurable_targets_only(plan, assessed):
    rows = findings.headline_rows(assessed[2024], plan)
    counts = findings.status_counts(rows)
    assert counts.sum() == len(plan.measurable)
    assert list(counts.index) == list(findings.STATUS_ORDER)
    judged = counts.sum() - counts["insufficient_data"]
    assert findings.attainment_rate(rows) == pytest.approx(counts["achieved"] / judged)
    by_domain = findings.status_by_domain(rows)
    assert by_domain["量化目标"].sum() == len(plan.measurable)
    assert set(by_domain["领域"]) <= set(plan.domains.values())


def test_attainment_rate_leaves_targets_without_data_out():
    rows = pd.DataFrame(
        {
            "target_type": ["at_least"] * 4 + ["milestone"],
            "status": ["achieved", "off_track", "insufficient_data", "achieved", "achieved"],
        }
    )
    assert findings.attainment_rate(rows) == pytest.approx(2 / 3)
    assert math.isnan(findings.attainment_rate(rows.iloc[2:3]))


def test_warning_list_is_off_track_then_at_risk_least_likely_first(plan, assessed):
    rows = findings.headline_rows(assessed[2024], plan)
    warnings = findings.warnings(rows, plan)
    flagged = findings.measurable(rows)["status"].isin(["off_track", "at_risk"])
    assert len(warnings) == flagged.sum()
    rank = warnings["状态"].map({"off_track": 0, "at_risk": 1})
    assert rank.is_monotonic_increasing
    for status in ("off_track", "at_risk"):
        p = warnings.loc[warnings["状态"] == status, "达标概率"]
        assert p.is_monotonic_increasing, status
    assert warnings["预警原因"].str.len().gt(0).all()
    assert "适龄儿童免疫规划疫苗接种率" in set(warnings["指标"])


def test_mid_term_verdicts_use_the_data_so_far(plan, assessed):
    rows = findings.headline_rows(assessed[2023], plan)
    verdicts = findings.verdicts(rows, plan, 2023).set_index("指标")
    name = {i.id: i.name for i in plan.indicators}
    # 0 neonatal deaths in 2023 is within 3.5‰ even though the outlook is uncertain
    assert verdicts.loc[name["neonatal_mortality"], "评估结论"] == "已达到"
    # 保持: a town below 95% in 2021 means the target is not reached, whatever came after
    assert verdicts.loc[name["immunisation_coverage"], "评估结论"] == "尚未达到"
    assert set(verdicts["评估结论"]) <= {"已达到", "尚未达到", "数据不足"}
    final = findings.verdicts(rows, plan, plan.plan.target_year)
    assert set(final["评估结论"]) <= {"已实现", "未实现", "数据不足"}


def test_milestones_carry_their_reported_status_and_note(plan, assessed):
    rows = findings.headline_rows(assessed[2024], plan)
    table = findings.milestones(rows, plan)
    assert len(table) == len(plan.milestones)
    assert set(table["报告状态"]) <= {"未启动", "推进中", "已完成", findings.MILESTONE_NOT_REPORTED}
    assert (table["报告状态"] == "已完成").any()


def test_town_table_and_gaps_follow_the_target_direction(plan, assessed):
    table = findings.town_table(assessed[2024], plan, "immunisation_coverage")
    assert table["镇"].iloc[0] == "丙镇"  # the lagging town, least likely first
    assert len(table) == 5
    gaps = findings.town_gaps(assessed[2024], plan).set_index("指标")
    row = gaps.loc[plan.indicator("immunisation_coverage").name]
    town = findings.town_rows(assessed[2024], plan)
    town = town[town["indicator_id"] == "immunisation_coverage"].set_index("region")
    best, worst = town["last_value"].idxmax(), town["last_value"].idxmin()
    assert row["最好"].startswith(best) and row["最差"].startswith(worst)
    assert row["差距"] == pytest.approx(town["last_value"].max() - town["last_value"].min())
    assert "丙镇" in row["未达标的镇"]


def test_breakdown_gaps_put_groups_side_by_side(plan, assessed, observations):
    table = findings.breakdown_gaps(assessed[2024], plan, "sex").set_index("指标")
    name = plan.indicator("low_birth_weight_rate").name
    obs = observations[
        (observations["indicator_id"] == "low_birth_weight_rate")
        & (observations["region"] == plan.plan.region)
        & (observations["year"] == table.loc[name, "年份"])
    ].set_index("sex")["value"]
    assert table.loc[name, "男"] == pytest.approx(obs["男"])
    assert table.loc[name, "女"] == pytest.approx(obs["女"])
    assert table.loc[name, "差距"] == pytest.approx(abs(obs["男"] - obs["女"]))
    assert set(findings.breakdown_indicators(assessed[2024], plan, "residence")) == set(
        assessed[2024].query("residence == '城镇'")["indicator_id"]
    )


def test_target_line_reads_the_target_type():
    assert findings.target_line({"target_type": "at_most", "target_value": 3.5}) == 3.5
    reduce = {"target_type": "reduce_by", "target_value": 15.0, "baseline_value": 20.0}
    assert findings.target_line(reduce) == pytest.approx(17.0)
    assert findings.target_line({"target_type": "increase", "baseline_value": 60.0}) == 60.0
    assert findings.target_line({"target_type": "keep_decreasing", "baseline_value": 5.0}) is None
    assert findings.target_line({"target_type": "decrease", "baseline_value": math.nan}) is None


def test_chart_frames_have_history_then_forecast(plan, observations):
    forecasts = forecast_table(plan, observations, as_of=2024)
    frame = findings.chart_frame(forecasts, "infant_mortality", regions=[plan.plan.region])
    assert set(frame["region"]) == {plan.plan.region}
    assert frame.loc[frame["year"] <= 2024, "value"].notna().all()
    assert frame.loc[frame["year"] == 2025, "forecast"].notna().all()
    groups = findings.breakdown_chart_frame(
        forecasts, "infant_mortality", "residence", plan.plan.region
    )
    assert set(groups["region"]) == {"城镇", "农村"}


def test_a_status_history_uses_only_each_years_data(plan, assessed, observations):
    history = findings.status_history(assessed, plan)
    assert sorted(history["as_of"].unique()) == [2023, 2024]
    earlier = assess(plan, observations[observations["year"] <= 2023], as_of=2023)
    again = findings.status_history({2023: earlier}, plan)
    pd.testing.assert_frame_equal(history[history["as_of"] == 2023].reset_index(drop=True), again)
    changes = findings.status_changes(history)
    assert len(changes) == (
        history.pivot(index="indicator", columns="as_of", values="status")
        .pipe(lambda t: t[2023] != t[2024])
        .sum()
    )


def test_page_results_are_computed_once_per_content(tmp_path, demo_database, plan):
    import os
    import shutil

    from jinlin_analysis.database import OBSERVATIONS, write_table
    from jinlin_analysis.notebook import setup

    db = tmp_path / "processed"
    shutil.copytree(demo_database, db)
    page = setup(year=2024, data_dir=db)
    first = page.assessment
    first.loc[:, "status"] = "changed by the caller"  # callers get a copy
    assert (page.assessment["status"] != "changed by the caller").all()
    observations = page.database.observations
    write_table(db, OBSERVATIONS, observations[observations["indicator_id"] != "infant_mortality"])
    os.utime(db / f"{OBSERVATIONS}.parquet", ns=(1, 1))  # a new modification time, surely
    fresh = setup(year=2024, data_dir=db)
    assert "infant_mortality" not in set(
        fresh.assessment.query("target_type != 'milestone' and last_value == last_value")[
            "indicator_id"
        ]
    )


def test_explorer_lists_every_series_of_a_domain_with_its_target(plan, observations, assessed):
    forecasts = forecast_table(plan, observations, as_of=2024)
    frame = findings.explorer_frame(forecasts, assessed[2024], plan, "health")
    immunisation = plan.indicator("immunisation_coverage").name
    towns = {s for s in frame["series"] if s.startswith(immunisation)}
    assert len(towns) == 6  # the district and its five towns
    infant = frame[frame["series"] == f"{plan.indicator('infant_mortality').name} · 金林区 · 城镇"]
    assert (infant["target"] == 5.5).all() and infant["value"].notna().any()
    assert (
        frame["series"]
        .map(lambda s: s.split(" · ")[0])
        .isin([i.name for i in plan.measurable if i.domain == "health"])
        .all()
    )


def test_a_missing_series_names_the_series_that_exist(plan, assessed):
    row = findings.series_row(assessed[2024], "immunisation_coverage", "丙镇")
    assert row["region"] == "丙镇"
    with pytest.raises(findings.SeriesNotFound, match=r"已有的系列.*丙镇/合计/合计"):
        findings.series_row(assessed[2024], "immunisation_coverage", "庚镇")
