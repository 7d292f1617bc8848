"""The vectorised pool agrees with statsmodels, the reference implementation."""

import numpy as np
import pytest

from jinlin_analysis.engine import models


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(7)
    trend = np.cumsum(rng.normal(-0.05, 0.05, (40, 10)), axis=1)
    return trend + rng.normal(0, 0.02, (40, 10))


def test_drift_escap_theta_match_statsmodels(series):
    pool = models.pool(series, 5)
    for i, row in enumerate(series):
        ref = models.reference_forecasts(row, 5)
        np.testing.assert_allclose(pool[i, 0], ref["drift"], atol=1e-10)
        np.testing.assert_allclose(pool[i, 2], ref["escap"], atol=1e-10)
        # Theta: both search alpha for the same SSE; differences are far below the noise
        np.testing.assert_allclose(pool[i, 3], ref["theta"], atol=0.01 * np.std(row))


def test_damped_recursion_is_statsmodels_holt(series):
    """Same parameters -> the same forecasts to rounding (fixed alpha, beta, phi)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    params = np.array([0.6, 0.2, 0.9])
    for row in series[:10]:
        _, level, trend = models._holt_run(row[None], params[None, None, :])
        damp = np.cumsum(0.9 ** np.arange(1, 6))
        ours = level[0, 0] + damp * trend[0, 0]
        l0, b0 = models.holt_damped_initial(row[None])
        ref = ExponentialSmoothing(
            row,
            trend="add",
            damped_trend=True,
            initialization_method="known",
            initial_level=l0[0],
            initial_trend=b0[0],
        ).fit(smoothing_level=0.6, smoothing_trend=0.2, damping_trend=0.9, optimized=False)
        np.testing.assert_allclose(ours, ref.forecast(5), atol=1e-10)


def test_damped_parameter_search_close_to_statsmodels(series):
    """Grid + local search vs statsmodels' optimiser: in-sample fit nearly as good and
    forecasts close relative to the series' yearly variability."""
    ours, _ = models.damped(series, 5)
    gaps = []
    for i, row in enumerate(series):
        ref = models.reference_forecasts(row, 5)["damped"]
        gaps.append(np.abs(ours[i] - ref).max() / np.std(np.diff(row)))
    assert np.median(gaps) < 1.0
