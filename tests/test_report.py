"""`jinlin report`: the notebooks run under papermill and export to offline HTML without code."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from jinlin_analysis.cli import main


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("outputs")
    assert main(["report", "--year", "2024", "--out", str(out)]) == 0
    index = out / "2024" / "index.html"
    assert index.is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "build folder left behind"
    return index.read_text(encoding="utf-8")


def test_report_lists_the_targets_by_domain(report_html, plan):
    for domain_name in plan.domains.values():
        assert domain_name in report_html
    assert "控制在3.5‰以下" in report_html  # neonatal mortality, in words
    assert "2024年度监测报告" in report_html


def test_report_has_no_code_and_no_parameters(report_html):
    assert "plan_path" not in report_html
    assert "load_plan" not in report_html
    assert "jp-InputArea jp-Cell-inputArea" not in report_html  # no input cells in the body


def test_report_loads_nothing_from_the_network(report_html):
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", report_html)


def test_notebooks_are_committed_without_outputs():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, path.name
