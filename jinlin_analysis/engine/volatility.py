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
from numpy.dtypes import StringDType
from scipy import special

MIN_POINTS = 5
_TEXT = StringDType()


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
        avg = _nanmean(mr)
        centre = _nanmean(resid)
        outside = np.abs(resid - centre) > 2.66 * avg
        jump = np.concatenate([np.zeros((len(values), 1), bool), mr > 3.267 * avg], axis=1)
    usable = (cnt[:, 0] >= MIN_POINTS) & (avg[:, 0] > 1e-12)
    return (outside | jump) & ok & usable[:, None]


def _nanmean(a: np.ndarray) -> np.ndarray:
    """Row means over finite entries (NaN for none), without numpy's empty-slice warning."""
    ok = np.isfinite(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.where(ok, a, 0).sum(axis=1) / ok.sum(axis=1))[:, None]


def funnel_outside(
    numerator: np.ndarray,
    denominator: np.ndarray,
    expected_rate: np.ndarray,
    per: np.ndarray,
    binomial: np.ndarray,
    coverage: float = 0.998,
) -> np.ndarray:
    """Boolean per year: the count lies outside the chance limits around the expected rate.

    The limits are the (1 - coverage)/2 and (1 + coverage)/2 quantiles of the count; a
    count k is below the lower one when CDF(k) < (1 - coverage)/2 and above the upper one
    when CDF(k - 1) >= (1 + coverage)/2 (two CDF evaluations instead of two quantile
    searches)."""
    known = np.isfinite(numerator) & np.isfinite(denominator) & np.isfinite(expected_rate)
    p = np.where(known, np.clip(expected_rate / per[:, None], 1e-12, None), 0.5)
    n = np.where(known, np.round(denominator), 0).astype(np.int64)
    k = np.where(known, np.floor(numerator), 0).astype(np.int64)
    lo_q, hi_q = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    b = np.broadcast_to(binomial[:, None], k.shape)
    pb = np.clip(p, 0, 1)
    below = np.where(b, special.bdtr(k, n, pb), special.pdtr(k, n * p))
    upto_before = np.where(b, special.bdtr(k - 1, n, pb), special.pdtr(k - 1, n * p))
    upto_before = np.where(k >= 1, upto_before, 0.0)
    return known & ((below < lo_q) | (upto_before >= hi_q))


def volatility(
    values: np.ndarray,
    years: np.ndarray,
    numerator: np.ndarray | None = None,
    denominator: np.ndarray | None = None,
    expected_rate: np.ndarray | None = None,
    per: np.ndarray | None = None,
    binomial: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(volatile flag, Chinese note) per series; numerator etc. NaN where not known."""
    signals = xmr_signals(values)
    chance = np.zeros_like(signals)
    if numerator is not None and expected_rate is not None:
        counted = np.isfinite(numerator) & np.isfinite(denominator)
        # only a year that XmR flags needs the funnel
        rows, cols = np.nonzero(signals & counted)
        outside = np.zeros_like(signals)
        outside[rows, cols] = funnel_outside(
            numerator[rows, cols, None],
            denominator[rows, cols, None],
            expected_rate[rows, cols, None],
            per[rows],
            binomial[rows],
        )[:, 0]
        chance = signals & counted & ~outside
        signals = signals & ~chance
    flag = signals.any(axis=1)
    enough = np.isfinite(values).sum(axis=1) >= MIN_POINTS
    notes = np.where(
        ~enough,
        "数据点少于5个，未判断波动",
        np.where(
            flag,
            np.strings.add(_year_list(signals, years), "年超出XmR控制限，波动较大"),
            np.where(
                chance.any(axis=1),
                np.strings.add(
                    _year_list(chance, years), "年的起伏在小样本随机波动范围内（99.8%漏斗限）"
                ),
                "波动在正常范围内",
            ),
        ),
    )
    return flag, notes.astype(object)


def _year_list(marks: np.ndarray, years: np.ndarray) -> np.ndarray:
    """ "2019、2021" per row from a boolean (series x years) matrix, one column at a time."""
    out = np.full(len(marks), "", dtype=_TEXT)
    rows = np.flatnonzero(marks.any(axis=1))
    part = out[rows]
    for j in np.flatnonzero(marks.any(axis=0)):
        year = str(int(years[j]))
        joined = np.where(part == "", year, np.strings.add(part, "、" + year))
        part = np.where(marks[rows, j], joined, part).astype(_TEXT)
    out[rows] = part
    return out
