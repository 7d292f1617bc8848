"""The CJK font that reports ship: one file, used to measure chart text and to draw every page.

Readers open reports on intranet machines that may have no Chinese font at all, so each page
embeds the subset of `assets/fonts/JinlinSans-Regular.ttf` (Noto Sans CJK SC, OFL; see
`assets/fonts/README.md`) that its own text needs, as a WOFF data URI: the glyphs render in any
browser and nothing is fetched. vl-convert measures chart labels with the same font, so the
layout it computes matches what the browser draws.
"""

from __future__ import annotations

import base64
import html
import io
import re
from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).parent / "assets" / "fonts"
FONT_FILE = FONT_DIR / "JinlinSans-Regular.ttf"
FONT_FAMILY = "Jinlin Sans"
# What pages and charts ask for; the system fonts after ours only matter for characters the
# subset lacks (rare characters in a town's name, say), which `missing_characters` reports.
CSS_FONT_STACK = (
    f'"{FONT_FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", sans-serif'
)
_ALWAYS = frozenset(chr(c) for c in range(0x20, 0x7F))  # printable ASCII: cheap, often typed


@cache
def _font_bytes() -> bytes:
    return FONT_FILE.read_bytes()


@cache
def covered_characters() -> frozenset[str]:
    """Every character the shipped font can draw."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_font_bytes()), lazy=True)
    return frozenset(chr(code) for code in font.getBestCmap())


def missing_characters(text: str) -> set[str]:
    """Characters of `text` (other than whitespace and controls) the shipped font cannot draw."""
    return {c for c in set(text) if c.isprintable() and not c.isspace()} - covered_characters()


def subset_woff(text: str) -> bytes:
    """The shipped font cut down to the characters of `text`, as WOFF.

    WOFF rather than WOFF2: WOFF2's Brotli pass costs ~1 s per page for ~20 % fewer bytes.
    Deterministic: the same text gives the same bytes (no timestamps are recalculated).
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_font_bytes()), recalcTimestamp=False, recalcBBoxes=False)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []  # the shipped font has no layout tables (see its README)
    options.name_IDs = ["*"]  # keep the copyright and licence records the OFL asks for
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in set(text) | _ALWAYS}))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def font_face_css(text: str) -> str:
    """An @font-face rule embedding the subset for `text`: a page's only font, and no URL."""
    data = base64.b64encode(subset_woff(text)).decode("ascii")
    return (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: 400; '
        f'src: url(data:font/woff;base64,{data}) format("woff"); }}'
    )


@cache
def register_with_vl_convert() -> None:
    """Let vl-convert measure chart text with the shipped font (once per process)."""
    import vl_convert

    vl_convert.register_font_directory(str(FONT_DIR))


FONT_FACE_PLACEHOLDER = "/*jinlin-font-face*/"
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    """The text a reader sees in an HTML page: style sheets and tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", _STYLE.sub("", page)))


def embed_in_page(page: str) -> tuple[str, set[str]]:
    """Put the @font-face for the page's own text where FONT_FACE_PLACEHOLDER stands.

    Returns the page and the characters it shows that the shipped font lacks.
    """
    text = visible_text(page)
    return page.replace(FONT_FACE_PLACEHOLDER, font_face_css(text), 1), missing_characters(text)
