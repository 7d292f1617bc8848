"""The first call of every report notebook: `page = setup(year=year, ...)`.

It loads the plan, settles the data label, and switches charts and tables to the project's
look, so a notebook holds only its parameters, calls into the package, charts and prose.
The contract every report notebook follows is in docs/notebooks.md.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from jinlin_analysis import charts, display
from jinlin_analysis.database import OBSERVATIONS, MonitoringDatabase, load_database
from jinlin_analysis.engine import assess, forecast_table
from jinlin_analysis.observations import TOTAL
from jinlin_analysis.paths import PROCESSED_DIR
from jinlin_analysis.plan import Plan, load_plan

OBSERVATIONS_FILE = f"{OBSERVATIONS}.parquet"


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

    @property
    def assessment(self) -> pd.DataFrame:
        """The engine's assessment of every target and series as of the report year."""
        return self.assessment_as_of(self.year)

    @property
    def forecasts(self) -> pd.DataFrame:
        """History, fitted trend and forecast fan of every series, for the charts."""
        return _cached(self, "forecasts", self.year)

    def history(
        self,
        indicator_id: str,
        region: str | None = None,
        sex: str = TOTAL,
        residence: str = TOTAL,
    ) -> pd.DataFrame:
        """One series' reported rows up to the report year (the district total by default),
        with counts, source and note: what the prose and the deep dive quote."""
        rows = self.database.series(indicator_id, region, sex, residence)
        return rows[rows["year"] <= self.year].reset_index(drop=True)

    def assessment_as_of(self, year: int) -> pd.DataFrame:
        """The assessment as it would have read in `year` (only data up to `year`)."""
        return _cached(self, "assessment", year)

    def assessments_since(self, first_year: int) -> dict[int, pd.DataFrame]:
        """The assessment of each year from `first_year` to the report year (each using only
        the data up to its own year): how warnings moved over time."""
        return {year: self.assessment_as_of(year) for year in range(first_year, self.year + 1)}


# Kept across the pages a report kernel runs one after another (%reset clears the user
# namespace, not modules): every page needs the same assessment, which takes ~0.5 s.
_RESULTS: dict[tuple, pd.DataFrame] = {}
_COMPUTE = {"assessment": assess, "forecasts": forecast_table}


def _cached(page: Page, what: str, year: int) -> pd.DataFrame:
    """`assess`/`forecast_table` of the page's plan and data, computed once per content: the
    key holds the plan file and the database's observation file with their modification
    times, so re-ingesting or editing the plan in a live session gives fresh results."""
    key = (
        what,
        year,
        *_file_key(page.plan.path),
        *_file_key(page.database.path / OBSERVATIONS_FILE),
    )
    if key not in _RESULTS:
        _RESULTS[key] = _COMPUTE[what](page.plan, page.database.observations, as_of=year)
    return _RESULTS[key].copy()


def _file_key(path: Path | None) -> tuple:
    if path is None or not path.exists():
        return (str(path), None, None)
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


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
