"""Problems found in submitted data, worded for the clerk who has to fix them.

Every problem names the file, sheet, row (as Excel shows it) and column, says what is
wrong and how to fix it, in Chinese by default and in English on request. The wording is
a catalogue here, so checks only pick a code and fill in the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import pandas as pd
from tabulate import tabulate

from jinlin_analysis.errors import JinlinError
from jinlin_analysis.observations import LABELS_EN, LABELS_ZH

Lang = Literal["zh", "en"]


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Message:
    level: Level
    zh: tuple[str, str]  # (what is wrong, how to fix it)
    en: tuple[str, str]


E, W = Level.ERROR, Level.WARNING
FORMAT_DOC = "docs/observation-format.md"

MESSAGES: dict[str, Message] = {
    # --- files
    "file_not_found": Message(
        E, ("文件或文件夹不存在", "检查路径和文件名"), ("no such file or folder", "check the path")
    ),
    "unsupported_type": Message(
        E,
        ("不支持的文件类型“{suffix}”", "请提交 .xlsx 或 .csv 文件；.xls 请在 Excel 中另存为 .xlsx"),
        ("unsupported file type '{suffix}'", "submit .xlsx or .csv; save .xls files as .xlsx"),
    ),
    "unreadable": Message(
        E,
        ("无法读取文件：{detail}", "用 Excel 打开后另存为 .xlsx，或另存为“CSV UTF-8（逗号分隔）”"),
        ("cannot read the file: {detail}", "open it in Excel and save as .xlsx or CSV UTF-8"),
    ),
    "utf16": Message(
        E,
        (
            "文件是 UTF-16 编码（Excel“Unicode 文本”格式）",
            "在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        ),
        ("the file is UTF-16 (Excel 'Unicode text')", "save it from Excel as 'CSV UTF-8'"),
    ),
    "bad_encoding": Message(
        E,
        ("文件编码无法识别（既不是 UTF-8，也不是 GB18030/GBK）", "另存为“CSV UTF-8（逗号分隔）”"),
        ("unknown text encoding (neither UTF-8 nor GB18030/GBK)", "save it as 'CSV UTF-8'"),
    ),
    "empty_file": Message(
        E,
        ("文件中没有数据", "填写数据后再提交"),
        ("the file holds no data", "fill in the data before submitting"),
    ),
    "no_header": Message(
        E,
        (
            "找不到表头：前10行没有“indicator_id（指标代码）”列",
            "第一行写列名 indicator_id, region, year, value …（见 " + FORMAT_DOC + "），"
            "或用 jinlin template 生成模板",
        ),
        (
            "no header: none of the first 10 rows names an 'indicator_id' column",
            "put the column names indicator_id, region, year, value ... in the first row "
            "(see " + FORMAT_DOC + "), or start from `jinlin template`",
        ),
    ),
    "missing_columns": Message(
        E,
        ("缺少必填列：{columns}", "在表头（第{header_row}行）加上这些列"),
        ("required columns missing: {columns}", "add them to the header (row {header_row})"),
    ),
    "duplicate_column": Message(
        E,
        ("列名重复：“{name}”出现了不止一次", "删除或改名其中一列"),
        ("column '{name}' appears more than once", "delete or rename one of them"),
    ),
    "unknown_column": Message(
        W,
        ("无法识别的列“{name}”，已忽略", "如果这是需要的数据，请把列名改为：{known}"),
        ("unknown column '{name}', ignored", "if it holds data, rename it to one of: {known}"),
    ),
    "ragged_row": Message(
        E,
        (
            "这一行的列数（{cells}）多于表头（{columns}），可能备注中含英文逗号",
            "把含逗号的内容用英文双引号括起来，或改用中文逗号“，”",
        ),
        (
            "this row has {cells} cells but the header has {columns}; an unquoted comma?",
            "quote the text that contains commas, or use the Chinese comma '，'",
        ),
    ),
    "wrong_plan": Message(
        E,
        (
            "模板由规划“{template_plan}”生成，与当前规划“{plan}”不符",
            "用 jinlin template 重新生成模板",
        ),
        (
            "template made for plan '{template_plan}', not '{plan}'",
            "make a new template with `jinlin template`",
        ),
    ),
    # --- cells
    "required_empty": Message(
        E,
        ("“{label}”为空", "填写{label}"),
        ("'{label}' is empty", "fill in the {label}"),
    ),
    "not_a_number": Message(
        E,
        ("不是数字", "只填数字，不带单位、空格或文字，例如 4.8{hint_zh}"),
        ("not a number", "enter a plain number without unit or text, e.g. 4.8{hint_en}"),
    ),
    "not_an_integer": Message(
        E,
        ("“{label}”应为整数", "填写整数，例如 {example}"),
        ("'{label}' must be a whole number", "enter a whole number, e.g. {example}"),
    ),
    "negative": Message(
        E,
        ("“{label}”不能为负数", "填写人数、个数等非负整数"),
        ("'{label}' cannot be negative", "enter a count (0 or more)"),
    ),
    "bad_choice": Message(
        E,
        ("“{value}”不是允许的{label}", "只能填：{choices_zh}"),
        ("'{value}' is not an allowed {label}", "use one of: {choices_en}"),
    ),
    "unknown_indicator": Message(
        E,
        ("规划中没有指标代码“{value}”", "{suggestion_zh}"),
        ("the plan has no indicator id '{value}'", "{suggestion_en}"),
    ),
    "unknown_region": Message(
        E,
        ("地区“{value}”不在地区文件中", "应为以下之一：{names}"),
        ("region '{value}' is not in the regions file", "use one of: {names}"),
    ),
    "year_out_of_range": Message(
        E,
        (
            "年份 {value} 不在允许范围 {first}—{last} 内",
            "检查年份是否填错；更早的历史数据可用 --years 放宽",
        ),
        (
            "year {value} is outside {first}-{last}",
            "check the year; widen the range with --years for older history",
        ),
    ),
    "out_of_bounds": Message(
        E,
        ("数值 {value} 超出该指标的合理范围（{bounds}）", "检查单位和小数点：本指标单位为“{unit}”"),
        (
            "value {value} is outside the indicator's range ({bounds})",
            "check unit ({unit}) and decimals",
        ),
    ),
    "unit_mismatch": Message(
        E,
        ("数值带单位“{given}”，但本指标单位是“{unit}”", "换算为以“{unit}”计的数后只填数字"),
        ("value written in '{given}' but the indicator's unit is '{unit}'", "convert to {unit}"),
    ),
    "percent_cell": Message(
        W,
        (
            "单元格为百分比格式：Excel 显示 {shown}%，实际保存的是 {stored}；已按 {shown} 读取",
            "把单元格格式改为“常规”后直接输入 {shown}",
        ),
        (
            "percent-formatted cell: Excel shows {shown}% but stores {stored}; read as {shown}",
            "format the cell as General and type {shown}",
        ),
    ),
    "percent_cell_wrong_unit": Message(
        E,
        (
            "单元格为百分比格式（实际保存 {stored}），但本指标单位是“{unit}”",
            "把单元格格式改为“常规”，输入以“{unit}”计的数",
        ),
        (
            "percent-formatted cell (stores {stored}) but the unit is '{unit}'",
            "format the cell as General and enter the value in {unit}",
        ),
    ),
    "count_not_integer": Message(
        E,
        ("“{label}”是人数或个数，应为整数", "填写整数，例如 {example}"),
        ("'{label}' is a count and must be a whole number", "enter a whole number, e.g. {example}"),
    ),
    "counts_incomplete": Message(
        E,
        ("只填了{given_zh}，没有填{missing_zh}", "分子和分母要同时填写，或都不填"),
        (
            "{given_en} given without {missing_en}",
            "give both numerator and denominator, or neither",
        ),
    ),
    "counts_not_defined": Message(
        E,
        ("该指标不是比率，没有分子分母", "清空分子、分母两列"),
        ("this indicator is not a rate and has no numerator/denominator", "clear both cells"),
    ),
    "zero_denominator": Message(
        E,
        ("分母为 0，无法计算比率", "当年没有相关人群时不填该行，并在备注中说明"),
        ("denominator is 0: no rate can be computed", "leave the row out and say why in a note"),
    ),
    "numerator_exceeds_denominator": Message(
        E,
        ("分子 {numerator} 大于分母 {denominator}", "检查分子、分母是否填反或填错"),
        ("numerator {numerator} exceeds denominator {denominator}", "check for swapped cells"),
    ),
    "value_mismatch": Message(
        E,
        (
            "数值 {value} 与分子分母不符：{numerator} ÷ {denominator} × {scale} = {expected}",
            "核对数值、分子、分母和单位；按分子分母应填 {expected}",
        ),
        (
            "value {value} does not match {numerator} / {denominator} x {scale} = {expected}",
            "check value, counts and unit; the counts give {expected}",
        ),
    ),
    "value_missing_with_counts": Message(
        E,
        ("数值为空，但填写了分子分母", "填写数值 {expected}（= 分子 ÷ 分母 × {scale}）"),
        (
            "value is empty although counts are given",
            "enter {expected} (= numerator / denominator x {scale})",
        ),
    ),
    "status_missing": Message(
        E,
        ("定性目标没有填写进展状态", "填写 未启动、推进中 或 已完成，并在备注写明依据"),
        (
            "milestone without a status",
            "enter 未启动, 推进中 or 已完成 and the evidence in the note",
        ),
    ),
    "status_on_measurable": Message(
        E,
        ("定量指标不填写进展状态", "清空“进展状态”，在“数值”列填写数值"),
        ("status given for a measurable indicator", "clear the status; enter the value instead"),
    ),
    "value_on_milestone": Message(
        E,
        ("定性目标不填写数值或分子分母", "清空数值、分子、分母，在“进展状态”中选择状态"),
        ("value or counts given for a milestone", "clear them and choose a status instead"),
    ),
    "evidence_missing": Message(
        W,
        (
            "进展状态“{status}”没有填写依据",
            "在备注中简要写明依据，如印发的文件名称、开通或建成时间",
        ),
        ("status '{status}' without evidence", "say in the note what shows it (document, date)"),
    ),
    "not_reported": Message(
        W,
        ("未填报", "已有数据请补填；确实没有数据可不填，并在备注中说明原因"),
        ("not reported", "fill it in when available; otherwise explain in the note"),
    ),
    # --- across rows
    "duplicate_conflict": Message(
        E,
        (
            "与 {other_zh} 重复（同一指标、地区、年份、性别、城乡），但数值不同：{this} ≠ {that}",
            "每个指标、地区、年份、性别、城乡只能有一个数值：删除或改正错误的一行",
        ),
        (
            "duplicates {other_en} (same indicator, region, year, sex, residence) with a different "
            "value: {this} != {that}",
            "keep one value per indicator, region, year, sex and residence",
        ),
    ),
    "duplicate_same": Message(
        W,
        ("与 {other_zh} 重复（数值相同），只导入一次", "删除重复的行"),
        ("duplicates {other_en} (same values); imported once", "delete the duplicate row"),
    ),
    "breakdown_mismatch": Message(
        W,
        (
            "按{dimension}分组的{what}之和 {total} 与合计 {expected} 不符（{parts}）",
            "核对分组数据与合计是否一致",
        ),
        (
            "{what_en} by {dimension_en} add up to {total}, not the total {expected} ({parts})",
            "check the breakdown against the total",
        ),
    ),
    "unusual_change": Message(
        W,
        (
            "与以往年份相比变化异常：按{basis}预计约 {expected}，实际 {value}{hint_zh}",
            "核对数值、分子分母和单位；确认无误可忽略此提示",
        ),
        (
            "unusual change: {basis_en} suggest about {expected}, got {value}{hint_en}",
            "check value, counts and unit; ignore this if the value is right",
        ),
    ),
    # --- the database
    "changed_value": Message(
        E,
        (
            "数据库中已有不同的值 {old}（来自 {old_file}），本次为 {new}",
            '确需修改请加 --revise --reason "原因" 重新导入，旧值会记入修订记录；否则改回原值',
        ),
        (
            "the database holds a different value {old} (from {old_file}); this file has {new}",
            'to change it, ingest again with --revise --reason "why" (the old value is kept in '
            "the revisions log); otherwise restore the old value",
        ),
    ),
    "mixed_dataset": Message(
        E,
        (
            "数据库中是{db_kind}，本次导入的是{new_kind}，两者不能混在一起",
            "用 --db 指定另一个数据库文件夹",
        ),
        (
            "the database holds {db_kind_en} but this is {new_kind_en}; they must not be mixed",
            "use another database folder (--db)",
        ),
    ),
    "regions_changed": Message(
        E,
        (
            "地区文件与数据库中的不同（{detail}）",
            '确需更新地区请加 --revise --reason "原因" 重新导入',
        ),
        (
            "the regions file differs from the database's ({detail})",
            "use --revise --reason to update",
        ),
    ),
    "plan_changed": Message(
        E,
        ("数据库按规划“{db_plan}”建立，本次使用规划“{plan}”", "用 --db 为该规划另建数据库"),
        ("the database was built for plan '{db_plan}', not '{plan}'", "use another --db folder"),
    ),
}

HEADINGS = {
    "zh": {
        "level": "级别",
        "file": "文件",
        "sheet": "工作表",
        "row": "行",
        "column": "列",
        "value": "值",
        "problem": "问题",
        "fix": "修改方法",
    },
    "en": {
        "level": "level",
        "file": "file",
        "sheet": "sheet",
        "row": "row",
        "column": "column",
        "value": "value",
        "problem": "problem",
        "fix": "how to fix",
    },
}
LEVEL_NAMES = {"zh": {E: "错误", W: "警告"}, "en": {E: "error", W: "warning"}}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission, located as the clerk sees it in Excel."""

    code: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""  # a column key (value, region, ...) or a heading as written
    letter: str = ""  # the Excel column letter, where known
    value: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> Level:
        return MESSAGES[self.code].level

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def texts(self, lang: Lang = "zh") -> tuple[str, str]:
        """(what is wrong, how to fix it) in the chosen language."""
        labels = LABELS_ZH if lang == "zh" else LABELS_EN
        params = {"label": labels.get(self.column, self.column), **self.params}
        problem, fix = getattr(MESSAGES[self.code], lang)
        return problem.format_map(_Blank(params)), fix.format_map(_Blank(params))

    def column_text(self, lang: Lang = "zh") -> str:
        labels = LABELS_ZH if lang == "zh" else LABELS_EN
        name = labels.get(self.column, self.column)
        if self.letter and name:
            return f"{self.letter}（{name}）" if lang == "zh" else f"{self.letter} ({name})"
        return self.letter or name

    def sort_key(self) -> tuple:
        return (self.file, self.sheet, self.row or 0, self.letter.rjust(3), self.code)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def problems_frame(problems: Iterable[Problem], lang: Lang = "zh") -> pd.DataFrame:
    """The problems as a table with headings in the chosen language, in file/row order."""
    rows = []
    for problem in sorted(problems, key=Problem.sort_key):
        what, fix = problem.texts(lang)
        rows.append(
            {
                "level": LEVEL_NAMES[lang][problem.level],
                "file": problem.file,
                "sheet": problem.sheet,
                "row": "" if problem.row is None else str(problem.row),
                "column": problem.column_text(lang),
                "value": _show(problem.value),
                "problem": what,
                "fix": fix,
            }
        )
    frame = pd.DataFrame(rows, columns=list(HEADINGS[lang]))
    return frame.rename(columns=HEADINGS[lang])


def format_problems(problems: Iterable[Problem], lang: Lang = "zh") -> str:
    """A plain-text table a department can act on, then a one-line count."""
    problems = list(problems)
    if not problems:
        return ""
    frame = problems_frame(problems, lang)
    table = tabulate(frame, headers="keys", showindex=False, disable_numparse=True, maxcolwidths=36)
    return table + "\n" + summary_line(problems, lang)


def summary_line(problems: Iterable[Problem], lang: Lang = "zh") -> str:
    problems = list(problems)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if lang == "zh":
        return f"共 {errors} 个错误、{warnings} 个警告。"
    return f"{errors} error(s), {warnings} warning(s)."


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class DataProblems(JinlinError):
    """Submitted data with errors: carries every problem so the CLI can print the table."""

    def __init__(self, problems: list[Problem], lang: Lang = "zh"):
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        super().__init__(
            summary_line(problems, lang)
            + "\n"
            + "\n".join(_one_line(p, lang) for p in sorted(errors, key=Problem.sort_key))
        )


def _one_line(problem: Problem, lang: Lang) -> str:
    what, fix = problem.texts(lang)
    where = ", ".join(
        part
        for part in (
            problem.file,
            problem.sheet,
            f"row {problem.row}" if problem.row else "",
            problem.column_text(lang),
        )
        if part
    )
    return f"  - {where}: {what} -> {fix}"
