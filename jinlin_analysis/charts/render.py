"""How charts leave the kernel: interactive in JupyterLab, a static spec in report runs.

One switch, the environment variable JINLIN_CHARTS (`interactive`, the default, or `static`;
the report runner sets `static` for its kernels), or `use(mode)` in a notebook. Notebook code
is the same either way: build an altair chart and display it.

- interactive: altair's JupyterChart widget with its JavaScript bundled by vl-convert, so
  tooltips, dropdowns and selections work in JupyterLab with no internet access.
- static: the Vega-Lite spec as a plain mimetype output; the report exporter turns it into an
  inline SVG with the shipped font (`jinlin_analysis.charts.static`). The kernel never starts
  the JavaScript engine, which keeps each report page ~1.5 s cheaper.

Either way every chart carries the data label ("示例数据（模拟）") as its subtitle when set.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Literal

import altair as alt

from jinlin_analysis.charts.theme import vega_config
from jinlin_analysis.environment import CHART_MODE_VARIABLE

Mode = Literal["interactive", "static"]
MODE_VARIABLE = CHART_MODE_VARIABLE
VEGALITE_MIMETYPE = f"application/vnd.vegalite.v{alt.SCHEMA_VERSION.split('.')[0][1:]}+json"
FROM_DATA_KEY = "jinlin_from_data"
_state: dict[str, Any] = {"mode": None, "data_label": ""}


def mode() -> Mode:
    """The current chart mode (from `use`, else JINLIN_CHARTS, else interactive)."""
    if _state["mode"] is None:
        chosen = os.environ.get(MODE_VARIABLE, "interactive")
        if chosen not in ("interactive", "static"):
            raise ValueError(f"{MODE_VARIABLE} must be 'interactive' or 'static', not {chosen!r}")
        _state["mode"] = chosen
    return _state["mode"]


def is_interactive() -> bool:
    return mode() == "interactive"


def use(chosen: Mode | None = None, *, data_label: str | None = None) -> None:
    """Enable the project's theme and renderer; optionally force a mode and set the data label."""
    if chosen is not None:
        if chosen not in ("interactive", "static"):
            raise ValueError(f"chart mode must be 'interactive' or 'static', not {chosen!r}")
        _state["mode"] = chosen
    if data_label is not None:
        _state["data_label"] = data_label
    alt.theme.enable("jinlin")
    alt.renderers.enable("jinlin")
    if mode() == "static":
        _display_without_validation()


def _display_without_validation() -> None:
    """Report kernels: show charts without altair's JSON-schema validation.

    Validation is half of a domain page's run time (37 fan charts: ~5 s of ~10 s). It adds
    nothing there: vl-convert renders every spec at export and fails the page on an invalid
    one, and tests/test_charts.py validates every builder's output.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    alt.utils.schemapi.disable_debug_mode()  # no validation of each part as it is built
    shell.display_formatter.mimebundle_formatter.for_type(alt.TopLevelMixin, _unvalidated)


def _unvalidated(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return _render(chart.to_dict(validate=False, context={"pre_transform": False}))


def label_spec(spec: dict[str, Any], data_label: str) -> dict[str, Any]:
    """A copy of a Vega-Lite spec whose title carries `data_label` as a subtitle (idempotent)."""
    if not data_label or spec.get("usermeta", {}).get(FROM_DATA_KEY) is False:
        return spec
    title = spec.get("title", "")
    title = dict(title) if isinstance(title, dict) else {"text": title}
    subtitle = title.get("subtitle", [])
    subtitle = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    if data_label in subtitle:
        return spec
    title["subtitle"] = [*subtitle, data_label]
    labelled = copy.copy(spec)
    labelled["title"] = title
    return labelled


def not_from_data(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Mark a chart built from the plan alone (no monitoring data): it gets no data label."""
    return chart.properties(usermeta={FROM_DATA_KEY: False})


def _render(spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    spec = label_spec(spec, _state["data_label"])
    if mode() == "static":
        return {VEGALITE_MIMETYPE: spec, "text/plain": "<图表：见导出的报告页面>"}
    from altair.vegalite.v6.display import jupyter_renderer

    return jupyter_renderer(spec, **{**metadata, "offline": True})


@alt.theme.register("jinlin", enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {"config": vega_config()}  # type: ignore[return-value]


alt.renderers.register("jinlin", _render)
