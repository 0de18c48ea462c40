"""The fixed parts of a generated .docx: styles, numbering, settings, fonts, properties, rels.

Everything here is built once per (builder, language) and compressed once; a document only
adds its own ``word/document.xml`` (and hyperlink relationships, and numbering when it has
several ordered lists).
"""

from __future__ import annotations

from dataclasses import dataclass

from brandloom.documents.formats._ooxml import xml_attr, xml_text
from brandloom.kit.locale import nearest_locale

__all__ = [
    "APP_XML",
    "CONTENT_TYPES_XML",
    "ROOT_RELS_XML",
    "LangInfo",
    "PageInfo",
    "core_xml",
    "document_rels_xml",
    "font_table_xml",
    "lang_info",
    "numbering_xml",
    "settings_xml",
    "styles_xml",
]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

LATIN_FONT = "Calibri"
CODE_FONT = "Consolas"
DEFAULT_CS_FONT = "Arial"

# --- language -> fonts / lang attributes -------------------------------------------------------

# Scripts whose text Word treats as complex (``w:cs`` fonts, the ``w:bidi`` language): every
# right-to-left one, and the Brahmic and South-East Asian scripts that need shaping.
_COMPLEX_SCRIPTS = frozenset(
    {
        "Beng", "Deva", "Gujr", "Guru", "Khmr", "Knda", "Laoo", "Mlym", "Mymr", "Orya", "Sinh",
        "Taml", "Telu", "Thai", "Tibt",
    }
)  # fmt: skip
_CS_FONTS = {
    "hi": "Mangal", "mr": "Mangal", "ne": "Mangal", "sa": "Mangal",
    "bn": "Vrinda", "as": "Vrinda", "ta": "Latha", "te": "Gautami", "kn": "Tunga",
    "ml": "Kartika", "gu": "Shruti", "pa": "Raavi", "or": "Kalinga", "si": "Iskoola Pota",
    "th": "Tahoma", "lo": "DokChampa", "km": "Khmer UI", "my": "Myanmar Text",
    "bo": "Microsoft Himalaya", "dv": "MV Boli", "syr": "Estrangelo Edessa",
}  # fmt: skip
# (font name, fontTable altName hint, Windows charset) per East Asian writing system.
_EA_FONTS = {
    "zh-Hans": ("Microsoft YaHei", "Noto Sans CJK SC", "86"),
    "zh-Hant": ("Microsoft JhengHei", "Noto Sans CJK TC", "88"),
    "ja": ("MS Mincho", "Noto Serif CJK JP", "80"),
    "ko": ("Malgun Gothic", "Noto Sans CJK KR", "81"),
}
#: Regions whose paper is US Letter (a bare ``en`` counts as US).
_LETTER_REGIONS = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "PR", "GT", "CR", "PA"})


@dataclass(frozen=True, slots=True)
class PageInfo:
    width: int  # twips
    height: int
    margin: int

    @property
    def text_width(self) -> int:
        return self.width - 2 * self.margin


LETTER = PageInfo(12240, 15840, 1440)
A4 = PageInfo(11906, 16838, 1440)


@dataclass(frozen=True, slots=True)
class LangInfo:
    tag: str | None  # BCP 47, e.g. "en-US" (None: unknown/invalid, no w:lang at all)
    east_asia: str | None  # lang tag for East Asian text (CJK documents only)
    bidi: str | None  # lang tag for complex-script text (Arabic, Hebrew, Indic, Thai ...)
    east_asia_font: tuple[str, str, str] | None  # (name, alt name, charset)
    cs_font: str
    page: PageInfo


def lang_info(lang: str | None) -> LangInfo:
    """Fonts, ``w:lang`` attributes and paper size for a locale (BCP 47 or POSIX style), from
    its :class:`~brandloom.kit.locale.LocaleTag` (no language attributes for one CLDR does not
    know)."""
    found = nearest_locale(lang)
    if found is None:
        return LangInfo(None, None, None, None, DEFAULT_CS_FONT, A4)
    tag = found.minimal  # Word knows "zh-CN", not "zh-Hans-CN"
    primary, script, region = found.language, found.script, found.region
    ea_key: str | None = None
    if primary == "zh":
        ea_key = "zh-Hant" if script == "Hant" else "zh-Hans"
    elif primary in ("ja", "ko"):
        ea_key = primary
    letter = region in _LETTER_REGIONS or (region is None and primary == "en")
    complex_script = found.direction == "rtl" or script in _COMPLEX_SCRIPTS
    return LangInfo(
        tag=tag,
        east_asia=tag if ea_key else None,
        bidi=tag if complex_script else None,
        east_asia_font=_EA_FONTS[ea_key] if ea_key else None,
        cs_font=_CS_FONTS.get(primary, DEFAULT_CS_FONT),
        page=LETTER if letter else A4,
    )


def _lang_element(info: LangInfo, element: str = "w:lang") -> str:
    if info.tag is None:
        return ""
    attrs = f' w:val="{xml_attr(info.tag)}"'
    if info.east_asia:
        attrs += f' w:eastAsia="{xml_attr(info.east_asia)}"'
    if info.bidi:
        attrs += f' w:bidi="{xml_attr(info.bidi)}"'
    return f"<{element}{attrs}/>"


def _rfonts(info: LangInfo) -> str:
    ea = info.east_asia_font[0] if info.east_asia_font else LATIN_FONT
    hint = ' w:hint="eastAsia"' if info.east_asia_font else ""
    return (
        f'<w:rFonts w:ascii="{LATIN_FONT}" w:eastAsia="{xml_attr(ea)}" w:hAnsi="{LATIN_FONT}"'
        f' w:cs="{xml_attr(info.cs_font)}"{hint}/>'
    )


# --- fixed parts -----------------------------------------------------------------------------

_OOXML_CT = "application/vnd.openxmlformats-"
_WML_CT = _OOXML_CT + "officedocument.wordprocessingml."
_CT_OVERRIDES = (
    ("/word/document.xml", _WML_CT + "document.main+xml"),
    ("/word/styles.xml", _WML_CT + "styles+xml"),
    ("/word/numbering.xml", _WML_CT + "numbering+xml"),
    ("/word/settings.xml", _WML_CT + "settings+xml"),
    ("/word/fontTable.xml", _WML_CT + "fontTable+xml"),
    ("/docProps/core.xml", _OOXML_CT + "package.core-properties+xml"),
    ("/docProps/app.xml", _OOXML_CT + "officedocument.extended-properties+xml"),
)
CONTENT_TYPES_XML = (
    XML_DECL
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    + f'<Default Extension="rels" ContentType="{_OOXML_CT}package.relationships+xml"/>'
    + '<Default Extension="xml" ContentType="application/xml"/>'
    + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in _CT_OVERRIDES)
    + "</Types>"
)

ROOT_RELS_XML = (
    XML_DECL + f'<Relationships xmlns="{PKG_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{REL_TYPE}officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{REL_TYPE}extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

APP_XML = (
    XML_DECL
    + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>brandloom</Application><DocSecurity>0</DocSecurity>"
    "<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
    "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    "</Properties>"
)

_DOC_RELS_HEAD = (
    XML_DECL + f'<Relationships xmlns="{PKG_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{REL_TYPE}styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{REL_TYPE}numbering" Target="numbering.xml"/>'
    f'<Relationship Id="rId3" Type="{REL_TYPE}settings" Target="settings.xml"/>'
    f'<Relationship Id="rId4" Type="{REL_TYPE}fontTable" Target="fontTable.xml"/>'
)


def document_rels_xml(links: list[str]) -> str:
    """``word/_rels/document.xml.rels``; hyperlink ``i`` (0-based) gets id ``rIdL{i+1}``."""
    parts = [_DOC_RELS_HEAD]
    for index, target in enumerate(links, 1):
        parts.append(
            f'<Relationship Id="rIdL{index}" Type="{REL_TYPE}hyperlink"'
            f' Target="{xml_attr(target)}" TargetMode="External"/>'
        )
    parts.append("</Relationships>")
    return "".join(parts)


def core_xml(*, title: str | None, created: str, language: str | None) -> str:
    fields = []
    if title:
        fields.append(f"<dc:title>{xml_text(title)}</dc:title>")
    fields.append("<dc:creator>brandloom</dc:creator>")
    if language:
        fields.append(f"<dc:language>{xml_text(language)}</dc:language>")
    fields.append(f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>')
    fields.append(f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>')
    return (
        XML_DECL + "<cp:coreProperties"
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + "".join(fields)
        + "</cp:coreProperties>"
    )


def settings_xml(info: LangInfo) -> str:
    theme_lang = _lang_element(info, "w:themeFontLang")
    return (
        XML_DECL + f'<w:settings xmlns:w="{W_NS}">'
        '<w:zoom w:percent="100"/><w:defaultTabStop w:val="720"/>'
        '<w:characterSpacingControl w:val="doNotCompress"/>'
        '<w:compat><w:compatSetting w:name="compatibilityMode"'
        ' w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>'
        f"{theme_lang}"
        '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>'
        "</w:settings>"
    )


def _font(name: str, alt: str | None, charset: str, family: str, pitch: str) -> str:
    alt_xml = f'<w:altName w:val="{xml_attr(alt)}"/>' if alt else ""
    return (
        f'<w:font w:name="{xml_attr(name)}">{alt_xml}<w:charset w:val="{charset}"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
    )


def font_table_xml(info: LangInfo) -> str:
    fonts = [
        _font(LATIN_FONT, None, "00", "swiss", "variable"),
        _font(CODE_FONT, None, "00", "modern", "fixed"),
    ]
    if info.cs_font not in (LATIN_FONT, CODE_FONT):
        cs_charset = {"ar": "B2", "fa": "B2", "ur": "B2", "he": "B1", "yi": "B1", "th": "DE"}
        primary = (info.tag or "").split("-")[0]
        fonts.append(_font(info.cs_font, None, cs_charset.get(primary, "00"), "swiss", "variable"))
    if info.east_asia_font:
        name, alt, charset = info.east_asia_font
        fonts.append(_font(name, alt, charset, "auto", "variable"))
    return XML_DECL + f'<w:fonts xmlns:w="{W_NS}">' + "".join(fonts) + "</w:fonts>"


def _heading(level: int, size: int, *, color: str, before: int, after: int) -> str:
    return (
        f'<w:style w:type="paragraph" w:styleId="Heading{level}">'
        f'<w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/>'
        '<w:uiPriority w:val="9"/><w:qFormat/>'
        f'<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="{before}" w:after="{after}"/>'
        f'<w:outlineLvl w:val="{level - 1}"/></w:pPr>'
        f'<w:rPr><w:b/><w:bCs/><w:color w:val="{color}"/>'
        f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr></w:style>'
    )


def styles_xml(info: LangInfo) -> str:
    headings = "".join(
        _heading(level, size, color="1F3763", before=before, after=80)
        for level, size, before in (
            (1, 36, 360),
            (2, 30, 240),
            (3, 26, 200),
            (4, 24, 160),
            (5, 22, 160),
            (6, 22, 120),
        )
    )
    code_fonts = f'<w:rFonts w:ascii="{CODE_FONT}" w:hAnsi="{CODE_FONT}" w:cs="{CODE_FONT}"/>'
    return (
        XML_DECL + f'<w:styles xmlns:w="{W_NS}">'
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f"{_rfonts(info)}"
        '<w:sz w:val="22"/><w:szCs w:val="22"/>'
        f"{_lang_element(info)}"
        "</w:rPr></w:rPrDefault>"
        '<w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="264" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
        '<w:name w:val="Normal"/><w:qFormat/></w:style>'
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
        "<w:unhideWhenUsed/></w:style>"
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
        '<w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/>'
        '<w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
        '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr></w:style>"
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList">'
        '<w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/>'
        "<w:unhideWhenUsed/></w:style>"
        f"{headings}"
        '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>'
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="10"/>'
        '<w:qFormat/><w:pPr><w:spacing w:after="240"/></w:pPr>'
        '<w:rPr><w:sz w:val="52"/><w:szCs w:val="52"/></w:rPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="ListParagraph">'
        '<w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="34"/>'
        '<w:qFormat/><w:pPr><w:spacing w:after="60"/><w:ind w:left="720"/>'
        "<w:contextualSpacing/></w:pPr></w:style>"
        '<w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/>'
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="29"/>'
        '<w:qFormat/><w:pPr><w:pBdr><w:left w:val="single" w:sz="12" w:space="8"'
        ' w:color="A5A5A5"/></w:pBdr><w:ind w:left="360" w:right="360"/></w:pPr>'
        '<w:rPr><w:i/><w:iCs/><w:color w:val="404040"/></w:rPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="SourceCode"><w:name w:val="Source Code"/>'
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/>'
        '<w:pPr><w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/>'
        '<w:spacing w:after="160" w:line="240" w:lineRule="auto"/></w:pPr>'
        f'<w:rPr>{code_fonts}<w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/>'
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/>'
        '<w:pPr><w:spacing w:before="40" w:after="40"/></w:pPr></w:style>'
        '<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
        '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/>'
        '<w:unhideWhenUsed/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr>'
        "</w:style>"
        '<w:style w:type="character" w:styleId="VerbatimChar"><w:name w:val="Verbatim Char"/>'
        '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/>'
        f'<w:rPr>{code_fonts}<w:sz w:val="20"/><w:szCs w:val="20"/>'
        '<w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/></w:rPr></w:style>'
        '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/>'
        '<w:basedOn w:val="TableNormal"/><w:uiPriority w:val="39"/>'
        "<w:tblPr><w:tblBorders>"
        '<w:top w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        '<w:left w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        '<w:bottom w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        '<w:right w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        '<w:insideH w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        '<w:insideV w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        "</w:tblBorders></w:tblPr></w:style>"
        "</w:styles>"
    )


# --- numbering -------------------------------------------------------------------------------

BULLET_NUM_ID = 1
ORDERED_NUM_ID = 2
_BULLETS = ("\u2022", "\u25e6", "\u25aa")
_ORDERED_FORMATS = (("decimal", "%{n}."), ("lowerLetter", "%{n}."), ("lowerRoman", "%{n}."))


def _level(ilvl: int, fmt: str, text: str) -> str:
    left = 720 * (ilvl + 1)
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{xml_attr(text)}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{left}" w:hanging="360"/></w:pPr></w:lvl>'
    )


def _abstract_nums() -> str:
    bullets = "".join(_level(i, "bullet", _BULLETS[i % 3]) for i in range(9))
    ordered = "".join(
        _level(i, _ORDERED_FORMATS[i % 3][0], _ORDERED_FORMATS[i % 3][1].format(n=i + 1))
        for i in range(9)
    )
    return (
        '<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="hybridMultilevel"/>'
        f"{bullets}</w:abstractNum>"
        '<w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/>'
        f"{ordered}</w:abstractNum>"
    )


_NUMBERING_HEAD = XML_DECL + f'<w:numbering xmlns:w="{W_NS}">' + _abstract_nums()
_NUMBERING_BASE = (
    f'<w:num w:numId="{BULLET_NUM_ID}"><w:abstractNumId w:val="0"/></w:num>'
    f'<w:num w:numId="{ORDERED_NUM_ID}"><w:abstractNumId w:val="1"/></w:num>'
)


def numbering_xml(restarts: list[tuple[int, int, int]] | None = None) -> str:
    """``restarts``: extra ordered-list instances as ``(numId, ilvl, start)``."""
    extra = "".join(
        f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="1"/>'
        f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
        "</w:num>"
        for num_id, ilvl, start in restarts or ()
    )
    return _NUMBERING_HEAD + _NUMBERING_BASE + extra + "</w:numbering>"
