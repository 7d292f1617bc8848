"""`jinlin assess` end to end on a file, and its error path."""

import pandas as pd
from engine_helpers import FIXTURE_PLAN, linear, series

from jinlin_analysis.cli import main
from jinlin_analysis.engine.assess import COLUMNS


def test_assess_writes_one_row_per_series(tmp_path):
    obs = pd.concat([series("high_coverage", linear(85, 1)), series("raised", linear(60, 1))])
    src = tmp_path / "obs.csv"
    obs.to_csv(src, index=False)
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
    assert "indicator_id" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
