"""The long observation format (docs/observation-format.md): columns, allowed values, dtypes.

One place that names the columns, so the readers, the validator, the database and the
templates cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

# The documented long table, in order.
COLUMNS = (
    "indicator_id",
    "region",
    "year",
    "value",
    "numerator",
    "denominator",
    "sex",
    "residence",
    "status",
    "source",
    "note",
)
# One value per key: a series is the key without the year.
KEY = ("indicator_id", "region", "year", "sex", "residence")
SERIES_KEY = ("indicator_id", "region", "sex", "residence")
# What a submission says about a key; two rows with the same key must agree on these.
CONTENT = ("value", "numerator", "denominator", "status")
# Where each value in the database came from.
PROVENANCE = ("source_file", "source_sheet", "source_row", "source_sha256", "ingested_at")

TOTAL = "合计"
SEXES = ("男", "女", TOTAL)
RESIDENCES = ("城镇", "农村", TOTAL)
STATUSES = ("未启动", "推进中", "已完成")

REQUIRED = ("indicator_id", "region", "year")
NUMBER_COLUMNS = ("value", "numerator", "denominator")
TEXT_COLUMNS = ("indicator_id", "region", "sex", "residence", "status", "source", "note")

# Chinese headings: used by templates and accepted as column names in submissions.
LABELS_ZH = {
    "indicator_id": "指标代码",
    "name": "指标名称",
    "region": "地区",
    "year": "年份",
    "unit": "单位",
    "target": "规划目标",
    "previous": "上年数值",
    "counts": "分子 / 分母",
    "value": "数值",
    "numerator": "分子",
    "denominator": "分母",
    "sex": "性别",
    "residence": "城乡",
    "status": "进展状态",
    "source": "填报单位",
    "note": "备注",
}
LABELS_EN = {
    "indicator_id": "indicator id",
    "name": "indicator",
    "region": "region",
    "year": "year",
    "unit": "unit",
    "target": "target",
    "previous": "last year",
    "counts": "numerator / denominator",
    "value": "value",
    "numerator": "numerator",
    "denominator": "denominator",
    "sex": "sex",
    "residence": "residence",
    "status": "status",
    "source": "department",
    "note": "note",
}
# Template columns shown for reference only; read back but never stored.
REFERENCE_COLUMNS = ("name", "unit", "target", "previous", "counts")
# Other headings people write for the same columns.
ALIASES = {
    "value": ("本年数值", "值", "数据"),
    "status": ("状态", "进展"),
    "source": ("来源", "数据来源", "报送单位"),
    "note": ("说明", "佐证", "备注/佐证"),
    "indicator_id": ("指标id", "指标编码"),
    "region": ("地区名称", "区域"),
}


def column_key(header: object) -> str | None:
    """The column a heading names: 'value', '数值', '本年数值\\nvalue', 'Value (数值)'."""
    if header is None:
        return None
    text = unicodedata.normalize("NFKC", str(header)).strip()
    if not text:
        return None
    candidates = [text, *text.splitlines(), *re.findall(r"[A-Za-z_]+", text)]
    candidates += re.split(r"[()\s]+", text)
    for candidate in candidates:
        key = _KEY_BY_ALIAS.get(candidate.strip().lower())
        if key:
            return key
    return None


_KEY_BY_ALIAS: dict[str, str] = {}
for _key, _label in LABELS_ZH.items():
    _KEY_BY_ALIAS[_key] = _key
    _KEY_BY_ALIAS[_label] = _key
for _key, _names in ALIASES.items():
    for _name in _names:
        _KEY_BY_ALIAS[_name.lower()] = _key


def empty_observations() -> pd.DataFrame:
    """A long table with no rows and the documented dtypes."""
    return as_observation_dtypes(pd.DataFrame({column: [] for column in COLUMNS}))


def as_observation_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the documented columns their dtypes; missing sex/residence mean 合计."""
    frame = frame.copy()
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.NA
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = pd.to_numeric(frame["value"]).astype("float64")
    for column in ("numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("str")
    for column in ("sex", "residence"):
        frame[column] = frame[column].fillna(TOTAL)
    extra = [column for column in frame.columns if column not in COLUMNS]
    return frame[[*COLUMNS, *extra]]
