"""Excel templates that departments fill in, and read back by `jinlin validate`/`ingest`.

One sheet per domain with one row per indicator (and per town where the plan sets the
target for each town), the plan's target and last year's value for reference, and input
cells guarded by Excel data validation; a free "分项数据" sheet takes breakdowns by sex,
residence or town. Reference cells are locked (sheet protection without a password), so a
clerk can only type where the data go.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from jinlin_analysis.atomic import current_umask
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.observations import (
    LABELS_ZH,
    RESIDENCES,
    SEXES,
    STATUSES,
    TOTAL,
)
from jinlin_analysis.plan import Indicator, Plan, Scope, load_plan
from jinlin_analysis.readers import TEMPLATE_FORMAT, TEMPLATE_META_SHEET
from jinlin_analysis.regions import Regions
from jinlin_analysis.wording import describe_target

TEMPLATE_VERSION = 1
INSTRUCTIONS_SHEET = "填表说明"
BREAKDOWN_SHEET = "分项数据"
LISTS_SHEET = "_lists"
HEADER_ROW = 4
BREAKDOWN_ROWS = 200  # empty input rows offered in the breakdown sheet
MAIN_COLUMNS = (
    "indicator_id",
    "name",
    "region",
    "year",
    "unit",
    "target",
    "previous",
    "counts",
    "value",
    "numerator",
    "denominator",
    "status",
    "source",
    "note",
)
BREAKDOWN_COLUMNS = (
    "indicator_id",
    "region",
    "year",
    "sex",
    "residence",
    "value",
    "numerator",
    "denominator",
    "source",
    "note",
)
HEADINGS = {**LABELS_ZH, "value": "本年数值", "note": "备注 / 佐证"}
WIDTHS = {"indicator_id": 26, "name": 36, "target": 24, "counts": 30, "note": 40, "source": 14}
FIXED_TIME = datetime(2000, 1, 1)  # document timestamps: the same bytes for the same input

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_REFERENCE_FILL = PatternFill("solid", fgColor="EDEDED")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")


def write_template(
    path: str | Path,
    year: int,
    plan: Plan | None = None,
    regions: Regions | None = None,
    domains: Sequence[str] | None = None,
    previous: pd.DataFrame | None = None,
    values: pd.DataFrame | None = None,
    label: str = "",
) -> Path:
    """Write the submission workbook for `year`; return its path.

    `previous`: observations to show last year's values from (e.g. the database's);
    `values`: observations to fill in (the demo generator's filled templates);
    `label`: shown in every title, e.g. 示例数据（模拟）.
    """
    plan = plan or load_plan()
    if regions is None:
        regions = Regions(district=plan.plan.region, towns=())
    domains = list(domains) if domains else list(plan.domains)
    unknown = [d for d in domains if d not in plan.domains]
    if unknown:
        raise JinlinError(f"unknown domain(s) {unknown}; the plan has: {', '.join(plan.domains)}")
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = INSTRUCTIONS_SHEET
    lists = _lists_sheet(workbook, plan, regions, domains)
    previous_by_key = _headline(previous, year - 1)
    filled = _by_key(values, year)
    used: set[tuple] = set()
    prefilled = []
    for domain in domains:
        indicators = [i for i in plan.indicators if i.domain == domain]
        sheet = workbook.create_sheet(plan.domains[domain])
        title = f"{plan.plan.title}监测数据填报表 · {plan.domains[domain]} · {year}年"
        _domain_sheet(sheet, indicators, regions, year, title, label, previous_by_key, filled, used)
        prefilled.append(sheet.title)
    rest = [] if values is None else [row for key, row in filled.items() if key not in used]
    _breakdown_sheet(workbook.create_sheet(BREAKDOWN_SHEET), year, label, lists, rest)
    _instructions(instructions, plan, year, label, domains)
    _meta(workbook, plan, year, prefilled)
    workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    return save_workbook(workbook, Path(path))


def save_workbook(workbook: Workbook, path: Path) -> Path:
    """Save with fixed timestamps (same content, same bytes), atomically (temp, rename)."""
    workbook.properties.creator = "jinlin_analysis"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    normalised = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(normalised, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                stamp = rb"\g<1>2000-01-01T00:00:00Z"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", stamp, data)
            target.writestr(info, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(normalised.getvalue())
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _headline(observations: pd.DataFrame | None, year: int) -> dict[tuple[str, str], str]:
    """Last year's value (or status) per indicator and region, as shown in the template."""
    if observations is None or observations.empty:
        return {}
    rows = observations[
        (observations["year"] == year)
        & (observations["sex"].fillna(TOTAL) == TOTAL)
        & (observations["residence"].fillna(TOTAL) == TOTAL)
    ]
    shown = {}
    for row in rows.itertuples(index=False):
        text = row.status if pd.isna(row.value) else f"{row.value:g}"
        shown[(row.indicator_id, row.region)] = text
    return shown


def _by_key(observations: pd.DataFrame | None, year: int) -> dict[tuple, dict]:
    if observations is None or observations.empty:
        return {}
    rows = observations[observations["year"] == year].copy()
    rows["sex"] = rows["sex"].fillna(TOTAL)
    rows["residence"] = rows["residence"].fillna(TOTAL)
    return {
        (r["indicator_id"], r["region"], r["sex"], r["residence"]): r
        for r in rows.to_dict("records")
    }


def _header(sheet: Worksheet, columns: Sequence[str], title: str, label: str, note: str) -> None:
    sheet.cell(1, 1, f"{title}{'　【' + label + '】' if label else ''}").font = Font(
        bold=True, size=14, color="C00000" if label else "000000"
    )
    sheet.cell(2, 1, note).alignment = Alignment(wrap_text=False)
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(HEADER_ROW, position, f"{HEADINGS[column]}\n{column}")
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(position)].width = WIDTHS.get(column, 11)
    sheet.row_dimensions[HEADER_ROW].height = 32
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)


def _domain_sheet(
    sheet: Worksheet,
    indicators: list[Indicator],
    regions: Regions,
    year: int,
    title: str,
    label: str,
    previous: dict[tuple[str, str], str],
    filled: dict[tuple, dict],
    used: set[tuple],
) -> None:
    _header(
        sheet,
        MAIN_COLUMNS,
        title,
        label,
        "黄色单元格填写，灰色单元格为参考信息（已锁定）。只填数字，不带单位；比率请同时填分子、分母。",
    )
    col = {name: position for position, name in enumerate(MAIN_COLUMNS, start=1)}
    validations: dict[tuple, DataValidation] = {}
    counts_rule = _validation(
        "whole", "greaterThanOrEqual", 0, None, "分子、分母填写非负整数（人数、个数）。"
    )
    status_rule = DataValidation(
        type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True
    )
    status_rule.error, status_rule.errorTitle = (
        "请从下拉列表中选择：未启动、推进中、已完成。",
        "进展状态",
    )
    for rule in (counts_rule, status_rule):
        sheet.add_data_validation(rule)
    row = HEADER_ROW + 1
    for indicator in indicators:
        names = regions.names if indicator.scope is Scope.EACH_TOWN else (regions.district,)
        for region in names:
            key = (indicator.id, region, TOTAL, TOTAL)
            given = filled.get(key, {})
            if given:
                used.add(key)
            reference = {
                "indicator_id": indicator.id,
                "name": indicator.name,
                "region": region,
                "year": year,
                "unit": indicator.unit or "",
                "target": describe_target(indicator),
                "previous": previous.get((indicator.id, region), ""),
                "counts": f"{indicator.counts.numerator} / {indicator.counts.denominator}"
                if indicator.counts
                else "",
            }
            for name, text in reference.items():
                cell = sheet.cell(row, col[name], text)
                cell.fill, cell.alignment = _REFERENCE_FILL, _WRAP
            inputs = _inputs_for(indicator)
            for name in ("value", "numerator", "denominator", "status", "source", "note"):
                cell = sheet.cell(row, col[name], _cell_value(given.get(name)))
                if name in inputs:
                    cell.fill = _INPUT_FILL
                    cell.protection = Protection(locked=False)
                else:
                    cell.fill = _REFERENCE_FILL
                cell.alignment = _WRAP
            if "value" in inputs:
                bounds = indicator.bounds
                if bounds not in validations:
                    validations[bounds] = _bounds_validation(bounds, indicator.unit)
                    sheet.add_data_validation(validations[bounds])
                validations[bounds].add(sheet.cell(row, col["value"]))
                sheet.cell(row, col["value"]).number_format = "General"
            if "numerator" in inputs:
                counts_rule.add(
                    f"{get_column_letter(col['numerator'])}{row}:{get_column_letter(col['denominator'])}{row}"
                )
            if "status" in inputs:
                status_rule.add(sheet.cell(row, col["status"]))
            row += 1
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _inputs_for(indicator: Indicator) -> set[str]:
    if indicator.is_milestone:
        return {"status", "source", "note"}
    if indicator.counts is not None:
        return {"value", "numerator", "denominator", "source", "note"}
    return {"value", "source", "note"}


def _cell_value(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy / pandas scalars
        return value.item()
    return value


def _validation(
    kind: str, operator: str, low: float | None, high: float | None, message: str
) -> DataValidation:
    rule = DataValidation(
        type=kind,
        operator=operator,
        formula1=None if low is None else f"{low:g}",
        formula2=None if high is None else f"{high:g}",
        allow_blank=True,
    )
    rule.error, rule.errorTitle = message, "输入有误"
    rule.prompt, rule.promptTitle = message, "填写说明"
    rule.showErrorMessage = rule.showInputMessage = True
    return rule


def _bounds_validation(
    bounds: tuple[float | None, float | None], unit: str | None
) -> DataValidation:
    lower, upper = bounds
    unit = unit or ""
    if lower is not None and upper is not None:
        message = f"请填写 {lower:g} 到 {upper:g} 之间的数字（单位：{unit}），不带单位。"
        return _validation("decimal", "between", lower, upper, message)
    if lower is not None:
        message = f"请填写不小于 {lower:g} 的数字（单位：{unit}），不带单位。"
        return _validation("decimal", "greaterThanOrEqual", lower, None, message)
    return _validation("decimal", "between", -1e12, 1e12, f"请填写数字（单位：{unit}）。")


def _lists_sheet(
    workbook: Workbook, plan: Plan, regions: Regions, domains: list[str]
) -> dict[str, str]:
    """A hidden sheet with the allowed values, for drop-down lists in the breakdown sheet."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    measurable = [i.id for i in plan.measurable if i.domain in domains]
    columns = {
        "indicator_id": measurable,
        "region": list(regions.names),
        "sex": list(SEXES),
        "residence": list(RESIDENCES),
    }
    ranges = {}
    for position, (name, items) in enumerate(columns.items(), start=1):
        letter = get_column_letter(position)
        sheet.cell(1, position, name)
        for offset, item in enumerate(items, start=2):
            sheet.cell(offset, position, item)
        ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(items) + 1}"
    return ranges


def _breakdown_sheet(
    sheet: Worksheet, year: int, label: str, lists: dict[str, str], rows: list[dict]
) -> None:
    _header(
        sheet,
        BREAKDOWN_COLUMNS,
        f"分项数据（按性别、城乡或镇分列，可选） · {year}年",
        label,
        "每行一个数值；性别、城乡不分列的填“合计”或留空。指标代码和地区可从下拉列表选择。",
    )
    col = {name: position for position, name in enumerate(BREAKDOWN_COLUMNS, start=1)}
    last = HEADER_ROW + max(BREAKDOWN_ROWS, len(rows) + 20)
    for name in ("indicator_id", "region", "sex", "residence"):
        rule = DataValidation(type="list", formula1=lists[name], allow_blank=True)
        rule.error, rule.errorTitle = "请从下拉列表中选择。", HEADINGS[name]
        letter = get_column_letter(col[name])
        rule.add(f"{letter}{HEADER_ROW + 1}:{letter}{last}")
        sheet.add_data_validation(rule)
    for position in range(1, len(BREAKDOWN_COLUMNS) + 1):
        for row in range(HEADER_ROW + 1, last + 1):
            sheet.cell(row, position).fill = _INPUT_FILL
    for offset, given in enumerate(rows):
        for name in BREAKDOWN_COLUMNS:
            sheet.cell(HEADER_ROW + 1 + offset, col[name], _cell_value(given.get(name)))


def _instructions(sheet: Worksheet, plan: Plan, year: int, label: str, domains: list[str]) -> None:
    lines = [
        f"{plan.plan.title}监测数据填报表（{year}年）" + (f"　【{label}】" if label else ""),
        "",
        f"1. 本工作簿用于报送{year}年的监测数据，包含："
        + "、".join(plan.domains[d] for d in domains)
        + "。",
        "2. 黄色单元格为填写区；灰色单元格为参考信息（指标、目标、上年数值），已锁定，请勿修改。",
        "3. “本年数值”只填数字，不带单位和空格，单位见“单位”列（%、‰、1/10万等）。"
        "不要把单元格设为百分比格式。",
        "4. 比率指标请同时填写分子和分母："
        "数值 = 分子 ÷ 分母 × 100（%）、1000（‰）或 100000（1/10万）。",
        "5. 定性目标（机制建立、热线开通等）在“进展状态”中选择 未启动 / 推进中 / 已完成，"
        "并在“备注 / 佐证”中写明依据。",
        "6. 暂无数据的行留空，并在备注中说明原因（如“统计口径调整，数据待核”）。",
        "7. 按性别、城乡或镇分列的数据填在“分项数据”表中，每行一个数值。",
        "8. 填好后由统计局运行：jinlin validate 文件名.xlsx ，按提示的行和列修改后再导入。",
    ]
    for row, text in enumerate(lines, start=1):
        sheet.cell(row, 1, text)
    sheet.cell(1, 1).font = Font(bold=True, size=14, color="C00000" if label else "000000")
    sheet.column_dimensions["A"].width = 120


def _meta(workbook: Workbook, plan: Plan, year: int, prefilled: list[str]) -> None:
    """A hidden sheet that tells the reader this is a template, for which plan and year."""
    sheet = workbook.create_sheet(TEMPLATE_META_SHEET)
    sheet.sheet_state = "hidden"
    rows = [
        ("format", TEMPLATE_FORMAT),
        ("version", TEMPLATE_VERSION),
        ("plan_id", plan.plan.id),
        ("year", year),
        ("prefilled_sheets", json.dumps(prefilled, ensure_ascii=False)),
        ("info_sheets", json.dumps([INSTRUCTIONS_SHEET, LISTS_SHEET], ensure_ascii=False)),
    ]
    for row in rows:
        sheet.append(row)
