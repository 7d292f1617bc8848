"""The official deterministic progress measures, shown beside the engine's probability.

Both compare the compound annual growth rate achieved since a base year with the rate
needed to reach the target value by the target year (ratio = actual / required):

- UNSD SDG Progress Chart (Technical Note): >= 0.95 substantial progress / on track,
  0.5-0.95 fair progress (acceleration needed), -0.1-0.5 limited or no progress,
  < -0.1 deterioration.
- Open SDG / Eurostat-style: >= 0.95 substantial, 0.6-0.95 moderate, 0-0.6 negligible,
  < 0 deterioration.

A target already met is `target_met`. Targets without a number (increase, keep_*,
no_increase) have no required rate: ratio NaN, category `not_applicable`.
"""

from __future__ import annotations

import numpy as np

UNSD_CUTS = (0.95, 0.5, -0.1)
UNSD_NAMES = ("substantial_progress", "fair_progress", "limited_progress", "deterioration")
OPENSDG_CUTS = (0.95, 0.6, 0.0)
OPENSDG_NAMES = (
    "substantial_progress",
    "moderate_progress",
    "negligible_progress",
    "deterioration",
)


def growth_ratio(
    base_value: np.ndarray,
    base_year: np.ndarray,
    current_value: np.ndarray,
    current_year: np.ndarray,
    target_value: np.ndarray,
    target_year: np.ndarray,
) -> np.ndarray:
    """Actual / required compound annual growth rate (NaN where undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        actual = (current_value / base_value) ** (1 / (current_year - base_year)) - 1
        required = (target_value / base_value) ** (1 / (target_year - base_year)) - 1
        ratio = actual / required
    bad = (
        (base_value <= 0)
        | (current_value <= 0)
        | (target_value <= 0)
        | (current_year <= base_year)
        | (np.abs(required) < 1e-12)
    )
    return np.where(bad, np.nan, ratio)


def categorise(ratio: np.ndarray, already_met: np.ndarray, cuts, names) -> np.ndarray:
    out = np.select(
        [ratio >= cuts[0], ratio >= cuts[1], ratio >= cuts[2], ratio < cuts[2]],
        list(names),
        "not_applicable",
    ).astype(object)
    out[np.asarray(already_met, dtype=bool)] = "target_met"
    return out


def unsd_category(ratio: np.ndarray, already_met: np.ndarray) -> np.ndarray:
    return categorise(ratio, already_met, UNSD_CUTS, UNSD_NAMES)


def opensdg_category(ratio: np.ndarray, already_met: np.ndarray) -> np.ndarray:
    return categorise(ratio, already_met, OPENSDG_CUTS, OPENSDG_NAMES)
