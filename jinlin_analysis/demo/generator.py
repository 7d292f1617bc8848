"""Simulate a small Heilongjiang district's monitoring data, as departments would submit it.

The district's real figures are not public, so the project ships a reproducible simulated
data set. Realism matters more than neatness: counts come from the processes behind them
(live births drawn each year, deaths and screened children drawn from them), so a rate
built on three deaths jumps from year to year exactly as a real one would. Which indicator
behaves how (met, too slow, wrong way, gaps, a lagging town) is the scenario file
`scenario.yaml` beside this module, not code.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from jinlin_analysis.atomic import current_umask
from jinlin_analysis.dataset import DATASET_FILE, SIMULATED_LABEL
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.observations import COLUMNS, RESIDENCES, SEXES, STATUSES, TOTAL
from jinlin_analysis.paths import RAW_DIR
from jinlin_analysis.plan import Indicator, Plan, Scope, load_plan
from jinlin_analysis.regions import REGIONS_FILE, Regions
from jinlin_analysis.templates import write_template

SCENARIO_PATH = Path(__file__).with_name("scenario.yaml")
DEMO_DIR = RAW_DIR / "demo"
# Departments that save CSVs from Chinese-language Excel send GB18030/GBK.
GB18030_DOMAINS = ("education",)


def generate_demo(
    out_dir: str | Path | None = None,
    seed: int | None = None,
    scenario_path: str | Path = SCENARIO_PATH,
    plan: Plan | None = None,
) -> list[Path]:
    """Write the demo data folder (manifest, regions, history CSVs, filled templates)."""
    scenario = load_scenario(scenario_path)
    plan = plan or load_plan()
    out_dir = Path(out_dir) if out_dir is not None else DEMO_DIR
    observations = simulate(scenario, plan, seed)
    regions = _regions(scenario)
    report_year = int(scenario["report_year"])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    os.chmod(staging, 0o777 & ~current_umask())
    try:
        files = _write_folder(staging, scenario, plan, regions, observations, report_year)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in files]


def load_scenario(path: str | Path = SCENARIO_PATH) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def simulate(scenario: Mapping[str, Any], plan: Plan, seed: int | None = None) -> pd.DataFrame:
    """All simulated observations, every year, in the long format (sources and notes filled)."""
    rng = np.random.default_rng(seed if seed is not None else scenario["seed"])
    years = list(range(scenario["years"][0], scenario["years"][1] + 1))
    world = _World(scenario, years, rng)
    missing = [i.id for i in plan.measurable if i.id not in scenario["indicators"]]
    if missing:
        raise JinlinError(f"scenario has no entry for measurable indicator(s): {missing}")
    rows: list[dict] = []
    cells_by_indicator: dict[str, dict[int, dict[tuple, tuple[int, int]]]] = {}
    for indicator in _included_first(plan.measurable, scenario["indicators"]):
        spec = scenario["indicators"][indicator.id]
        source = spec.get("source") or scenario["departments"][indicator.domain]
        for year in years:
            if year in spec.get("missing", []):
                continue
            produced = world.indicator_year(indicator, spec, year, cells_by_indicator)
            for row in produced:
                row.update(indicator_id=indicator.id, year=year, source=source)
                note = spec.get("notes", {}).get(year)
                if (
                    note
                    and row["region"] == world.district
                    and row["sex"] == TOTAL
                    and row["residence"] == TOTAL
                ):
                    row["note"] = note
                rows.append(row)
    rows.extend(_milestones(scenario, plan, years))
    frame = pd.DataFrame(rows)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    frame = frame[list(COLUMNS)]
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    return frame.reset_index(drop=True)


def _included_first(indicators: tuple[Indicator, ...], specs: Mapping[str, Any]) -> list[Indicator]:
    """Plan order, except that an indicator comes after those whose counts it includes."""
    ordered: list[Indicator] = []
    by_id = {i.id: i for i in indicators}

    def visit(indicator: Indicator) -> None:
        if indicator in ordered:
            return
        for other in specs[indicator.id].get("includes", []):
            visit(by_id[other])
        ordered.append(indicator)

    for indicator in indicators:
        visit(indicator)
    return ordered


class _World:
    """Populations by year and cell (town x sex x residence), shared by all indicators."""

    def __init__(self, scenario: Mapping[str, Any], years: list[int], rng: np.random.Generator):
        self.scenario = scenario
        self.rng = rng
        self.years = years
        self.district = scenario["regions"]["district"]
        towns = scenario["towns"]
        self.towns = list(towns)
        boys = scenario["boys_share"]
        self.cells = list(product(self.towns, SEXES[:2], RESIDENCES[:2]))
        shares = []
        for town, sex, residence in self.cells:
            urban = towns[town]["urban"]
            shares.append(
                towns[town]["share"]
                * (boys if sex == "男" else 1 - boys)
                * (urban if residence == "城镇" else 1 - urban)
            )
        self.shares = np.array(shares) / sum(shares)
        self.populations: dict[str, dict[int, np.ndarray]] = {}
        for name, spec in scenario["populations"].items():
            self.populations[name] = {}
            for offset, year in enumerate(years):
                mean = spec["start"] * (1 + spec["change"]) ** offset
                total = int(rng.poisson(mean)) if spec.get("random") else round(mean)
                self.populations[name][year] = rng.multinomial(total, self.shares)

    def denominators(self, spec: Mapping[str, Any], year: int) -> np.ndarray:
        base = spec["denominator"]
        cells = self.populations[base["population"]][year]
        fraction = base.get("fraction", 1.0)
        return cells if fraction == 1.0 else self.rng.binomial(cells, fraction)

    def indicator_year(
        self,
        indicator: Indicator,
        spec: Mapping[str, Any],
        year: int,
        done: dict[str, dict[int, dict[tuple, tuple[int, int]]]],
    ) -> list[dict]:
        kind = spec["kind"]
        if kind in ("count", "level"):
            value = _path(spec["path"], year)
            if kind == "count":
                value = int(self.rng.poisson(value)) if spec.get("poisson") else round(value)
            else:
                value = round(
                    value + self.rng.normal(0, spec.get("noise", 0)), spec.get("decimals", 1)
                )
            return [_row(self.district, value=value)]
        scale = indicator.scale
        if kind == "counts":  # counts known exactly: staff, beds, centres, villages
            numerator = round(_path(spec["numerator"], year, step=True))
            if "population" in spec["denominator"]:
                denominator = int(self.populations[spec["denominator"]["population"]][year].sum())
            else:
                denominator = round(_path(spec["denominator"], year, step=True))
            value = round(numerator / denominator * scale, spec.get("decimals", 2))
            return [_row(self.district, value, numerator, denominator)]
        # kind rate: each cell's count drawn from its denominator
        denominators = self.denominators(spec, year)
        risks = np.array([_risk(spec.get("risk", {}), cell) for cell in self.cells])
        risks = risks / float((self.shares * risks).sum())
        rate = _path(spec["path"], year) / scale
        included = np.zeros(len(self.cells), dtype=int)
        for other in spec.get("includes", []):
            other_cells = done[other][year]
            included += np.array([other_cells[cell][0] for cell in self.cells])
            rate -= _path(self.scenario["indicators"][other]["path"], year) / scale
            denominators = np.array([other_cells[cell][1] for cell in self.cells])
        probabilities = np.clip(rate * risks, 0, 1)
        numerators = included + self.rng.binomial(
            np.maximum(denominators - included, 0), probabilities
        )
        done.setdefault(indicator.id, {})[year] = {
            cell: (int(n), int(d))
            for cell, n, d in zip(self.cells, numerators, denominators, strict=True)
        }
        return self._publish(indicator, spec, numerators, denominators)

    def _publish(
        self,
        indicator: Indicator,
        spec: Mapping[str, Any],
        numerators: np.ndarray,
        denominators: np.ndarray,
    ) -> list[dict]:
        """The district total and the breakdowns the scenario asks for, each from its counts."""
        decimals = spec.get("decimals", 2)
        scale = indicator.scale

        def row(
            mask: np.ndarray, region: str, sex: str = TOTAL, residence: str = TOTAL
        ) -> dict | None:
            n, d = int(numerators[mask].sum()), int(denominators[mask].sum())
            if d == 0:  # no one at risk this year: no rate (e.g. no HIV-positive mothers)
                return None
            return _row(region, round(n / d * scale, decimals), n, d, sex, residence)

        everyone = np.ones(len(self.cells), dtype=bool)
        breakdown = list(spec.get("breakdown", []))
        if indicator.scope is Scope.EACH_TOWN and "town" not in breakdown:
            breakdown.append("town")
        rows = [row(everyone, self.district)]
        if "town" in breakdown:
            for town in self.towns:
                rows.append(row(np.array([c[0] == town for c in self.cells]), town))
        if "sex" in breakdown:
            for sex in SEXES[:2]:
                rows.append(
                    row(np.array([c[1] == sex for c in self.cells]), self.district, sex=sex)
                )
        if "residence" in breakdown:
            for residence in RESIDENCES[:2]:
                mask = np.array([c[2] == residence for c in self.cells])
                rows.append(row(mask, self.district, residence=residence))
        return [r for r in rows if r is not None]


def _row(
    region: str,
    value: float,
    numerator: int | None = None,
    denominator: int | None = None,
    sex: str = TOTAL,
    residence: str = TOTAL,
) -> dict:
    return {
        "region": region,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "sex": sex,
        "residence": residence,
    }


def _path(points: Mapping[int, float], year: int, step: bool = False) -> float:
    """The scenario's value in `year`: linear between the given years (or carried forward)."""
    years = sorted(points)
    if year <= years[0]:
        return float(points[years[0]])
    if year >= years[-1]:
        return float(points[years[-1]])
    before = max(y for y in years if y <= year)
    if step:
        return float(points[before])
    after = min(y for y in years if y > year)
    share = (year - before) / (after - before)
    return float(points[before] + share * (points[after] - points[before]))


def _risk(risks: Mapping[str, float], cell: tuple[str, str, str]) -> float:
    value = 1.0
    for part in cell:
        value *= risks.get(part, 1.0)
    return value


def _milestones(scenario: Mapping[str, Any], plan: Plan, years: list[int]) -> list[dict]:
    """Yearly status of each qualitative target from the plan's first year, with evidence."""
    spec = scenario["milestones"]
    default = spec["default"]
    rows = []
    first = plan.plan.base_year + 1
    for indicator in plan.milestones:
        item = {**default, **spec.get("items", {}).get(indicator.id, {})}
        source = item.get("source") or scenario["departments"][indicator.domain]
        for year in years:
            if year < first:
                continue
            if item.get("started") is None or year < item["started"]:
                status = STATUSES[0]
            elif item.get("completed") is None or year < item["completed"]:
                status = STATUSES[1]
            else:
                status = STATUSES[2]
            evidence = item.get("evidence", {}).get(status) or spec["evidence"][status]
            rows.append(
                {
                    "region": scenario["regions"]["district"],
                    "indicator_id": indicator.id,
                    "year": year,
                    "sex": TOTAL,
                    "residence": TOTAL,
                    "status": status,
                    "source": source,
                    "note": evidence.format(name=indicator.name, year=year) if evidence else None,
                }
            )
    return rows


def _regions(scenario: Mapping[str, Any]) -> Regions:
    spec = scenario["regions"]
    return Regions(
        district=spec["district"],
        towns=tuple(scenario["towns"]),
        simulated=True,
        note=spec.get("note", ""),
    )


def _write_folder(
    folder: Path,
    scenario: Mapping[str, Any],
    plan: Plan,
    regions: Regions,
    observations: pd.DataFrame,
    report_year: int,
) -> list[str]:
    manifest = {**scenario["dataset"], "simulated": True, "plan": plan.plan.id}
    header = f"# {SIMULATED_LABEL}：由 `jinlin demo-data` 生成，勿作真实统计使用。\n"
    (folder / DATASET_FILE).write_text(
        header + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (folder / REGIONS_FILE).write_text(regions.to_yaml(), encoding="utf-8")
    files = [DATASET_FILE, REGIONS_FILE]
    domain_of = {i.id: i.domain for i in plan.indicators}
    history = observations[observations["year"] < report_year]
    late = {i for i, spec in scenario["indicators"].items() if spec.get("late")}
    current = observations[
        (observations["year"] == report_year) & ~observations["indicator_id"].isin(late)
    ]
    for domain in plan.domains:
        mine = history[history["indicator_id"].map(domain_of) == domain]
        name = f"history_{domain}.csv"
        encoding = "gb18030" if domain in GB18030_DOMAINS else "utf-8"
        mine.to_csv(
            folder / name, index=False, encoding=encoding, lineterminator="\n", float_format="%.10g"
        )
        files.append(name)
    for domain in plan.domains:
        name = f"{report_year}_{domain}.xlsx"
        write_template(
            folder / name,
            year=report_year,
            plan=plan,
            regions=regions,
            domains=[domain],
            previous=observations,
            values=current[current["indicator_id"].map(domain_of) == domain],
            label=SIMULATED_LABEL,
        )
        files.append(name)
    return files
