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
def demo_database(tmp_path_factory) -> Path:
    """The simulated demo data ingested into a fresh database, as `make report` does first.

    Shared read-only by the report tests; tests that change a database make their own.
    """
    from jinlin_analysis.ingest import ingest

    db = tmp_path_factory.mktemp("demo-database") / "processed"
    ingest([ROOT / "data" / "raw" / "demo"], db_dir=db, who="tests")
    return db


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory, demo_database) -> Path:
    """The 2024 report, built once per test session through the CLI, as `make report` does."""
    from jinlin_analysis.cli import main

    out = tmp_path_factory.mktemp("outputs")
    args = ["report", "--year", "2024", "--data", str(demo_database), "--out", str(out)]
    assert main(args) == 0
    return out / "2024"


@pytest.fixture(scope="session")
def submissions_page(tmp_path_factory, demo_database) -> Path:
    """A page that shows department-submitted text holding markup (tests/fixtures/notebooks)."""
    from jinlin_analysis.report import build_report
    from jinlin_analysis.report.pages import PageSpec

    out = tmp_path_factory.mktemp("submissions")
    spec = PageSpec("submissions.ipynb", slug="submissions", title="报送材料", section="测试")
    build_report(
        2024, out_root=out, data_dir=demo_database, pages=(spec,), notebooks_dir=FIXTURE_NOTEBOOKS
    )
    return out / "2024" / "submissions.html"
