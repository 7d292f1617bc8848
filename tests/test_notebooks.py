"""The report notebooks keep the contract of docs/notebooks.md (checked on their source)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill
import pytest
from conftest import ROOT

from jinlin_analysis.report.pages import PAGES, STANDARD_PARAMETERS

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Raw HTML/Markdown on strings would put submitted text into pages unescaped.
FORBIDDEN_NAMES = {"HTML", "Markdown", "display_html", "display_markdown", "Javascript"}
FORBIDDEN_ATTRIBUTES = {"style", "to_html", "_repr_html_"}


def _code(path) -> list[tuple[list[str], ast.Module]]:
    notebook = nbformat.read(path, as_version=4)
    return [
        (cell.metadata.get("tags", []), ast.parse(cell.source))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_standard_parameters_then_setup(path):
    cells = _code(path)
    tags, _ = cells[0]
    assert "parameters" in tags
    assert list(papermill.inspect_notebook(str(path)))[: len(STANDARD_PARAMETERS)] == list(
        STANDARD_PARAMETERS
    )
    calls = [
        node.func.id
        for node in ast.walk(cells[1][1])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert "setup" in calls, "the cell after the parameters must call setup(...)"
    assert nbformat.read(path, as_version=4).metadata.kernelspec.name == "jinlin"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_text_only_through_the_escaping_helpers(path):
    for _, tree in _code(path):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.alias):
                name = node.id if isinstance(node, ast.Name) else node.name
                assert name not in FORBIDDEN_NAMES, f"{path.name}: use md()/table(), not {name}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in FORBIDDEN_ATTRIBUTES, f"{path.name}: .{node.attr}"


# Notebooks for analysts only (e.g. a one-indicator deep dive) go here, not in the report.
NOT_IN_REPORT: set[str] = {"indicator.ipynb"}


def test_every_notebook_is_a_page_of_the_report_or_listed_as_analyst_only():
    declared = {spec.notebook for spec in PAGES}
    assert {p.name for p in NOTEBOOKS} == declared | NOT_IN_REPORT


def _run(tmp_path, monkeypatch, name: str, charts: str, **parameters) -> Path:
    """Execute notebooks/<name> with papermill in the given chart mode; the executed copy."""
    monkeypatch.setenv("JINLIN_CHARTS", charts)
    executed = tmp_path / name
    papermill.execute_notebook(
        str(ROOT / "notebooks" / name),
        str(executed),
        parameters={"year": 2024, **parameters},
        kernel_name="jinlin",
        progress_bar=False,
    )
    return executed


def test_indicator_deep_dive_runs_for_a_town_and_exports_as_a_safe_page(
    tmp_path, demo_database, monkeypatch
):
    from jinlin_analysis.fonts import visible_text
    from jinlin_analysis.report.export import export_page
    from jinlin_analysis.report.pages import PageInfo

    executed = _run(
        tmp_path,
        monkeypatch,
        "indicator.ipynb",
        "static",
        data_dir=str(demo_database),
        indicator_id="immunisation_coverage",
        region="丙镇",
    )
    page = export_page(
        executed, "indicator", PageInfo("单指标分析", "测试", "示例数据（模拟）", "")
    )
    text = visible_text(page.html)
    assert "适龄儿童免疫规划疫苗接种率（丙镇）" in text
    for heading in ("模型池中各模型的预测", "本系列的历史预测误差", "与官方确定性方法的比较"):
        assert heading in text
    assert page.html.count("<svg") == 3  # fan, models, past errors


SHOWING = {"md", "table", "headlines"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nothing_meant_to_be_shown_is_silently_dropped(path):
    """Only a cell's last expression is displayed: md(...) or a chart built earlier in the
    cell without display() would vanish from the page."""
    for _, tree in _code(path):
        for statement in tree.body[:-1]:
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
                continue
            func = statement.value.func
            name = func.id if isinstance(func, ast.Name) else None
            is_chart = isinstance(func, ast.Attribute) and ast.unparse(func).startswith("charts.")
            assert name not in SHOWING and not is_chart, (path.name, ast.unparse(statement))


def test_domain_page_in_jupyterlab_has_interactive_charts_and_a_series_picker(
    tmp_path, demo_database, monkeypatch
):
    executed = _run(
        tmp_path,
        monkeypatch,
        "domain.ipynb",
        "interactive",
        data_dir=str(demo_database),
        domain="safety",
    )
    outputs = [o for cell in nbformat.read(executed, as_version=4).cells for o in cell.outputs]
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widgets) >= 2  # the series picker and the fan charts, as live widgets
    assert not any("application/vnd.vegalite" in k for o in outputs for k in o.get("data", {}))
