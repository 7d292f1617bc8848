"""`jinlin catalog` lists any plan file: the bundled one, another district's, the next plan's."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

from conftest import FIXTURES

from jinlin_analysis.cli import main

CSV_COLUMNS = [
    "id",
    "domain",
    "name",
    "unit",
    "target_type",
    "target_value",
    "baseline_year",
    "scope",
    "source",
]


def _catalog_rows(capsys, *args: str) -> list[dict[str, str]]:
    assert main(["catalog", "--format", "csv", *args]) == 0
    reader = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert reader.fieldnames == CSV_COLUMNS
    return list(reader)


def test_catalog_csv_lists_every_target_with_type_value_and_quote(capsys, plan):
    rows = {row["id"]: row for row in _catalog_rows(capsys)}
    assert len(rows) == len(plan.indicators)
    assert rows["neonatal_mortality"] == {
        "id": "neonatal_mortality",
        "domain": "health",
        "name": "新生儿死亡率",
        "unit": "‰",
        "target_type": "at_most",
        "target_value": "3.5",
        "baseline_year": "",
        "scope": "district",
        "source": "新生儿访视率保持在90%以上，新生儿死亡率降至3.5‰以下。",
    }
    assert rows["immunisation_coverage"]["scope"] == "each_town"
    assert rows["injury_mortality"]["baseline_year"] == "2020"


def test_catalog_reads_another_plan_file(capsys):
    rows = _catalog_rows(capsys, "--plan", str(FIXTURES / "plans" / "next_plan_2026_2030.yaml"))
    assert [row["id"] for row in rows] == ["infant_mortality", "hotline"]
    assert rows[0]["target_value"] == "4"


def test_catalog_table_is_readable(capsys):
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "neonatal_mortality" in out and "新生儿死亡率" in out and "at_most" in out


def test_bad_plan_exits_non_zero_with_the_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (FIXTURES / "plans" / "next_plan_2026_2030.yaml")
        .read_text(encoding="utf-8")
        .replace("type: at_most", "type: below"),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "jinlin_analysis.cli", "catalog", "--plan", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "bad.yaml" in result.stderr
    assert "indicator 'infant_mortality', field 'target.type'" in result.stderr
    assert result.stdout == ""
