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
    "BrandStyle",
    "LangInfo",
    "PageInfo",
    "branded_content_types_xml",
    "core_xml",
    "document_rels_xml",
    "font_table_xml",
    "footer_xml",
    "header_xml",
    "lang_info",
    "numbering_xml",
    "part_rels_xml",
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


@dataclass(frozen=True, slots=True)
class BrandStyle:
    """What a brand's kit changes in the styles: the default font (the kit's, for Latin text
    and, when it is one of those, for complex-script or East Asian text), the headings' and
    the links' colors (``RRGGBB``)."""

    font: str | None
    heading_color: str
    link_color: str


#: Kit fonts for the complex scripts (``w:cs``) and East Asian text (``w:eastAsia``).
_CS_KIT_FONTS = frozenset(
    {"Noto Naskh Arabic", "Noto Sans Hebrew", "Noto Sans Devanagari", "Noto Sans Thai"}
)
_EA_KIT_FONTS = frozenset({"Noto Sans CJK SC"})


def _rfonts(info: LangInfo, font: str | None = None) -> str:
    latin = font or LATIN_FONT
    ea = info.east_asia_font[0] if info.east_asia_font else latin
    if font in _EA_KIT_FONTS:
        ea = font
    cs = font if font in _CS_KIT_FONTS else info.cs_font
    hint = ' w:hint="eastAsia"' if info.east_asia_font else ""
    return (
        f'<w:rFonts w:ascii="{xml_attr(latin)}" w:eastAsia="{xml_attr(ea)}"'
        f' w:hAnsi="{xml_attr(latin)}" w:cs="{xml_attr(cs)}"{hint}/>'
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


def document_rels_xml(links: list[str], extra: str = "") -> str:
    """``word/_rels/document.xml.rels``; hyperlink ``i`` (0-based) gets id ``rIdL{i+1}``;
    ``extra``: more relationships (a brand's header and footer)."""
    parts = [_DOC_RELS_HEAD, extra]
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


def font_table_xml(info: LangInfo, font: str | None = None) -> str:
    fonts = [
        _font(LATIN_FONT, None, "00", "swiss", "variable"),
        _font(CODE_FONT, None, "00", "modern", "fixed"),
    ]
    if font is not None and font not in (LATIN_FONT, CODE_FONT):
        fonts.append(_font(font, None, "00", "swiss", "variable"))
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


def styles_xml(info: LangInfo, brand: BrandStyle | None = None) -> str:
    heading_color = brand.heading_color if brand is not None else "1F3763"
    link_color = brand.link_color if brand is not None else "0563C1"
    headings = "".join(
        _heading(level, size, color=heading_color, before=before, after=80)
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
        f"{_rfonts(info, brand.font if brand is not None else None)}"
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
        f'<w:unhideWhenUsed/><w:rPr><w:color w:val="{link_color}"/><w:u w:val="single"/></w:rPr>'
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


# --- a brand's page header and footer --------------------------------------------------------

WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
_SVG_BLIP_EXT = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"  # Office 2016+: an SVG picture
_ASVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
_HDR_FTR_NS = f'xmlns:w="{W_NS}" xmlns:r="{R_NS}"'
_HDR_NS = f'{_HDR_FTR_NS} xmlns:wp="{WP_NS}" xmlns:a="{A_NS}" xmlns:pic="{PIC_NS}"'


def branded_content_types_xml(
    *, header: bool, footer: bool, images: tuple[tuple[str, str], ...]
) -> str:
    """``[Content_Types].xml`` with the brand's header, footer and image types
    (``images``: (extension, media type))."""
    extra = "".join(f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in images)
    overrides = list(_CT_OVERRIDES)
    if header:
        overrides.append(("/word/header1.xml", _WML_CT + "header+xml"))
    if footer:
        overrides.append(("/word/footer1.xml", _WML_CT + "footer+xml"))
    return (
        XML_DECL
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + f'<Default Extension="rels" ContentType="{_OOXML_CT}package.relationships+xml"/>'
        + '<Default Extension="xml" ContentType="application/xml"/>'
        + extra
        + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in overrides)
        + "</Types>"
    )


def part_rels_xml(rels: list[tuple[str, str, str]]) -> str:
    """A part's relationships: (id, type name, target)."""
    return (
        XML_DECL
        + f'<Relationships xmlns="{PKG_RELS_NS}">'
        + "".join(
            f'<Relationship Id="{rid}" Type="{REL_TYPE}{kind}" Target="{xml_attr(target)}"/>'
            for rid, kind, target in rels
        )
        + "</Relationships>"
    )


def _picture(
    *, rid: str, svg_rid: str | None, size: tuple[int, int], name: str, filename: str
) -> str:
    """An inline picture run (``size`` in EMU); with ``svg_rid``, the SVG Word 2016+ shows,
    over the PNG of ``rid`` the others show."""
    cx, cy = size
    svg = (
        f'<a:extLst><a:ext uri="{_SVG_BLIP_EXT}"><asvg:svgBlip xmlns:asvg="{_ASVG_NS}"'
        f' r:embed="{svg_rid}"/></a:ext></a:extLst>'
        if svg_rid
        else ""
    )
    descr = xml_attr(name)
    return (
        f'<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="1" name="Logo" descr="{descr}"/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/>'
        "</wp:cNvGraphicFramePr><a:graphic>"
        f'<a:graphicData uri="{PIC_NS}"><pic:pic>'
        f'<pic:nvPicPr><pic:cNvPr id="0" name="{xml_attr(filename)}" descr="{descr}"/>'
        "<pic:cNvPicPr/></pic:nvPicPr>"
        f'<pic:blipFill><a:blip r:embed="{rid}">{svg}</a:blip><a:stretch><a:fillRect/>'
        "</a:stretch></pic:blipFill>"
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
        "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )


def _direction(text_rtl: bool) -> tuple[str, str]:
    """(paragraph property, run property) of kit text in its own direction."""
    return ("<w:bidi/>", "<w:rtl/>") if text_rtl else ("", "")


def _align(rtl: bool, text_rtl: bool) -> str:
    """Left-to-right kit text in a right-to-left document: at the document's start (right)."""
    return '<w:jc w:val="right"/>' if rtl and not text_rtl else ""


def header_xml(
    *,
    name: str,
    primary: str,
    rtl: bool,
    picture: tuple[str, str | None, tuple[int, int], str] | None,
    name_rtl: bool = False,
) -> str:
    """``word/header1.xml``: the logo (``picture``: PNG rel id, SVG rel id or None, size in EMU,
    file name) or the brand's name (in its own direction) in bold primary, over a rule in the
    primary color; at the start side of the page (right in right-to-left text)."""
    if picture is not None:
        rid, svg_rid, size, filename = picture
        content = _picture(rid=rid, svg_rid=svg_rid, size=size, name=name, filename=filename)
        bidi, jc = ("<w:bidi/>" if rtl else ""), ""
    else:
        bidi, rtl_run = _direction(name_rtl)
        jc = _align(rtl, name_rtl)
        content = (
            f'<w:r><w:rPr><w:b/><w:bCs/><w:color w:val="{primary}"/><w:sz w:val="34"/>'
            f'<w:szCs w:val="34"/>{rtl_run}</w:rPr>'
            f'<w:t xml:space="preserve">{xml_text(name)}</w:t></w:r>'
        )
    return (
        XML_DECL + f"<w:hdr {_HDR_NS}><w:p><w:pPr>"
        f'<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="6" w:color="{primary}"/></w:pBdr>'
        f'{bidi}<w:spacing w:after="240"/>{jc}</w:pPr>{content}</w:p></w:hdr>'
    )


def footer_xml(
    *, address: tuple[str, ...], legal: tuple[str, ...], rtl: bool, text_rtl: bool = False
) -> str:
    """``word/footer1.xml``: the address on one line, then each legal line, in small gray text
    under a thin rule; in the lines' own direction (``text_rtl``), at the document's start
    side."""
    bidi, rtl_run = _direction(text_rtl)
    jc = _align(rtl, text_rtl)
    rpr = (
        '<w:rPr><w:color w:val="6B6B6B"/><w:sz w:val="15"/><w:szCs w:val="15"/>'
        + rtl_run
        + "</w:rPr>"
    )
    lines = (["  \u00b7  ".join(address)] if address else []) + list(legal)
    paragraphs = []
    for index, line in enumerate(lines):
        border = (
            '<w:pBdr><w:top w:val="single" w:sz="4" w:space="6" w:color="BFBFBF"/></w:pBdr>'
            if index == 0
            else ""
        )
        paragraphs.append(
            f'<w:p><w:pPr>{border}{bidi}<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
            f'{jc}</w:pPr><w:r>{rpr}<w:t xml:space="preserve">{xml_text(line)}</w:t></w:r></w:p>'
        )
    return XML_DECL + f"<w:ftr {_HDR_FTR_NS}>" + "".join(paragraphs) + "</w:ftr>"
