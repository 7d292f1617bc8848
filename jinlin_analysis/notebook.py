"""The first call of every report notebook: `page = setup(year=year, ...)`.

It loads the plan, settles the data label, and switches charts and tables to the project's
look, so a notebook holds only its parameters, calls into the package, charts and prose.
The contract every report notebook follows is in docs/notebooks.md.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from jinlin_analysis import charts, display
from jinlin_analysis.database import MonitoringDatabase, load_database
from jinlin_analysis.paths import PROCESSED_DIR
from jinlin_analysis.plan import Plan, load_plan


@dataclass(frozen=True)
class Page:
    """What a notebook needs to know about the report it is part of."""

    year: int
    plan: Plan
    database: MonitoringDatabase
    data_label: str  # "示例数据（模拟）" for simulated data, "" for real data

    @property
    def data_dir(self) -> Path:
        return self.database.path

    @property
    def simulated(self) -> bool:
        return bool(self.data_label)


def setup(
    *,
    year: int,
    plan_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    data_label: str | None = None,
) -> Page:
    """Load the plan, settle the data label, set up charts and tables; returns the Page.

    `data_label=None` (interactive use) reads it from the data, as the report runner does.
    In JupyterLab the label is also shown at the top; exported pages get it from the template.
    """
    database = load_database(Path(data_dir) if data_dir is not None else PROCESSED_DIR)
    label = database.data_label if data_label is None else data_label
    charts.use(data_label=label)
    display.set_data_label(label)
    if label and charts.is_interactive():
        from IPython.display import HTML
        from IPython.display import display as show

        style = "padding:6px 12px;background:#fdf1e2;color:#b35806;font-weight:bold"
        show(HTML(f'<div style="{style}">{html.escape(label)}</div>'))
    return Page(year=int(year), plan=load_plan(plan_path), database=database, data_label=label)
