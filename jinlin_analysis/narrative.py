"""Chinese prose built from the numbers, in the style of the national monitoring reports.

"2024年，婴儿死亡率为3.65‰，比上年下降0.62个千分点，低于规划目标（5.5‰）。" Every sentence
is generated from an assessment row and the reported history, never written per year by
hand, so next year's report says next year's numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from jinlin_analysis.plan import Indicator, Plan, TargetType
from jinlin_analysis.wording import STATUS_LABELS, describe_target, unit_after_number

STATUS_ORDER = tuple(STATUS_LABELS)

# How a difference between two values of a unit is said: 3.5% -> 3.9% is 0.4个百分点.
_DIFFERENCE_UNITS = {"%": "个百分点", "‰": "个千分点"}
_COUNT_UNITS = {"个", "所", "名", "张", "次"}


def number(value: float, digits: int = 2) -> str:
    """A figure as printed in reports: at most `digits` decimals, no trailing zeros."""
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(value: float, indicator: Indicator) -> str:
    return figure(value, indicator.unit)


def figure(value: float, unit: str | None) -> str:
    """3.652 and '‰' -> '3.65‰'; 0 and '1/10万' -> '0/10万'."""
    return f"{number(value)}{unit_after_number(unit)}"


def difference(value: float, indicator: Indicator) -> str:
    """An absolute difference in the unit's own words: '0.4个百分点', '3个', '2.1/10万'."""
    unit = indicator.unit or ""
    if unit in _DIFFERENCE_UNITS:
        return f"{number(value)}{_DIFFERENCE_UNITS[unit]}"
    head, _, per = unit.partition("/")
    if head in _COUNT_UNITS:
        return f"{number(value)}{head}"
    if head == "1" and per:  # 1/10万: '2.1/10万'
        return f"{number(value)}/{per}"
    return f"{number(value)}{unit}"


def _direction_words(indicator: Indicator) -> tuple[str, str]:
    """(rise, fall): counts 增加/减少; good rates 提高/下降; bad rates 上升/下降."""
    if (indicator.unit or "") in _COUNT_UNITS:
        return "增加", "减少"
    return ("提高" if indicator.target.type.higher_is_better else "上升"), "下降"


def change_phrase(current: float, previous: float, indicator: Indicator, than: str) -> str:
    """'比上年下降0.62个千分点' or '与上年持平' (equal at the printed precision)."""
    delta = current - previous
    if number(abs(delta)) == "0":
        return f"与{than}持平"
    rise, fall = _direction_words(indicator)
    return f"比{than}{rise if delta > 0 else fall}{difference(abs(delta), indicator)}"


def _met_now(indicator: Indicator, value: float) -> bool | None:
    target = indicator.target
    if target.type in {
        TargetType.AT_LEAST,
        TargetType.MAINTAIN_AT_LEAST,
        TargetType.REACH_AND_MAINTAIN_AT_LEAST,
    }:
        return value >= target.value
    if target.type is TargetType.AT_MOST:
        return value <= target.value
    return None


def target_phrase(indicator: Indicator, value: float, baseline: float | None) -> str:
    """How the latest value stands against the target, e.g. '低于规划目标（5.5‰）'."""
    target = indicator.target
    goal = describe_target(indicator)
    met = _met_now(indicator, value)
    if met is not None:
        gap = abs(value - target.value)
        if target.type is TargetType.AT_MOST:
            if value < target.value:
                return f"低于规划目标（{with_unit(target.value, indicator)}）"
            if met:
                return f"恰好达到规划目标（{goal}）"
            return f"高于规划目标（{goal}）{difference(gap, indicator)}"
        if met:
            return f"达到规划目标（{goal}）"
        return f"距规划目标（{goal}）还差{difference(gap, indicator)}"
    if baseline is None or _missing(baseline):
        return f"规划目标为{goal}，基期数据缺失"
    base_year = target.baseline_year
    if target.type is TargetType.REDUCE_BY:
        change = (value - baseline) / baseline * 100 if baseline else math.nan
        if _missing(change):
            return f"规划目标为{goal}"
        moved = f"比{base_year}年{'下降' if change < 0 else '上升'}{number(abs(change), 1)}%"
        return f"{moved}，规划要求下降{number(target.value)}%"
    return f"{change_phrase(value, baseline, indicator, f'{base_year}年')}（规划目标：{goal}）"


def outlook_phrase(row: Mapping, indicator: Indicator) -> str:
    """The forecast, its 80% interval and the probability of meeting the target."""
    status = row["status"]
    if status == "insufficient_data" or _missing(row.get("forecast")):
        return "有效数据不足3年，暂不作趋势预测"
    text = (
        f"按当前趋势预测，{int(row['target_year'])}年将为{with_unit(row['forecast'], indicator)}"
        f"（80%预测区间{number(row['lower_80'])}—{with_unit(row['upper_80'], indicator)}）"
    )
    if not _missing(row.get("p_attain")):
        text += f"，实现规划目标的可能性约为{probability(row['p_attain'])}"
    return f"{text}，评估为“{STATUS_LABELS[status]}”"


def probability(p: float) -> str:
    """'约为90%'-style percentages, never a false '100%' or '0%' from rounding."""
    percent = round(p * 100)
    if percent >= 100 and p < 1:
        return "99%以上"
    if percent <= 0 and p > 0:
        return "不足1%"
    return f"{percent}%"


def indicator_paragraph(plan: Plan, row: Mapping, history: pd.Series) -> str:
    """One paragraph for one assessed series: level, change on last year, target, outlook.

    `row` is a row of `assess()`; `history` maps year -> reported value for the same series.
    """
    indicator = plan.indicator(row["indicator_id"])
    if indicator.is_milestone:
        return milestone_sentence(indicator, row)
    history = history.dropna().sort_index()
    if history.empty:
        return f"{indicator.name}尚无监测数据。"
    year, value = int(history.index[-1]), float(history.iloc[-1])
    parts = [f"{year}年，{indicator.name}为{with_unit(value, indicator)}"]
    if year - 1 in history.index:
        parts.append(change_phrase(value, float(history.loc[year - 1]), indicator, "上年"))
    baseline = row.get("baseline_value")
    parts.append(target_phrase(indicator, value, None if _missing(baseline) else baseline))
    volatile = " 该指标近年波动较大，单年数值需谨慎解读。" if row.get("volatile") is True else ""
    return "，".join(parts) + "。" + outlook_phrase(row, indicator) + "。" + volatile.strip()


def milestone_sentence(indicator: Indicator, row: Mapping) -> str:
    status = row.get("milestone_status")
    if _missing(status):
        return f"{indicator.name}：尚未报送进展情况。"
    return f"{indicator.name}：截至{int(row['as_of'])}年{status}。"


def status_counts(assessment: pd.DataFrame) -> pd.Series:
    """How many measurable targets have each status (all statuses listed, in order)."""
    measurable = assessment[assessment["target_type"] != TargetType.MILESTONE.value]
    return measurable["status"].value_counts().reindex(list(STATUS_ORDER), fill_value=0)


def domain_summary(domain_name: str, assessment: pd.DataFrame) -> str:
    """'儿童与健康领域共有37项量化目标：已实现12项，……' for one domain's headline rows."""
    return targets_summary(f"{domain_name}领域", assessment)


def targets_summary(subject: str, assessment: pd.DataFrame) -> str:
    """'<subject>共有37项量化目标：已达标12项，……' for headline rows."""
    counts = status_counts(assessment)
    total = int(counts.sum())
    if total == 0:
        return f"{subject}的目标均为定性目标。"
    listed = "，".join(
        f"{STATUS_LABELS[status]}{int(n)}项" for status, n in counts.items() if n > 0
    )
    return f"{subject}共有{total}项量化目标：{listed}。"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
