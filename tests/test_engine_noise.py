"""Small counts: the fit does not chase noise and intervals cover the reported value."""

import numpy as np
import pandas as pd
import pytest
from engine_helpers import plan, series
from scipy import stats

from jinlin_analysis.engine import assess, noise
from jinlin_analysis.engine.calibration import path_scores
from jinlin_analysis.engine.forecast import SeriesArrays, gross_ratio_counts, point_forecasts
from jinlin_analysis.engine.noise import (
    draw_observed,
    sampling_variance,
    whittaker,
    whittaker_mean,
)
from jinlin_analysis.engine.transforms import LOG, from_z
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


def _reported_counts(rate: float, n: int, gross: bool) -> np.ndarray:
    """Counts reported on 16,384 quasi-random paths at a fixed rate (in %) out of n."""
    scores = path_scores(1 << 14, 1, seed=3)
    values = draw_observed(
        np.full((1, len(scores), 1), rate),
        np.array([float(n)]),
        np.array([100.0]),
        np.array([False]),
        scores,
        np.array([gross]),
    )[0, :, 0]
    return np.round(values * n / 100)


def test_gross_ratio_near_100_has_binomial_shortfall_noise():
    """义务教育巩固率 374/377: sd of half a point (sqrt(n p (1 - p)) = 1.7 children), so the
    80% interval of the reported value is about ±0.6 points, not Poisson's ±6.6."""
    counts = _reported_counts(374 / 377 * 100, 377, gross=True)
    lower, upper = np.quantile(counts / 377 * 100, [0.1, 0.9])
    assert 0.3 < (upper - lower) / 2 < 1.0
    law = stats.binom(377, 374 / 377)
    ks = np.arange(counts.min(), counts.max() + 1)
    empirical = (counts[:, None] <= ks[None, :]).mean(axis=0)
    assert np.abs(empirical - law.cdf(ks)).max() < 0.002


def test_gross_ratio_above_100_has_poisson_excess_noise():
    """毛入学率 106%: 100 children of the age group plus Poisson(6) from outside."""
    counts = _reported_counts(106.0, 100, gross=True)
    assert counts.min() >= 100
    law = stats.poisson(6)
    ks = np.arange(counts.min(), counts.max() + 1)
    empirical = (counts[:, None] <= ks[None, :]).mean(axis=0)
    assert np.abs(empirical - law.cdf(ks - 100)).max() < 0.002
    assert counts.std() == pytest.approx(np.sqrt(6), rel=0.05)


def test_a_rate_that_is_not_a_gross_ratio_is_drawn_as_before():
    """Per-1,000 counts stay Poisson: gross=False draws exactly what no flag draws."""
    scores = path_scores(1 << 10, 2, seed=5)
    rate = np.full((2, len(scores), 2), 3.0)
    args = (rate, np.array([5000.0, 40.0]), np.array([1000.0, 1000.0]), np.array([False, True]))
    plain = draw_observed(*args, scores)
    flagged = draw_observed(*args, scores, np.array([False, False]))
    np.testing.assert_array_equal(plain, flagged)


def test_gross_ratios_are_percentages_without_upper_bound():
    nan = np.nan
    lower = np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    upper = np.array([nan, nan, 100.0, 1000.0, nan])
    per = np.array([100.0, 1000.0, 100.0, 1000.0, nan])
    assert gross_ratio_counts(lower, upper, per).tolist() == [True, False, False, False, False]


def test_gross_ratio_sampling_variance_is_binomial_below_and_poisson_above():
    """Modelling-scale (log) variance of one year: (1 - p) / (n p) for 374/377, where the
    Poisson law gave 1 / (n p); above 100% the excess n (p - 1) over the squared count."""
    numerator = np.array([[374.0], [106.0], [374.0]])
    denominator = np.array([[377.0], [100.0], [377.0]])
    kind = np.full(3, LOG, dtype=np.int8)
    per = np.full(3, 100.0)
    var = sampling_variance(numerator, denominator, kind, per, gross=np.array([True, True, False]))
    n = denominator[:, 0] + 1  # with the half count of noise.count_value
    p = (numerator[:, 0] + 0.5) / (n + 1)
    assert var[0, 0] == pytest.approx((1 - p[0]) / (n[0] * p[0]))
    assert var[1, 0] == pytest.approx((0.5 + n[1] * (p[1] - 1)) / (n[1] * p[1]) ** 2)
    assert var[2, 0] == pytest.approx(1 / (n[2] * p[2]))
    assert var[0, 0] < var[2, 0] / 50


def test_gross_ratio_interval_in_assess_is_not_poisson_wide():
    """A gross ratio with counts 374/377 every year: the 80% interval for the reported
    2025 value spans a few points (mostly the trend's calibrated error), where Poisson
    noise made it over 20."""
    obs = series(
        "reach_hold", dict.fromkeys(range(2015, 2025), 99.2), numerator=374, denominator=377
    )
    row = assess(plan(), obs, as_of=2024).query("indicator_id == 'reach_hold'").iloc[0]
    assert row["lower_80"] < 99.2 < row["upper_80"]
    assert row["upper_80"] - row["lower_80"] < 5


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


def test_slope_prior_banded_solve_equals_the_full_system_and_none_changes_nothing():
    """The slope prior's Sherman-Morrison step in whittaker_mean gives the signal of the
    full system (whittaker); series without a prior (sd NaN) keep their signal exactly."""
    rng = np.random.default_rng(5)
    z = np.log(rng.uniform(2, 8, size=(6, 10)) / 1000)
    var = rng.uniform(0.2, 1.5, size=(6, 10))
    prior = noise.SlopePrior(mean=np.full(6, -0.04), sd=np.array([0.02, 0.05, np.nan] * 2))
    banded = noise.whittaker_mean(z, var, 0.0017, prior)
    full, _cov = noise.whittaker(z, var, 0.0017, prior)
    np.testing.assert_allclose(banded, full, atol=1e-10)
    plain = noise.whittaker_mean(z, var, 0.0017)
    np.testing.assert_array_equal(banded[[2, 5]], plain[[2, 5]])
    slope = lambda s: (s[:, -1] - s[:, 0]) / 9  # noqa: E731
    assert np.all(np.abs(slope(banded)[[0, 3]] + 0.04) <= np.abs(slope(plain)[[0, 3]] + 0.04))
