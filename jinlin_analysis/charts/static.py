"""Vega-Lite spec -> inline SVG for exported pages: offline, Chinese, deterministic.

Used by the report exporter (one process renders every page's charts, so vl-convert's
JavaScript engine starts once per report, not once per page). vl-convert measures text with
the shipped font; the page embeds the same font, so labels fit exactly as laid out.
"""

from __future__ import annotations

import re
from typing import Any

from jinlin_analysis.charts.render import label_spec
from jinlin_analysis.charts.theme import ZH_NUMBER_LOCALE, ZH_TIME_LOCALE, vega_config
from jinlin_analysis.fonts import register_with_vl_convert

VEGALITE_MIMETYPE = re.compile(r"^application/vnd\.vegalite\.v(\d+)[.+]json$")
_ID = re.compile(r'\bid="([^"]+)"')
_SCHEMA_VERSION = re.compile(r"/vega-lite/v(\d+)\.(\d+)")


def spec_to_svg(spec: dict[str, Any], *, id_prefix: str, data_label: str = "") -> str:
    """Render one chart as SVG markup ready to inline in a page.

    `id_prefix` must be unique within the page: vl-convert numbers clip paths and gradients
    with a counter that runs across conversions, so ids would otherwise depend on the order
    pages were exported in, and two charts of one page could point at each other's clips.
    """
    import vl_convert

    register_with_vl_convert()
    svg = vl_convert.vegalite_to_svg(
        label_spec(spec, data_label),
        vl_version=_vl_version(spec),
        config=vega_config(),  # the spec's own config wins; this fills in what it lacks
        allowed_base_urls=[],  # a chart that tries to load data from anywhere fails
        format_locale=ZH_NUMBER_LOCALE,
        time_format_locale=ZH_TIME_LOCALE,
    )
    svg = _renumber_ids(svg, id_prefix)
    return svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)  # fit narrow screens


def _vl_version(spec: dict[str, Any]) -> str | None:
    """'…/vega-lite/v6.4.1.json' -> '6.4' when vl-convert has it; else its newest."""
    import vl_convert

    match = _SCHEMA_VERSION.search(str(spec.get("$schema", "")))
    if match:
        wanted = f"{match[1]}.{match[2]}"
        if wanted in vl_convert.get_vegalite_versions():
            return wanted
    return None


def _renumber_ids(svg: str, prefix: str) -> str:
    ids = list(dict.fromkeys(_ID.findall(svg)))
    if not ids:
        return svg
    mapping = {old: f"{prefix}-{n}" for n, old in enumerate(ids, start=1)}
    pattern = re.compile(
        r'(\bid="|url\(#|href="#)(' + "|".join(re.escape(i) for i in ids) + r')(?=["\)])'
    )
    return pattern.sub(lambda m: m[1] + mapping[m[2]], svg)
