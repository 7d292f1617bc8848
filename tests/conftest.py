from __future__ import annotations

from pathlib import Path

import pytest

from jinlin_analysis.plan import Plan, load_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_NOTEBOOKS = FIXTURES / "notebooks"


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory) -> Path:
    """The 2024 report, built once per test session through the CLI, as `make report` does."""
    from jinlin_analysis.cli import main

    out = tmp_path_factory.mktemp("outputs")
    assert main(["report", "--year", "2024", "--out", str(out)]) == 0
    return out / "2024"


@pytest.fixture(scope="session")
def submissions_page(tmp_path_factory) -> Path:
    """A page that shows department-submitted text holding markup (tests/fixtures/notebooks)."""
    from jinlin_analysis.report import build_report
    from jinlin_analysis.report.pages import PageSpec

    out = tmp_path_factory.mktemp("submissions")
    spec = PageSpec("submissions.ipynb", slug="submissions", title="报送材料", section="测试")
    build_report(2024, out_root=out, pages=(spec,), notebooks_dir=FIXTURE_NOTEBOOKS)
    return out / "2024" / "submissions.html"
