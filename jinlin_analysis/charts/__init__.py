"""Charts for notebooks and reports: theme, interactive/static switch, builders.

Importing this package registers the project's altair theme and renderer; `use()` enables
them (the notebook set-up, `jinlin_analysis.notebook.setup`, calls it for you).
"""

from jinlin_analysis.charts.builders import (
    FAN_COLUMNS,
    HEATMAP_COLUMNS,
    MODEL_LABELS,
    STATUS_COUNT_COLUMNS,
    ChartInputError,
    errors_chart,
    fan_chart,
    models_chart,
    plan_targets_chart,
    series_explorer,
    status_bars,
    status_heatmap,
)
from jinlin_analysis.charts.render import (
    MODE_VARIABLE,
    is_interactive,
    label_spec,
    mode,
    not_from_data,
    use,
)
from jinlin_analysis.charts.theme import (
    STATUS_COLORS,
    STATUS_LABELS,
    format_number,
    status_label,
    vega_config,
)

__all__ = [
    "FAN_COLUMNS",
    "HEATMAP_COLUMNS",
    "MODEL_LABELS",
    "MODE_VARIABLE",
    "STATUS_COLORS",
    "STATUS_COUNT_COLUMNS",
    "STATUS_LABELS",
    "ChartInputError",
    "errors_chart",
    "fan_chart",
    "format_number",
    "is_interactive",
    "label_spec",
    "mode",
    "models_chart",
    "not_from_data",
    "plan_targets_chart",
    "series_explorer",
    "status_bars",
    "status_heatmap",
    "status_label",
    "use",
    "vega_config",
]
