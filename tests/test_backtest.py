"""The backtest's real code path on a slice of the real international panel.

A neonatal-mortality (smooth, modelled) and a measles-coverage (rough, reported) panel for
every second country: calibration on the calibration split, evaluation on the other, as in
`jinlin backtest`, in a few seconds; and the full run, which must reproduce the committed
report (same text, same figures up to the last digit).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from jinlin_analysis.engine import backtest, panel
from jinlin_analysis.engine.calibration import Calibration

SLICE = ["SH.DYN.NMRT", "SH.IMM.MEAS"]


def _slice_cases() -> panel.Cases:
    data = panel.load_panel()
    data = data[data["indicator"].isin(SLICE)]
    countries = sorted(data["country_code"].unique())[::2]
    return panel.build_cases(data[data["country_code"].isin(countries)])


@pytest.fixture(scope="module")
def result() -> backtest.BacktestResult:
    return backtest.run_backtest(_slice_cases())


def _mean(result, method: str, column: str) -> float:
    iv = result.intervals
    return float(iv.loc[iv["method"] == method, column].mean())


def test_split_keeps_evaluation_out_of_calibration():
    meta = _slice_cases().meta
    cal, ev = meta[meta["split"] == "calibration"], meta[meta["split"] == "evaluation"]
    assert set(cal["country"]).isdisjoint(ev["country"])
    assert cal["origin"].max() <= panel.CALIBRATION_ORIGINS[1]
    assert ev["origin"].min() >= panel.EVALUATION_FIRST_ORIGIN


def test_calibrated_intervals_cover_where_plug_in_intervals_do_not(result):
    """Evaluation coverage within 5 points of 80% and 4 points of 95% for the engine; the
    plug-in normal intervals of naive and drift miss the same band by far."""
    assert 0.75 <= _mean(result, "engine", "coverage_80") <= 0.85
    assert 0.91 <= _mean(result, "engine", "coverage_95") <= 0.99
    for plug_in in ("naive", "drift"):
        assert _mean(result, plug_in, "coverage_80") < 0.70
        assert _mean(result, plug_in, "coverage_95") < 0.85


def test_engine_probabilities_have_skill_over_every_baseline(result):
    att = result.attainment.set_index(["method", "family"])["bss"]
    engine = att["engine", "all"]
    assert engine > 0.15
    for baseline in ("naive", "drift", "unsd", "opensdg"):
        assert engine > att[baseline, "all"] + 0.03
    # the path model: improving every year is judged better than by drift's random walk
    assert att["engine", "keep"] > att["drift", "keep"]


def test_events_are_not_trivially_met_or_missed(result):
    att = result.attainment
    rates = att[(att["method"] == "engine")].set_index("family")["base_rate"]
    assert ((rates > 0.15) & (rates < 0.85)).all()


def test_two_runs_give_identical_figures(result):
    again = backtest.run_backtest(_slice_cases())
    tables = (
        "intervals",
        "attainment",
        "reliability",
        "status_rates",
        "categories",
        "by_indicator",
    )
    for name in tables:
        pd.testing.assert_frame_equal(getattr(result, name), getattr(again, name))
    # JSON as shipped (the slice has no enrolment series, so its smoother variance is NaN)
    assert json.dumps(asdict(result.calibration)) == json.dumps(asdict(again.calibration))


def test_full_backtest_reproduces_the_committed_report(tmp_path):
    """`jinlin backtest` (about 15 s) rewrites the committed report and calibration file.

    Same text and same figures; a figure may differ in its last digit (and an event count by
    one or two of thousands), because machines with other SIMD units round sums differently
    and an event on a threshold can flip. Anything more is a real change: re-run the backtest
    and commit it."""
    full = backtest.run_backtest()
    md, png = backtest.write_report(full, tmp_path)
    committed = (backtest.DOCS / "backtest.md").read_text(encoding="utf-8")
    _assert_same_text_and_close_figures(md.read_text(encoding="utf-8"), committed)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shipped = json.loads(backtest.calibration_path().read_text())
    _assert_close_json(json.loads(json.dumps(asdict(full.calibration))), shipped)
    assert np.isfinite(Calibration.load().scale_floor)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _close(a: float, b: float, counts: bool = False) -> bool:
    """Last-digit rounding for figures; a couple of flipped events for counts."""
    slack = 2 if counts else 0.0015
    return abs(a - b) <= slack + 0.002 * max(abs(a), abs(b))


def _assert_same_text_and_close_figures(produced: str, committed: str) -> None:
    assert _NUMBER.sub("#", produced) == _NUMBER.sub("#", committed)
    pairs = zip(_NUMBER.findall(produced), _NUMBER.findall(committed), strict=True)
    far = [(a, b) for a, b in pairs if not _close(float(a), float(b), "." not in a + b)]
    assert not far, f"figures differ from docs/backtest.md: {far[:10]}"


def _assert_close_json(produced, committed, where: str = "calibration") -> None:
    if isinstance(committed, dict):
        assert produced.keys() == committed.keys(), where
        for key in committed:
            _assert_close_json(produced[key], committed[key], f"{where}.{key}")
    elif isinstance(committed, list):
        assert len(produced) == len(committed), where
        for k, (a, b) in enumerate(zip(produced, committed, strict=True)):
            _assert_close_json(a, b, f"{where}[{k}]")
    elif isinstance(committed, float) and isinstance(produced, float):
        assert _close(produced, committed) or (np.isnan(produced) and np.isnan(committed)), where
    else:
        assert produced == committed, where
