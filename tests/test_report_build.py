"""The runner's guarantees: failures reported and contained, old report kept, same inputs
give the same pages, the evaluation page in the mid-term year."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURE_NOTEBOOKS

from jinlin_analysis.cli import main
from jinlin_analysis.fonts import visible_text
from jinlin_analysis.report import ReportFailed, build_report
from jinlin_analysis.report.pages import PAGES, PageSpec

GENERATED_AT = re.compile(r"生成时间：[^<]*")
OK_PAGE = PageSpec("submissions.ipynb", slug="fine", title="正常的一页", section="测试")
FAILING_PAGE = PageSpec("failing.ipynb", slug="broken", title="出错的一页", section="测试")


def test_a_failing_page_fails_the_run_but_not_the_other_pages(tmp_path, capfd, demo_database):
    old = tmp_path / "2024"
    old.mkdir()
    (old / "index.html").write_text("the previous complete report", encoding="utf-8")

    with pytest.raises(ReportFailed) as failed:
        build_report(
            2024,
            out_root=tmp_path,
            data_dir=demo_database,
            pages=(OK_PAGE, FAILING_PAGE),
            notebooks_dir=FIXTURE_NOTEBOOKS,
        )

    message = str(failed.value)
    assert "1 of 2 report pages failed" in message
    assert "broken (failing.ipynb)" in message and "ValueError: 这一页故意出错" in message
    traceback_file = tmp_path / "2024-failed" / "broken.traceback.txt"
    assert f"traceback: {traceback_file}" in message
    assert "这一页故意出错" in traceback_file.read_text(encoding="utf-8")
    # the other page still ran to the end, and nothing looks like a finished report
    assert (tmp_path / "2024-failed" / "fine.html").is_file()
    assert not (tmp_path / "2024-failed" / "index.html").exists()
    assert (old / "index.html").read_text(encoding="utf-8") == "the previous complete report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024", "2024-failed"]
    # Kernels keep their own log, which holds no warning about an unencrypted channel;
    # nothing from the kernels or workers reaches the terminal.
    logs = list((tmp_path / "2024-failed" / "notebooks").glob("kernel-*.log"))
    assert logs and not any("without encryption" in p.read_text() for p in logs)
    assert capfd.readouterr().err == ""


def test_cli_names_the_failure_and_exits_non_zero(tmp_path, capfd, monkeypatch, demo_database):
    import jinlin_analysis.report.build as build

    monkeypatch.setattr(build, "PAGES", (FAILING_PAGE,))
    monkeypatch.setattr(build, "NOTEBOOKS_DIR", FIXTURE_NOTEBOOKS)
    args = ["report", "--year", "2024", "--data", str(demo_database), "--out", str(tmp_path)]
    assert main(args) == 1
    err = capfd.readouterr().err
    assert err.startswith("error: 1 of 1 report pages failed")
    assert "broken.traceback.txt" in err
    assert "WARNING" not in err and "KeyboardInterrupt" not in err


def test_same_inputs_give_the_same_pages(report_dir, tmp_path, demo_database):
    """A second build, one kernel for all pages (so other pages ran before each one in it),
    must match the session's two-kernel build byte for byte but for the generated-at line."""
    again = build_report(2024, out_root=tmp_path, data_dir=demo_database, jobs=1).index.parent
    pages = sorted(p.name for p in report_dir.glob("*.html"))
    assert pages == sorted(p.name for p in again.glob("*.html"))
    for name in pages:
        first = GENERATED_AT.sub("", (report_dir / name).read_text(encoding="utf-8"))
        second = GENERATED_AT.sub("", (again / name).read_text(encoding="utf-8"))
        assert first == second, name
    assert (report_dir / "tables" / "targets.csv").read_bytes() == (
        again / "tables" / "targets.csv"
    ).read_bytes()


def test_mid_term_year_adds_the_evaluation_page(tmp_path, demo_database):
    evaluation = tuple(spec for spec in PAGES if spec.when == "evaluation")
    built = build_report(2023, out_root=tmp_path, data_dir=demo_database, pages=evaluation)
    page = visible_text((built.index.parent / "evaluation.html").read_text(encoding="utf-8"))
    assert "2023年中期评估" in page
    assert "对规划58项量化目标和77项定性目标的实现情况进行中期评估" in page
    index = built.index.read_text(encoding="utf-8")
    assert 'href="evaluation.html"' in index and "2023年中期评估" in index


def test_a_missing_kernel_is_a_user_error(tmp_path, capsys, monkeypatch, demo_database):
    import jinlin_analysis.report.build as build

    monkeypatch.setattr(build, "KERNEL_NAME", "no-such-kernel")
    args = ["report", "--year", "2024", "--data", str(demo_database), "--out", str(tmp_path)]
    assert main(args) == 1
    assert "kernel 'no-such-kernel' is not installed" in capsys.readouterr().err


def test_a_missing_data_folder_is_a_user_error(tmp_path, capsys):
    code = main(["report", "--year", "2024", "--out", str(tmp_path), "--data", "/nonexistent"])
    assert code == 1
    assert "data folder not found: /nonexistent" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_empty_data_folder_says_to_ingest_first(tmp_path, capsys):
    empty = tmp_path / "processed"
    empty.mkdir()
    code = main(["report", "--year", "2024", "--out", str(tmp_path / "out"), "--data", str(empty)])
    assert code == 1
    assert "run `jinlin ingest DATA_FOLDER` first" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_kernel_that_dies_at_start_up_is_replaced_not_reported(tmp_path, monkeypatch):
    """Two workers starting kernels at once can pick the same free port (seen in CI): the
    later kernel dies before replying. The page must run on a new kernel, not fail."""
    import papermill

    from jinlin_analysis.report import execute
    from jinlin_analysis.report.pages import PageRun

    calls = []

    def flaky(notebook, output, **kwargs):
        calls.append(kwargs["km"])
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        output_path = tmp_path / "page.ipynb"
        output_path.write_text("{}")

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    run = PageRun(
        slug="overview",
        title="总览",
        section="总览",
        notebook=FIXTURE_NOTEBOOKS / "submissions.ipynb",
        parameters={},
    )
    result = execute.run_page(run, tmp_path / "page.ipynb")
    assert result.ok and len(calls) == 2

    def broken(notebook, output, **kwargs):
        raise RuntimeError("something else went wrong in the page")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    failed = execute.run_page(run, tmp_path / "page.ipynb")
    assert not failed.ok and "something else" in failed.error
