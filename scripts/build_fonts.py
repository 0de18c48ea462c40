"""Build the font subsets shipped in ``src/brandloom/documents/fonts`` (dev-only tool).

    python scripts/build_fonts.py                   # apt-get download the packages, then build
    python scripts/build_fonts.py --debs /tmp/debs  # use the .deb files already in that folder

Sources are Debian's ``fonts-noto-core`` and ``fonts-noto-cjk`` packages (SIL OFL 1.1). Without
``--debs`` the script runs ``apt-get download`` into a temporary folder (run ``apt-get update``
once before); the packages are unpacked with ``dpkg-deb -x`` into a temporary folder. Nothing is
installed system-wide.

Needs fontTools (``pip install fonttools``), a dev-only dependency. The output is reproducible:
the same source files and fontTools version give byte-identical fonts (no timestamps are
touched); ``MANIFEST.json`` records the source packages, the sha256 of every input and output
and the glyph/codepoint counts, so a rebuild can be checked with ``git diff``.

What is kept (see the fonts README): every OpenType layout feature (GSUB/GPOS/GDEF, needed for
Arabic joining, marks, kerning, ``locl`` forms), no hinting (PDF viewers rasterize without it;
it was 20-30 % of the size). Noto Sans CJK SC keeps the Japanese and Korean ``locl`` glyph
variants but drops the Traditional-Chinese (ZHT/ZHH) ones, which would cost ~2 MB per weight.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "brandloom" / "documents" / "fonts"
PACKAGES = ("fonts-noto-core", "fonts-noto-cjk")
TTF = "usr/share/fonts/truetype/noto"
OTF = "usr/share/fonts/opentype/noto"
CJK_SC_INDEX = 2  # face index of "Noto Sans CJK SC" in NotoSansCJK-*.ttc
CJK_DROP_LANGSYS = ("ZHT", "ZHH")  # Traditional Chinese / Hong Kong locl variants

Codepoints = set[int]


def _ranges(*pairs: tuple[int, int]) -> Codepoints:
    out: Codepoints = set()
    for lo, hi in pairs:
        out.update(range(lo, hi + 1))
    return out


def _codec(codec: str, leads: Iterable[int], trails: Iterable[int]) -> Codepoints:
    """Every character of a double-byte legacy charset (decoded through Python's codec)."""
    trails = list(trails)
    out: Codepoints = set()
    for lead in leads:
        for trail in trails:
            try:
                text = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            out.update(ord(ch) for ch in text)
    return out


# Latin (Basic, Latin-1, Extended A/B/Additional incl. Vietnamese, IPA), Greek (monotonic),
# Cyrillic (incl. supplement) and the punctuation, currency, letterlike, number-form, arrow,
# math, geometric and dingbat symbols a letter uses (as far as Noto Sans has them).
LATIN = _ranges(
    (0x0020, 0x007E),
    (0x00A0, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x052F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x22FF),
    (0x2460, 0x27BF),
    (0xFB00, 0xFB06),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFFC, 0xFFFD),
)

_CJK_SHARED = (
    LATIN & _ranges((0x0020, 0x024F), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x22FF))
    | _ranges(
        (0x2460, 0x24FF),  # enclosed alphanumerics
        (0x2500, 0x25FF),  # box drawing, block elements, geometric shapes
        (0x2600, 0x26FF),  # misc symbols (stars, suits, ...)
        (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0x3040, 0x30FF),  # hiragana, katakana
        (0x3100, 0x312F),  # bopomofo
        (0x3130, 0x318F),  # Hangul compatibility jamo
        (0x3190, 0x31FF),  # kanbun, bopomofo ext., CJK strokes, katakana phonetic ext.
        (0x3200, 0x33FF),  # enclosed CJK letters and months, CJK compatibility (squared)
        (0xFE30, 0xFE4F),  # CJK compatibility forms
        (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
    )
    # The non-ideograph rows of the national standards (symbols, Greek/Cyrillic, ...).
    | _codec("gb2312", range(0xA1, 0xB0), range(0xA1, 0xFF))
    | _codec("euc_jp", range(0xA1, 0xB0), range(0xA1, 0xFF))
    | _codec("euc_kr", range(0xA1, 0xAD), range(0xA1, 0xFF))
)
GB2312 = _codec("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF))  # 6,763 hanzi
JIS_X_0208 = _codec("euc_jp", range(0xB0, 0xF5), range(0xA1, 0xFF))  # 6,355 kanji
KS_X_1001_HANGUL = _codec("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))  # 2,350 syllables
# Jōyō kanji (2010) that are not in JIS X 0208.
JOYO_EXTRA = {0x20B9F, 0x5861, 0x525D, 0x9830, 0x7C82}
URO = _ranges((0x4E00, 0x9FFF))  # every CJK Unified Ideograph of the BMP's main block
HANGUL = _ranges((0xAC00, 0xD7A3))  # all 11,172 Hangul syllables

# The common set, regular and bold, as TrueType: the PDF writer subsets glyf fonts per
# document far faster than CFF ones (CJK documents render ~40 % faster).
CJK_COMMON = _CJK_SHARED | GB2312 | JIS_X_0208 | KS_X_1001_HANGUL | JOYO_EXTRA
# Everything else of the URO and of Hangul (rare name characters, ...): regular weight only,
# kept CFF (smaller), as the separate family "Noto Sans CJK SC Ext" the renderer falls back to.
CJK_EXT = (URO | HANGUL) - CJK_COMMON


@dataclass(frozen=True)
class Job:
    out: str
    source: str
    codepoints: Codepoints | None = None  # None: everything the font maps
    face: int = 0
    drop_langsys: tuple[str, ...] = ()
    truetype: bool = False  # convert CFF outlines to TrueType (quadratic) outlines
    family_suffix: str = ""  # appended to the family name (a separate family)


JOBS: tuple[Job, ...] = (
    Job("NotoSans-Regular.ttf", f"{TTF}/NotoSans-Regular.ttf", LATIN),
    Job("NotoSans-Bold.ttf", f"{TTF}/NotoSans-Bold.ttf", LATIN),
    Job("NotoSans-Italic.ttf", f"{TTF}/NotoSans-Italic.ttf", LATIN),
    Job("NotoSans-BoldItalic.ttf", f"{TTF}/NotoSans-BoldItalic.ttf", LATIN),
    Job("NotoNaskhArabic-Regular.ttf", f"{TTF}/NotoNaskhArabic-Regular.ttf"),
    Job("NotoNaskhArabic-Bold.ttf", f"{TTF}/NotoNaskhArabic-Bold.ttf"),
    Job("NotoSansHebrew-Regular.ttf", f"{TTF}/NotoSansHebrew-Regular.ttf"),
    Job("NotoSansHebrew-Bold.ttf", f"{TTF}/NotoSansHebrew-Bold.ttf"),
    Job("NotoSansDevanagari-Regular.ttf", f"{TTF}/NotoSansDevanagari-Regular.ttf"),
    Job("NotoSansDevanagari-Bold.ttf", f"{TTF}/NotoSansDevanagari-Bold.ttf"),
    Job("NotoSansThai-Regular.ttf", f"{TTF}/NotoSansThai-Regular.ttf"),
    Job("NotoSansThai-Bold.ttf", f"{TTF}/NotoSansThai-Bold.ttf"),
    Job(
        "NotoSansCJKsc-Regular.ttf",
        f"{OTF}/NotoSansCJK-Regular.ttc",
        CJK_COMMON,
        face=CJK_SC_INDEX,
        drop_langsys=CJK_DROP_LANGSYS,
        truetype=True,
    ),
    Job(
        "NotoSansCJKsc-Bold.ttf",
        f"{OTF}/NotoSansCJK-Bold.ttc",
        CJK_COMMON,
        face=CJK_SC_INDEX,
        drop_langsys=CJK_DROP_LANGSYS,
        truetype=True,
    ),
    Job(
        "NotoSansCJKscExt-Regular.otf",
        f"{OTF}/NotoSansCJK-Regular.ttc",
        CJK_EXT,
        face=CJK_SC_INDEX,
        drop_langsys=CJK_DROP_LANGSYS,
        family_suffix=" Ext",
    ),
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(folder: Path) -> None:
    """``apt-get download`` the source packages into ``folder``."""
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=folder, check=True)


def unpack(debs: Path, dest: Path) -> dict[str, str]:
    """Extract every source package found in ``debs`` into ``dest``; returns their versions."""
    versions: dict[str, str] = {}
    for package in PACKAGES:
        found = sorted(debs.glob(f"{package}_*.deb"))
        if not found:
            raise SystemExit(f"{package}_*.deb not found in {debs}")
        deb = found[-1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
        version = subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
        ).stdout.strip()
        versions[package] = version
    return versions


def _drop_langsys(font: TTFont, tags: tuple[str, ...]) -> None:
    if not tags:
        return
    for table_tag in ("GSUB", "GPOS"):
        if table_tag not in font:
            continue
        table = font[table_tag].table
        for record in table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [
                r for r in script.LangSysRecord if r.LangSysTag.strip() not in tags
            ]
            script.LangSysCount = len(script.LangSysRecord)


def build_one(job: Job, source_root: Path) -> TTFont:
    font = TTFont(
        source_root / job.source, fontNumber=job.face, recalcTimestamp=False, recalcBBoxes=True
    )
    _drop_langsys(font, job.drop_langsys)
    options = subset.Options()
    options.layout_features = ["*"]  # keep every shaping feature (Arabic joining, locl, kern)
    options.layout_scripts = ["*"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 11, 13, 14, 16, 17]  # names, copyright, license
    options.name_languages = [0x0409]
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.recalc_timestamp = False
    options.drop_tables += ["DSIG"]
    subsetter = subset.Subsetter(options)
    codepoints = job.codepoints if job.codepoints is not None else set(font.getBestCmap())
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    if job.family_suffix:
        _rename(font, job.family_suffix)
    if job.truetype:
        _to_truetype(font)
    return font


def _rename(font: TTFont, suffix: str) -> None:
    """Make the font a family of its own: "<family><suffix>" (PostScript name without spaces)."""
    names = font["name"]
    family = str(names.getDebugName(16) or names.getDebugName(1))
    ps_family = str(names.getDebugName(6)).split("-")[0]
    new_family = family + suffix
    new_ps = ps_family + suffix.replace(" ", "")
    for record in names.names:
        text = record.toUnicode()
        if record.nameID in (1, 3, 4, 16):
            record.string = text.replace(family, new_family)
        elif record.nameID == 6:
            record.string = text.replace(ps_family, new_ps)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [n.replace(ps_family, new_ps) for n in cff.fontNames]


def _to_truetype(font: TTFont) -> None:
    """Replace CFF outlines by TrueType ones (cubic -> quadratic within 1 font unit)."""
    glyph_set = font.getGlyphSet()
    order = font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def license_text(source_root: Path, notices: dict[str, str]) -> str:
    """The OFL 1.1 text as Debian ships it, after each family's own copyright notice."""
    text = (source_root / "usr/share/doc/fonts-noto-core/copyright").read_text(encoding="utf-8")
    match = re.search(r"^License: OFL-1\.1\n((?: .*\n?)+)", text, re.MULTILINE)
    if match is None:
        raise SystemExit("OFL text not found in fonts-noto-core's copyright file")
    lines = []
    for line in match.group(1).splitlines():
        line = line[1:] if line.startswith(" ") else line
        lines.append("" if line == "." else line)
    body = "\n".join(lines).strip()
    header = "".join(f"{family}: {notice}\n" for family, notice in sorted(notices.items()))
    return (
        header
        + "\nThe font files in this folder are subsets of those fonts (see README.md). They are\n"
        "licensed under the SIL Open Font License, Version 1.1, reproduced below.\n\n"
        "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\n\n" + body + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debs", type=Path, help="folder with the downloaded .deb packages")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        debs: Path = args.debs or Path(tmp) / "debs"
        if args.debs is None:
            debs.mkdir()
            fetch(debs)
        source_root = Path(tmp) / "root"
        versions = unpack(debs, source_root)
        args.out.mkdir(parents=True, exist_ok=True)
        wanted = {job.out for job in JOBS}
        for stale in [*args.out.glob("*.ttf"), *args.out.glob("*.otf")]:
            if stale.name not in wanted:
                stale.unlink()
        manifest: dict[str, object] = {
            "packages": versions,
            "fonttools": __import__("fontTools").version,
            "files": {},
        }
        files: dict[str, object] = {}
        total = 0
        notices: dict[str, str] = {}
        for job in JOBS:
            name = job.out
            source = source_root / job.source
            font = build_one(job, source_root)
            buf = io.BytesIO()
            font.save(buf)
            data = buf.getvalue()
            (args.out / name).write_bytes(data)
            total += len(data)
            names = font["name"]
            family = str(names.getDebugName(1))
            notices[family] = " ".join(
                str(n) for n in (names.getDebugName(0), names.getDebugName(7)) if n
            )
            files[name] = {
                "source": job.source,
                "face": job.face,
                "truetype": job.truetype,
                "source_sha256": _sha256(source.read_bytes()),
                "sha256": _sha256(data),
                "bytes": len(data),
                "glyphs": len(font.getGlyphOrder()),
                "codepoints": len(font.getBestCmap()),
            }
            print(f"{name}: {len(data) / 1e6:.2f} MB, {len(font.getGlyphOrder())} glyphs")
        manifest["files"] = files
        (args.out / "OFL.txt").write_text(license_text(source_root, notices), encoding="utf-8")
        (args.out / "MANIFEST.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        print(f"total: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
