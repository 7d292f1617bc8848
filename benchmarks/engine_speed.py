"""Speed of the engine against a plain per-series statsmodels loop, and of a full assess().

Run: .venv/bin/python benchmarks/engine_speed.py [--reference-budget SECONDS] [--skip-accuracy]

1. Pool: the same 10,000 synthetic short series (10 annual points) are forecast by the
   vectorised pool (engine.models.pool) and by statsmodels one series at a time
   (engine.models.reference_forecasts: drift, damped Holt, WLS with ESCAP weights,
   ThetaModel). The reference runs on all 10,000 unless a pilot of 200 says that would take
   longer than --reference-budget (default 180 s); then it runs on as many as fit and the
   output says that it sampled and extrapolates the rate.
2. Path accuracy: p_attain of multi-year targets from quasi-random (Sobol) paths and from
   1,000 plain random paths, against a 32,768-path reference, on 2,000 synthetic series.
3. A full assess() of 100,000 synthetic series of plan-like shapes: 100 indicators x 1,000
   regions, target types in the mix of the bundled plan, percentages, per-mille and
   per-100,000 rates and counts, about half of them with numerator and denominator (small
   populations included), data 2015-2022 with gaps, as of 2022 (three years to 2025).
   Goal: under 10 s on 2 cores. The machine's load average is printed first: rerun when
   another job is using the cores.

Figures of 2026-11-29 (2-core machine, load average 0.45 at the start; docs/engine.md §10):
pool 42,016 series/s vs statsmodels 33 series/s (4,990 of the 10,000 series; all would
take ~305 s): 1,280x. p_attain RMSE against 32,768 paths: 0.0075 with 256 Sobol paths,
0.0092 with 1,000 random paths. assess() of 100,000 series: 7.5 s wall, 11.6 s CPU
(6.8 s wall on the idle machine). The previous version of this script's workload (no
counts, as of 2024) took 59 s before the vectorisation and takes 4.3 s now.
"""

from __future__ import annotations

import os

# Single-threaded BLAS for both sides, set before numpy loads: multithreaded BLAS makes the
# per-series statsmodels loop 2.5x slower (thread start-up on tiny matrices), and the
# engine spreads its own blocks over the cores.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from jinlin_analysis.engine import assess, models  # noqa: E402
from jinlin_analysis.engine.calibration import path_scores  # noqa: E402
from jinlin_analysis.plan import Plan, load_plan  # noqa: E402

# (target, unit, bounds, per, has counts): cycled over the synthetic plan's indicators
SHAPES = [
    ({"type": "at_least", "value": 95}, "%", [0, 100], 100, True),
    ({"type": "at_most", "value": 3.5}, "‰", [0, 1000], 1000, True),
    ({"type": "increase", "baseline_year": 2020}, "%", [0, 100], None, False),
    ({"type": "maintain_at_least", "value": 90}, "%", [0, 100], 100, True),
    ({"type": "at_least", "value": 80}, "%", [0, 100], None, False),
    ({"type": "at_most", "value": 12}, "1/10万", [0, 100000], 100000, True),
    ({"type": "decrease", "baseline_year": 2020}, "%", [0, 100], 100, True),
    ({"type": "keep_increasing", "baseline_year": 2020}, "个", [0, None], None, False),
    ({"type": "at_least", "value": 90}, "%", [0, 100], 100, True),
    ({"type": "maintain_at_least", "value": 98}, "%", [0, 100], None, False),
    ({"type": "no_increase", "baseline_year": 2020}, "%", [0, 100], None, False),
    ({"type": "reduce_by", "value": 10, "baseline_year": 2020}, "1/10万", [0, 100000], None, False),
    ({"type": "keep_decreasing", "baseline_year": 2020}, "1/10万", [0, 100000], 100000, True),
    ({"type": "reach_and_maintain_at_least", "value": 85}, "%", [0, None], None, False),
    ({"type": "at_most", "value": 5}, "‰", [0, 1000], 1000, True),
    ({"type": "increase", "baseline_year": 2020}, "%", [0, 100], 100, True),
]
YEARS = np.arange(2015, 2023)
AS_OF = 2022


def synthetic_series(n: int, length: int = 10, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0.03, 0.05, (n, length)), axis=1) + rng.normal(0, 0.02, (n, length))


def synthetic_plan(n_indicators: int) -> Plan:
    indicators = []
    for i in range(n_indicators):
        target, unit, bounds, _per, counts = SHAPES[i % len(SHAPES)]
        indicator = {
            "id": f"ind_{i:04d}",
            "domain": "d",
            "name": f"指标{i}",
            "name_en": "x",
            "unit": unit,
            "bounds": bounds,
            "target": target,
            "source": "x",
        }
        if counts:
            indicator["counts"] = {"numerator": "事件数", "denominator": "人数"}
        indicators.append(indicator)
    return Plan.model_validate(
        {
            "plan": {
                "id": "bench",
                "title": "bench",
                "region": "全省",
                "base_year": 2020,
                "target_year": 2025,
            },
            "domains": {"d": "域"},
            "indicators": indicators,
        }
    )


def synthetic_observations(n_indicators: int, n_regions: int, seed: int = 2) -> pd.DataFrame:
    """Trends on each shape's natural scale; count shapes report numerator/denominator
    drawn from a small to large population (200 to 20,000), the rest a rounded value."""
    rng = np.random.default_rng(seed)
    frames = []
    t = YEARS - YEARS[0]
    regions = np.array([f"县{r:04d}" for r in range(n_regions)])
    for i in range(n_indicators):
        _target, unit, _bounds, per, counts = SHAPES[i % len(SHAPES)]
        n = n_regions
        if unit == "%":
            logit = rng.normal(2.5, 1.0, n)[:, None] + rng.normal(0.08, 0.08, n)[:, None] * t
            rate = 100 / (1 + np.exp(-(logit + rng.normal(0, 0.15, (n, len(t))))))
        elif unit == "个":
            rate = np.exp(
                rng.normal(3, 0.5, n)[:, None] + rng.normal(0.05, 0.04, n)[:, None] * t
            ) + rng.normal(0, 1, (n, len(t)))
            rate = np.maximum(np.round(rate), 0)
        else:  # rates per 1000 / per 100,000, falling
            scale = 8 if unit == "‰" else 15
            rate = np.exp(
                np.log(rng.uniform(0.5, 1.5, n) * scale)[:, None]
                + rng.normal(-0.05, 0.03, n)[:, None] * t
            )
        frame = pd.DataFrame(
            {
                "indicator_id": f"ind_{i:04d}",
                "region": np.repeat(regions, len(YEARS)),
                "year": np.tile(YEARS, n),
            }
        )
        if counts:
            population = np.exp(rng.uniform(np.log(200), np.log(20_000), n))[:, None]
            denominator = np.round(population * rng.uniform(0.9, 1.1, (n, len(t))))
            numerator = rng.binomial(denominator.astype(int), np.clip(rate / per, 0, 1))
            frame["numerator"] = numerator.ravel()
            frame["denominator"] = denominator.ravel()
            frame["value"] = np.round(numerator / denominator * per, 2).ravel()
        else:
            frame["value"] = np.round(rate, 1).ravel()
        gaps = rng.random(len(frame)) < 0.05
        frames.append(frame[~gaps | (frame["year"] == AS_OF)])
    return pd.concat(frames, ignore_index=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def pool_versus_statsmodels(budget: float) -> None:
    z = synthetic_series(10_000)
    start = time.perf_counter()
    models.pool(z, 5)
    engine_time = time.perf_counter() - start
    engine_rate = len(z) / engine_time
    pilot = 200
    start = time.perf_counter()
    for row in z[:pilot]:
        models.reference_forecasts(row, 5)
    pilot_rate = pilot / (time.perf_counter() - start)
    n_ref = len(z) if len(z) / pilot_rate <= budget else int(budget * pilot_rate)
    start = time.perf_counter()
    for row in z[:n_ref]:
        models.reference_forecasts(row, 5)
    ref_time = time.perf_counter() - start
    ref_rate = n_ref / ref_time
    print(f"pool (numpy) on 10,000 series:   {engine_time:8.2f} s  {engine_rate:10,.0f} series/s")
    if n_ref < len(z):
        print(
            f"statsmodels loop on {n_ref:,} of the 10,000 series (sampled: all 10,000 would "
            f"take ~{len(z) / ref_rate:.0f} s): {ref_time:.1f} s  {ref_rate:,.0f} series/s"
        )
    else:
        print(f"statsmodels loop on 10,000 series: {ref_time:8.2f} s  {ref_rate:10,.0f} series/s")
    print(f"speed-up: {engine_rate / ref_rate:,.0f}x")


def path_accuracy() -> None:
    """RMSE of p_attain (multi-year and count targets) against a 32,768-path reference."""
    plan = synthetic_plan(16)
    obs = synthetic_observations(16, 125, seed=5)

    module = sys.modules["jinlin_analysis.engine.assess"]  # the package exports assess()

    def p_attain(scores) -> np.ndarray:
        module.path_scores = scores
        try:
            result = assess(plan, obs, as_of=AS_OF)
        finally:
            module.path_scores = path_scores
        return result["p_attain"].to_numpy()

    def sobol(n):
        return lambda _n, dims, seed: path_scores(n, dims, seed)

    def plain(n, k):
        return lambda _n, dims, seed: np.random.default_rng(seed + k).standard_normal((n, dims))

    reference = p_attain(sobol(1 << 15))
    print(f"path accuracy on {np.isfinite(reference).sum():,} targets (vs 32,768 Sobol paths):")
    for label, makers in [
        ("1,000 random paths", [plain(1000, k) for k in range(3)]),
        *[(f"{n:,} Sobol paths", [sobol(n)]) for n in (128, 256, 512, 1024)],
    ]:
        errors = np.concatenate([p_attain(make) - reference for make in makers])
        errors = errors[np.isfinite(errors)]
        print(
            f"  {label:20s} RMSE {np.sqrt(np.mean(errors**2)):.4f}  "
            f"99th pct |error| {np.quantile(np.abs(errors), 0.99):.4f}"
        )
    print("  (the sampling noise of counts comes from the same scores as the trend paths)")


def full_assess() -> None:
    plan = synthetic_plan(100)
    obs = synthetic_observations(100, 1000)
    start, cpu = time.perf_counter(), time.process_time()
    result = assess(plan, obs, as_of=AS_OF)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    counted = obs.groupby("indicator_id")["numerator"].apply(lambda c: c.notna().any()).mean()
    print(
        f"assess() of {len(result):,} series (100 indicators x 1,000 regions, "
        f"{counted:.0%} with counts, as of {AS_OF}): {total:.1f} s wall, {cpu:.1f} s CPU "
        f"({len(result) / total:,.0f} series/s)  [goal: < 10 s]"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference-budget", type=float, default=180.0)
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    load_plan()  # warm imports
    print(load())
    pool_versus_statsmodels(args.reference_budget)
    if not args.skip_accuracy:
        path_accuracy()
    full_assess()
    print(load())


if __name__ == "__main__":
    main()
