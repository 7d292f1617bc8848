"""The bad-input corpus: one small file per kind of mistake, each reported at the right cell.

Every file must fail `jinlin validate` and `jinlin ingest` with exit code 1, with the
problem located at the file/sheet/row/column a clerk sees in Excel, and must leave the
monitoring database byte-for-byte as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from jinlin_analysis.cli import main
from jinlin_analysis.problems import Problem
from jinlin_analysis.validation import validate_files

INTAKE = FIXTURES / "intake"
BAD = INTAKE / "bad"
REGIONS = INTAKE / "regions.yaml"

# file -> (problem code, sheet, Excel row, column letter)
CORPUS = {
    "unknown_indicator.csv": ("unknown_indicator", "", 3, "A"),
    "unknown_region.csv": ("unknown_region", "", 2, "B"),
    "not_a_number.csv": ("not_a_number", "", 2, "D"),
    "empty_value.csv": ("required_empty", "", 2, "D"),
    "out_of_bounds.csv": ("out_of_bounds", "", 2, "D"),
    "numerator_exceeds_denominator.csv": ("numerator_exceeds_denominator", "", 2, "E"),
    "value_mismatch.csv": ("value_mismatch", "", 2, "D"),
    "year_out_of_range.csv": ("year_out_of_range", "", 2, "C"),
    "duplicate_conflict.csv": ("duplicate_conflict", "", 3, "D"),
    "missing_columns.csv": ("missing_columns", "", 1, ""),
    "empty_file.csv": ("empty_file", "", None, ""),
    "zero_bytes.csv": ("empty_file", "", None, ""),
    "unreadable.xlsx": ("unreadable", "", None, ""),
    "old_format.xls": ("unsupported_type", "", None, ""),
    "utf16.csv": ("utf16", "", None, ""),
    "bad_encoding.csv": ("bad_encoding", "", None, ""),
    "no_header.csv": ("no_header", "", 1, ""),
    "duplicate_column.csv": ("duplicate_column", "", 1, "E"),
    "ragged_row.csv": ("ragged_row", "", 2, ""),
    "unit_mismatch.csv": ("unit_mismatch", "", 2, "D"),
    "bad_sex.csv": ("bad_choice", "", 2, "G"),
    "bad_status.csv": ("bad_choice", "", 2, "I"),
    "status_missing.csv": ("status_missing", "", 2, "I"),
    "status_on_measurable.csv": ("status_on_measurable", "", 2, "I"),
    "value_on_milestone.csv": ("value_on_milestone", "", 2, "D"),
    "counts_incomplete.csv": ("counts_incomplete", "", 2, "F"),
    "counts_not_defined.csv": ("counts_not_defined", "", 2, "E"),
    "count_not_integer.csv": ("count_not_integer", "", 2, "F"),
    "negative_count.csv": ("negative", "", 2, "E"),
    "zero_denominator.csv": ("zero_denominator", "", 2, "F"),
    "percent_cell_wrong_unit.xlsx": ("percent_cell_wrong_unit", "数据", 2, "D"),
    "template_bad_value.xlsx": ("not_a_number", "儿童与安全", 5, "I"),
    "template_wrong_plan.xlsx": ("wrong_plan", "", None, ""),
    "across_files": ("duplicate_conflict", "", 3, "D"),
}


def _errors(path: Path) -> list[Problem]:
    return [p for p in validate_files([path], regions=REGIONS).problems if p.is_error]


def test_corpus_covers_every_file():
    files = {p.name for p in BAD.iterdir()}
    assert files == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_mistake_is_reported_at_its_cell(name):
    code, sheet, row, letter = CORPUS[name]
    errors = _errors(BAD / name)
    assert [(p.code, p.sheet, p.row, p.letter) for p in errors] == [(code, sheet, row, letter)]
    expected_file = str(BAD / name / "b.csv") if name == "across_files" else str(BAD / name)
    assert errors[0].file == expected_file
    what, fix = errors[0].texts("zh")
    assert what and fix  # a message and a way to fix it, in Chinese
    assert all(errors[0].texts("en"))


@pytest.fixture(scope="module")
def populated_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("db") / "processed"
    assert (
        main(
            [
                "ingest",
                str(INTAKE / "good" / "utf8.csv"),
                "--regions",
                str(REGIONS),
                "--db",
                str(db),
            ]
        )
        == 0
    )
    return db


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_validate_and_ingest_fail_and_leave_the_database_unchanged(
    name, populated_db, tmp_path, capsys
):
    db = tmp_path / "processed"
    shutil.copytree(populated_db, db)
    before = _snapshot(db)
    args = [str(BAD / name), "--regions", str(REGIONS)]
    assert main(["validate", *args]) == 1
    assert main(["ingest", *args, "--db", str(db)]) == 1
    out = capsys.readouterr()
    assert "错误" in out.out and "数据库没有任何改动" in out.err
    assert _snapshot(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed"]  # no staging left


def test_english_messages_by_flag(capsys):
    assert (
        main(
            [
                "validate",
                str(BAD / "unknown_region.csv"),
                "--regions",
                str(REGIONS),
                "--lang",
                "en",
                "--format",
                "csv",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "region '金林' is not in the regions file" in out
    assert "use one of: 金林区、甲镇、乙镇" in out


def test_all_problems_are_collected_not_just_the_first(tmp_path):
    lines = (BAD / "unknown_region.csv").read_text(encoding="utf-8").splitlines()
    lines += (BAD / "year_out_of_range.csv").read_text(encoding="utf-8").splitlines()[1:]
    lines += (BAD / "not_a_number.csv").read_text(encoding="utf-8").splitlines()[1:]
    path = tmp_path / "three.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [(p.code, p.row) for p in _errors(path)] == [
        ("unknown_region", 2),
        ("year_out_of_range", 3),
        ("not_a_number", 4),
    ]


@pytest.mark.parametrize("name", ["utf8.csv", "utf8_bom.csv", "gb18030.csv"])
def test_csv_encodings_are_read_alike(name):
    result = validate_files([INTAKE / "good" / name], regions=REGIONS)
    assert result.ok, result.problems
    row = result.observations.iloc[0]
    assert (row["indicator_id"], row["region"], row["numerator"], row["note"]) == (
        "neonatal_mortality",
        "金林区",
        1,
        "含1例早产",
    )


def test_percent_formatted_cell_is_read_as_shown_with_a_warning():
    result = validate_files([INTAKE / "good" / "percent_cell.xlsx"], regions=REGIONS)
    assert result.ok
    assert result.observations["value"].tolist() == [96.5]
    assert [(p.code, p.row, p.letter) for p in result.warnings] == [("percent_cell", 2, "D")]
