"""The report's tables as files: one CSV each and one Excel workbook with a sheet each.

Evaluators re-use the numbers in their own spreadsheets, so the tables behind the pages ship
with the report. Which tables: the declarative list TABLES.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from jinlin_analysis.database import load_database
from jinlin_analysis.engine import assess
from jinlin_analysis.report.pages import ReportContext

TABLES_FOLDER = "tables"
WORKBOOK_NAME = "report-tables.xlsx"
DATA_LABEL_COLUMN = "data_label"


@dataclass(frozen=True)
class ReportTable:
    name: str  # file stem and sheet name: ASCII, short (Excel allows 31 characters)
    title: str  # what the index page calls it
    build: Callable[[ReportContext], pd.DataFrame]
    from_data: bool = True  # built from monitoring data: every row carries the data label


def plan_targets(context: ReportContext) -> pd.DataFrame:
    """The plan's targets, as `jinlin catalog --format csv` prints them."""
    return context.plan.catalog()


def assessment(context: ReportContext) -> pd.DataFrame:
    """Every target and series as of the report year, as `jinlin assess` writes it."""
    observations = load_database(context.data_dir).observations
    return assess(context.plan, observations, as_of=context.year)


TABLES: tuple[ReportTable, ...] = (
    ReportTable("targets", "规划目标一览", plan_targets, from_data=False),
    ReportTable("assessment", "指标评估结果（状态、达标概率、预测区间）", assessment),
)


@dataclass(frozen=True)
class WrittenTable:
    name: str
    title: str
    csv: str  # path relative to the report folder, as the index links it
    rows: int
    from_data: bool


def write_tables(
    context: ReportContext,
    folder: Path,
    generated_at: datetime,
    tables: tuple[ReportTable, ...] = TABLES,
) -> list[WrittenTable]:
    """Write `folder/tables/<name>.csv` and `folder/tables/report-tables.xlsx`."""
    out = folder / TABLES_FOLDER
    out.mkdir(parents=True, exist_ok=True)
    frames = {}
    written = []
    for table in tables:
        frame = table.build(context)
        if table.from_data and context.data_label:
            frame = frame.assign(**{DATA_LABEL_COLUMN: context.data_label})
        frames[table.name] = frame
        # UTF-8 with a BOM: Excel on Windows then reads the Chinese text correctly.
        frame.to_csv(
            out / f"{table.name}.csv",
            index=False,
            encoding="utf-8-sig",
            lineterminator="\n",
            float_format="%g",
        )
        written.append(
            WrittenTable(
                table.name,
                table.title,
                f"{TABLES_FOLDER}/{table.name}.csv",
                len(frame),
                table.from_data,
            )
        )
    _write_workbook(frames, out / WORKBOOK_NAME, generated_at)
    return written


def _write_workbook(frames: dict[str, pd.DataFrame], path: Path, when: datetime) -> None:
    """One sheet per table; the same tables and time give the same bytes."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        stamp = when.replace(tzinfo=None, microsecond=0)
        writer.book.properties.created = stamp
        writer.book.properties.modified = stamp
    path.write_bytes(_fixed_zip_times(buffer.getvalue(), when))


def _fixed_zip_times(data: bytes, when: datetime) -> bytes:
    """Re-pack a zip with every member dated `when` (zip members carry the time of writing)."""
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = member.external_attr
            target.writestr(info, source.read(member.filename))
    return out.getvalue()
