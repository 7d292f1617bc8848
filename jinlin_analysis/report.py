"""Build the annual report: run the parameterised notebooks, export them to offline HTML.

Everything is built in a temporary folder next to the destination and moved into place
at the end, so a failed run never leaves a half-built report that looks complete.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from jinlin_analysis.paths import NOTEBOOKS_DIR, OUTPUTS_DIR
from jinlin_analysis.plan import load_plan

KERNEL_NAME = "jinlin"
TEMPLATES_DIR = Path(__file__).parent / "templates"
OVERVIEW_NOTEBOOK = "overview.ipynb"


def build_report(year: int, plan_path: Path | None = None, out_root: Path | None = None) -> Path:
    """Run the report notebooks for `year`; return the path of `<out_root>/<year>/index.html`."""
    plan = load_plan(plan_path)  # fail fast, before starting a kernel, on a bad plan
    out_root = Path(out_root) if out_root is not None else OUTPUTS_DIR
    out_root.mkdir(parents=True, exist_ok=True)
    destination = out_root / str(year)
    with tempfile.TemporaryDirectory(prefix=f".build-{year}-", dir=out_root) as tmp:
        build = Path(tmp) / str(year)
        build.mkdir()
        executed = build / "notebooks" / OVERVIEW_NOTEBOOK
        executed.parent.mkdir()
        papermill.execute_notebook(
            NOTEBOOKS_DIR / OVERVIEW_NOTEBOOK,
            executed,
            parameters={"year": year, "plan_path": str(plan.path)},
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            cwd=str(NOTEBOOKS_DIR),
        )
        export_html(executed, build / "index.html")
        _replace_dir(build, destination)
    return destination / "index.html"


def export_html(notebook: Path, html: Path) -> None:
    """Export an executed notebook without code, prompts or the injected parameters."""
    exporter = HTMLExporter(
        template_name="jinlin",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"injected-parameters", "parameters"}),
        enabled=True,
    )
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    html.write_text(body, encoding="utf-8")


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
