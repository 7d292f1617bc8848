"""One look for every chart of every page: font, Chinese number formats, status colours.

Statuses are the engine's (issue 4); their colours and Chinese names are fixed here so that
"存在风险" is the same orange on the overview, on every domain page and in JupyterLab.
"""

from __future__ import annotations

import math
from typing import Any

from jinlin_analysis.fonts import CSS_FONT_STACK
from jinlin_analysis.wording import STATUS_LABELS

# Green for good, orange/red for warnings, grey for unknown; lightness also differs between
# neighbours so that the colours stay apart for red-green colour-blind readers and in print.
STATUS_COLORS: dict[str, str] = {
    "achieved": "#1b7837",
    "on_track": "#a6dba0",
    "at_risk": "#fdb863",
    "off_track": "#d6604d",
    "insufficient_data": "#d9d9d9",
}
HISTORY_COLOR = "#2b5c8a"
FORECAST_COLOR = "#7b3294"
TARGET_COLOR = "#1b7837"
DATA_LABEL_COLOR = "#b35806"

# d3-format / d3-time-format locales, so that axes read "1,234.5" and "2024年3月".
ZH_NUMBER_LOCALE: dict[str, Any] = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3],
    "currency": ["¥", ""],
}
ZH_TIME_LOCALE: dict[str, Any] = {
    "dateTime": "%x %A %X",
    "date": "%Y年%-m月%-d日",
    "time": "%H:%M:%S",
    "periods": ["上午", "下午"],
    "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    "months": [
        "一月",
        "二月",
        "三月",
        "四月",
        "五月",
        "六月",
        "七月",
        "八月",
        "九月",
        "十月",
        "十一月",
        "十二月",
    ],
    "shortMonths": [f"{m}月" for m in range(1, 13)],
}


def status_label(status: str) -> str:
    """'at_risk' -> '存在风险'; unknown codes are shown as they are rather than hidden."""
    return STATUS_LABELS.get(status, status)


def format_number(value: float | None, unit: str | None = None, digits: int = 1) -> str:
    """Numbers as Chinese statistical reports print them: 1,234.5人, 96.2%, 3.5‰; 2.4万 above 10^5.

    Trailing zeros are dropped ("3.0‰" -> "3‰"); a missing value is "—".
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    unit = unit or ""
    if abs(value) >= 100_000 and unit not in {"%", "‰"}:
        return f"{_trim(f'{value / 10_000:,.{digits}f}')}万{unit}"
    return f"{_trim(f'{value:,.{digits}f}')}{unit}"


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def vega_config() -> dict[str, Any]:
    """The Vega-Lite `config` of every chart (also applied by the exporter to static charts)."""
    return {
        "font": CSS_FONT_STACK,  # vl-convert measures with the first it has: the shipped font
        "locale": {"number": ZH_NUMBER_LOCALE, "time": ZH_TIME_LOCALE},
        "background": "white",
        "padding": 8,
        "view": {"continuousWidth": 560, "continuousHeight": 240, "stroke": None},
        "title": {
            "anchor": "start",
            "fontSize": 15,
            "fontWeight": "bold",
            "subtitleFontSize": 12,
            "subtitleColor": DATA_LABEL_COLOR,
            "offset": 8,
        },
        "axis": {
            "labelFontSize": 11,
            "titleFontSize": 12,
            "titleFontWeight": "normal",
            "gridColor": "#e6e6e6",
            "domainColor": "#999999",
            "tickColor": "#999999",
            "labelColor": "#333333",
            "titleColor": "#333333",
        },
        "legend": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal"},
        "header": {"labelFontSize": 12, "titleFontSize": 12},
        "range": {
            "category": [
                HISTORY_COLOR,
                "#e08214",
                "#1b7837",
                "#7b3294",
                "#c51b7d",
                "#4d9221",
                "#8c510a",
                "#01665e",
            ]
        },
        "numberFormat": ",.4~g",
    }
