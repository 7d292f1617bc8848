"""The 波动较大 flag: unusual swings, told apart from the chance swings of small counts.

XmR (individuals and moving range) control chart, as in NHS England's "Making Data Count",
applied to the residuals of a straight-line trend (plan indicators are meant to trend, so
a steady trend is not itself a signal): natural process limits mean +/- 2.66 x average
moving range, and a moving range above 3.267 x its average is a special cause too.

Where numerator and denominator are known, a year is also checked against 99.8% Poisson
(or binomial) funnel limits around the fitted underlying rate with that year's
denominator. A swing that XmR flags but that stays inside the funnel is chance variation
of small counts and does NOT make the series volatile; the note says so.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

MIN_POINTS = 5


def xmr_signals(values: np.ndarray) -> np.ndarray:
    """Boolean per year (series x years): special cause on the detrended XmR chart.

    Vectorised over series; moving ranges are taken between adjacent reported years."""
    width = values.shape[1]
    ok = np.isfinite(values)
    w = ok.astype(float)
    y = np.where(ok, values, 0.0)
    t = np.arange(width, dtype=float)
    cnt = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        tm = (w * t).sum(axis=1, keepdims=True) / cnt
        ym = y.sum(axis=1, keepdims=True) / cnt
        slope = (w * (t - tm) * (y - ym)).sum(axis=1, keepdims=True) / (
            (w * (t - tm) ** 2).sum(axis=1, keepdims=True)
        )
        resid = np.where(ok, y - ym - slope * (t - tm), np.nan)
        mr = np.abs(np.diff(resid, axis=1))
        avg = np.nanmean(mr, axis=1, keepdims=True)
        centre = np.nanmean(resid, axis=1, keepdims=True)
        outside = np.abs(resid - centre) > 2.66 * avg
        jump = np.concatenate([np.zeros((len(values), 1), bool), mr > 3.267 * avg], axis=1)
    usable = (cnt[:, 0] >= MIN_POINTS) & (avg[:, 0] > 1e-12)
    return (outside | jump) & ok & usable[:, None]


def funnel_outside(
    numerator: np.ndarray,
    denominator: np.ndarray,
    expected_rate: np.ndarray,
    per: np.ndarray,
    binomial: np.ndarray,
    coverage: float = 0.998,
) -> np.ndarray:
    """Boolean per year: the count lies outside the chance limits around the expected rate."""
    p = np.clip(expected_rate / per[:, None], 1e-12, None)
    n = np.round(denominator)
    lo_q, hi_q = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    with np.errstate(invalid="ignore"):
        pb = np.clip(p, 0, 1)
        lo = np.where(
            binomial[:, None], stats.binom.ppf(lo_q, n, pb), stats.poisson.ppf(lo_q, n * p)
        )
        hi = np.where(
            binomial[:, None], stats.binom.ppf(hi_q, n, pb), stats.poisson.ppf(hi_q, n * p)
        )
        out = (numerator < lo) | (numerator > hi)
    return out & np.isfinite(numerator) & np.isfinite(denominator)


def volatility(
    values: np.ndarray,
    years: np.ndarray,
    numerator: np.ndarray | None = None,
    denominator: np.ndarray | None = None,
    expected_rate: np.ndarray | None = None,
    per: np.ndarray | None = None,
    binomial: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """(volatile flag, Chinese note) per series."""
    signals = xmr_signals(values)
    n = values.shape[0]
    chance = np.zeros_like(signals)
    if numerator is not None and expected_rate is not None:
        outside = funnel_outside(numerator, denominator, expected_rate, per, binomial)
        counted = np.isfinite(numerator) & np.isfinite(denominator)
        chance = signals & counted & ~outside
        signals = signals & ~chance
    flag = signals.any(axis=1)
    enough = np.isfinite(values).sum(axis=1) >= MIN_POINTS
    notes = []
    for r in range(n):
        if not enough[r]:
            notes.append("数据点少于5个，未判断波动")
        elif flag[r]:
            yrs = "、".join(str(int(y)) for y in years[signals[r]])
            notes.append(f"{yrs}年超出XmR控制限，波动较大")
        elif chance[r].any():
            yrs = "、".join(str(int(y)) for y in years[chance[r]])
            notes.append(f"{yrs}年的起伏在小样本随机波动范围内（99.8%漏斗限）")
        else:
            notes.append("波动在正常范围内")
    return flag, notes
