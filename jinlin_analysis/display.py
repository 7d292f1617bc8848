"""What notebooks show besides charts: prose, tables and headline numbers, always escaped.

Text typed by departments (notes, evidence, file names, even indicator names from a plan
file) goes into pages that evaluators open: it must show as text and never run. Notebooks
therefore build prose with `md` and tables with `table`, never with IPython's Markdown/HTML on
raw strings (tests/test_notebooks.py checks the notebooks for this). Values are escaped; only
the template a notebook author writes is trusted Markdown.
"""

from __future__ import annotations

import html
import math
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown

from jinlin_analysis.charts.theme import STATUS_LABELS, format_number

HEADLINE_MIMETYPE = "application/vnd.jinlin.headline+json"
_state = {"data_label": ""}
# Characters that could open Markdown, HTML or maths ($...$ in nbconvert) structure, written as
# numeric character references: Markdown never reads those as syntax, browsers show the char.
_MARKDOWN_SPECIAL = set("\\`*_[]<>&|~$#!{}\"'")
_LINE_START_SPECIAL = set("-+=.:0123456789")
_NUM = ' class="num"'
_STATUS_BY_LABEL = {label: code for code, label in STATUS_LABELS.items()}


def set_data_label(label: str) -> None:
    """Label that `table` adds to the caption of every table built from monitoring data."""
    _state["data_label"] = label


def escape_markdown(value: object) -> str:
    """Any value as Markdown that renders exactly as its text (newlines become spaces)."""
    text = " ".join(str(value).split())
    out = [f"&#{ord(c)};" if c in _MARKDOWN_SPECIAL else c for c in text]
    if out and text[0] in _LINE_START_SPECIAL:
        out[0] = f"&#{ord(text[0])};"
    return "".join(out)


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        return escape_markdown(super().format_field(value, format_spec))


def md(template: str, /, **values: Any) -> Markdown:
    """Markdown from a trusted template and untrusted values: md("**{name}**：{note}", ...).

    Format specs work as in str.format ({rate:.1f}); the formatted value is then escaped.
    """
    return Markdown(_EscapingFormatter().format(template, **values))


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    status_columns: Iterable[str] = ("status", "状态"),
    from_data: bool = True,
) -> HTML:
    """A DataFrame as an escaped HTML table: no index, Chinese number format, status chips.

    `formats` maps a column to a format string ("{:.0%}") or a function returning text.
    Columns in `status_columns` holding status codes or their Chinese names are drawn as
    coloured chips. Tables built from monitoring data carry the data label in their caption;
    pass `from_data=False` for tables built from the plan alone.
    """
    formats = dict(formats or {})
    status_columns = set(status_columns)
    label = _state["data_label"] if from_data else ""
    parts = ['<div class="jinlin-table-wrap"><table class="jinlin-table">']
    if caption or label:
        tag = f'<span class="jinlin-data-label">{html.escape(label)}</span>' if label else ""
        parts.append(f"<caption>{html.escape(caption or '')}{tag}</caption>")
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)}
    head = "".join(
        f"<th{_NUM if c in numeric else ''}>{html.escape(str(c))}</th>" for c in frame.columns
    )
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>")
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = _cell_text(value, formats.get(column))
            if column in status_columns and _status_code(value):
                code = _status_code(value)
                cells.append(
                    f'<td><span class="jinlin-status jinlin-status-{code}">'
                    f"{html.escape(STATUS_LABELS[code])}</span></td>"
                )
            else:
                cells.append(f"<td{_NUM if column in numeric else ''}>{html.escape(text)}</td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</tbody></table></div>")
    return HTML("".join(parts))


def _cell_text(value: Any, fmt: str | Callable[[Any], str] | None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if callable(fmt):
        return str(fmt(value))
    if fmt is not None:
        return fmt.format(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return format_number(value, digits=2)
    return str(value)


def _status_code(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if value in STATUS_LABELS:
        return value
    return _STATUS_BY_LABEL.get(value)


@dataclass(frozen=True)
class Headline:
    """One headline number: "58项 可量化指标"."""

    label: str
    value: str
    note: str = ""

    def card(self) -> str:
        note = html.escape(self.note)
        return (
            '<div class="jinlin-headline">'
            f'<div class="jinlin-headline-value">{html.escape(self.value)}</div>'
            f'<div class="jinlin-headline-label">{html.escape(self.label)}</div>'
            + (f'<div class="jinlin-headline-note">{note}</div>' if note else "")
            + "</div>"
        )


class Headlines:
    """A row of headline numbers: cards on the page, and collected for the index page."""

    def __init__(self, items: Iterable[Headline]):
        self.items = list(items)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        cards = "".join(item.card() for item in self.items)
        return {
            HEADLINE_MIMETYPE: {"headlines": [asdict(item) for item in self.items]},
            "text/html": f'<div class="jinlin-headlines">{cards}</div>',
            "text/plain": "；".join(f"{i.label}：{i.value}" for i in self.items),
        }


def headline(label: str, value: float | str, *, unit: str = "", note: str = "") -> Headline:
    """One headline number; a number is formatted as Chinese reports print it (1,234.5万人)."""
    text = value if isinstance(value, str) else format_number(value, unit, digits=1)
    return Headline(str(label), text, str(note))


def headlines(*items: Headline) -> Headlines:
    """Show headline numbers as a row of cards; the report's index page repeats them.

    headlines(headline("达标率", "82.8%"), headline("存在风险", 6, unit="项"))
    """
    return Headlines(items)
