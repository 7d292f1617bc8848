"""The shipped CJK font: small, licensed, covers what reports print, subsets per page."""

from __future__ import annotations

import io

from conftest import ROOT
from fontTools.ttLib import TTFont

from jinlin_analysis.fonts import (
    FONT_DIR,
    FONT_FAMILY,
    FONT_FILE,
    font_face_css,
    missing_characters,
    subset_woff,
)


def test_font_covers_every_character_the_project_writes():
    """Plan files, templates, notebooks and code: if this fails, rerun the build script
    (scripts/build_cjk_font.py), which adds such characters."""
    files = [
        *(ROOT / "jinlin_analysis").rglob("*.py"),
        *(ROOT / "jinlin_analysis").rglob("*.yaml"),
        *(ROOT / "jinlin_analysis").rglob("*.j2"),
        *(ROOT / "notebooks").glob("*.ipynb"),
    ]
    for path in files:
        assert missing_characters(path.read_text(encoding="utf-8")) == set(), path


def test_font_covers_common_chinese_beyond_the_project():
    assert missing_characters("黑龙江省哈尔滨市儿童福利院、学校、社区卫生服务中心") == set()
    assert missing_characters("≤≥‰×÷（）【】《》“”、；：。，！？—…") == set()


def test_committed_font_is_small_and_licensed():
    assert FONT_FILE.stat().st_size < 1_400_000
    licence = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    assert "fonts-noto-cjk" in readme and "scripts/build_cjk_font.py" in readme
    names = TTFont(FONT_FILE)["name"]
    assert names.getDebugName(1) == FONT_FAMILY
    assert "Adobe" in names.getDebugName(0) and "Open Font License" in names.getDebugName(13)


def test_page_subset_holds_the_page_characters_only_and_is_deterministic(plan):
    text = " ".join(i.source for i in plan.indicators)
    woff = subset_woff(text)
    assert woff == subset_woff(text)
    assert len(woff) < 200_000
    font = TTFont(io.BytesIO(woff))
    cmap = set(map(chr, font.getBestCmap()))
    wanted = {c for c in text if not c.isspace()}
    assert wanted <= cmap
    assert len(cmap) < len(wanted) + 200  # ASCII is always in; little else
    assert "Open Font License" in font["name"].getDebugName(13)


def test_font_face_is_a_data_uri():
    css = font_face_css("金林区")
    assert css.startswith(f'@font-face {{ font-family: "{FONT_FAMILY}"')
    assert "url(data:font/woff;base64," in css and "http" not in css
