"""What the report says, as tables built from the engine's assessment.

Every function takes the frame `assess()` returns (or `forecast_table()` for charts) and
returns a small frame with Chinese headings a page can show as it is, so that the numbers
in the prose, the tables and the index are computed once, here, and tested here.

The *headline row* of a target is the district's own row with no sex/residence breakdown;
for a target that applies to every town (以镇为单位) it is the joint row the engine adds
(all towns must meet it). Counts of targets always count headline rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from jinlin_analysis.charts.builders import EXPLORER_COLUMNS, MODEL_LABELS
from jinlin_analysis.engine.observations import TOTAL
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.narrative import figure, probability
from jinlin_analysis.plan import Plan, TargetType
from jinlin_analysis.wording import STATUS_LABELS, describe_target

MILESTONE = TargetType.MILESTONE.value
STATUS_ORDER = tuple(STATUS_LABELS)
WARNING_STATUSES = ("off_track", "at_risk")
MILESTONE_NOT_REPORTED = "未报告"


def headline_rows(assessment: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """One row per target of the plan: the district total (or every-town joint) row."""
    rows = assessment[
        (assessment["region"] == plan.plan.region)
        & (assessment["sex"] == TOTAL)
        & (assessment["residence"] == TOTAL)
    ]
    return rows.drop_duplicates("indicator_id").reset_index(drop=True)


def measurable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["target_type"] != MILESTONE]


def status_counts(rows: pd.DataFrame) -> pd.Series:
    """Measurable targets per status, every status listed, best first."""
    counts = measurable(rows)["status"].value_counts()
    return counts.reindex(list(STATUS_ORDER), fill_value=0).astype(int)


def attainment_rate(rows: pd.DataFrame) -> float:
    """达标率: targets already met as a share of the measurable targets that can be judged.

    As in the national monitoring reports of the children's development outlines, targets
    with no data are left out of the denominator (they are counted separately as 数据不足)
    rather than counted as missed. NaN when no target can be judged.
    """
    counts = status_counts(rows)
    judged = counts.sum() - counts["insufficient_data"]
    return float(counts["achieved"] / judged) if judged else math.nan


def status_by_domain(rows: pd.DataFrame) -> pd.DataFrame:
    """Counts per domain and status, plus 达标率, for the overview table."""
    table = (
        measurable(rows)
        .groupby("domain", sort=False)["status"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=list(STATUS_ORDER), fill_value=0)
    )
    table.columns = [STATUS_LABELS[s] for s in table.columns]
    table.insert(0, "量化目标", table.sum(axis=1))
    judged = table["量化目标"] - table[STATUS_LABELS["insufficient_data"]]
    table["达标率"] = (table[STATUS_LABELS["achieved"]] / judged.where(judged > 0)).astype(float)
    return table.rename_axis("领域").reset_index()


def warnings(rows: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The early-warning list (预警清单): off-track then at-risk targets, least likely first.

    Each row says why: the engine's reason, and 波动较大 where the series is volatile.
    """
    rows = measurable(rows)
    flagged = rows[rows["status"].isin(WARNING_STATUSES)].copy()
    flagged["_rank"] = flagged["status"].map(WARNING_STATUSES.index)
    flagged = flagged.sort_values(["_rank", "p_attain", "indicator_id"], kind="stable")
    return pd.DataFrame(
        {
            "领域": flagged["domain"],
            "指标": flagged["indicator_name"],
            "最新值": [_value_with_year(r) for r in flagged.itertuples()],
            "规划目标": [describe_target(plan.indicator(i)) for i in flagged["indicator_id"]],
            "达标概率": flagged["p_attain"],
            "状态": flagged["status"],
            "预警原因": [_why(r) for r in flagged.itertuples()],
        }
    ).reset_index(drop=True)


def volatile_series(assessment: pd.DataFrame) -> pd.DataFrame:
    """Every series (any region or breakdown) flagged 波动较大, with the years and rule."""
    rows = assessment[(assessment["volatile"] == True) & assessment["last_value"].notna()]  # noqa: E712
    return pd.DataFrame(
        {
            "领域": rows["domain"],
            "指标": rows["indicator_name"],
            "地区": rows["region"],
            "分组": [_breakdown(r) for r in rows.itertuples()],
            "最新值": [_value_with_year(r) for r in rows.itertuples()],
            "波动情况": rows["volatility_note"],
        }
    ).reset_index(drop=True)


def status_history(histories: dict[int, pd.DataFrame], plan: Plan) -> pd.DataFrame:
    """Headline statuses of measurable targets over several as-of years (heatmap input)."""
    parts = []
    for as_of, assessment in sorted(histories.items()):
        rows = measurable(headline_rows(assessment, plan))
        parts.append(
            pd.DataFrame(
                {
                    "indicator": rows["indicator_name"],
                    "domain": rows["domain"],
                    "as_of": as_of,
                    "status": rows["status"],
                    "p_attain": rows["p_attain"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def status_changes(history: pd.DataFrame) -> pd.DataFrame:
    """Targets whose status differs between the first and the last as-of year shown."""
    years = sorted(history["as_of"].unique())
    if len(years) < 2:
        return pd.DataFrame(columns=["领域", "指标", "此前", "现在"])
    first = history[history["as_of"] == years[-2]].set_index("indicator")
    last = history[history["as_of"] == years[-1]].set_index("indicator")
    both = last.join(first[["status"]].rename(columns={"status": "status_before"}), how="inner")
    moved = both[both["status"] != both["status_before"]]
    return pd.DataFrame(
        {
            "领域": moved["domain"],
            "指标": moved.index,
            f"{years[-2]}年评估": moved["status_before"].map(STATUS_LABELS),
            f"{years[-1]}年评估": moved["status"].map(STATUS_LABELS),
        }
    ).reset_index(drop=True)


def milestones(rows: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The qualitative targets with their latest reported status and evidence note."""
    rows = rows[rows["target_type"] == MILESTONE]
    return pd.DataFrame(
        {
            "领域": rows["domain"],
            "目标": rows["indicator_name"],
            "报告状态": rows["milestone_status"].fillna(MILESTONE_NOT_REPORTED),
            "报告年份": rows["last_year"].astype("Int64"),
            "进展说明": rows["reason"],
        }
    ).reset_index(drop=True)


def verdict_words(plan: Plan, year: int) -> tuple[str, str]:
    """(met, not met) as the evaluation says them: 已实现/未实现 from the target year on (the
    outcome is settled), 已达到/尚未达到 before it (on the data so far)."""
    return ("已实现", "未实现") if year >= plan.plan.target_year else ("已达到", "尚未达到")


def verdicts(rows: pd.DataFrame, plan: Plan, year: int) -> pd.DataFrame:
    """Mid-term or final evaluation: each measurable target met or not, and its outlook.

    From the target year on (final evaluation) a target is 已实现/未实现 as the plan defines
    it. Before (mid-term) it is 已达到 / 尚未达到 on the data so far (保持-type targets: in
    every year so far), next to the engine's outlook for the target year.
    """
    rows = measurable(rows)
    met = rows["met_so_far"].fillna(False).astype(bool)
    reached, missed = verdict_words(plan, year)
    verdict = np.where(met, reached, missed)
    verdict = np.where(rows["last_value"].isna(), "数据不足", verdict)
    return pd.DataFrame(
        {
            "领域": rows["domain"],
            "指标": rows["indicator_name"],
            "规划目标": [describe_target(plan.indicator(i)) for i in rows["indicator_id"]],
            "最新值": [_value_with_year(r) for r in rows.itertuples()],
            "评估结论": verdict,
            "展望": rows["status"],
            "达标概率": rows["p_attain"],
        }
    ).reset_index(drop=True)


def town_rows(assessment: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Town-level rows (no breakdown) of every indicator reported by town."""
    return assessment[
        (assessment["region"] != plan.plan.region)
        & (assessment["sex"] == TOTAL)
        & (assessment["residence"] == TOTAL)
        & (assessment["target_type"] != MILESTONE)
    ].reset_index(drop=True)


def town_table(assessment: pd.DataFrame, plan: Plan, indicator_id: str) -> pd.DataFrame:
    """One indicator town by town: latest value, probability and status, weakest first."""
    rows = town_rows(assessment, plan)
    rows = rows[rows["indicator_id"] == indicator_id].sort_values(
        ["p_attain", "region"], kind="stable"
    )
    return pd.DataFrame(
        {
            "镇": rows["region"],
            "最新值": [_value_with_year(r) for r in rows.itertuples()],
            "达标概率": rows["p_attain"],
            "状态": rows["status"],
            "说明": rows["reason"],
        }
    ).reset_index(drop=True)


def town_gaps(assessment: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Per indicator reported by town: best and worst town in the last year, and the gap.

    "Best" follows the target's direction (higher is better for 达到X以上, lower for
    控制在X以下); indicators with no direction rank by value, highest first.
    """
    rows = town_rows(assessment, plan)
    out = []
    for indicator_id, group in rows.groupby("indicator_id", sort=False):
        indicator = plan.indicator(indicator_id)
        group = group.dropna(subset=["last_value"])
        if len(group) < 2:
            continue
        higher = indicator.target.type.higher_is_better
        ordered = group.sort_values("last_value", ascending=higher is False, kind="stable")
        best, worst = ordered.iloc[0], ordered.iloc[-1]
        out.append(
            {
                "指标": indicator.name,
                "镇数": len(group),
                "最好": f"{best['region']} {figure(best['last_value'], best['unit'])}",
                "最差": f"{worst['region']} {figure(worst['last_value'], worst['unit'])}",
                "差距": abs(best["last_value"] - worst["last_value"]),
                "单位": indicator.unit or "",
                "未达标的镇": "、".join(group.loc[group["status"] != "achieved", "region"]) or "无",
            }
        )
    return pd.DataFrame(out, columns=["指标", "镇数", "最好", "最差", "差距", "单位", "未达标的镇"])


def breakdown_rows(assessment: pd.DataFrame, plan: Plan, by: str) -> pd.DataFrame:
    """The district's reported series broken down by `by` ("sex" or "residence") alone."""
    other = "residence" if by == "sex" else "sex"
    return assessment[
        (assessment["region"] == plan.plan.region)
        & (assessment[by] != TOTAL)
        & (assessment[other] == TOTAL)
        & assessment["last_value"].notna()
    ]


def breakdown_indicators(assessment: pd.DataFrame, plan: Plan, by: str) -> list[str]:
    """Indicators the district reports broken down by `by` ("sex" or "residence")."""
    return list(dict.fromkeys(breakdown_rows(assessment, plan, by)["indicator_id"]))


def breakdown_gaps(assessment: pd.DataFrame, plan: Plan, by: str) -> pd.DataFrame:
    """District series broken down by `by` ("sex" or "residence"): last values side by side.

    One row per indicator with a column per group (男/女, 城镇/农村) and the gap between them.
    """
    rows = breakdown_rows(assessment, plan, by)
    if rows.empty:
        return pd.DataFrame(columns=["指标", "单位", "年份", "差距"])
    wide = rows.pivot_table(
        index=["indicator_id", "indicator_name", "unit"],
        columns=by,
        values="last_value",
        aggfunc="first",
        sort=False,
    )
    years = rows.groupby("indicator_id", sort=False)["last_year"].max()
    groups = list(wide.columns)
    wide = wide.reset_index()
    table = pd.DataFrame({"指标": wide["indicator_name"], "单位": wide["unit"]})
    table["年份"] = wide["indicator_id"].map(years).astype(int).to_numpy()
    for group in groups:
        table[group] = wide[group].to_numpy()
    if len(groups) == 2:
        table["差距"] = (wide[groups[0]] - wide[groups[1]]).abs().to_numpy()
    return table


def chart_frame(
    forecasts: pd.DataFrame,
    indicator_id: str,
    regions: list[str] | None = None,
    sex: str = TOTAL,
    residence: str = TOTAL,
) -> pd.DataFrame:
    """The fan chart's input for one indicator: `forecast_table()` rows renamed for it.

    With `regions`, keeps those regions (in that order); otherwise every region present.
    """
    rows = forecasts[
        (forecasts["indicator_id"] == indicator_id)
        & (forecasts["sex"] == sex)
        & (forecasts["residence"] == residence)
    ]
    if regions is not None:
        rows = rows[rows["region"].isin(regions)]
        rows = rows.sort_values(
            ["region", "year"], key=lambda c: c.map(regions.index) if c.name == "region" else c
        )
    return rows.rename(columns={"observed": "value"}).drop(
        columns=["indicator_id", "sex", "residence", "fitted"]
    )


_LINE_AT_VALUE = {
    TargetType.AT_LEAST,
    TargetType.AT_MOST,
    TargetType.MAINTAIN_AT_LEAST,
    TargetType.REACH_AND_MAINTAIN_AT_LEAST,
}
_LINE_AT_BASELINE = {TargetType.INCREASE, TargetType.DECREASE, TargetType.NO_INCREASE}


def breakdown_chart_frame(
    forecasts: pd.DataFrame, indicator_id: str, by: str, region: str
) -> pd.DataFrame:
    """Fan-chart input with one panel per group of `by` (男/女 or 城镇/农村) in `region`.

    The group goes into the chart's `region` column, so the same small multiples (and the
    JupyterLab dropdown) show the groups side by side."""
    other = "residence" if by == "sex" else "sex"
    rows = forecasts[
        (forecasts["indicator_id"] == indicator_id)
        & (forecasts["region"] == region)
        & (forecasts[by] != TOTAL)
        & (forecasts[other] == TOTAL)
    ]
    return (
        rows.assign(region=rows[by])
        .rename(columns={"observed": "value"})
        .drop(columns=["indicator_id", "sex", "residence", "fitted"])
        .reset_index(drop=True)
    )


def target_line(row) -> float | None:
    """The value a chart draws as the target: the number itself, or what the baseline
    implies (以2020年为基数下降15%: 0.85 x the 2020 value; 比2020年提高: the 2020 value).
    None for targets with no single line (逐年增加/持续下降) or no baseline value yet."""
    kind = TargetType(row["target_type"])
    if kind in _LINE_AT_VALUE:
        return float(row["target_value"])
    base = row.get("baseline_value")
    if base is None or (isinstance(base, float) and math.isnan(base)):
        return None
    if kind is TargetType.REDUCE_BY:
        return float(base) * (1 - float(row["target_value"]) / 100)
    if kind in _LINE_AT_BASELINE:
        return float(base)
    return None


def probability_text(p: float) -> str:
    """'约为35%' wording for tables; '—' where there is no probability."""
    return "—" if p is None or (isinstance(p, float) and math.isnan(p)) else probability(p)


def _value_with_year(row) -> str:
    if row.last_value is None or (isinstance(row.last_value, float) and math.isnan(row.last_value)):
        return "—"
    return f"{figure(row.last_value, row.unit)}（{int(row.last_year)}年）"


def _why(row) -> str:
    reason = row.reason if isinstance(row.reason, str) else ""
    if row.volatile is True:
        reason = f"{reason}；近年波动较大" if reason else "近年波动较大"
    return reason


def _breakdown(row) -> str:
    parts = [p for p in (row.sex, row.residence) if p != TOTAL]
    return "、".join(parts) or TOTAL


CATEGORY_LABELS = {
    "target_met": "已达到目标",
    "substantial_progress": "进展显著",
    "fair_progress": "进展一般，需加快",
    "moderate_progress": "进展中等",
    "limited_progress": "进展有限或停滞",
    "negligible_progress": "进展甚微",
    "deterioration": "倒退",
    "not_applicable": "不适用（目标无具体数值或基期数据缺失）",
}


def comparators(row) -> pd.DataFrame:
    """The official deterministic measures for one assessed series, beside the engine's."""
    return pd.DataFrame(
        {
            "方法": [
                "本项目趋势预测（达标概率）",
                "联合国统计司进展图（UNSD）",
                "Open SDG / 欧盟统计局",
            ],
            "数值": [
                probability_text(row["p_attain"]),
                _ratio_text(row["unsd_ratio"]),
                _ratio_text(row["opensdg_ratio"]),
            ],
            "结论": [
                row["status"],
                CATEGORY_LABELS.get(row["unsd_category"], row["unsd_category"]),
                CATEGORY_LABELS.get(row["opensdg_category"], row["opensdg_category"]),
            ],
        }
    )


def backtest_summary(errors: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute error of each model by horizon on the series' own past (one row per
    model), with how many forecasts each figure averages."""
    if errors.empty:
        return pd.DataFrame(columns=["模型"])
    mae = errors.assign(abs_error=errors["error"].abs()).pivot_table(
        index="model", columns="horizon", values="abs_error", aggfunc="mean", sort=False
    )
    mae.columns = [f"{h}年后" for h in mae.columns]
    mae.insert(0, "预测次数", errors.groupby("model", sort=False).size())
    mae.index = [MODEL_LABELS.get(m, m) for m in mae.index]
    return mae.rename_axis("模型").reset_index()


def percent_text(share: float) -> str:
    """0.4827 -> '48.3%'; '—' where there is no share (nothing could be judged)."""
    return "—" if math.isnan(share) else f"{share:.1%}"


def _ratio_text(ratio: float) -> str:
    return "—" if ratio is None or math.isnan(ratio) else f"实际/所需增速之比 {ratio:.2f}"


def explorer_frame(
    forecasts: pd.DataFrame, assessment: pd.DataFrame, plan: Plan, domain: str
) -> pd.DataFrame:
    """Every series of one domain's indicators (district, towns, breakdowns), labelled for
    the JupyterLab series explorer, with each indicator's target line."""
    ids = [i.id for i in plan.measurable if i.domain == domain]
    rows = forecasts[forecasts["indicator_id"].isin(ids)]
    heads = headline_rows(assessment, plan).set_index("indicator_id")
    lines = {i: target_line(heads.loc[i]) for i in ids if i in heads.index}
    names = {i.id: i.name for i in plan.measurable}
    group = rows["sex"].where(rows["sex"] != TOTAL, "") + rows["residence"].where(
        rows["residence"] != TOTAL, ""
    )
    label = rows["indicator_id"].map(names) + " · " + rows["region"]
    label = label.where(group == "", label + " · " + group)
    order = {i: k for k, i in enumerate(ids)}
    out = rows.assign(
        series=label,
        target=rows["indicator_id"].map(lines).astype(float),
        _order=rows["indicator_id"].map(order),
        _district=rows["region"] != plan.plan.region,
    ).rename(columns={"observed": "value"})
    out = out.sort_values(["_order", "_district", "region", "sex", "residence", "year"])
    return out[list(EXPLORER_COLUMNS)].reset_index(drop=True)


class SeriesNotFound(JinlinError, KeyError):
    """The deep dive was asked for a series the data do not hold."""


def series_row(
    assessment: pd.DataFrame,
    indicator_id: str,
    region: str,
    sex: str = TOTAL,
    residence: str = TOTAL,
) -> dict:
    """The assessment row of one series, or an error saying which series exist."""
    of_indicator = assessment[assessment["indicator_id"] == indicator_id]
    row = of_indicator[
        (of_indicator["region"] == region)
        & (of_indicator["sex"] == sex)
        & (of_indicator["residence"] == residence)
    ]
    if row.empty:
        held = sorted({f"{r.region}/{r.sex}/{r.residence}" for r in of_indicator.itertuples()}) or [
            "无"
        ]
        raise SeriesNotFound(
            f"{indicator_id}：没有 {region}/{sex}/{residence} 的监测数据；"
            f"已有的系列（地区/性别/城乡）：{'、'.join(held)}"
        )
    return row.iloc[0].to_dict()


_HISTORY_HEADINGS = {
    "year": "年份",
    "value": "数值",
    "numerator": "分子",
    "denominator": "分母",
    "source": "报送单位",
    "note": "备注",
}


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """A series' reported values with counts, department and note, headed in Chinese."""
    return history[list(_HISTORY_HEADINGS)].rename(columns=_HISTORY_HEADINGS)
