from __future__ import annotations

from pathlib import Path

import pytest

from jinlin_analysis.plan import Plan, load_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()
