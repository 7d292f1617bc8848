"""How far `jinlin report` is from the floor it cannot beat, in one run.

    .venv/bin/python benchmarks/report_benchmark.py [--year 2024] [--jobs N] [--repeat 3]

report: `jinlin report --year Y --out TMP --jobs N` end to end, as a fresh process (interpreter
    start, imports, plan, validation, kernels, pages, export, index, tables).
floor:  a fresh process running the same number of papermill executions of an EMPTY notebook
    with the same `jinlin` kernel and the same N worker processes (papermill imported once and
    forked, the same jsonschema import fix as the package): what the runner would cost if the
    pages did nothing and exporting were free.

Prints the best of --repeat runs of each, and report/floor. Goal: report/floor <= 2.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JINLIN = Path(sys.executable).with_name("jinlin")

FLOOR = """
import sys, time
sys.modules.setdefault("rfc3987_syntax", None)  # as jinlin_analysis/__init__.py does
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
import nbformat, papermill

pages, jobs, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
empty = nbformat.v4.new_notebook(
    metadata={"kernelspec": {"name": "jinlin", "display_name": "jinlin", "language": "python"}}
)
nbformat.write(empty, f"{folder}/empty.ipynb")

def run(n):
    papermill.execute_notebook(
        f"{folder}/empty.ipynb", f"{folder}/out-{n}.ipynb", kernel_name="jinlin",
        progress_bar=False,
    )

context = multiprocessing.get_context("fork")
with ProcessPoolExecutor(jobs, mp_context=context) as pool:
    list(pool.map(run, range(pages)))
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def page_count(year: int) -> int:
    sys.path.insert(0, str(ROOT))
    from jinlin_analysis.database import load_database
    from jinlin_analysis.paths import PROCESSED_DIR
    from jinlin_analysis.plan import load_plan
    from jinlin_analysis.report.pages import ReportContext, expand

    label = load_database(PROCESSED_DIR).data_label
    context = ReportContext(year, load_plan(), PROCESSED_DIR, label)
    return len(expand(context))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = page_count(args.year)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    reports, floors = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            command = [str(JINLIN), "report", "--year", str(args.year), "--out", out]
            reports.append(timed([*command, "--jobs", str(args.jobs)], env))
        with tempfile.TemporaryDirectory() as folder:
            floor = [sys.executable, "-c", FLOOR, str(pages), str(args.jobs), folder]
            floors.append(timed(floor, env))
    report, floor = min(reports), min(floors)
    print(f"pages: {pages}, jobs: {args.jobs}, cores: {os.cpu_count()}, best of {args.repeat}")
    print(f"jinlin report : {report:6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in reports)})")
    print(f"floor         : {floor:6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in floors)})")
    print(f"report/floor  : {report / floor:6.2f}   (goal: <= 2)")


if __name__ == "__main__":
    main()
