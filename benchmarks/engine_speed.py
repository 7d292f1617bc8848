"""Speed of the engine against a plain per-series statsmodels loop of the same models.

Run: .venv/bin/python benchmarks/engine_speed.py [--reference-sample N]

1. The same 10,000 synthetic short series (10 annual points) are forecast by the
   vectorised pool (engine.models.pool) and by statsmodels one series at a time
   (engine.models.reference_forecasts: drift, damped Holt, WLS with ESCAP weights,
   ThetaModel). statsmodels takes minutes for all 10,000, so by default it runs on the first
   --reference-sample of them (default 10000 = all) and its rate is series per second.
2. A full `assess()` of 100,000 series: a synthetic plan of 100 indicators (all target
   types) x 1,000 regions, 2015-2024 data, as of 2024. Goal: under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from jinlin_analysis.engine import assess, models
from jinlin_analysis.plan import Plan

TYPES = [
    {"type": "at_least", "value": 90},
    {"type": "at_most", "value": 20},
    {"type": "maintain_at_least", "value": 85},
    {"type": "increase", "baseline_year": 2020},
    {"type": "decrease", "baseline_year": 2020},
    {"type": "reduce_by", "value": 10, "baseline_year": 2020},
    {"type": "keep_increasing", "baseline_year": 2020},
    {"type": "no_increase", "baseline_year": 2020},
]


def synthetic_series(n: int, length: int = 10, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0.03, 0.05, (n, length)), axis=1) + rng.normal(0, 0.02, (n, length))


def synthetic_plan(n_indicators: int) -> Plan:
    indicators = [
        {
            "id": f"ind_{i:04d}",
            "domain": "d",
            "name": f"指标{i}",
            "name_en": "x",
            "unit": "%",
            "bounds": [0, 100],
            "target": TYPES[i % len(TYPES)],
            "source": "x",
        }
        for i in range(n_indicators)
    ]
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
    rng = np.random.default_rng(seed)
    years = np.arange(2015, 2025)
    n = n_indicators * n_regions
    level = rng.uniform(60, 95, n)[:, None] + rng.normal(0.5, 0.5, n)[:, None] * (years - 2015)
    values = np.clip(level + rng.normal(0, 1, (n, len(years))), 0, 100).round(1)
    return pd.DataFrame(
        {
            "indicator_id": np.repeat(
                [f"ind_{i:04d}" for i in range(n_indicators)], n_regions * len(years)
            ),
            "region": np.tile(
                np.repeat([f"县{r:04d}" for r in range(n_regions)], len(years)), n_indicators
            ),
            "year": np.tile(years, n),
            "value": values.ravel(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference-sample", type=int, default=10_000)
    args = parser.parse_args()
    z = synthetic_series(10_000)
    start = time.perf_counter()
    models.pool(z, 5)
    engine_time = time.perf_counter() - start
    sample = z[: args.reference_sample]
    start = time.perf_counter()
    for row in sample:
        models.reference_forecasts(row, 5)
    ref_time = time.perf_counter() - start
    engine_rate = len(z) / engine_time
    ref_rate = len(sample) / ref_time
    print(f"pool on 10,000 series:      {engine_time:8.2f} s  {engine_rate:10.0f} series/s")
    print(f"statsmodels loop on {len(sample):>6,}: {ref_time:8.2f} s  {ref_rate:10.0f} series/s")
    print(f"speed-up: {engine_rate / ref_rate:.0f}x")

    plan = synthetic_plan(100)
    obs = synthetic_observations(100, 1000)
    start = time.perf_counter()
    result = assess(plan, obs, as_of=2024)
    total = time.perf_counter() - start
    print(
        f"assess() of {len(result):,} series (100 indicators x 1,000 regions): {total:.1f} s "
        f"({len(result) / total:,.0f} series/s)"
    )


if __name__ == "__main__":
    main()
