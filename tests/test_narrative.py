"""Generated Chinese prose: the numbers, the units' own words, the plan's wording."""

from __future__ import annotations

import pandas as pd
import pytest

from jinlin_analysis.narrative import (
    change_phrase,
    difference,
    domain_summary,
    indicator_paragraph,
    number,
    probability,
    target_phrase,
)


def _row(**overrides):
    row = {
        "indicator_id": "infant_mortality",
        "as_of": 2024,
        "target_year": 2025,
        "forecast": 4.1,
        "lower_80": 0.0,
        "upper_80": 11.1,
        "p_attain": 0.72,
        "status": "at_risk",
        "volatile": False,
        "baseline_value": float("nan"),
        "milestone_status": None,
    }
    return {**row, **overrides}


def test_numbers_are_printed_without_trailing_zeros():
    assert [number(4.80), number(3.0), number(96.346), number(0.004)] == ["4.8", "3", "96.35", "0"]


@pytest.mark.parametrize(
    ("indicator_id", "value", "expected"),
    [
        ("infant_mortality", 0.3, "0.3个千分点"),
        ("prenatal_screening_rate", 1.25, "1.25个百分点"),
        ("childcare_places", 12, "12个"),
        ("paediatricians_per_1000", 0.05, "0.05名"),
        ("injury_mortality", 2.1, "2.1/10万"),
    ],
)
def test_differences_use_the_units_own_words(plan, indicator_id, value, expected):
    assert difference(value, plan.indicator(indicator_id)) == expected


def test_change_on_last_year(plan):
    infant = plan.indicator("infant_mortality")
    assert change_phrase(4.8, 5.1, infant, "上年") == "比上年下降0.3个千分点"
    assert change_phrase(5.1, 4.8, infant, "上年") == "比上年上升0.3个千分点"
    assert change_phrase(4.8, 4.801, infant, "上年") == "与上年持平"
    screening = plan.indicator("prenatal_screening_rate")
    assert change_phrase(70, 68.5, screening, "上年") == "比上年提高1.5个百分点"
    assert change_phrase(12, 10, plan.indicator("childcare_institutions"), "上年") == (
        "比上年增加2个"
    )


def test_inclusive_targets_are_worded_faithfully(plan):
    infant = plan.indicator("infant_mortality")  # 控制在5.5‰以下
    assert target_phrase(infant, 4.8, None) == "低于规划目标（5.5‰）"
    assert target_phrase(infant, 5.5, None) == "恰好达到规划目标（控制在5.5‰以下）"
    assert target_phrase(infant, 6.0, None) == "高于规划目标（控制在5.5‰以下）0.5个千分点"
    screening = plan.indicator("prenatal_screening_rate")  # 达到75%以上
    assert target_phrase(screening, 75, None) == "达到规划目标（达到75%以上）"
    assert target_phrase(screening, 70.5, None) == "距规划目标（达到75%以上）还差4.5个百分点"


def test_relative_targets_compare_with_the_baseline_year(plan):
    injury = plan.indicator("injury_mortality")  # 以2020年为基数下降15%
    assert target_phrase(injury, 17, 20) == "比2020年下降15%，规划要求下降15%"
    assert target_phrase(injury, 22, 20) == "比2020年上升10%，规划要求下降15%"
    premarital = plan.indicator("premarital_exam_rate")  # 提高
    assert (
        target_phrase(premarital, 74.2, 70) == "比2020年提高4.2个百分点（规划目标：比2020年提高）"
    )
    assert "基期数据缺失" in target_phrase(premarital, 74.2, None)


def test_probabilities_never_round_to_certainty():
    assert [probability(0.999), probability(0.001), probability(1.0), probability(0.0)] == [
        "99%以上",
        "不足1%",
        "100%",
        "0%",
    ]
    assert probability(0.724) == "72%"


def test_indicator_paragraph_in_the_national_report_style(plan):
    history = pd.Series({2022: 5.4, 2023: 5.1, 2024: 4.8})
    text = indicator_paragraph(plan, _row(), history)
    assert text == (
        "2024年，婴儿死亡率为4.8‰，比上年下降0.3个千分点，低于规划目标（5.5‰）。"
        "按当前趋势预测，2025年将为4.1‰（80%预测区间0—11.1‰），"
        "实现规划目标的可能性约为72%，评估为“存在风险”。"
    )


def test_paragraph_without_last_year_and_with_volatility(plan):
    history = pd.Series({2021: 5.4, 2023: 5.9})
    text = indicator_paragraph(plan, _row(volatile=True), history)
    assert text.startswith("2023年，婴儿死亡率为5.9‰，高于规划目标")
    assert "比上年" not in text
    assert text.endswith("该指标近年波动较大，单年数值需谨慎解读。")


def test_insufficient_data_gives_no_forecast(plan):
    row = _row(status="insufficient_data", forecast=float("nan"), p_attain=float("nan"))
    text = indicator_paragraph(plan, row, pd.Series({2024: 4.8}))
    assert "暂不作趋势预测" in text and "nan" not in text


def test_milestones_report_their_status(plan):
    row = _row(indicator_id="child_protection_hotline", milestone_status="已完成")
    assert indicator_paragraph(plan, row, pd.Series(dtype=float)) == (
        "全国统一的儿童保护热线开通并有效运行：截至2024年已完成。"
    )


def test_domain_summary_counts_only_measurable_targets():
    frame = pd.DataFrame(
        {
            "target_type": ["at_most", "at_least", "at_least", "milestone"],
            "status": ["achieved", "off_track", "off_track", "achieved"],
        }
    )
    assert domain_summary("儿童与健康", frame) == (
        "儿童与健康领域共有3项量化目标：已达标1项，预计完成困难2项。"
    )
