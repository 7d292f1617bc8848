"""Small builders of observation tables for the engine tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jinlin_analysis.plan import load_plan

FIXTURE_PLAN = Path(__file__).parent / "fixtures" / "plans" / "engine_all_types.yaml"


def plan():
    return load_plan(FIXTURE_PLAN)


def series(
    indicator_id: str, values: dict[int, float], region: str = "测试区", **extra
) -> pd.DataFrame:
    rows = [
        {"indicator_id": indicator_id, "region": region, "year": y, "value": v, **extra}
        for y, v in values.items()
    ]
    return pd.DataFrame(rows)


def linear(start: float, step: float, years=range(2015, 2025)) -> dict[int, float]:
    return {y: round(start + step * (y - years[0]), 1) for y in years}
