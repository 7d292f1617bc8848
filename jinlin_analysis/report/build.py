"""`jinlin report`: validate, run the page notebooks in parallel, export, index, swap into place.

The whole report is built in a temporary folder next to the destination and moved into
place only when every page succeeded, so `outputs/<year>/` always holds a complete report
(the previous one stays until the new one is whole). When a page fails, the other pages still
run; the run then fails naming each broken page, and keeps its notebooks and tracebacks in
`outputs/<year>-failed/` for inspection.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from jinlin_analysis.database import load_database
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.paths import NOTEBOOKS_DIR, OUTPUTS_DIR, PROCESSED_DIR
from jinlin_analysis.plan import load_plan
from jinlin_analysis.report.execute import KERNEL_NAME, PageResult, run_page
from jinlin_analysis.report.pages import (
    PAGES,
    PageInfo,
    PageRun,
    PageSpec,
    ReportContext,
    expand,
)
from jinlin_analysis.report.parameters import validate


class ReportFailed(JinlinError):
    """Some pages failed; the message names each, with its error and traceback file."""


@dataclass
class BuiltReport:
    index: Path
    pages: list[PageRun]
    seconds: float
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Failure:
    run: PageRun
    error: str
    traceback: str


def build_report(
    year: int | None = None,
    plan_path: Path | None = None,
    out_root: Path | None = None,
    *,
    data_dir: Path | None = None,
    jobs: int | None = None,
    evaluation: bool = False,
    pages: tuple[PageSpec, ...] | None = None,
    notebooks_dir: Path | None = None,
) -> BuiltReport:
    """Build `<out_root>/<year>/` (index.html, one HTML file per page, tables/).

    `year` defaults to the latest year with data in the monitoring database.

    `pages` and `notebooks_dir` default to the project's page list and notebooks folder.
    """
    start = time.perf_counter()
    plan = load_plan(plan_path)  # fail fast, before starting a kernel, on a bad plan
    data_dir = Path(data_dir) if data_dir is not None else PROCESSED_DIR
    if not data_dir.is_dir():
        raise JinlinError(f"data folder not found: {data_dir} (give --data a folder)")
    database = load_database(data_dir)  # fails with a clear message when nothing is ingested
    if year is None:
        year = database.latest_year
    if jobs is not None and jobs < 1:
        raise JinlinError(f"--jobs must be at least 1, not {jobs}")
    context = ReportContext(year, plan, data_dir, database.data_label, evaluation)
    runs = expand(context, pages or PAGES, notebooks_dir or NOTEBOOKS_DIR)
    validate(runs)
    _require_kernel()

    out_root = Path(out_root) if out_root is not None else OUTPUTS_DIR
    out_root.mkdir(parents=True, exist_ok=True)
    destination = out_root / str(year)
    failed_dir = out_root / f"{year}-failed"
    generated = _generated_at()
    build = Path(tempfile.mkdtemp(prefix=f".build-{year}-", dir=out_root))
    build.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a report is for others to read
    try:
        info = PageInfo(
            title="",
            report_title=f"{year}年度监测报告",
            data_label=context.data_label,
            generated_at=f"生成时间：{generated:%Y-%m-%d %H:%M %z}",
        )
        failures, headlines, missing = _run_pages(runs, build, info, jobs or _cpu_count())
        if failures:
            _keep_failed(build, failed_dir, failures)
            raise ReportFailed(_failure_message(failures, len(runs), destination, failed_dir))
        _write_tables_and_index(context, runs, build, info, generated, headlines)
        _replace_dir(build, destination)
        shutil.rmtree(failed_dir, ignore_errors=True)  # an older failure no longer applies
    finally:
        shutil.rmtree(build, ignore_errors=True)
    warnings = [
        f"page {slug}: characters the shipped font lacks (browsers without a Chinese font "
        f"may not show them): {''.join(sorted(chars))}; add them with scripts/build_cjk_font.py"
        for slug, chars in missing.items()
        if chars
    ]
    return BuiltReport(destination / "index.html", runs, time.perf_counter() - start, warnings)


def _run_pages(runs: list[PageRun], build: Path, info: PageInfo, jobs: int):
    """Execute every page in a pool of `jobs` processes; export each as soon as it is done.

    Exporting happens here, in one process, while the workers run the next notebooks: the
    chart renderer and the font then load once per report instead of once per page.
    """
    from tqdm.auto import tqdm

    executed_dir = build / "notebooks"
    executed_dir.mkdir()
    failures: list[_Failure] = []
    headlines: dict[str, list[dict[str, str]]] = {}
    missing: dict[str, set[str]] = {}
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=min(jobs, len(runs)), mp_context=context) as pool:
        futures = {pool.submit(run_page, r, executed_dir / f"{r.slug}.ipynb"): r for r in runs}
        try:
            with tqdm(total=len(runs), desc=info.report_title, unit="页", disable=None) as bar:
                # The workers exist now (forked from a process without the exporter's heavy
                # modules); load those while the first kernels start.
                from jinlin_analysis.report.export import export_page, warm_up

                warm_up()
                for future in as_completed(futures):
                    run = futures[future]
                    bar.set_postfix_str(run.slug)
                    try:
                        result: PageResult = future.result()
                        if not result.ok:
                            failures.append(_Failure(run, result.error or "", result.traceback))
                            continue
                        page = export_page(
                            result.executed, run.slug, replace(info, title=run.title)
                        )
                        (build / f"{run.slug}.html").write_text(page.html, encoding="utf-8")
                        headlines[run.slug] = page.headlines
                        missing[run.slug] = page.missing_characters
                    except Exception as exc:  # export failed, or the worker process died
                        error = f"{type(exc).__name__}: {exc}"
                        failures.append(_Failure(run, error, traceback.format_exc()))
                    finally:
                        bar.update(1)
        except BaseException:  # Ctrl-C or a broken exporter: stop now, not after every page
            pool.shutdown(wait=False, cancel_futures=True)
            _terminate_workers(pool)
            raise
    order = {run.slug: n for n, run in enumerate(runs)}
    failures.sort(key=lambda f: order[f.run.slug])
    return failures, headlines, missing


def _write_tables_and_index(
    context: ReportContext,
    runs: list[PageRun],
    build: Path,
    info: PageInfo,
    generated: datetime,
    headlines: dict[str, list[dict[str, str]]],
) -> None:
    from jinlin_analysis.report.index import Headline, render_index
    from jinlin_analysis.report.tables import write_tables

    tables = write_tables(context, build, generated)
    index = render_index(
        plan_title=context.plan.plan.title,
        report_title=info.report_title,
        data_label=info.data_label,
        generated_at=info.generated_at,
        runs=runs,
        headlines=[Headline(run.slug, **h) for run in runs for h in headlines.get(run.slug, [])],
        tables=tables,
    )
    (build / "index.html").write_text(index, encoding="utf-8")


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the workers mid-page (their kernels exit when they see their parent gone)."""
    terminate = getattr(pool, "terminate_workers", None)  # public from Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _cpu_count() -> int:
    """CPUs this process may use (a container may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _require_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise JinlinError(
            f"the Jupyter kernel '{KERNEL_NAME}' is not installed; `make setup` installs it"
        ) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _generated_at() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds: then every byte repeats)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now().astimezone().replace(microsecond=0)


def _keep_failed(build: Path, failed_dir: Path, failures: list[_Failure]) -> None:
    """Keep the executed notebooks and a traceback file per failed page; no index.html."""
    for failure in failures:
        (build / f"{failure.run.slug}.traceback.txt").write_text(
            f"{failure.run.describe()}\n{failure.error}\n\n{failure.traceback}\n", encoding="utf-8"
        )
    shutil.rmtree(failed_dir, ignore_errors=True)
    build.rename(failed_dir)


def _failure_message(
    failures: list[_Failure], total: int, destination: Path, failed_dir: Path
) -> str:
    kept = "is unchanged" if destination.exists() else "was not written"
    lines = [f"{len(failures)} of {total} report pages failed; {destination} {kept}."]
    for failure in failures:
        notebook = failed_dir / "notebooks" / f"{failure.run.slug}.ipynb"
        lines += [
            f"  - {failure.run.describe()}: {failure.error}",
            f"    traceback: {failed_dir / (failure.run.slug + '.traceback.txt')}",
        ]
        if notebook.exists():
            lines.append(f"    executed notebook: {notebook}")
    return "\n".join(lines)


def _replace_dir(source: Path, destination: Path) -> None:
    """Swap a finished build into place; the old report stays until the new one is complete."""
    if destination.exists():
        old = destination.with_name(f".old-{destination.name}")
        shutil.rmtree(old, ignore_errors=True)
        destination.rename(old)
        source.rename(destination)
        shutil.rmtree(old)
    else:
        source.rename(destination)
