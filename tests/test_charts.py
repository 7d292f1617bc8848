"""Chart builders on realistic synthetic inputs, the theme, the interactive/static switch."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jinlin_analysis import charts
from jinlin_analysis.charts import render
from jinlin_analysis.charts.static import spec_to_svg
from jinlin_analysis.charts.theme import STATUS_COLORS, STATUS_LABELS, format_number

LABEL = "示例数据（模拟）"
REGIONS = ["金林区", "城关镇", "河西镇", "北山乡"]


@pytest.fixture
def mode():
    """Set the chart mode for one test and restore it after."""
    saved = dict(render._state)

    def use(chosen):
        charts.use(chosen, data_label=LABEL)

    yield use
    render._state.update(saved)


def infant_mortality(regions=REGIONS[:1], seed=7) -> pd.DataFrame:
    """Ten years of a small district's infant mortality (‰), noisy as small counts are, then a
    forecast to 2025 whose bands widen; the shape the engine hands to fan_chart."""
    rng = np.random.default_rng(seed)
    rows = []
    for n, region in enumerate(regions):
        births = rng.integers(300, 600, size=10)
        deaths = rng.binomial(births, 0.0055 - 0.0002 * np.arange(10) + 0.0004 * n)
        for year, value in zip(range(2015, 2025), 1000 * deaths / births, strict=True):
            rows.append({"region": region, "year": year, "value": value})
        rows.append(
            {
                "region": region,
                "year": 2025,
                "value": np.nan,
                "forecast": 4.1 + 0.5 * n,
                "lower_80": 3.2 + 0.5 * n,
                "upper_80": 5.1 + 0.5 * n,
                "lower_95": 2.7 + 0.5 * n,
                "upper_95": 5.8 + 0.5 * n,
            }
        )
    frame = pd.DataFrame(rows)
    return frame if len(regions) > 1 else frame.drop(columns="region")


def svg_of(chart, prefix="t") -> str:
    return spec_to_svg(chart.to_dict(), id_prefix=prefix, data_label=LABEL)


def test_fan_chart_draws_history_forecast_bands_and_target(mode):
    mode("static")
    frame = infant_mortality()
    chart = charts.fan_chart(
        frame, title="婴儿死亡率", unit="‰", target_value=5.5, higher_is_better=False,
        target_year=2025, subtitle="有望达标 · 达标概率 82%",
    )  # fmt: skip
    spec = chart.to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    last = data[data["year"] == 2024].iloc[0]
    # the fan opens from the last observed value
    assert last["forecast"] == last["lower_95"] == last["upper_80"] == last["value"]
    assert data["target"].dropna().unique().tolist() == [5.5]
    svg = svg_of(chart)
    for text in ("婴儿死亡率", "观测值", "预测值", "80%预测区间", "95%预测区间", "规划目标", LABEL):
        assert text in svg
    assert "有望达标 · 达标概率 82%" in svg
    assert "2015" in svg and "2025" in svg and "婴儿死亡率（‰）" in svg


def test_fan_chart_without_a_target_or_forecast_still_draws(mode):
    mode("static")
    history = infant_mortality().query("year < 2025")
    svg = svg_of(charts.fan_chart(history, title="新生儿访视率", unit="%"))
    assert "新生儿访视率" in svg and svg.count("<path") > 3


def test_regions_are_small_multiples_when_static(mode):
    mode("static")
    frame = infant_mortality(REGIONS)
    spec = charts.fan_chart(frame, title="婴儿死亡率", unit="‰", target_value=5.5).to_dict()
    assert spec["facet"]["field"] == "region" and spec["columns"] == 3
    svg = spec_to_svg(spec, id_prefix="r")
    assert all(region in svg for region in REGIONS)


def test_regions_are_a_dropdown_when_interactive(mode):
    mode("interactive")
    frame = infant_mortality(REGIONS)
    spec = charts.fan_chart(frame, title="婴儿死亡率", unit="‰", target_value=5.5).to_dict()
    (param,) = spec["params"]
    assert param["bind"]["input"] == "select" and param["bind"]["options"] == REGIONS
    assert param["value"] == "金林区"


def test_fan_chart_names_missing_columns():
    with pytest.raises(charts.ChartInputError, match=r"lacks column.*lower_80"):
        charts.fan_chart(pd.DataFrame({"year": [2020], "value": [1.0]}), title="x")


def status_history(plan) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    codes = list(STATUS_LABELS)
    rows = []
    for indicator in plan.measurable[:12]:
        level = int(rng.integers(0, 5))
        for as_of in range(2017, 2025):
            level = int(np.clip(level + rng.integers(-1, 2), 0, 4))
            rows.append(
                {
                    "indicator": indicator.name,
                    "domain": plan.domains[indicator.domain],
                    "as_of": as_of,
                    "status": codes[level],
                    "p_attain": float(rng.random()),
                }
            )
    return pd.DataFrame(rows)


def test_status_heatmap_uses_the_fixed_status_colours(plan, mode):
    mode("static")
    frame = status_history(plan)
    svg = svg_of(charts.status_heatmap(frame))
    for code in frame["status"].unique():
        assert f'fill="{STATUS_COLORS[code]}"' in svg
    assert all(label in svg for label in STATUS_LABELS.values())  # full legend, fixed order
    assert plan.measurable[0].name in svg and "2017" in svg and "2024" in svg


def test_status_bars_count_targets_per_group(plan, mode):
    mode("static")
    latest = status_history(plan).query("as_of == 2024").rename(columns={"domain": "group"})
    spec = charts.status_bars(latest).to_dict()
    counts = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert counts["count"].sum() == len(latest)
    assert "儿童与健康" in svg_of(charts.status_bars(latest))


def test_unknown_status_is_refused():
    frame = pd.DataFrame({"indicator": ["a"], "as_of": [2024], "status": ["red"]})
    with pytest.raises(charts.ChartInputError, match="unknown status 'red'"):
        charts.status_heatmap(frame)


def test_static_mode_emits_a_labelled_spec_for_the_exporter(mode):
    mode("static")
    chart = charts.fan_chart(infant_mortality(), title="婴儿死亡率")
    bundle = chart._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    (spec,) = [v for k, v in bundle.items() if k.startswith("application/vnd.vegalite")]
    assert spec["title"]["subtitle"] == [LABEL]
    assert spec["config"]["font"].startswith('"Jinlin Sans"')


def test_interactive_mode_is_an_offline_widget(mode):
    mode("interactive")
    bundle = charts.fan_chart(infant_mortality(), title="婴儿死亡率")._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in bundle
    from altair import JupyterChart

    assert JupyterChart._is_offline  # JavaScript bundled by vl-convert, no CDN


def test_plan_only_charts_carry_no_data_label(plan, mode):
    mode("static")
    svg = svg_of(charts.plan_targets_chart(plan))
    assert "各领域规划目标数" in svg and LABEL not in svg


def test_label_spec_is_idempotent():
    once = render.label_spec({"title": {"text": "t", "subtitle": "s"}}, LABEL)
    assert once["title"]["subtitle"] == ["s", LABEL]
    assert render.label_spec(once, LABEL) == once
    assert render.label_spec({}, LABEL)["title"] == {"text": "", "subtitle": [LABEL]}
    assert render.label_spec({"title": "t"}, "") == {"title": "t"}


def clipped_chart_with_gradient() -> dict:
    """Vega gives clip paths and gradients ids from counters that run across conversions."""
    import altair as alt

    frame = infant_mortality()
    line = alt.Chart(frame).mark_line(clip=True).encode(x="year:Q", y="value:Q")
    rect = alt.Chart(frame).mark_rect(clip=True).encode(x="year:O", color="value:Q")
    return alt.vconcat(line, rect).to_dict()


def test_svg_ids_are_unique_per_chart_and_independent_of_render_order(mode):
    mode("static")
    spec = clipped_chart_with_gradient()
    first = spec_to_svg(spec, id_prefix="p-c1")
    spec_to_svg(charts.status_heatmap(status_history_small()).to_dict(), id_prefix="x")
    again = spec_to_svg(spec, id_prefix="p-c1")
    assert first == again  # vl-convert's own counters moved on in between
    other = spec_to_svg(spec, id_prefix="p-c2")
    ids = re.findall(r'\bid="([^"]+)"', first) + re.findall(r'\bid="([^"]+)"', other)
    assert ids and len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)", first):
        assert f'id="{ref}"' in first


def status_history_small() -> pd.DataFrame:
    statuses = ["on_track", "at_risk"]
    return pd.DataFrame({"indicator": ["甲", "乙"], "as_of": [2024, 2024], "status": statuses})


def test_a_chart_cannot_load_data_from_a_url():
    with pytest.raises(ValueError, match="External data url not allowed"):
        spec_to_svg({"data": {"url": "https://example.org/x.csv"}, "mark": "bar"}, id_prefix="u")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(3.456, "‰", "3.5‰"), (3.0, "‰", "3‰"), (96.25, "%", "96.2%"), (12345.6, "人", "12,345.6人"),
     (243210, "人", "24.3万人"), (float("nan"), "%", "—"), (None, None, "—"), (-0.04, None, "-0")],
)  # fmt: skip
def test_format_number(value, unit, expected):
    assert format_number(value, unit) == expected


def test_mode_comes_from_the_environment(monkeypatch):
    saved = dict(render._state)
    try:
        render._state["mode"] = None
        monkeypatch.setenv(charts.MODE_VARIABLE, "static")
        assert charts.mode() == "static"
        render._state["mode"] = None
        monkeypatch.setenv(charts.MODE_VARIABLE, "fancy")
        with pytest.raises(ValueError, match="JINLIN_CHARTS must be"):
            charts.mode()
    finally:
        render._state.update(saved)


def test_deep_dive_charts_are_valid_vega_lite():
    history = pd.DataFrame({"year": range(2015, 2025), "value": np.linspace(6.0, 4.0, 10)})
    models = pd.DataFrame(
        {
            "year": [2025] * 5,
            "model": list(charts.MODEL_LABELS),
            "forecast": [3.9, 3.8, 3.7, 3.8, 3.8],
        }
    )
    spec = charts.models_chart(history, models, title="婴儿死亡率", unit="‰").to_dict()
    assert len(spec["layer"]) == 2
    errors = pd.DataFrame(
        {
            "origin": [2018, 2018],
            "year": [2019, 2020],
            "horizon": [1, 2],
            "model": ["drift", "combination"],
            "error": [0.4, -0.2],
        }
    )
    spec = charts.errors_chart(errors, title="误差", unit="‰").to_dict()
    assert spec["layer"][0]["mark"]["type"] == "circle"
