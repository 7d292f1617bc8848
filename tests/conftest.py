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
def report_2023(tmp_path_factory, demo_database) -> tuple[Path, Path]:
    """The mid-term (2023) report from the demo data, and from the same data without 2024."""
    import shutil

    from jinlin_analysis.database import OBSERVATIONS, load_database, write_table
    from jinlin_analysis.report import build_report

    truncated = tmp_path_factory.mktemp("demo-until-2023") / "processed"
    shutil.copytree(demo_database, truncated)
    observations = load_database(truncated).observations
    write_table(truncated, OBSERVATIONS, observations[observations["year"] <= 2023])
    folders = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # both builds say the same time
        for db in (demo_database, truncated):
            out = tmp_path_factory.mktemp("outputs-2023")
            build_report(2023, out_root=out, data_dir=db)
            folders.append(out / "2023")
    return folders[0], folders[1]


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
