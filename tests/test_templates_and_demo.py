"""Templates round-trip; the committed demo data are exactly what the generator makes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from conftest import FIXTURES, ROOT

from jinlin_analysis.demo import generate_demo
from jinlin_analysis.demo.generator import load_scenario, simulate
from jinlin_analysis.regions import load_regions
from jinlin_analysis.templates import write_template
from jinlin_analysis.validation import validate_files

DEMO = ROOT / "data" / "raw" / "demo"
REGIONS = FIXTURES / "intake" / "regions.yaml"


def test_template_round_trip(tmp_path, plan):
    regions = load_regions(REGIONS)
    path = write_template(tmp_path / "t.xlsx", 2024, plan=plan, regions=regions, domains=["health"])
    book = openpyxl.load_workbook(path)
    sheet = book["儿童与健康"]
    assert sheet.protection.sheet  # reference cells are locked
    typed = {}
    for row in sheet.iter_rows(min_row=5):
        ident, region = row[0].value, row[2].value
        indicator = plan.indicator(ident)
        if indicator.is_milestone:
            row[11].value, row[13].value = "推进中", "已列入工作要点"
            typed[(ident, region)] = "推进中"
        elif indicator.counts is not None:
            numerator, denominator = 3, 400
            row[8].value = round(numerator / denominator * indicator.scale, 2)
            row[9].value, row[10].value = numerator, denominator
            typed[(ident, region)] = row[8].value
        else:
            row[8].value = 2
            typed[(ident, region)] = 2
    book.save(path)
    result = validate_files([path], plan=plan, regions=regions)
    assert result.ok, [p for p in result.errors]
    back = result.observations
    read = {
        (r.indicator_id, r.region): (r.status if pd.isna(r.value) else r.value)
        for r in back.itertuples()
    }
    assert read == typed
    assert {r for (i, r) in typed if i == "immunisation_coverage"} == set(regions.names)
    # every value cell carries the indicator's bounds as Excel data validation
    rules = [dv for dv in sheet.data_validations.dataValidation if dv.type == "decimal"]
    assert any(
        dv.operator == "between" and dv.formula1 == "0" and dv.formula2 == "100" for dv in rules
    )


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_regenerating_the_demo_reproduces_the_committed_files(tmp_path):
    written = generate_demo(tmp_path / "demo")
    assert sorted(p.name for p in written) == sorted(p.name for p in DEMO.iterdir())
    for path in written:
        committed = DEMO / path.name
        if path.suffix == ".xlsx":
            assert _members(path) == _members(committed), path.name
        else:
            assert path.read_bytes() == committed.read_bytes(), path.name


def test_demo_scenario_has_the_promised_behaviours(plan):
    frame = simulate(load_scenario(), plan)
    headline = frame[(frame["sex"] == "合计") & (frame["residence"] == "合计")]
    district = headline[headline["region"] == "金林区"]
    births = district[district["indicator_id"] == "neonatal_mortality"].set_index("year")[
        "denominator"
    ]
    assert births.iloc[0] > 400 and births.iloc[-1] < 300  # a few hundred births, falling
    deaths = district[district["indicator_id"] == "neonatal_mortality"]["numerator"]
    assert deaths.max() <= 5  # rates jump by chance on tiny counts
    towns = headline[
        (headline["indicator_id"] == "immunisation_coverage") & (headline["region"] != "金林区")
    ]
    lagging = towns[towns["value"] < 95]["region"].unique()
    assert len(lagging) == 1  # one town lags on immunisation
    years = district.groupby("indicator_id")["year"].nunique()
    assert (years < 10).sum() >= 2  # gaps: some indicators miss a year
    myopia = district[district["indicator_id"] == "myopia_rate_primary"].set_index("year")["value"]
    assert myopia[2024] > 38 > myopia[2015]  # moving the wrong way
    assert set(frame.loc[frame["sex"] != "合计", "indicator_id"]) >= {
        "neonatal_mortality",
        "myopia_rate_primary",
    }
    assert frame["note"].str.contains("溺水", na=False).any()


def test_late_submission_shows_as_not_reported():
    result = validate_files([DEMO / "2024_family.xlsx"])
    assert result.ok
    assert [(p.code, p.sheet) for p in result.warnings] == [("not_reported", "儿童与家庭")]
