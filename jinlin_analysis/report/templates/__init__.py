"""Templates and style of exported pages: the nbconvert template `jinlin`, the index page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinlin_analysis.charts.theme import DATA_LABEL_COLOR, STATUS_COLORS
from jinlin_analysis.fonts import CSS_FONT_STACK

TEMPLATES_DIR = Path(__file__).parent


@cache
def report_css() -> str:
    """The report's own style sheet, shared by every page and the index."""
    css = (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")
    chips = "\n".join(
        f".jinlin-status-{code} {{ background: {color}; color: {_ink(color)}; }}"
        for code, color in STATUS_COLORS.items()
    )
    return (
        css.replace("$FONT_STACK", CSS_FONT_STACK).replace("$LABEL_COLOR", DATA_LABEL_COLOR)
        + "\n"
        + chips
    )


def _ink(background: str) -> str:
    """Black or white text, whichever reads better on `background` (#rrggbb)."""
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"
