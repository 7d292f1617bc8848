"""Build the CJK font that reports embed: jinlin_analysis/assets/fonts/JinlinSans-Regular.ttf.

Why a subset: a full Simplified Chinese font is 16 MB; reports must render Chinese on machines
with no CJK font and no internet, and every HTML page must stay under 2 MB. The subset keeps the
characters reports use, as TrueType outlines because fontTools subsets those ten times faster
than CFF: each page embeds its own subset of this file, made in about 0.1 s.

Source: Noto Sans CJK SC Regular (SIL Open Font License 1.1) from Debian's `fonts-noto-cjk`
package (`apt-get install fonts-noto-cjk`). Characters kept:
- GB 2312's symbol rows and its 3755 level-1 hanzi (the most frequent characters of modern
  Chinese), plus printable ASCII;
- every character in the plan files, the package's code, templates and notebooks, and any
  files given on the command line (e.g. a regions file with rare characters in town names).

The family is renamed "Jinlin Sans" (a modified version under the OFL keeps the licence and
copyright but need not keep the name; it also avoids being mistaken for a system font).

Usage: python scripts/build_cjk_font.py [EXTRA_TEXT_FILE ...]
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
TARGET = ROOT / "jinlin_analysis" / "assets" / "fonts" / "JinlinSans-Regular.ttf"
FAMILY = "Jinlin Sans"
ALWAYS = "¶·•…—–‘’“”℃±×÷≤≥≠‰‱"  # nbconvert's heading anchors, typography, statistics
TEXT_GLOBS = (
    "jinlin_analysis/**/*.py",
    "jinlin_analysis/**/*.yaml",
    "jinlin_analysis/**/*.j2",
    "notebooks/*.ipynb",
)


def gb2312_characters() -> set[str]:
    """GB 2312 rows 1-9 (symbols) and 16-55 (level-1 hanzi)."""
    rows = [*range(0xA1, 0xAA), *range(0xB0, 0xD8)]
    found = set()
    for high in rows:
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # unassigned code points
                found.add(bytes([high, low]).decode("gb2312"))
    return found


def project_characters(extra: list[Path]) -> set[str]:
    files = [p for pattern in TEXT_GLOBS for p in ROOT.glob(pattern)] + extra
    return {c for p in files for c in p.read_text(encoding="utf-8") if c.isprintable()}


def source_font() -> TTFont:
    collection = TTCollection(SOURCE, lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return TTFont(SOURCE, fontNumber=index, recalcTimestamp=False)
    raise SystemExit(f"{SOURCE_FAMILY} not found in {SOURCE}")


def to_truetype(font: TTFont) -> None:
    """CFF cubic outlines -> glyf quadratic outlines (fontTools' otf2ttf recipe)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and faster to subset
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    name = font["name"]
    for record_id in (16, 17, 3):
        name.removeNames(nameID=record_id)
    for record_id, value in {
        1: FAMILY,
        2: "Regular",
        3: f"{FAMILY.replace(' ', '')}-Regular;subset of NotoSansCJKsc-Regular 2.004",
        4: f"{FAMILY} Regular",
        6: f"{FAMILY.replace(' ', '')}-Regular",
        10: "Subset of Noto Sans CJK SC Regular 2.004 for jinlin_analysis reports.",
    }.items():
        name.setName(value, record_id, 3, 1, 0x409)
        name.setName(value, record_id, 1, 0, 0)


def main(argv: list[str]) -> None:
    characters = gb2312_characters() | project_characters([Path(a) for a in argv])
    characters |= {chr(c) for c in range(0x20, 0x7F)} | set(ALWAYS)
    font = source_font()
    options = subset.Options()
    # No OpenType layout (GSUB/GPOS: locl and vert would pull in JP/KR/TC glyphs; Latin kerning
    # is not worth the 0.5 s that decoding GPOS adds to every page's subset) and no vertical
    # metrics: reports set text horizontally.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(TARGET)
    covered = len(font.getBestCmap())
    print(f"{TARGET.relative_to(ROOT)}: {covered} characters, {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
