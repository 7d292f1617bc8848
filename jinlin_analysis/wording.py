"""Chinese wording of targets, as the national monitoring reports phrase them.

以上/以下/以内 include the number itself; the phrases here keep that meaning.
"""

from __future__ import annotations

import pandas as pd

from jinlin_analysis.plan import Indicator, Plan, TargetType

TARGET_TYPE_LABELS = {
    TargetType.AT_LEAST: "达到{v}以上",
    TargetType.AT_MOST: "控制在{v}以下",
    TargetType.MAINTAIN_AT_LEAST: "每年保持在{v}以上",
    TargetType.REACH_AND_MAINTAIN_AT_LEAST: "达到并保持在{v}以上",
    TargetType.REDUCE_BY: "以{b}年为基数下降{p}%",
    TargetType.INCREASE: "比{b}年提高",
    TargetType.DECREASE: "比{b}年下降",
    TargetType.KEEP_INCREASING: "{b}年起逐年增加",
    TargetType.KEEP_DECREASING: "{b}年起持续（逐年）下降",
    TargetType.NO_INCREASE: "不高于{b}年水平（上升趋势得到控制）",
    TargetType.MILESTONE: "定性目标",
}

SCOPE_LABELS = {"district": "全区", "each_town": "每个镇"}

# The engine's statuses, best to worst, then "cannot tell"; legends list them in this order.
# off_track uses the plan's own words for what must be warned about (预计完成困难).
STATUS_LABELS: dict[str, str] = {
    "achieved": "已达标",
    "on_track": "有望达标",
    "at_risk": "存在风险",
    "off_track": "预计完成困难",
    "insufficient_data": "数据不足",
}


def unit_after_number(unit: str | None) -> str:
    """How a unit is written after a figure: '1/10万' -> '/10万' (2.1/10万, not 2.11/10万)."""
    unit = unit or ""
    return unit[1:] if unit.startswith("1/") else unit


def format_value(value: float, unit: str | None) -> str:
    """3.5 and '‰' -> '3.5‰'; 1 and '所' -> '1所'; 15 and '1/10万' -> '15/10万'."""
    return f"{value:g}{unit_after_number(unit)}"


def describe_target(indicator: Indicator) -> str:
    """The target in words, e.g. '控制在3.5‰以下' or '以2020年为基数下降15%'."""
    target = indicator.target
    text = TARGET_TYPE_LABELS[target.type].format(
        v=format_value(target.value, indicator.unit) if target.value is not None else "",
        p=f"{target.value:g}" if target.value is not None else "",
        b=target.baseline_year,
    )
    if indicator.scope.value == "each_town":
        text = f"以镇为单位{text}"
    return text


def targets_table(plan: Plan, domain: str | None = None) -> pd.DataFrame:
    """The plan's targets with Chinese headings, for reports; one domain or all."""
    rows = [
        {
            "指标": i.name,
            "单位": i.unit or "",
            "目标": describe_target(i),
            "适用范围": SCOPE_LABELS[i.scope.value],
            "规划原文": i.source,
        }
        for i in plan.indicators
        if domain is None or i.domain == domain
    ]
    return pd.DataFrame(rows)


def evaluation_name(plan: Plan, year: int) -> str:
    """'中期评估' in the plan's mid-term year, '终期评估' in its target year, else '专项评估'."""
    if year == plan.plan.mid_term_year:
        return "中期评估"
    if year == plan.plan.target_year:
        return "终期评估"
    return "专项评估"
