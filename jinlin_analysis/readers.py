"""Read submitted files (long CSV/XLSX, filled templates) into raw cell tables.

Nothing is interpreted here beyond finding the header: every cell keeps what the clerk
typed, with the row number Excel shows and the column letter, so that validation can
point at the exact cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from jinlin_analysis.observations import LABELS_ZH, REFERENCE_COLUMNS, column_key
from jinlin_analysis.problems import Problem

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xlsm")
TEMPLATE_META_SHEET = "_meta"
TEMPLATE_FORMAT = "jinlin-observations-template"
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str  # as the user named it, for messages
    sha256: str


@dataclass
class RawSheet:
    """One table of a file: raw cells keyed by column, indexed by Excel row number."""

    source: SourceFile
    sheet: str  # "" for CSV files
    header_row: int
    cells: pd.DataFrame
    letters: dict[str, str]
    prefilled: bool = False  # a template sheet whose rows were printed before filling
    percent_cells: set[tuple[int, str]] = field(default_factory=set)
    template_plan: str | None = None


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[SourceFile], list[Problem]]:
    """Files to read: given files, and the .csv/.xlsx files directly inside given folders."""
    files, problems = [], []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not p.name.startswith(("~$", "."))  # Excel's lock files, hidden files
            )
            if not found:
                problems.append(Problem("empty_file", file=str(path)))
            files.extend(_source(p, str(p)) for p in found)
        elif path.is_file():
            files.append(_source(path, str(given)))
        else:
            problems.append(Problem("file_not_found", file=str(given)))
    return files, problems


def _source(path: Path, display: str) -> SourceFile:
    return SourceFile(path=path, display=display, sha256=file_sha256(path))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_file(source: SourceFile) -> tuple[list[RawSheet], list[Problem]]:
    """The tables of one file, or the problems that keep it from being read."""
    suffix = source.path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(source)
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(source)
    return [], [Problem("unsupported_type", file=source.display, params={"suffix": suffix})]


# ------------------------------------------------------------------ CSV


def _read_csv(source: SourceFile) -> tuple[list[RawSheet], list[Problem]]:
    data = source.path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return [], [Problem("utf16", file=source.display)]
    text = _decode(data)
    if text is None:
        return [], [Problem("bad_encoding", file=source.display)]
    if not text.strip():
        return [], [Problem("empty_file", file=source.display)]
    first_line = text.lstrip().splitlines()[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    grid = [(number, record, None) for number, record in enumerate(records, start=1)]
    return _table(source, "", grid, ragged_check=True)


def _decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first; GB18030 (a superset of GBK) for Chinese Excel."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


# ------------------------------------------------------------------ Excel


def _read_workbook(source: SourceFile) -> tuple[list[RawSheet], list[Problem]]:
    try:
        workbook = load_workbook(source.path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        detail = f"{type(exc).__name__}: {exc}"[:120]
        return [], [Problem("unreadable", file=source.display, params={"detail": detail})]
    meta = _template_meta(workbook)
    skip = {TEMPLATE_META_SHEET, *meta.get("info_sheets", [])}
    prefilled = set(meta.get("prefilled_sheets", []))
    sheets, problems = [], []
    for worksheet in workbook.worksheets:
        if worksheet.title in skip:
            continue
        grid = [
            (
                row[0].row,
                [cell.value for cell in row],
                [cell.number_format for cell in row],
            )
            for row in worksheet.iter_rows()
        ]
        found, found_problems = _table(source, worksheet.title, grid, ragged_check=False)
        for sheet in found:
            sheet.prefilled = worksheet.title in prefilled
            sheet.template_plan = meta.get("plan_id")
        sheets.extend(found)
        problems.extend(found_problems)
    return sheets, problems


def _template_meta(workbook: Any) -> dict[str, Any]:
    if TEMPLATE_META_SHEET not in workbook.sheetnames:
        return {}
    meta = {}
    for key, value, *_ in workbook[TEMPLATE_META_SHEET].iter_rows(values_only=True):
        if key:
            meta[str(key)] = value
    if meta.get("format") != TEMPLATE_FORMAT:
        return {}
    for key in ("prefilled_sheets", "info_sheets"):
        meta[key] = json.loads(meta.get(key) or "[]")
    return meta


# ------------------------------------------------------------------ both


def _table(
    source: SourceFile,
    sheet: str,
    grid: Sequence[tuple[int, list[Any], list[str] | None]],
    ragged_check: bool,
) -> tuple[list[RawSheet], list[Problem]]:
    """Find the header, map headings to columns and keep the non-empty rows below it."""
    if not any(_filled(cell) for _, cells, _ in grid for cell in cells):
        return [], []  # an empty sheet is no table (an empty file is reported by the caller)
    header_index = next(
        (
            i
            for i, (_, cells, _) in enumerate(grid[:HEADER_SEARCH_ROWS])
            if "indicator_id" in (column_key(cell) for cell in cells)
        ),
        None,
    )
    if header_index is None:
        return [], [Problem("no_header", file=source.display, sheet=sheet, row=grid[0][0])]
    header_row, headings, _ = grid[header_index]
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    for position, heading in enumerate(headings):
        if not _filled(heading):
            continue
        key = column_key(heading)
        letter = get_column_letter(position + 1)
        where = {"file": source.display, "sheet": sheet, "row": header_row, "letter": letter}
        if key is None:
            known = ", ".join(k for k in LABELS_ZH if k not in REFERENCE_COLUMNS)
            problems.append(
                Problem("unknown_column", **where, params={"name": str(heading), "known": known})
            )
        elif key in positions:
            problems.append(Problem("duplicate_column", **where, params={"name": str(heading)}))
        elif key not in REFERENCE_COLUMNS:
            positions[key] = position
    if any(p.code == "duplicate_column" for p in problems):
        return [], problems
    rows, index, percent = [], [], set()
    for row_number, cells, formats in grid[header_index + 1 :]:
        if (
            ragged_check
            and len(cells) > len(headings)
            and any(map(_filled, cells[len(headings) :]))
        ):
            problems.append(
                Problem(
                    "ragged_row",
                    file=source.display,
                    sheet=sheet,
                    row=row_number,
                    params={"cells": len(cells), "columns": len(headings)},
                )
            )
            continue
        values = {key: cells[pos] if pos < len(cells) else None for key, pos in positions.items()}
        if not any(_filled(v) for v in values.values()):
            continue
        for key, pos in positions.items():
            number = isinstance(values[key], int | float) and not isinstance(values[key], bool)
            if number and formats and pos < len(formats) and "%" in str(formats[pos]):
                percent.add((row_number, key))
        rows.append(values)
        index.append(row_number)
    cells_frame = pd.DataFrame(
        rows, index=pd.Index(index, name="row"), columns=list(positions), dtype=object
    )
    letters = {key: get_column_letter(pos + 1) for key, pos in positions.items()}
    sheet_table = RawSheet(
        source=source,
        sheet=sheet,
        header_row=header_row,
        cells=cells_frame,
        letters=letters,
        percent_cells=percent,
    )
    return [sheet_table], problems


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())
