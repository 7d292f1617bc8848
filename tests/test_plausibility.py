"""The unusual-change warning respects small counts and catches unit slips."""

from __future__ import annotations

import pandas as pd

from jinlin_analysis.plausibility import unusual_changes


def _series(indicator: str, rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["year", "value", "numerator", "denominator"])
    frame["indicator_id"] = indicator
    frame["region"] = "金林区"
    frame["sex"] = frame["residence"] = "合计"
    frame[["_file", "_sheet", "_row"]] = ["x.csv", "", 2]
    return frame


def test_small_count_jumps_are_not_flagged_but_decimal_slips_are(plan):
    # neonatal deaths: 1-2 a year among ~300 births, then 4: the rate quadruples by chance
    history = _series(
        "neonatal_mortality",
        [
            (y, n / 300 * 1000, n, 300)
            for y, n in zip(range(2017, 2023), [1, 2, 0, 1, 2, 1], strict=True)
        ],
    )
    jump = _series("neonatal_mortality", [(2023, 4 / 290 * 1000, 4, 290)])
    assert unusual_changes(jump, plan, history) == []
    # immunisation typed as a proportion (0.97) instead of a percent (97)
    coverage = _series(
        "newborn_visit_rate",
        [(y, 96.0 + 0.3 * i, None, None) for i, y in enumerate(range(2017, 2023))],
    )
    slip = _series("newborn_visit_rate", [(2023, 0.97, None, None)])
    (problem,) = unusual_changes(slip, plan, coverage)
    assert problem.code == "unusual_change"
    assert "100 倍" in problem.texts("zh")[0]


def test_a_real_break_in_large_counts_is_flagged(plan):
    history = _series("newborn_visit_rate", [(y, 95.0, 950, 1000) for y in range(2018, 2023)])
    drop = _series("newborn_visit_rate", [(2023, 80.0, 800, 1000)])
    assert [p.code for p in unusual_changes(drop, plan, history)] == ["unusual_change"]
