"""Executed notebook -> one self-contained, offline HTML page for evaluators.

What a reader gets: no code, no parameters cell, no warnings or stderr, the data label banner
when the data are simulated, charts as inline SVG, the page's own font subset embedded, and
nothing that loads from a URL or runs script (checked by `safety.check_page` before writing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

from jinlin_analysis.display import HEADLINE_MIMETYPE
from jinlin_analysis.fonts import FONT_FACE_PLACEHOLDER, embed_in_page
from jinlin_analysis.report.pages import PageInfo
from jinlin_analysis.report.safety import check_page
from jinlin_analysis.report.templates import TEMPLATES_DIR, report_css

REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})
# Output kinds a static page must never carry: they would run script or need a live kernel.
DROPPED_MIMETYPES = frozenset(
    {"application/javascript", "application/vnd.jupyter.widget-view+json", "text/latex"}
)


@dataclass
class ExportedPage:
    html: str
    headlines: list[dict[str, str]] = field(default_factory=list)
    missing_characters: set[str] = field(default_factory=set)


def export_page(executed: Path, slug: str, info: PageInfo) -> ExportedPage:
    """Render the executed notebook `executed` as the page `slug`; raises UnsafePageError."""
    notebook = nbformat.read(executed, as_version=4)
    headlines, svgs = prepare(notebook, slug, info.data_label)
    resources = {
        "metadata": {"name": f"{info.title} · {info.report_title}"},
        "jinlin": {
            "title": info.title,
            "report_title": info.report_title,
            "data_label": info.data_label,
            "generated_at": info.generated_at,
            "css": report_css(),
            "font_placeholder": FONT_FACE_PLACEHOLDER,
        },
    }
    body, _ = _exporter().from_notebook_node(notebook, resources=resources)
    for n, svg in enumerate(svgs):
        body = body.replace(_chart_placeholder(n), svg, 1)
    page, missing = embed_in_page(body)
    check_page(page, slug)
    return ExportedPage(page, headlines, missing)


def prepare(
    notebook: nbformat.NotebookNode, slug: str, data_label: str
) -> tuple[list[dict[str, str]], list[str]]:
    """Strip what readers must not see, draw charts as SVG; returns the page's headlines
    and the SVGs, which stand in the notebook as placeholders: nbconvert re-parses its
    whole output with BeautifulSoup, and the charts' markup is most of a page's bytes
    (1.5 s of a 37-chart page)."""
    from jinlin_analysis.charts.static import VEGALITE_MIMETYPE, spec_to_svg

    headlines: list[dict[str, str]] = []
    svgs: list[str] = []
    charts = 0
    kept = []
    for cell in notebook.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS or cell.cell_type == "raw":
            continue
        if cell.cell_type != "code":
            kept.append(cell)
            continue
        outputs = []
        for output in [] if tags & REMOVE_OUTPUT_TAGS else cell.outputs:
            if output.output_type == "stream" and output.get("name") == "stderr":
                continue  # warnings and logging: for the analyst's console, not the reader
            data: dict[str, Any] = output.get("data", {})
            if output.output_type in ("display_data", "execute_result"):
                data = {k: v for k, v in data.items() if k not in DROPPED_MIMETYPES}
                spec_type = next((k for k in data if VEGALITE_MIMETYPE.match(k)), None)
                if spec_type is not None:
                    charts += 1
                    svgs.append(
                        spec_to_svg(
                            data[spec_type], id_prefix=f"{slug}-c{charts}", data_label=data_label
                        )
                    )
                    data = {"image/svg+xml": _chart_placeholder(len(svgs) - 1)}
                if HEADLINE_MIMETYPE in data:
                    headlines += [dict(h) for h in data[HEADLINE_MIMETYPE]["headlines"]]
                if not data:
                    continue
                output["data"] = data
            outputs.append(output)
        if outputs:
            cell.outputs = outputs
            kept.append(cell)
    notebook.cells = kept
    return headlines, svgs


def _chart_placeholder(n: int) -> str:
    return f'<svg id="jinlin-chart-placeholder-{n}"></svg>'


def warm_up() -> None:
    """Load nbconvert's templates, vl-convert's JavaScript engine and the font (~3 s) ahead."""
    from jinlin_analysis.charts.static import spec_to_svg
    from jinlin_analysis.fonts import subset_woff

    _exporter()
    spec_to_svg({"mark": "point", "data": {"values": [{}]}}, id_prefix="warm-up")
    subset_woff("金林区")


@cache
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="jinlin",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="zh",
    )
