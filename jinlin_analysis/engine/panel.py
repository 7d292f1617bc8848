"""The real international panel used to calibrate intervals and to backtest the engine.

`data/raw/international/panel.csv` (a copy; see its README and SOURCES.md): WDI / UN IGME /
WUENIC / UNESCO / JME / WHO / JMP country series of child mortality, immunisation,
enrolment, stunting, anaemia, water and sanitation. Rolling-origin cases cut from it mimic
the district: histories of 3 to 10 annual points, forecasts 1 to 10 years ahead.

The split (fixed, documented in docs/engine.md): countries are divided in two halves by a
hash of their code. Calibration uses half A with origins 1990-2011 and outcomes no later
than 2012; evaluation uses half B with origins 2013 or later. Nothing from the evaluation
half or the evaluation years is used to set any parameter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jinlin_analysis.engine.forecast import SeriesArrays
from jinlin_analysis.paths import RAW_DIR

PANEL_PATH = RAW_DIR / "international" / "panel.csv"
MAX_H = 10
MIN_HISTORY, MAX_HISTORY_CASE = 3, 10
CALIBRATION_ORIGINS = (1990, 2011)
CALIBRATION_LAST_OUTCOME = 2012
EVALUATION_FIRST_ORIGIN = 2013

# bounds and direction of improvement of each panel series
SERIES = {
    "SH.DYN.MORT": ("under-5 mortality", (0, 1000), False),
    "SP.DYN.IMRT.IN": ("infant mortality", (0, 1000), False),
    "SH.DYN.NMRT": ("neonatal mortality", (0, 1000), False),
    "SH.IMM.IDPT": ("DTP3 coverage", (0, 100), True),
    "SH.IMM.MEAS": ("measles coverage", (0, 100), True),
    "SE.PRE.ENRR": ("pre-primary GER", (0, None), True),
    "SE.PRM.ENRR": ("primary GER", (0, None), None),  # >100 = over-age pupils: no direction
    "SE.SEC.ENRR": ("secondary GER", (0, None), True),
    "SH.STA.STNT.ME.ZS": ("stunting (modelled)", (0, 100), False),
    "SH.ANM.CHLD.ZS": ("anaemia", (0, 100), False),
    "SH.H2O.BASW.ZS": ("basic water", (0, 100), True),
    "SH.STA.BASS.ZS": ("basic sanitation", (0, 100), True),
}


def stable_hash(*parts: object) -> int:
    """A hash that is the same on every machine and run (unlike hash()); md5 because CRC32's
    low bits are linear in the input, which made two "independent" splits coincide."""
    digest = hashlib.md5("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def is_calibration_country(code: str) -> bool:
    return stable_hash("split", code) % 2 == 0


@dataclass
class Cases:
    """Rolling-origin cases: histories as SeriesArrays plus the values that followed."""

    meta: pd.DataFrame  # indicator, country, origin, n_history, split, higher_is_better
    history: SeriesArrays  # columns = origin-9 .. origin
    future: np.ndarray  # (n, MAX_H) values at origin+1 .. origin+MAX_H (NaN = unknown)


def load_panel() -> pd.DataFrame:
    panel = pd.read_csv(PANEL_PATH)
    return panel[panel["indicator"].isin(SERIES)]


def build_cases(panel: pd.DataFrame | None = None) -> Cases:
    """Every (series, origin) with >= 3 values in its window and a value at the origin."""
    panel = load_panel() if panel is None else panel
    first, last = int(panel["year"].min()), int(panel["year"].max())
    grid = np.arange(first, last + 1)
    metas, hists, futures, lowers, uppers, epss = [], [], [], [], [], []
    for indicator, rows in panel.groupby("indicator", sort=True):
        _, (lo, hi), better = SERIES[indicator]
        wide = rows.pivot(index="country_code", columns="year", values="value")
        wide = wide.reindex(columns=grid).sort_index()
        values = wide.to_numpy(dtype=float)
        decimals = _decimals(values)
        for r, country in enumerate(wide.index):
            calib = is_calibration_country(country)
            for c in np.flatnonzero(np.isfinite(values[r])):
                origin = int(grid[c])
                in_cal = calib and CALIBRATION_ORIGINS[0] <= origin <= CALIBRATION_ORIGINS[1]
                in_eval = (not calib) and origin >= EVALUATION_FIRST_ORIGIN
                if not (in_cal or in_eval):
                    continue
                length = MIN_HISTORY + stable_hash(indicator, country, origin) % (
                    MAX_HISTORY_CASE - MIN_HISTORY + 1
                )
                hist = np.full(MAX_HISTORY_CASE, np.nan)
                lo_c = max(c - length + 1, 0)
                hist[MAX_HISTORY_CASE - (c - lo_c + 1) :] = values[r, lo_c : c + 1]
                if np.isfinite(hist).sum() < MIN_HISTORY:
                    continue
                fut = np.full(MAX_H, np.nan)
                ahead = values[r, c + 1 : c + 1 + MAX_H]
                fut[: len(ahead)] = ahead
                if in_cal:
                    fut[grid[c] + np.arange(1, MAX_H + 1) > CALIBRATION_LAST_OUTCOME] = np.nan
                if not np.isfinite(fut).any():
                    continue
                metas.append(
                    (
                        indicator,
                        country,
                        origin,
                        length,
                        "calibration" if in_cal else "evaluation",
                        better,
                    )
                )
                hists.append(hist)
                futures.append(fut)
                lowers.append(lo)
                uppers.append(np.nan if hi is None else hi)
                epss.append(0.5 * 10.0**-decimals)
    meta = pd.DataFrame(
        metas,
        columns=["indicator", "country", "origin", "n_history", "split", "higher_is_better"],
    )
    history = SeriesArrays(
        years=np.arange(-MAX_HISTORY_CASE + 1, 1),
        values=np.array(hists),
        lower=np.array(lowers, dtype=float),
        upper=np.array(uppers, dtype=float),
        eps=np.array(epss),
    )
    return Cases(meta=meta, history=history, future=np.array(futures))


def _decimals(values: np.ndarray) -> int:
    """Reporting precision of a whole indicator (integers for WUENIC, else 3 decimals)."""
    finite = values[np.isfinite(values)]
    return 0 if np.allclose(finite, np.round(finite)) else 3


def subset(cases: Cases, mask: np.ndarray) -> Cases:
    return Cases(
        meta=cases.meta[mask].reset_index(drop=True),
        history=cases.history.take(mask),
        future=cases.future[mask],
    )
