"""Chart builders: documented DataFrames in, altair charts out, the same look on every page.

Each function states the DataFrame shape it takes; the engine (issue 4) produces these shapes.
Charts are built for both modes: tooltips and selections work in JupyterLab and are simply
inert in the static SVG of the exported report.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from jinlin_analysis.charts.render import is_interactive, not_from_data
from jinlin_analysis.charts.theme import (
    FORECAST_COLOR,
    HISTORY_COLOR,
    STATUS_COLORS,
    STATUS_LABELS,
    TARGET_COLOR,
)
from jinlin_analysis.plan import Plan

FAN_COLUMNS = ("year", "value", "forecast", "lower_80", "upper_80", "lower_95", "upper_95")
HEATMAP_COLUMNS = ("indicator", "as_of", "status")
STATUS_COUNT_COLUMNS = ("group", "status")

_SERIES = {
    "观测值": HISTORY_COLOR,
    "预测值": FORECAST_COLOR,
    "80%预测区间": "#c2a5cf",
    "95%预测区间": "#e7d4e8",
    "规划目标": TARGET_COLOR,
}


_YEAR_AXIS = alt.Axis(format="d", tickMinStep=1)


class ChartInputError(ValueError):
    """A frame handed to a chart builder lacks a column or holds an unknown status."""


def fan_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | None = None,
    target_value: float | None = None,
    higher_is_better: bool | None = None,
    target_year: int | None = None,
    subtitle: str | Sequence[str] = (),
    width: int = 560,
    height: int = 240,
) -> alt.TopLevelMixin:
    """History, forecast and its 80 %/95 % bands for one indicator, with the target.

    `frame`: one row per year (per region, if a `region` column is present), columns
    year (int), value (observed; NaN in forecast years), forecast, lower_80, upper_80,
    lower_95, upper_95 (NaN in observed years). The forecast and its bands are joined to the
    last observed value, so the fan opens from the data.

    The target: a dashed line at `target_value`, a light zone on the side that meets it when
    `higher_is_better` is known (True for 达到X以上, False for 控制在X以下), and a diamond at
    `target_year`. With several regions, JupyterLab shows one region at a time with a dropdown
    and the static report shows small multiples (one panel per region, shared scale).
    """
    _require(frame, FAN_COLUMNS, "fan_chart")
    data = _join_forecast_to_history(frame)
    low, high = _value_domain(data, target_value)
    data["target"] = target_value
    data["edge"] = high if higher_is_better else low
    data["target_year"] = target_year
    suffix = f"（{unit}）" if unit else ""
    years = (int(data["year"].min()), int(max(data["year"].max(), target_year or 0)))
    x = alt.X("year:Q", title=None, axis=_YEAR_AXIS, scale=alt.Scale(domain=years, zero=False))
    y_scale = alt.Scale(zero=False, domain=[low, high], nice=False)
    color = _fan_color("series")
    tooltip = _fan_tooltip(suffix, "region" in data.columns)
    base = alt.Chart()
    zone, target = _target_layers(
        base, x, y_scale, color, target_value, higher_is_better, target_year
    )
    layers = [
        *zone,
        *_fan_layers(base, x, y_scale, color, tooltip, "series", f"{title}{suffix}", target),
    ]
    title_params = alt.Title(
        title, subtitle=[subtitle] if isinstance(subtitle, str) else list(subtitle)
    )
    regions = list(dict.fromkeys(data["region"])) if "region" in data.columns else []
    if len(regions) <= 1:
        return alt.layer(*layers, data=data).properties(
            width=width, height=height, title=title_params
        )
    if is_interactive():
        region = alt.param(
            name="region", value=regions[0], bind=alt.binding_select(options=regions, name="地区 ")
        )
        chart = alt.layer(*layers, data=data).add_params(region)
        chart = chart.transform_filter(alt.datum.region == region)
        return chart.properties(width=width, height=height, title=title_params)
    panel = alt.layer(*layers).properties(
        width=max(180, width // 3), height=max(120, height * 2 // 3)
    )
    return panel.facet(
        facet=alt.Facet("region:N", title=None, sort=regions), columns=3, data=data
    ).properties(title=title_params)


def _fan_color(part: str) -> alt.Color:
    """The fan's legend: `part` is the field naming each layer (观测值, 预测值, bands, target)."""
    return alt.Color(
        f"{part}:N",
        scale=alt.Scale(domain=list(_SERIES), range=list(_SERIES.values())),
        legend=alt.Legend(title=None, orient="bottom", direction="horizontal"),
    )


def _fan_layers(base, x, y_scale, color, tooltip, part, y_title, target) -> list:
    """95% and 80% bands, the dashed forecast, the `target` layers (over the bands, under the
    lines), then the observed line: the drawing order of every fan chart."""
    layers = [
        base.mark_area(opacity=0.85)
        .transform_filter(f"isValid(datum.lower_{level})")
        .transform_calculate(**{part: f"'{level}%预测区间'"})
        .encode(
            x=x,
            y=alt.Y(f"lower_{level}:Q", title=y_title, scale=y_scale),
            y2=f"upper_{level}:Q",
            color=color,
            tooltip=tooltip,
        )
        for level in (95, 80)
    ]
    for column, name, mark in (
        ("forecast", "预测值", {"strokeDash": [6, 4], "point": {"filled": False, "size": 28}}),
        ("value", "观测值", {"point": {"size": 36}}),
    ):
        layers.append(
            base.mark_line(**mark)
            .transform_filter(f"isValid(datum.{column})")
            .transform_calculate(**{part: f"'{name}'"})
            .encode(x=x, y=alt.Y(f"{column}:Q", scale=y_scale), color=color, tooltip=tooltip)
        )
        if column == "forecast":
            layers += target
    return layers


def _join_forecast_to_history(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the last observed year forecast = lower = upper = value, so the fan starts there."""
    data = frame.reset_index(drop=True).copy()
    keys = data["region"] if "region" in data.columns else pd.Series(0, index=data.index)
    for _, group in data.groupby(keys, sort=False):
        observed = group[group["value"].notna()]
        if observed.empty or group["forecast"].notna().sum() == 0:
            continue
        last = observed["year"].idxmax()
        for column in FAN_COLUMNS[2:]:
            if pd.isna(data.at[last, column]):
                data.at[last, column] = data.at[last, "value"]
    return data


def _value_domain(data: pd.DataFrame, target_value: float | None) -> tuple[float, float]:
    values = pd.concat([pd.to_numeric(data[c], errors="coerce") for c in FAN_COLUMNS[1:]])
    if target_value is not None:
        values = pd.concat([values, pd.Series([float(target_value)])])
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def _target_layers(base, x, y_scale, color, target_value, higher_is_better, target_year):
    """(zone, line and diamond) layers; the constant target columns aggregate to one row."""
    if target_value is None:
        return [], []
    one = base.transform_aggregate(
        target="min(target)", edge="min(edge)", target_year="min(target_year)"
    ).transform_calculate(series="'规划目标'")
    tooltip = [alt.Tooltip("target:Q", title="规划目标", format=",.4~g")]
    zone = []
    if higher_is_better is not None:
        zone.append(
            one.mark_rect(opacity=0.08, color=TARGET_COLOR).encode(
                y=alt.Y("target:Q", scale=y_scale), y2="edge:Q"
            )
        )
    layers = []
    layers.append(
        one.mark_rule(strokeDash=[2, 2], strokeWidth=1.5).encode(
            y=alt.Y("target:Q", scale=y_scale), color=color, tooltip=tooltip
        )
    )
    if target_year is not None:
        layers.append(
            one.mark_point(shape="diamond", size=90, filled=True).encode(
                x=alt.X("target_year:Q", axis=_YEAR_AXIS),
                y="target:Q",
                color=color,
                tooltip=tooltip,
            )
        )
    return zone, layers


def _fan_tooltip(suffix: str, with_region: bool) -> list[alt.Tooltip]:
    fmt = ",.4~g"
    tips = [alt.Tooltip("year:Q", title="年份", format="d")]
    if with_region:
        tips.append(alt.Tooltip("region:N", title="地区"))
    return [
        *tips,
        alt.Tooltip("value:Q", title=f"观测值{suffix}", format=fmt),
        alt.Tooltip("forecast:Q", title=f"预测值{suffix}", format=fmt),
        alt.Tooltip("lower_80:Q", title="80%区间下限", format=fmt),
        alt.Tooltip("upper_80:Q", title="80%区间上限", format=fmt),
        alt.Tooltip("lower_95:Q", title="95%区间下限", format=fmt),
        alt.Tooltip("upper_95:Q", title="95%区间上限", format=fmt),
    ]


def _require(frame: pd.DataFrame, columns: Sequence[str], builder: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ChartInputError(
            f"{builder}: the frame lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )


def status_heatmap(
    frame: pd.DataFrame, *, title: str = "各指标预警状态的变化", width: int | None = None
) -> alt.TopLevelMixin:
    """How each indicator's status moved over the as-of years.

    `frame`: one row per indicator and as-of year, columns indicator (label shown), as_of (int),
    status (one of STATUS_LABELS' codes); optional p_attain (0-1, shown in the tooltip) and
    domain (rows are grouped by it, in order of first appearance). Rows keep the frame's order
    within a domain. Click a row (JupyterLab) to highlight it; click a legend entry to
    highlight one status.
    """
    _require(frame, HEATMAP_COLUMNS, "status_heatmap")
    data = _with_status_labels(frame, "status_heatmap")
    if "domain" in data.columns:
        domains = list(dict.fromkeys(data["domain"]))
        data = data.sort_values("domain", key=lambda d: d.map(domains.index), kind="stable")
    rows = list(dict.fromkeys(data["indicator"]))
    years = sorted(data["as_of"].unique())
    pick_row = alt.selection_point(fields=["indicator"], on="click", clear="dblclick")
    pick_status = alt.selection_point(fields=["status_label"], bind="legend")
    tooltip = [
        alt.Tooltip("indicator:N", title="指标"),
        alt.Tooltip("as_of:O", title="评估年份"),
        alt.Tooltip("status_label:N", title="状态"),
    ]
    if "p_attain" in data.columns:
        tooltip.append(alt.Tooltip("p_attain:Q", title="达标概率", format=".0%"))
    if "domain" in data.columns:
        tooltip.insert(0, alt.Tooltip("domain:N", title="领域"))
    chart = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("as_of:O", title="评估年份", sort=years, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("indicator:N", title=None, sort=rows, axis=alt.Axis(labelLimit=320)),
            color=_status_color(),
            opacity=alt.condition(pick_row & pick_status, alt.value(1.0), alt.value(0.25)),
            tooltip=tooltip,
        )
        .add_params(pick_row, pick_status)
    )
    return chart.properties(
        title=title, width=width or max(160, 44 * len(years)), height=18 * len(rows)
    )


def status_bars(
    frame: pd.DataFrame, *, title: str = "目标进展状态", width: int = 520
) -> alt.TopLevelMixin:
    """How many targets are in each status, per group (domain, town, ...): stacked bars.

    `frame`: one row per assessed target, columns group (label of the bar, e.g. the domain's
    Chinese name; bars keep the order of first appearance) and status (a STATUS_LABELS code).
    """
    _require(frame, STATUS_COUNT_COLUMNS, "status_bars")
    data = _with_status_labels(frame, "status_bars")
    groups = list(dict.fromkeys(data["group"]))
    counts = data.groupby(["group", "status", "status_label"], sort=False).size()
    counts = counts.reset_index(name="count")
    counts["order"] = counts["status"].map(list(STATUS_LABELS).index)
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort=groups, axis=alt.Axis(labelLimit=200)),
            x=alt.X("count:Q", title="指标数", stack="zero", axis=alt.Axis(tickMinStep=1)),
            color=_status_color(),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("group:N", title="分组"),
                alt.Tooltip("status_label:N", title="状态"),
                alt.Tooltip("count:Q", title="指标数"),
            ],
        )
        .properties(title=title, width=width, height=24 * len(groups))
    )


def plan_targets_chart(plan: Plan, *, title: str = "各领域规划目标数") -> alt.TopLevelMixin:
    """The plan's targets per domain: measurable (with a number to check) vs qualitative."""
    kinds = {"可量化指标": HISTORY_COLOR, "定性目标": "#bababa"}
    rows = [
        {"domain": plan.domains[i.domain], "kind": "定性目标" if i.is_milestone else "可量化指标"}
        for i in plan.indicators
    ]
    counts = pd.DataFrame(rows).groupby(["domain", "kind"], sort=False).size()
    counts = counts.reset_index(name="count")
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=alt.Y("domain:N", title=None, sort=list(plan.domains.values())),
            x=alt.X("count:Q", title="目标数", stack="zero"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=list(kinds), range=list(kinds.values())),
                legend=alt.Legend(orient="bottom", direction="horizontal"),
            ),
            order=alt.Order("kind:N", sort="ascending"),
            tooltip=[
                alt.Tooltip("domain:N", title="领域"),
                alt.Tooltip("kind:N", title="类别"),
                alt.Tooltip("count:Q", title="目标数"),
            ],
        )
        .properties(title=title, width=480, height=24 * len(plan.domains))
    )
    return not_from_data(chart)


def _with_status_labels(frame: pd.DataFrame, builder: str) -> pd.DataFrame:
    unknown = sorted(set(frame["status"].dropna()) - set(STATUS_LABELS))
    if unknown:
        raise ChartInputError(
            f"{builder}: unknown status {', '.join(map(repr, unknown))}; "
            f"expected one of {', '.join(STATUS_LABELS)}"
        )
    data = frame.reset_index(drop=True).copy()
    data["status_label"] = data["status"].map(STATUS_LABELS)
    return data


def _status_color() -> alt.Color:
    """Every status in every legend, always in the same order and colour."""
    return alt.Color(
        "status_label:N",
        title="状态",
        scale=alt.Scale(domain=list(STATUS_LABELS.values()), range=list(STATUS_COLORS.values())),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


MODEL_LABELS = {
    "drift": "带漂移随机游走",
    "damped": "阻尼趋势指数平滑",
    "escap": "时间加权线性趋势（ESCAP）",
    "theta": "Theta法",
    "combination": "等权组合（默认）",
}


def models_chart(
    history: pd.DataFrame,
    models: pd.DataFrame,
    *,
    title: str,
    unit: str | None = None,
    width: int = 560,
    height: int = 260,
) -> alt.TopLevelMixin:
    """Each pool model's forecast beside the history (the deep-dive notebook).

    `history`: year, value. `models`: year, model (a MODEL_LABELS code), forecast, as
    `engine.model_forecasts` returns it. Each model's line starts from the last value.
    """
    _require(history, ("year", "value"), "models_chart")
    _require(models, ("year", "model", "forecast"), "models_chart")
    last = history.dropna(subset=["value"]).iloc[-1]
    start = pd.DataFrame(
        {"year": int(last["year"]), "model": models["model"].unique(), "forecast": last["value"]}
    )
    lines = pd.concat([start, models], ignore_index=True)
    lines["label"] = lines["model"].map(MODEL_LABELS).fillna(lines["model"])
    suffix = f"（{unit}）" if unit else ""
    x = alt.X("year:Q", title=None, axis=_YEAR_AXIS, scale=alt.Scale(zero=False))
    observed = (
        alt.Chart(history.dropna(subset=["value"]))
        .mark_line(point=True, color=HISTORY_COLOR)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=f"{title}{suffix}", scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("year:Q", title="年份"), alt.Tooltip("value:Q", title="观测值")],
        )
    )
    forecasts = (
        alt.Chart(lines)
        .mark_line(strokeDash=[5, 3], point={"filled": False, "size": 24})
        .encode(
            x=x,
            y=alt.Y("forecast:Q"),
            color=_model_color(),
            tooltip=[
                alt.Tooltip("label:N", title="模型"),
                alt.Tooltip("year:Q", title="年份"),
                alt.Tooltip("forecast:Q", title="预测值", format=".2f"),
            ],
        )
    )
    return alt.layer(observed, forecasts).properties(title=title, width=width, height=height)


def _model_color() -> alt.Color:
    return alt.Color(
        "label:N",
        title=None,
        sort=list(MODEL_LABELS.values()),
        legend=alt.Legend(orient="bottom", columns=3),
    )


def errors_chart(
    errors: pd.DataFrame, *, title: str, unit: str | None = None, width: int = 520
) -> alt.TopLevelMixin:
    """Past forecast errors (forecast - actual) by horizon, one colour per model.

    `errors`: horizon, model, error (and origin, year for the tooltip), as
    `engine.series_backtest` returns it.
    """
    _require(errors, ("horizon", "model", "error"), "errors_chart")
    data = errors.assign(label=errors["model"].map(MODEL_LABELS).fillna(errors["model"]))
    suffix = f"（{unit}）" if unit else ""
    points = (
        alt.Chart(data)
        .mark_circle(size=36, opacity=0.7)
        .encode(
            x=alt.X("horizon:O", title="预测步长（年）", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("label:N", sort=list(MODEL_LABELS.values())),
            y=alt.Y("error:Q", title=f"预测误差{suffix}"),
            color=_model_color(),
            tooltip=[
                alt.Tooltip("label:N", title="模型"),
                alt.Tooltip("origin:Q", title="预测起点"),
                alt.Tooltip("year:Q", title="年份"),
                alt.Tooltip("error:Q", title="误差", format=".2f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#888").encode(y="y:Q")
    return alt.layer(points, zero).properties(title=title, width=width, height=240)


EXPLORER_COLUMNS = ("series", "year", *FAN_COLUMNS[1:], "target")


def series_explorer(
    frame: pd.DataFrame, *, title: str = "选择指标", width: int = 560, height: int = 260
) -> alt.TopLevelMixin:
    """One fan chart with a dropdown over many series (indicator x region x group), for
    JupyterLab: pick a series and the chart redraws with its own scale and target.

    `frame`: one row per series and year, columns series (the label in the dropdown), year,
    value, forecast, lower/upper_80/95 (as for fan_chart) and target (the series' target
    line, NaN if none). Meant for interactive use; the static report draws fan_chart.
    """
    _require(frame, EXPLORER_COLUMNS, "series_explorer")
    data = _join_forecast_to_history(frame.rename(columns={"series": "region"}))
    data = data.rename(columns={"region": "series"})
    labels = list(dict.fromkeys(data["series"]))
    pick = alt.param(
        name="series_pick",
        value=labels[0],
        bind=alt.binding_select(options=labels, name="指标 "),
    )
    x = alt.X("year:Q", title=None, axis=_YEAR_AXIS, scale=alt.Scale(zero=False))
    y_scale = alt.Scale(zero=False)
    color = _fan_color("part")  # "series" is the picked series here
    tooltip = [alt.Tooltip("series:N", title="指标"), *_fan_tooltip("", False)]
    base = alt.Chart().transform_filter(alt.datum.series == pick)
    target = (
        base.transform_filter("isValid(datum.target)")
        .transform_aggregate(target="min(target)")
        .transform_calculate(part="'规划目标'")
        .mark_rule(strokeDash=[2, 2], strokeWidth=1.5)
        .encode(y=alt.Y("target:Q", scale=y_scale), color=color)
    )
    layers = _fan_layers(base, x, y_scale, color, tooltip, "part", None, [target])
    return (
        alt.layer(*layers, data=data)
        .add_params(pick)
        .properties(title=title, width=width, height=height)
    )
