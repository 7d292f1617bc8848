"""`jinlin assess` end to end on a file, and its error path."""

import pandas as pd
from engine_helpers import FIXTURE_PLAN, linear, series

from jinlin_analysis.cli import main
from jinlin_analysis.engine.assess import COLUMNS


def test_assess_writes_one_row_per_series(tmp_path):
    obs = pd.concat([series("high_coverage", linear(85, 1)), series("raised", linear(60, 1))])
    src = tmp_path / "obs.csv"
    obs.to_csv(src, index=False)
    (tmp_path / "regions.yaml").write_text("district: 测试区\ntowns: []\n", encoding="utf-8")
    out = tmp_path / "result.csv"
    assert (
        main(
            [
                "assess",
                "--plan",
                str(FIXTURE_PLAN),
                "--observations",
                str(src),
                "--as-of",
                "2022",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table.columns) == COLUMNS
    row = table[table["indicator_id"] == "high_coverage"].iloc[0]
    assert row["as_of"] == 2022 and row["last_year"] == 2022 and row["target_year"] == 2025
    assert 0 <= row["p_attain"] <= 1


def test_assess_bad_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "obs.csv"
    bad.write_text("foo,bar\n1,2\n")
    (tmp_path / "regions.yaml").write_text("district: 金林区\ntowns: []\n", encoding="utf-8")
    assert (
        main(
            [
                "assess",
                "--observations",
                str(bad),
                "--as-of",
                "2022",
                "--out",
                str(tmp_path / "o.csv"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "obs.csv" in err and "indicator_id" in err  # names the file and the missing column
    assert not (tmp_path / "o.csv").exists()


def test_assess_reads_the_monitoring_database_by_default(tmp_path, demo_database):
    out = tmp_path / "assessment.csv"
    args = ["assess", "--db", str(demo_database), "--as-of", "2024", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out)
    headline = table[(table["region"] == "金林区") & (table["sex"] == "合计")]
    assert set(headline["indicator_id"]) >= {"infant_mortality", "immunisation_coverage"}
    assert set(table["region"]) == {"金林区", "甲镇", "乙镇", "丙镇", "丁镇", "戊镇"}
