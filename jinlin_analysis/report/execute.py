"""Run one page's notebook with papermill, in a worker process of the runner's pool.

Starting a kernel and importing pandas and altair cost ~3 s of CPU, several times what a
page's own cells take. So each worker process keeps one `jinlin` kernel and runs its pages in
it one after another: every page starts with `%reset -f` (an empty namespace; imported modules
stay loaded, which is the saving) and `setup()` resets the project's chart and table state.
A kernel that died is replaced before the next page. Pages still run in parallel, one kernel
per worker process.

A failure never raises out of the worker: it comes back as a PageResult holding the error and
the traceback, so the other pages still finish.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from dataclasses import dataclass
from multiprocessing import util
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop
from traitlets import Unicode
from traitlets.config import Config

from jinlin_analysis.environment import CHART_MODE_VARIABLE
from jinlin_analysis.paths import NOTEBOOKS_DIR
from jinlin_analysis.report.pages import PageRun

KERNEL_NAME = "jinlin"
CELL_TIMEOUT_SECONDS = 900  # a scheduled run must end even if a cell hangs
KERNEL_START_ATTEMPTS = 3
# jupyter_client picks a kernel's ports by binding and releasing them; two workers starting
# kernels at once can pick the same free port, and the later kernel then dies at start-up
# ("Address already in use"). That is a race, not a broken page: start a new kernel.
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")
KERNEL_ENVIRONMENT = {
    CHART_MODE_VARIABLE: "static",  # charts leave kernels as specs; the exporter draws the SVG
    "PYTHONHASHSEED": "0",  # set iteration order is then the same on every run
}
RESET_CELL_ID = "jinlin-reset"
RESET_SOURCE = """\
%reset -f
import sys as _sys
if "pandas" in _sys.modules:
    _sys.modules["pandas"].reset_option("^display[.]")
del _sys"""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_worker: dict[str, Any] = {"km": None}


class ReportKernelManager(AsyncKernelManager):
    """The report's kernels: static charts, fixed hash seed, own log file, encrypted channel.

    The kernel's own stderr (ipykernel's log, e.g. the "KeyboardInterrupt caught in kernel"
    that jupyter_client's shutdown provokes) goes to `log_path`, not to the user's terminal;
    cells' output still travels over the kernel protocol. CurveZMQ keys from the manager
    encrypt the channel, which also ends ipykernel's "running over TCP without encryption"
    warning (IPC sockets would too, but leave socket files in the notebooks folder).
    """

    log_path = Unicode("", help="file for the kernel process's stdout and stderr").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw["env"] = {**kw.get("env", os.environ), **KERNEL_ENVIRONMENT}
        if not self.log_path:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the fd
            kw["stdout"] = kw["stderr"] = log
            return await super()._async_launch_kernel(kernel_cmd, **kw)


@dataclass(frozen=True)
class PageResult:
    slug: str
    executed: Path
    seconds: float
    error: str | None = None  # "ValueError: ... (cell 3)" when the notebook failed
    traceback: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def run_page(run: PageRun, executed: Path) -> PageResult:
    """Execute `run` into the notebook file `executed`; never raises."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        notebook = nbformat.read(run.notebook, as_version=4)
        reset = nbformat.v4.new_code_cell(RESET_SOURCE, id=RESET_CELL_ID)
        reset.metadata["tags"] = ["remove-cell"]
        notebook.cells.insert(0, reset)
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                papermill.execute_notebook(
                    notebook,
                    str(executed),
                    parameters=run.parameters,
                    kernel_name=KERNEL_NAME,
                    km=_kernel_manager(executed.parent),
                    progress_bar=False,
                    cwd=str(NOTEBOOKS_DIR),
                    execution_timeout=CELL_TIMEOUT_SECONDS,
                )
                break
            except RuntimeError as exc:
                started = not any(failure in str(exc) for failure in KERNEL_START_FAILURES)
                if started or attempt == KERNEL_START_ATTEMPTS:
                    raise
    except PapermillExecutionError as exc:
        return PageResult(
            run.slug,
            executed,
            time.perf_counter() - start,
            error=f"{exc.ename}: {exc.evalue} (in the cell starting {_first_line(exc.source)!r})",
            traceback=_ANSI.sub("", "\n".join(exc.traceback)),
        )
    except Exception as exc:  # kernel died or would not start, unreadable notebook, ...
        return PageResult(
            run.slug,
            executed,
            time.perf_counter() - start,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    return PageResult(run.slug, executed, time.perf_counter() - start)


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return lines[0][:60] if lines else ""


def _kernel_manager(log_dir: Path) -> ReportKernelManager:
    """This worker's kernel manager; a new one (nbclient starts its kernel) if the last died."""
    loop = ensure_event_loop()
    km: ReportKernelManager | None = _worker["km"]
    if km is not None and km.has_kernel and loop.run_until_complete(km.is_alive()):
        return km
    if km is None:
        util.Finalize(None, _shutdown_kernel, exitpriority=10)  # when the worker exits
    km = ReportKernelManager(
        kernel_name=KERNEL_NAME,
        config=Config({"KernelManager": {"transport_encryption": "required"}}),
        log_path=str(log_dir / f"kernel-{os.getpid()}.log"),
    )
    _worker["km"] = km
    return km


def _shutdown_kernel() -> None:
    km: ReportKernelManager | None = _worker["km"]
    if km is not None and km.has_kernel:
        ensure_event_loop().run_until_complete(km.shutdown_kernel(now=True))
