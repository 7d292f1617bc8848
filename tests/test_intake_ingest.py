"""Ingest of the demo data and the rules that lose nothing: no-op re-ingest, revisions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from jinlin_analysis import ingest as ingest_module
from jinlin_analysis.cli import main
from jinlin_analysis.database import load_database
from jinlin_analysis.dataset import SIMULATED_LABEL
from jinlin_analysis.ingest import ingest
from jinlin_analysis.problems import DataProblems
from jinlin_analysis.validation import read_observations

DEMO = ROOT / "data" / "raw" / "demo"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "processed"
    result = ingest([DEMO], db_dir=db, who="tester")
    assert result.changed and result.added > 1000 and result.revised == 0
    return db


def test_demo_database_is_labelled_simulated_with_provenance(demo_db, plan):
    database = load_database(demo_db)
    assert database.simulated and database.data_label == SIMULATED_LABEL
    assert database.regions.district == "金林区" and 4 <= len(database.regions.towns) <= 6
    frame = database.observations
    assert set(frame["indicator_id"]) >= {i.id for i in plan.measurable}
    assert frame[["source_file", "source_row", "source_sha256", "ingested_at"]].notna().all().all()
    row = database.series("neonatal_mortality").iloc[-1]
    assert row["year"] == 2024
    assert (
        row["source_file"] == "data/raw/demo/2024_health.xlsx"
        and row["source_sheet"] == "儿童与健康"
    )
    assert set(frame.loc[frame["status"].notna(), "status"]) == {"未启动", "推进中", "已完成"}
    assert len(database.series("immunisation_coverage")) == 10


def test_reingest_is_a_no_op_byte_for_byte(demo_db, capsys):
    before = _snapshot(demo_db)
    assert main(["ingest", str(DEMO), "--db", str(demo_db)]) == 0
    assert "无变化" in capsys.readouterr().out
    assert _snapshot(demo_db) == before


def _changed_copy(tmp_path: Path) -> Path:
    """The safety history with one value changed, as a late correction would arrive."""
    folder = tmp_path / "correction"
    folder.mkdir()
    shutil.copy(DEMO / "dataset.yaml", folder)
    lines = (DEMO / "history_safety.csv").read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1].split(",")
    first[3], first[4] = str(float(first[3]) + 20.0), str(int(first[4]) + 0)
    (folder / "fix.csv").write_text(header + "\n" + ",".join(first) + "\n", encoding="utf-8")
    return folder / "fix.csv"


def test_changed_value_is_refused_then_revised_with_reason(demo_db, tmp_path):
    db = tmp_path / "processed"
    shutil.copytree(demo_db, db)
    changed = _changed_copy(tmp_path)
    before = _snapshot(db)
    with pytest.raises(DataProblems) as refused:
        ingest([changed], db_dir=db)
    assert [p.code for p in refused.value.problems] in (["value_mismatch"], ["changed_value"])
    assert _snapshot(db) == before


def test_revise_keeps_the_old_value_in_the_log(demo_db, tmp_path):
    db = tmp_path / "processed"
    shutil.copytree(demo_db, db)
    folder = tmp_path / "note"
    folder.mkdir()
    shutil.copy(DEMO / "dataset.yaml", folder)
    lines = (DEMO / "history_legal.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[-1] = "经复核，补报1例"
    cells[4] = str(int(cells[4]) + 1)
    cells[3] = f"{int(cells[4]) / int(cells[5]) * 100000:.2f}"
    (folder / "fix.csv").write_text(lines[0] + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    with pytest.raises(DataProblems) as refused:
        ingest([folder], db_dir=db, regions=DEMO / "regions.yaml")
    assert [p.code for p in refused.value.problems] == ["changed_value"]
    assert refused.value.problems[0].row == 2
    result = ingest(
        [folder],
        db_dir=db,
        regions=DEMO / "regions.yaml",
        revise=True,
        reason="检察院复核补报",
        who="统计局张三",
    )
    assert (result.revised, result.added) == (1, 0)
    database = load_database(db)
    (log,) = database.revisions.to_dict("records")
    assert (log["revised_by"], log["reason"]) == ("统计局张三", "检察院复核补报")
    assert log["numerator"] + 1 == log["new_numerator"]
    assert log["source_file"] == "data/raw/demo/history_legal.csv"
    current = database.series("juvenile_crime_rate").iloc[0]
    assert current["numerator"] == log["new_numerator"] and current["note"] == "经复核，补报1例"


def test_revise_needs_a_reason(tmp_path):
    with pytest.raises(Exception, match="--reason"):
        ingest([DEMO], db_dir=tmp_path / "db", revise=True)


def test_simulated_and_real_data_are_never_mixed(demo_db, tmp_path):
    db = tmp_path / "processed"
    shutil.copytree(demo_db, db)
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.csv").write_text(
        "indicator_id,region,year,value\nnewborn_visit_rate,金林区,2014,95.1\n", encoding="utf-8"
    )
    with pytest.raises(DataProblems) as refused:
        ingest([real], db_dir=db, years=range(2010, 2026))
    assert [p.code for p in refused.value.problems] == ["mixed_dataset"]


def test_interrupted_write_leaves_the_database_as_it_was(demo_db, tmp_path, monkeypatch):
    db = tmp_path / "processed"
    shutil.copytree(demo_db, db)
    before = _snapshot(db)
    real_write = ingest_module.write_table
    calls = []

    def write_then_die(folder, name, frame):
        calls.append(name)
        real_write(folder, name, frame)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stopped half-way through writing the new tables

    monkeypatch.setattr(ingest_module, "write_table", write_then_die)
    folder = tmp_path / "new"
    folder.mkdir()
    shutil.copy(DEMO / "dataset.yaml", folder)
    (folder / "a.csv").write_text(
        "indicator_id,region,year,value\nfamily_practice_activities,金林区,2024,2.3\n",
        encoding="utf-8",
    )
    with pytest.raises(KeyboardInterrupt):
        ingest([folder], db_dir=db, regions=DEMO / "regions.yaml")
    assert _snapshot(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "processed"]


def test_read_observations_gives_the_documented_columns():
    frame = read_observations(DEMO / "2024_welfare.xlsx")
    assert list(frame.columns) == [
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
    ]
    assert frame.attrs == {"simulated": True, "data_label": SIMULATED_LABEL}
    assert (frame["year"] == 2024).all()
