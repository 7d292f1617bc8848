"""Environment variables the project reads (names only: importing this costs nothing)."""

# "interactive" (default) or "static": how charts leave a kernel (jinlin_analysis.charts.render).
CHART_MODE_VARIABLE = "JINLIN_CHARTS"
