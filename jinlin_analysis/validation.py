"""Check submissions against the observation format, the plan and the regions file.

Three layers, each reporting every problem rather than stopping at the first:
pandera checks the shape of each table (required columns, numbers, allowed values); the
plan-aware checks look at each row with its indicator in hand (bounds, units, counts, the
milestone status); the cross-row checks compare rows with each other and with earlier
years (duplicates, breakdowns that do not add up, unusual year-to-year changes).
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from jinlin_analysis.dataset import DatasetInfo, dataset_for
from jinlin_analysis.observations import (
    COLUMNS,
    CONTENT,
    KEY,
    NUMBER_COLUMNS,
    RESIDENCES,
    SEXES,
    STATUSES,
    TOTAL,
    as_observation_dtypes,
)
from jinlin_analysis.plan import Indicator, Plan, load_plan
from jinlin_analysis.plausibility import unusual_changes
from jinlin_analysis.problems import DataProblems, Lang, Problem
from jinlin_analysis.readers import RawSheet, SourceFile, expand_paths, read_file
from jinlin_analysis.regions import (
    REGIONS_FILE,
    Regions,
    RegionsError,
    find_regions_file,
    load_regions,
)

# How far back submissions may go by default: ten years of history before the base year.
HISTORY_YEARS = 10
LOCATION = ("_file", "_sheet", "_row", "_sha256", "_path")
INPUT_COLUMNS = ("value", "numerator", "denominator", "status", "note")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*(%|‰)$")


@dataclass
class ValidationResult:
    """What `validate_files` found: the rows that passed, every problem, the files read."""

    observations: pd.DataFrame  # documented columns + location columns (_file, _sheet, ...)
    problems: list[Problem]
    files: list[SourceFile] = field(default_factory=list)
    regions: Regions | None = None
    dataset: DatasetInfo = field(default_factory=DatasetInfo)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def default_years(plan: Plan) -> range:
    """Years accepted unless told otherwise: ten years of history up to the target year."""
    return range(plan.plan.base_year - HISTORY_YEARS, plan.plan.target_year + 1)


def resolve_regions(
    paths: Sequence[str | Path], plan: Plan, regions: Regions | str | Path | None = None
) -> Regions:
    """The given regions, else regions.yaml beside the data; a clear error if there is none."""
    if isinstance(regions, Regions):
        return regions
    path = Path(regions) if regions is not None else find_regions_file(Path(p) for p in paths)
    if path is None:
        raise RegionsError(
            f"no regions file: put a {REGIONS_FILE} beside the data or pass --regions FILE "
            f"(找不到地区文件：请在数据文件夹中放置 {REGIONS_FILE}，或用 --regions 指定)"
        )
    return load_regions(path, plan_region=plan.plan.region)


def validate_files(
    paths: Sequence[str | Path],
    plan: Plan | None = None,
    regions: Regions | str | Path | None = None,
    years: range | None = None,
    history: pd.DataFrame | None = None,
) -> ValidationResult:
    """Read and check submissions; `history` (earlier data) makes the change check possible."""
    plan = plan or load_plan()
    regions = resolve_regions(paths, plan, regions)
    years = years or default_years(plan)
    files, problems = expand_paths(paths)
    checker = _RowChecker(plan, regions, years)
    frames = []
    letters: dict[tuple[str, str], dict[str, str]] = {}
    for source in files:
        sheets, file_problems = read_file(source)
        problems.extend(file_problems)
        plans = {sheet.template_plan for sheet in sheets if sheet.template_plan}
        if plans - {plan.plan.id}:
            params = {"template_plan": ", ".join(sorted(plans)), "plan": plan.plan.id}
            problems.append(Problem("wrong_plan", file=source.display, params=params))
            continue
        rows_read = 0
        for sheet in sheets:
            letters[(source.display, sheet.sheet)] = sheet.letters
            frame, sheet_problems = _check_sheet(sheet, plan, checker)
            problems.extend(sheet_problems)
            rows_read += len(sheet.cells) - sum(p.code == "not_reported" for p in sheet_problems)
            if not frame.empty:
                frames.append(frame)
        if rows_read == 0 and not any(p.is_error for p in file_problems):
            problems.append(Problem("empty_file", file=source.display))
    observations = pd.concat(frames, ignore_index=True) if frames else _empty_with_location()
    observations, duplicate_problems = _duplicates(observations)
    problems.extend(duplicate_problems)
    problems.extend(_breakdowns(observations))
    problems.extend(unusual_changes(observations, plan, history))
    problems = sorted((_with_letter(p, letters) for p in problems), key=Problem.sort_key)
    return ValidationResult(
        observations=observations,
        problems=problems,
        files=files,
        regions=regions,
        dataset=dataset_for([Path(p) for p in paths]),
    )


def _with_letter(problem: Problem, letters: dict[tuple[str, str], dict[str, str]]) -> Problem:
    """Cross-row checks know the column, not where it sits in that sheet: add the letter."""
    if problem.letter or not problem.column:
        return problem
    letter = letters.get((problem.file, problem.sheet), {}).get(problem.column, "")
    return replace(problem, letter=letter)


def read_observations(
    path: str | Path,
    plan: Plan | None = None,
    regions: Regions | str | Path | None = None,
    years: range | None = None,
    lang: Lang = "zh",
) -> pd.DataFrame:
    """One long CSV/XLSX or filled template as the documented long table, after validation.

    Raises DataProblems (a JinlinError) listing every error. `frame.attrs` carries
    `simulated` and `data_label` (示例数据（模拟） for simulated data) from the folder's
    dataset.yaml.
    """
    result = validate_files([path], plan=plan, regions=regions, years=years)
    if not result.ok:
        raise DataProblems(result.problems, lang)
    frame = result.observations[list(COLUMNS)].reset_index(drop=True)
    frame.attrs = {
        "simulated": result.dataset.simulated,
        "data_label": result.dataset.data_label,
    }
    return frame


# ------------------------------------------------------------------ one table


def _schema() -> pa.DataFrameSchema:
    """The shape of a submitted table once cells are cleaned into text."""
    text = {"dtype": "str", "nullable": True, "required": False}
    number = {"dtype": "Float64", "coerce": True, "nullable": True, "required": False}
    whole = pa.Check(lambda s: s.isna() | (s % 1 == 0), name="whole_number")
    return pa.DataFrameSchema(
        {
            "indicator_id": pa.Column("str", nullable=False),
            "region": pa.Column("str", nullable=False),
            "year": pa.Column("Int64", coerce=True, nullable=False),
            "value": pa.Column(**number),
            "numerator": pa.Column(checks=[pa.Check.ge(0), whole], **number),
            "denominator": pa.Column(checks=[pa.Check.ge(0), whole], **number),
            "sex": pa.Column(checks=pa.Check.isin(SEXES), **text),
            "residence": pa.Column(checks=pa.Check.isin(RESIDENCES), **text),
            "status": pa.Column(checks=pa.Check.isin(STATUSES), **text),
            "source": pa.Column(**text),
            "note": pa.Column(**text),
        },
        strict=False,
    )


SCHEMA = _schema()
CHOICES = {"sex": SEXES, "residence": RESIDENCES, "status": STATUSES}


def _check_sheet(
    sheet: RawSheet, plan: Plan, checker: _RowChecker
) -> tuple[pd.DataFrame, list[Problem]]:
    """Clean, schema-check and plan-check one table; return its good rows and the problems."""
    where = {"file": sheet.source.display, "sheet": sheet.sheet}
    cells = sheet.cells
    problems: list[Problem] = []
    if sheet.prefilled:
        unfilled = cells.reindex(columns=INPUT_COLUMNS).isna().all(axis=1)
        for row in cells.index[unfilled]:
            letter = sheet.letters.get("value", "")
            problems.append(
                Problem("not_reported", **where, row=row, column="value", letter=letter)
            )
        cells = cells[~unfilled]
    text = _clean(cells)
    try:
        SCHEMA.validate(text, lazy=True)
        failures = pd.DataFrame()
    except SchemaErrors as exc:
        failures = exc.failure_cases
    schema_problems, bad_cells, missing = _schema_problems(failures, sheet, cells)
    problems.extend(schema_problems)
    if not missing and "value" not in text and "status" not in text:
        missing = ["value"]
        problems.append(_missing_columns(sheet, missing))
    if missing:
        return _empty_with_location(), problems
    typed = _typed(text, bad_cells)
    bad_by_row: dict[int, set[str]] = {}
    for row, column in bad_cells:
        bad_by_row.setdefault(row, set()).add(column)
    keep = []
    raw_rows = cells.to_dict("records")
    for position, (row, record) in enumerate(
        zip(typed.index, typed.to_dict("records"), strict=True)
    ):
        bad = bad_by_row.get(row, set())
        before = record["value"]
        row_problems = checker.check(record, raw_rows[position], sheet, row, bad)
        problems.extend(row_problems)
        if record["value"] != before and pd.notna(record["value"]):
            typed.at[row, "value"] = record["value"]  # a percent-formatted cell, read as shown
        keep.append(not bad and not any(p.is_error for p in row_problems))
    good = typed[keep].copy()
    good["_file"] = sheet.source.display
    good["_sheet"] = sheet.sheet
    good["_row"] = good.index.astype("int64")
    good["_sha256"] = sheet.source.sha256
    good["_path"] = str(sheet.source.path)
    good = as_observation_dtypes(good.reset_index(drop=True))
    return good[[*COLUMNS, *LOCATION]], problems


def _clean(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells as trimmed text: Excel numbers without float noise, full-width digits folded."""
    text = pd.DataFrame(index=cells.index)
    for column in cells.columns:
        text[column] = [_cell_text(v, column) for v in cells[column]]
        text[column] = text[column].astype("str")
    if "value" in cells:
        parts = [_split_unit(v) for v in text["value"]]
        text["value"] = pd.Series([p[0] for p in parts], index=text.index, dtype="str")
        text["_unit"] = pd.Series([p[1] for p in parts], index=text.index, dtype="object")
    return text


def _cell_text(value: Any, column: str) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).replace("\ufeff", "").strip()
    if column in NUMBER_COLUMNS or column == "year":
        text = unicodedata.normalize("NFKC", text).replace(" ", "")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        if column == "year" and re.fullmatch(r"\d{4}\.0+", text):
            text = text.split(".")[0]
        text = text.removesuffix("年") if column == "year" else text
    elif column in ("indicator_id", "sex", "residence", "status", "region"):
        text = unicodedata.normalize("NFKC", text).strip()
        if column == "indicator_id":
            text = text.lower()
    return text or None


def _split_unit(text: Any) -> tuple[str | None, str | None]:
    if not isinstance(text, str):
        return None, None
    match = _UNIT_SUFFIX.match(text)
    if match and match.group(1):
        return match.group(1), match.group(2)
    return text, None


def _schema_problems(
    failures: pd.DataFrame, sheet: RawSheet, cells: pd.DataFrame
) -> tuple[list[Problem], set[tuple[int, str]], list[str]]:
    """pandera's failure cases as located problems; also the bad cells and missing columns."""
    problems, bad, missing = [], set(), []
    where = {"file": sheet.source.display, "sheet": sheet.sheet}
    for case in failures.to_dict("records"):
        check = str(case["check"])
        if check == "column_in_dataframe":
            missing.append(str(case["failure_case"]))
            continue
        column, row = case["column"], case["index"]
        if check.startswith("dtype(") or row is None or (row, column) in bad:
            continue  # pandera repeats a failed coercion as a dtype failure
        row = int(row)
        bad.add((row, column))
        raw = cells.at[row, column] if column in cells else case["failure_case"]
        located = {**where, "row": row, "column": column, "letter": sheet.letters.get(column, "")}
        if check == "not_nullable":
            problems.append(Problem("required_empty", **located))
        elif check.startswith("coerce_dtype") and column == "year":
            problems.append(
                Problem("not_an_integer", **located, value=raw, params={"example": 2024})
            )
        elif check.startswith("coerce_dtype"):
            problems.append(Problem("not_a_number", **located, value=raw, params=_number_hint(raw)))
        elif check.startswith("isin"):
            total = column != "status"
            params = {
                "value": raw,
                "choices_zh": "、".join(CHOICES[column]) + ("（不填表示合计）" if total else ""),
                "choices_en": ", ".join(CHOICES[column]) + (" (empty means 合计)" if total else ""),
            }
            problems.append(Problem("bad_choice", **located, value=raw, params=params))
        elif check.startswith("greater_than_or_equal_to"):
            problems.append(Problem("negative", **located, value=raw))
        elif check == "whole_number":
            example = int(float(case["failure_case"]))
            problems.append(
                Problem("count_not_integer", **located, value=raw, params={"example": example})
            )
    if missing:
        problems.append(_missing_columns(sheet, missing))
    return problems, bad, missing


def _missing_columns(sheet: RawSheet, missing: list[str]) -> Problem:
    return Problem(
        "missing_columns",
        file=sheet.source.display,
        sheet=sheet.sheet,
        row=sheet.header_row,
        params={"columns": ", ".join(missing), "header_row": sheet.header_row},
    )


def _number_hint(raw: Any) -> dict[str, str]:
    if isinstance(raw, str) and raw.startswith("#"):
        return {
            "hint_zh": f"；“{raw}”是 Excel 公式出错的结果，请检查公式",
            "hint_en": f"; '{raw}' is an Excel formula error, check the formula",
        }
    return {}


def _typed(text: pd.DataFrame, bad_cells: set[tuple[int, str]]) -> pd.DataFrame:
    """Columns in their types; cells that failed the schema become missing."""
    typed = text.copy()
    for row, column in bad_cells:
        typed.at[row, column] = None
    for column in ("year", *NUMBER_COLUMNS):
        if column in typed:
            typed[column] = pd.to_numeric(typed[column], errors="coerce").astype("float64")
    for column in COLUMNS:
        if column not in typed:
            typed[column] = None
    return typed


def _empty_with_location() -> pd.DataFrame:
    frame = as_observation_dtypes(pd.DataFrame({c: [] for c in COLUMNS}))
    for column in LOCATION:
        frame[column] = pd.Series([], dtype="int64" if column == "_row" else "str")
    return frame


# ------------------------------------------------------------------ one row


class _RowChecker:
    """The plan-aware checks of one row, with the indicator in hand."""

    def __init__(self, plan: Plan, regions: Regions, years: range):
        self.plan = plan
        self.regions = regions
        self.years = years
        self._names = {i.name: i.id for i in plan.indicators}

    def check(
        self, record: dict[str, Any], raw: dict[str, Any], sheet: RawSheet, row: int, bad: set[str]
    ) -> list[Problem]:
        problems: list[Problem] = []

        def report(code: str, column: str = "", cell: Any = None, **params: Any) -> None:
            problems.append(
                Problem(
                    code,
                    file=sheet.source.display,
                    sheet=sheet.sheet,
                    row=row,
                    column=column,
                    letter=sheet.letters.get(column, ""),
                    value=cell,
                    params=params,
                )
            )

        indicator = self._indicator(record["indicator_id"], report)
        if pd.notna(record["region"]) and record["region"] not in self.regions.names:
            report(
                "unknown_region",
                "region",
                record["region"],
                value=record["region"],
                names="、".join(self.regions.names),
            )
        year = record["year"]
        if pd.notna(year) and int(year) not in self.years:
            report(
                "year_out_of_range",
                "year",
                int(year),
                value=int(year),
                first=self.years.start,
                last=self.years.stop - 1,
            )
        if indicator is None:
            return problems
        if indicator.is_milestone:
            self._milestone(record, report, bad)
        else:
            self._measurable(indicator, record, raw, sheet, row, bad, report)
        return problems

    def _indicator(self, ident: Any, report: Any) -> Indicator | None:
        if pd.isna(ident):
            return None
        if ident in self.plan.by_id:
            return self.plan.by_id[ident]
        if ident in self._names:
            match = self._names[ident]
        else:
            close = difflib.get_close_matches(ident, list(self.plan.by_id), n=1, cutoff=0.75)
            match = close[0] if close else None
        if match:
            name = self.plan.by_id[match].name
            zh, en = f"是否应为 {match}（{name}）？", f"did you mean {match} ({name})?"
        else:
            zh = "指标代码见 jinlin catalog 的 id 列或填报模板的“指标代码”列"
            en = "see the id column of `jinlin catalog` or the template"
        report(
            "unknown_indicator",
            "indicator_id",
            ident,
            value=ident,
            suggestion_zh=zh,
            suggestion_en=en,
        )
        return None

    def _milestone(self, record: dict[str, Any], report: Any, bad: set[str]) -> None:
        given = [c for c in NUMBER_COLUMNS if pd.notna(record[c])]
        if given:
            report("value_on_milestone", given[0], record[given[0]])
        status = record["status"]
        if "status" in bad:
            return
        if pd.isna(status):
            report("status_missing", "status")
        elif status != STATUSES[0] and pd.isna(record["note"]):
            report("evidence_missing", "note", status=status)

    def _measurable(
        self,
        indicator: Indicator,
        record: dict[str, Any],
        raw: dict[str, Any],
        sheet: RawSheet,
        row: int,
        bad: set[str],
        report: Any,
    ) -> None:
        if pd.notna(record["status"]):
            report("status_on_measurable", "status", record["status"])
        value = record["value"]
        given_unit = record.get("_unit")
        if pd.notna(value) and isinstance(given_unit, str) and given_unit != indicator.unit:
            report(
                "unit_mismatch", "value", raw.get("value"), given=given_unit, unit=indicator.unit
            )
            return
        if pd.notna(value) and (row, "value") in sheet.percent_cells:
            stored = raw.get("value")
            if indicator.unit != "%":
                report(
                    "percent_cell_wrong_unit", "value", stored, stored=stored, unit=indicator.unit
                )
                return
            value = round(value * 100, 10)
            record["value"] = value
            report("percent_cell", "value", stored, shown=f"{value:g}", stored=stored)
        if bad & {"numerator", "denominator"}:
            return
        numerator, denominator = record["numerator"], record["denominator"]
        has_num, has_den = pd.notna(numerator), pd.notna(denominator)
        if (has_num or has_den) and indicator.counts is None:
            report("counts_not_defined", "numerator" if has_num else "denominator")
            return
        if has_num != has_den:
            given, missing = (
                ("numerator", "denominator") if has_num else ("denominator", "numerator")
            )
            labels = {"numerator": "分子", "denominator": "分母"}
            report(
                "counts_incomplete",
                missing,
                given_zh=labels[given],
                missing_zh=labels[missing],
                given_en=given,
                missing_en=missing,
            )
            return
        expected = None
        if has_num and has_den:
            if denominator == 0:
                report("zero_denominator", "denominator", 0)
                return
            lower, upper = indicator.bounds
            if numerator > denominator and upper is not None and upper <= indicator.scale:
                report(
                    "numerator_exceeds_denominator",
                    "numerator",
                    int(numerator),
                    numerator=int(numerator),
                    denominator=int(denominator),
                )
                return
            expected = numerator / denominator * indicator.scale
        if pd.isna(value):
            if "value" in bad:
                return
            if expected is not None:
                report(
                    "value_missing_with_counts",
                    "value",
                    expected=_round(expected),
                    scale=f"{indicator.scale:g}",
                )
            else:
                report("required_empty", "value")
            return
        if expected is not None and abs(value - expected) > _tolerance(value, raw.get("value")):
            report(
                "value_mismatch",
                "value",
                value,
                value=f"{value:g}",
                numerator=int(numerator),
                denominator=int(denominator),
                scale=f"{indicator.scale:g}",
                expected=_round(expected),
            )
        lower, upper = indicator.bounds
        if (lower is not None and value < lower) or (upper is not None and value > upper):
            bounds = f"{lower:g}—{upper:g}{indicator.unit}" if upper is not None else f"≥{lower:g}"
            report(
                "out_of_bounds",
                "value",
                value,
                value=f"{value:g}",
                bounds=bounds,
                unit=indicator.unit,
            )


def _tolerance(value: float, raw: Any) -> float:
    """A full unit in the last digit the department wrote: 4.8 vs 4.78 is rounding, fine."""
    text = raw if isinstance(raw, str) else repr(raw) if isinstance(raw, float) else str(value)
    decimals = len(text.split(".")[1].rstrip("%‰ ")) if "." in text else 0
    return 10.0 ** -min(decimals, 6) + 1e-9


def _round(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------ across rows


def _where_zh(row: pd.Series) -> str:
    sheet = f"（{row['_sheet']}）" if row["_sheet"] else ""
    return f"{row['_file']}{sheet}第{row['_row']}行"


def _where_en(row: pd.Series) -> str:
    sheet = f" ({row['_sheet']})" if row["_sheet"] else ""
    return f"{row['_file']}{sheet} row {row['_row']}"


def _content_text(row: pd.Series) -> str:
    parts = [
        f"{row[c]:g}" if isinstance(row[c], float) else str(row[c])
        for c in CONTENT
        if pd.notna(row[c])
    ]
    return "/".join(parts)


def _duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Same key twice: the same numbers is a warning (kept once), different numbers an error."""
    repeated = frame.duplicated(list(KEY), keep=False)
    if not repeated.any():
        return frame, []
    problems, drop = [], []
    for _, group in frame[repeated].groupby(list(KEY), sort=False):
        first = group.iloc[0]
        for index, row in group.iloc[1:].iterrows():
            same = all(_same(first[c], row[c]) for c in CONTENT)
            params = {"other_zh": _where_zh(first), "other_en": _where_en(first)}
            if not same:
                params |= {"this": _content_text(row), "that": _content_text(first)}
            problems.append(
                Problem(
                    "duplicate_same" if same else "duplicate_conflict",
                    file=row["_file"],
                    sheet=row["_sheet"],
                    row=int(row["_row"]),
                    column="value",
                    value=_content_text(row),
                    params=params,
                )
            )
            drop.append(index)
    return frame.drop(index=drop).reset_index(drop=True), problems


def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _breakdowns(frame: pd.DataFrame) -> list[Problem]:
    """Counts by sex (男+女) or by residence (城镇+农村) should add up to the 合计 row's."""
    problems = []
    with_counts = frame[frame["numerator"].notna() & frame["denominator"].notna()]
    place = ["indicator_id", "region", "year"]
    labels = {"sex": "性别", "residence": "城乡", "numerator": "分子", "denominator": "分母"}
    for dimension, parts, other in (
        ("sex", SEXES[:2], "residence"),
        ("residence", RESIDENCES[:2], "sex"),
    ):
        subset = with_counts[with_counts[other] == TOTAL]
        subset = subset.drop_duplicates([*place, dimension])
        wide = subset.set_index([*place, dimension])[["numerator", "denominator"]].unstack(
            dimension
        )
        if wide.empty or not all(
            (what, p) in wide for what in ("numerator", "denominator") for p in (*parts, TOTAL)
        ):
            continue
        totals = subset[subset[dimension] == TOTAL].set_index(place)
        for what in ("numerator", "denominator"):
            added = wide[(what, parts[0])] + wide[(what, parts[1])]
            mismatch = added.notna() & wide[(what, TOTAL)].notna() & (added != wide[(what, TOTAL)])
            for index in wide.index[mismatch.fillna(False).to_numpy(bool)]:
                total = totals.loc[index]
                detail = " + ".join(f"{p} {int(wide.at[index, (what, p)])}" for p in parts)
                problems.append(
                    Problem(
                        "breakdown_mismatch",
                        file=total["_file"],
                        sheet=total["_sheet"],
                        row=int(total["_row"]),
                        column=what,
                        value=int(total[what]),
                        params={
                            "dimension": labels[dimension],
                            "dimension_en": dimension,
                            "what": labels[what],
                            "what_en": what + "s",
                            "total": int(added[index]),
                            "expected": int(total[what]),
                            "parts": detail,
                        },
                    )
                )
    return problems


def raise_for_errors(problems: Iterable[Problem], lang: Lang = "zh") -> None:
    problems = list(problems)
    if any(p.is_error for p in problems):
        raise DataProblems(problems, lang)
