"""Trend, forecast and early-warning engine (method: docs/engine.md).

Notebook entry points:
- assess(plan, observations, as_of, target_year=None) -> one row per target and series
- forecast_table(plan, observations, as_of, target_year=None) -> chart data (history + fan)
- model_forecasts(plan, observations, indicator_id, region, as_of, ...) -> each model's forecast
- series_backtest(plan, observations, indicator_id, region, as_of, ...) -> its own past errors
"""

from jinlin_analysis.engine.assess import assess, forecast_table
from jinlin_analysis.engine.deepdive import model_forecasts, series_backtest

__all__ = ["assess", "forecast_table", "model_forecasts", "series_backtest"]
