"""The report's front page, `index.html`: headline numbers, every page, the tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, select_autoescape

from jinlin_analysis.fonts import FONT_FACE_PLACEHOLDER, embed_in_page
from jinlin_analysis.report.pages import PageRun
from jinlin_analysis.report.safety import check_page
from jinlin_analysis.report.tables import TABLES_FOLDER, WORKBOOK_NAME, WrittenTable
from jinlin_analysis.report.templates import TEMPLATES_DIR, report_css


@dataclass(frozen=True)
class Headline:
    page: str  # slug of the page that computed it
    label: str
    value: str
    note: str = ""


def render_index(
    *,
    plan_title: str,
    report_title: str,
    data_label: str,
    generated_at: str,
    runs: Sequence[PageRun],
    headlines: Sequence[Headline],
    tables: Sequence[WrittenTable],
) -> str:
    """The front page. The first page's headline numbers (the overview) are the report's
    main figures; every other page's figures follow its link, so each number says which
    page (domain, towns, evaluation) it belongs to."""
    sections: dict[str, list[PageRun]] = {}
    for run in runs:
        sections.setdefault(run.section, []).append(run)
    by_page: dict[str, list[Headline]] = {}
    for headline in headlines:
        by_page.setdefault(headline.page, []).append(headline)
    main = by_page.pop(runs[0].slug, []) if runs else []
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(default=True)
    )
    page = environment.get_template("report_index.html.j2").render(
        plan_title=plan_title,
        report_title=report_title,
        data_label=data_label,
        generated_at=generated_at,
        sections=list(sections.items()),
        headlines=main,
        page_headlines=by_page,
        tables=tables,
        workbook=f"{TABLES_FOLDER}/{WORKBOOK_NAME}",
        css=report_css(),
        font_placeholder=FONT_FACE_PLACEHOLDER,
    )
    page, _ = embed_in_page(page)
    check_page(page, "index")
    return page
