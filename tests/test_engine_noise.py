"""Small counts: the fit does not chase noise and intervals cover the reported value."""

import numpy as np
import pandas as pd
import pytest
from engine_helpers import plan
from scipy import stats

from jinlin_analysis.engine import assess
from jinlin_analysis.engine.calibration import path_scores
from jinlin_analysis.engine.forecast import SeriesArrays, point_forecasts
from jinlin_analysis.engine.noise import draw_observed, whittaker, whittaker_mean
from jinlin_analysis.engine.transforms import from_z
from jinlin_analysis.engine.volatility import volatility


def _simulated(n_series: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Mortality per 1000 with ~300 births and a known falling risk; also the 2025 count."""
    rng = np.random.default_rng(seed)
    rows, truth_2025 = [], []
    for s in range(n_series):
        risk0 = rng.uniform(0.004, 0.012)
        slope = rng.uniform(-0.08, 0.0)
        for year in range(2015, 2026):
            births = int(rng.integers(250, 350))
            deaths = rng.binomial(births, risk0 * np.exp(slope * (year - 2015)))
            if year == 2025:
                truth_2025.append(deaths / births * 1000)
            else:
                rows.append(
                    {
                        "indicator_id": "low_mortality",
                        "region": f"镇{s}",
                        "year": year,
                        "numerator": deaths,
                        "denominator": births,
                        "value": round(deaths / births * 1000, 2),
                    }
                )
    return pd.DataFrame(rows), np.array(truth_2025)


def test_intervals_for_reported_small_count_rates_cover():
    obs, truth = _simulated(150, seed=3)
    result = assess(plan(), obs, as_of=2024).query(
        "indicator_id == 'low_mortality' and region != '测试区'"
    )
    result = result.set_index("region").loc[[f"镇{s}" for s in range(150)]]
    inside80 = (truth >= result["lower_80"].to_numpy()) & (truth <= result["upper_80"].to_numpy())
    inside95 = (truth >= result["lower_95"].to_numpy()) & (truth <= result["upper_95"].to_numpy())
    assert 0.72 <= inside80.mean() <= 0.97
    assert inside95.mean() >= 0.88
    # the fitted trend does not follow the jumps: it varies far less than the raw rate
    assert result["forecast"].between(0, 30).all()


def test_chance_swings_of_small_counts_are_not_volatile():
    years = np.arange(2015, 2025)
    deaths = np.array([[1, 0, 3, 0, 2, 0, 4, 1, 0, 2.0]])
    births = np.full((1, 10), 300.0)
    values = deaths / births * 1000
    flag, _notes = volatility(
        values, years, deaths, births, np.full((1, 10), 4.3), np.array([1000.0]), np.array([True])
    )
    assert not flag[0]


def test_real_jump_is_volatile():
    years = np.arange(2015, 2025)
    values = np.array([[90.0, 90.5, 91, 91.4, 92, 80, 92.6, 93, 93.5, 94]])
    flag, notes = volatility(values, years)
    assert flag[0] and "2020" in notes[0]


def _falling_counts(population: float) -> pd.DataFrame:
    """Injury deaths per 100,000 with a risk falling 6% a year; counts are the expected
    ones rounded, so the reported history itself never rises."""
    rows = []
    for year in range(2015, 2023):
        deaths = round(population * 20e-5 * np.exp(-0.06 * (year - 2015)))
        rows.append(
            {
                "indicator_id": "falling",
                "region": f"人口{population:.0f}",
                "year": year,
                "numerator": deaths,
                "denominator": population,
                "value": round(deaths / population * 1e5, 2),
            }
        )
    return pd.DataFrame(rows)


def test_small_counts_make_a_fall_every_year_unlikely():
    """持续下降 (keep_decreasing) with the same falling risk: a district of 20,000 children
    (3-4 deaths a year) will see some year rise by chance; 10 million will not."""
    obs = pd.concat([_falling_counts(20_000), _falling_counts(10_000_000)])
    result = assess(plan(), obs, as_of=2022).set_index("region")
    small, large = result.loc["人口20000", "p_attain"], result.loc["人口10000000", "p_attain"]
    assert small < 0.3
    assert large > 0.6


@pytest.mark.parametrize(
    ("births", "rate", "per", "binomial"),
    [
        (300, 5.0, 1000, True),  # ~1.5 deaths: exact small-count quantiles
        (1200, 8.0, 1000, True),
        (50, 90.0, 100, True),  # a coverage near its bound: searched by its failures
        (5000, 3.0, 1000, False),  # Poisson, variance 15: corrected normal
        (20000, 92.0, 100, True),  # large count: corrected normal
    ],
)
def test_simulated_counts_follow_the_binomial_or_poisson_law(births, rate, per, binomial):
    """Reported values on 16,384 quasi-random paths at a fixed rate: their counts have
    the exact sampling distribution (largest CDF gap under 0.002)."""
    scores = path_scores(1 << 14, 1, seed=3)
    values = draw_observed(
        np.full((1, len(scores), 1), rate),
        np.array([births]),
        np.array([float(per)]),
        np.array([binomial]),
        scores,
    )[0, :, 0]
    counts = np.round(values * births / per)
    law = stats.binom(births, rate / per) if binomial else stats.poisson(births * rate / per)
    ks = np.arange(counts.min(), counts.max() + 1)
    empirical = (counts[:, None] <= ks[None, :]).mean(axis=0)
    assert np.abs(empirical - law.cdf(ks)).max() < 0.002


def _counted_series(deaths: np.ndarray, births: np.ndarray, binomial: bool) -> SeriesArrays:
    """Deaths per 1000 births as the engine sees them: binomial bounds [0, 1000] (logit
    scale) or a rate bounded below only (log scale, Poisson)."""
    n, width = deaths.shape
    return SeriesArrays(
        years=np.arange(2015, 2015 + width),
        values=np.round(deaths / births * 1000, 2),
        lower=np.zeros(n),
        upper=np.full(n, 1000.0 if binomial else np.nan),
        eps=np.full(n, 0.005),
        numerator=deaths.astype(float),
        denominator=births.astype(float),
        per=np.full(n, 1000.0),
    )


def _fitted_rates(data: SeriesArrays) -> np.ndarray:
    fc = point_forecasts(data, 1, smoothing_q=0.001685)
    assert fc.has_counts.all()
    return from_z(fc.signal, data.lower, data.upper)


@pytest.mark.parametrize("binomial", [True, False])
def test_fitted_level_of_small_counts_is_unbiased(binomial):
    """A constant risk of 5 per 1000 with ~300 births a year (1-2 deaths): averaged over
    1,000 simulated districts the fitted rate is 5 per 1000, up to the series' half
    pseudo-death (+0.17 in 3,000 births, 3%). Least squares on the log of
    (deaths + 0.5)/(births + 1) put it at 5.7 (+14%)."""
    rng = np.random.default_rng(7)
    births = rng.integers(250, 351, (1000, 10))
    deaths = rng.binomial(births, 0.005) if binomial else rng.poisson(births * 0.005)
    fitted = _fitted_rates(_counted_series(deaths, births, binomial))
    assert np.isfinite(fitted).all()
    assert fitted.mean() == pytest.approx(5.0, rel=0.06)
    assert np.median(fitted[:, -1]) == pytest.approx(5.0, rel=0.1)  # the level forecast from


@pytest.mark.parametrize("binomial", [True, False])
def test_expected_deaths_add_up_to_the_deaths_seen(binomial):
    """The likelihood fit's score equation: expected counts sum to the observed ones plus
    the series' half pseudo-count, whatever the trend."""
    deaths = np.array([[0, 1, 1, 2, 2, 1, 0, 3, 1, 1], [3, 2, 1, 2, 3, 1, 1, 3, 1, 1]])
    births = np.array([[223, 209, 195, 193, 186, 144, 158, 159, 146, 147]] * 2)
    fitted = _fitted_rates(_counted_series(deaths, births, binomial))
    expected = (fitted / 1000 * (births + births / births.sum(axis=1, keepdims=True))).sum(axis=1)
    np.testing.assert_allclose(expected, deaths.sum(axis=1) + 0.5, rtol=1e-6)


@pytest.mark.parametrize("binomial", [True, False])
def test_no_deaths_at_all_gives_a_small_finite_rate(binomial):
    """Ten years without a death in ~3,000 births: half a death in all of them (0.17 per
    1000), not half a death in every year (1.7 per 1000); no log(0)."""
    births = np.full((1, 10), 300)
    fitted = _fitted_rates(_counted_series(np.zeros((1, 10), int), births, binomial))
    assert np.isfinite(fitted).all()
    np.testing.assert_allclose(fitted, 0.5 / 3001 * 1000, rtol=0.01)


@pytest.mark.parametrize("length", [3, 4, 10, 15])
def test_banded_smoother_equals_the_full_one(length):
    """whittaker_mean (banded Cholesky, used in every likelihood step) gives the signal of
    whittaker (matrix inverse), also with missing years."""
    rng = np.random.default_rng(length)
    z = rng.normal(-5, 0.5, (50, length))
    variance = rng.uniform(0.01, 2, (50, length))
    if length > 3:
        z[::4, 1] = np.nan
        variance[::5, -2] = np.inf
    full, _cov = whittaker(z, variance, 0.0017)
    np.testing.assert_allclose(whittaker_mean(z, variance, 0.0017), full, rtol=0, atol=1e-9)
