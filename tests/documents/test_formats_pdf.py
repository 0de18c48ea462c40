from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from brandloom.documents.formats._markdown_blocks import MarkdownBlocks
from brandloom.documents.formats.pdf import (
    FONT_DIR,
    PdfRenderer,
    font_families,
)
from brandloom.templates.filters import markdown_escape

pypdf = pytest.importorskip("pypdf")

DATE = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

LETTERS = {
    "en-US": (
        "ltr",
        "# Your spring offer, Ann\n\nDear Ann,\n\nthank you for being a loyal customer of "
        "**Northwind Outfitters**. As a *Gold member* you have collected **1,250 points**.\n\n"
        "- 20% off all outdoor jackets\n- Free express shipping over $50\n\n"
        "Visit [our member portal](https://example.com/offer?c=123) and enter "
        "**SPRING-4821**.\n\n1. Choose\n2. Enter the code\n\n---\n\n"
        "Kind regards,  \nAnna Schmidt\n",
        ["Your spring offer, Ann", "Northwind Outfitters", "SPRING-4821", "Anna Schmidt"],
    ),
    "de-DE": (
        "ltr",
        "# Ihr Frühlingsangebot, Jürgen\n\nLiebe(r) Jürgen Weiß,\n\nvielen Dank für Ihre "
        "Treue. Sie haben **1.250 Punkte** gesammelt.\n\n- 20 % Rabatt auf Outdoorjacken\n"
        "- Kostenloser Versand über 50 €\n\nMit freundlichen Grüßen  \nAnna Schmidt\n",
        ["Frühlingsangebot", "Jürgen Weiß", "50 €", "Grüßen"],
    ),
    "zh-CN": (
        "ltr",
        "# 王芳，您的春季专属优惠\n\n尊敬的王芳：\n\n感谢您一直支持**北风户外**。作为*金卡会员*，"
        "您已累计获得**1,250积分**。\n\n- 所有户外夹克享受八折优惠\n"
        "- 单笔订单满50元即享免费快递\n\n"
        "请访问[会员专区](https://example.com/offer)。\n",
        ["春季专属优惠", "尊敬的王芳", "北风户外", "免费快递"],
    ),
    "ja-JP": (
        "ltr",
        "# 山田花子様、春の特別なご案内\n\nいつも**ノースウィンド**をご愛顧いただき、誠にありがとう"
        "ございます。\n\n- アウトドアジャケットが全品20%オフ\n- 速達配送が無料\n\n敬具\n",
        ["春の特別なご案内", "ノースウィンド", "ありがとうございます", "速達配送"],
    ),
    "ar-SA": (
        "rtl",
        "# عرض الربيع الخاص بك يا محمد\n\nعزيزي محمد العتيبي،\n\nنشكرك على ولائك لمتجر "
        "**نورثويند**. لقد جمعت **1,250 نقطة** حتى 30 أبريل.\n\n- خصم 20% على جميع السترات\n"
        "- شحن سريع مجاني\n\nأدخل رمزك **SPRING-4821** عند الدفع.\n",
        ["الربيع", "العتيبي", "نورثويند", "مجاني", "SPRING-4821", "1,250"],
    ),
}


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer(creation_date=DATE, title="Spring offer")


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in read(pdf).pages)
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", _BIDI_CONTROLS.sub("", text))


def fonts_of(pdf: bytes) -> list[tuple[str, list[str]]]:
    """(BaseFont, font file keys) of every font used on any page, descendants included."""
    out = []
    for page in read(pdf).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for desc in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                if "/FontDescriptor" in desc:
                    descriptor = desc["/FontDescriptor"].get_object()
                    files = [
                        k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor
                    ]
                    out.append((str(desc["/BaseFont"]), files))
    return out


@pytest.mark.parametrize("lang", list(LETTERS))
def test_letter_text_extracts_back(renderer: PdfRenderer, lang: str) -> None:
    direction, markdown, expected = LETTERS[lang]
    pdf = renderer.render(markdown, lang=lang, direction=direction, doc_id=f"{lang}-1")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = squash(text_of(pdf))
    for snippet in expected:
        assert squash(snippet) in text, (snippet, text[:300])
    assert "#" not in text and "**" not in text  # the Markdown was rendered, not printed


@pytest.mark.parametrize("lang", list(LETTERS))
def test_fonts_are_embedded_and_subset(renderer: PdfRenderer, lang: str) -> None:
    direction, markdown, _ = LETTERS[lang]
    fonts = fonts_of(renderer.render(markdown, lang=lang, direction=direction, doc_id="f"))
    assert fonts
    for name, files in fonts:
        assert re.match(r"/?[A-Z]{6}\+", name), name
        assert files, f"{name} is not embedded"
    names = " ".join(name for name, _ in fonts)
    if lang in ("zh-CN", "ja-JP"):
        assert "NotoSansCJKsc" in names
    elif lang == "ar-SA":
        assert "NotoNaskhArabic" in names
    else:
        assert "NotoSans-Regular" in names and "NotoSans-Bold" in names


def test_arabic_is_shaped_and_right_to_left() -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    renderer = PdfRenderer(creation_date=DATE)
    direction, markdown, _ = LETTERS["ar-SA"]
    pdf = renderer.render(markdown, lang="ar-SA", direction=direction, doc_id="ar")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    lines = [
        _BIDI_CONTROLS.sub("", unicodedata.normalize("NFKC", line)) for line in out.split("\n")
    ]
    # Logical order comes back word for word, numbers and Latin included.
    assert "عرض الربيع الخاص بك يا محمد" in lines
    assert any("عزيزي محمد العتيبي" in line for line in lines)
    assert any("SPRING-4821" in line and "رمزك" in line for line in lines)


def test_output_is_byte_identical_and_id_follows_doc_id(renderer: PdfRenderer) -> None:
    direction, markdown, _ = LETTERS["en-US"]
    first = renderer.render(markdown, lang="en-US", direction=direction, doc_id="doc-1")
    _, other_md, _ = LETTERS["de-DE"]
    renderer.render(other_md, lang="de-DE", direction="ltr", doc_id="doc-2")
    again = renderer.render(markdown, lang="en-US", direction=direction, doc_id="doc-1")
    fresh = PdfRenderer(creation_date=DATE, title="Spring offer").render(
        markdown, lang="en-US", direction=direction, doc_id="doc-1"
    )
    assert first == again == fresh

    other_id = renderer.render(markdown, lang="en-US", direction=direction, doc_id="doc-3")
    assert other_id != first
    assert len(other_id) == len(first)  # only the ID changed, offsets stay valid
    ids = read(first).trailer["/ID"], read(other_id).trailer["/ID"]
    assert ids[0] != ids[1]
    assert read(other_id).pages[0].extract_text() == read(first).pages[0].extract_text()


def test_dates_and_title_come_from_the_renderer(renderer: PdfRenderer) -> None:
    pdf = renderer.render("Hello", lang="en", direction="ltr", doc_id="x")
    info = read(pdf).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20250301123005")
    assert info["/ModDate"].startswith("D:20250301123005")
    assert info["/Title"] == "Spring offer"
    assert b"2025-03-01T12:30:05" in pdf  # XMP

    local = datetime(2025, 3, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2025, 3, 1, 12, 30, 5)
    for when in (local, naive):
        again = PdfRenderer(creation_date=when, title="Spring offer")
        assert again.render("Hello", lang="en", direction="ltr", doc_id="x") == pdf


INJECTIONS = [
    '#import "/etc/passwd": *',
    '#read("/etc/passwd")',
    "#set page(width: 10pt)",
    "$x^2 + y$",
    "#{ 1 + 1 }",
    "\\\\ back\\slash \\n",
    "<script>alert(1)</script>",
    "{{ contact.email }} {% raw %}",
    "\\input{/etc/passwd} \\LaTeX $$ \\begin{document}",
    "@label <ref> #box[x] ]] ) } //comment /* c */",
    "\"quoted\" 'single' `tick`",
    "<!-- html --> &amp; &lt;b&gt;",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_markup_in_contact_data_is_literal_text(renderer: PdfRenderer, payload: str) -> None:
    markdown = f"# Hello {markdown_escape(payload)}\n\nDear {markdown_escape(payload)}, welcome.\n"
    pdf = renderer.render(markdown, lang="en-US", direction="ltr", doc_id="inj")
    text = text_of(pdf)
    assert squash(f"Dear {payload}, welcome.") in squash(text)
    assert squash(f"Hello {payload}") in squash(text)
    assert "root:" not in text
    reader = read(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # still A4


def test_unescaped_markup_is_still_just_text(renderer: PdfRenderer) -> None:
    # Even Markdown that was not escaped can only produce Markdown structure, never Typst code.
    markdown = (
        '#read("/etc/passwd")\n\n`#import "x": *` $1+1$ <b>bold</b>\n\n```\n#eval("1")\n```\n'
    )
    text = text_of(renderer.render(markdown, lang="en", direction="ltr", doc_id="raw"))
    for piece in ('#read("/etc/passwd")', '#import "x": *', "$1+1$", "<b>bold</b>", '#eval("1")'):
        assert squash(piece) in squash(text)
    assert "root:" not in text


@pytest.mark.parametrize(
    "text",
    [
        "Emoji 😀👍🏽 and flags 🇩🇪 and ZWJ 👩‍💻",
        "Ethiopic ሰላም, Georgian გამარჯობა, Armenian Բարեւ",
        "Rare CJK 𠀀𪚥 and Ext-A 㐀",
        "Marks \u200f\u202eRLO\u202c \u2067isolate\u2069 \u200dZWJ \ufeffBOM \u00adSHY",
        "Controls \x00\x07\x1b\x7f\x85 stripped",
        "Combining a\u0301\u0302\u0303\u0304\u0305 and long " + "x" * 300,
        "",
    ],
)
def test_uncovered_or_odd_characters_do_not_raise(renderer: PdfRenderer, text: str) -> None:
    pdf = renderer.render(text, lang="en", direction="ltr", doc_id="odd")
    assert pdf.startswith(b"%PDF-")
    assert len(read(pdf).pages) >= 1


def test_rare_ideographs_and_hangul_use_the_ext_font(renderer: PdfRenderer) -> None:
    # 玥 and 喆 are not in GB 2312 / JIS X 0208; 똠 is not among KS X 1001's 2,350 syllables.
    pdf = renderer.render("徐玥 孙喆 똠양꿍 王芳", lang="zh-CN", direction="ltr", doc_id="rare")
    names = " ".join(name for name, _ in fonts_of(pdf))
    assert "NotoSansCJKscExt" in names and "NotoSansCJKsc-Regular" in names
    assert squash("徐玥孙喆똠양꿍王芳") in squash(text_of(pdf))


def test_korean_and_hebrew_and_devanagari(renderer: PdfRenderer) -> None:
    cases = [
        ("ko-KR", "ltr", "안녕하세요 김민수 고객님"),
        ("he-IL", "rtl", "שלום עולם"),
        ("hi-IN", "ltr", "नमस्ते प्रिया"),
    ]
    for lang, direction, line in cases:
        pdf = renderer.render(f"# {line}\n\n{line}", lang=lang, direction=direction, doc_id=lang)
        for name, files in fonts_of(pdf):
            assert files and re.match(r"/?[A-Z]{6}\+", name)
        assert fonts_of(pdf)


def test_structures_render(renderer: PdfRenderer) -> None:
    markdown = (
        "# H1\n## H2\n### H3\n#### H4\n\nText with ~~strike~~, `code`, ![a logo](logo.png) "
        "and [mail](mailto:a@example.com) [bad](javascript:alert(1)).\n\n"
        "> quoted **text**\n>\n> - inner item\n\n"
        "| Item | Price |\n|:-----|------:|\n| Jacket | 99 € |\n| Boots | 129 € |\n\n"
        "- loose\n\n- list\n\n  second paragraph\n\n3. starts\n4. at three\n\n"
        "```\ncode block\n  indented\n```\n\n" + "> " * 40 + "deep quote\n\n" + "nested\n"
    )
    pdf = renderer.render(markdown, lang="en", direction="ltr", doc_id="s")
    text = squash(text_of(pdf))
    for piece in ("H1", "H4", "strike", "a logo", "quoted", "inner item", "Jacket", "129 €"):
        assert squash(piece) in text
    assert "codeblock" in text and "deepquote" in text and "atthree" in text
    links = [
        a["/A"]["/URI"]
        for a in (x.get_object() for x in read(pdf).pages[0].get("/Annots", []))
        if "/A" in a
    ]
    assert links == ["mailto:a@example.com"]  # never the javascript: one


def test_long_documents_flow_onto_more_pages(renderer: PdfRenderer) -> None:
    markdown = "\n\n".join(f"Paragraph {i}: " + "lorem ipsum dolor " * 30 for i in range(40))
    reader = read(renderer.render(markdown, lang="en", direction="ltr", doc_id="long"))
    assert len(reader.pages) > 3


def test_page_size_and_language_fallbacks() -> None:
    letter = PdfRenderer(creation_date=DATE, page_size="letter")
    box = read(letter.render("x", lang="en-US", direction="ltr", doc_id="l")).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    for lang, direction in [("", "ltr"), ("not a tag!", "up"), ("x-123", ""), ("es-419", "rtl")]:
        assert letter.render("Hola", lang=lang, direction=direction, doc_id="l").startswith(b"%PDF")
    with pytest.raises(ValueError, match="page size"):
        PdfRenderer(creation_date=DATE, page_size="napkin")
    letter.close()
    letter.close()  # idempotent


def test_font_families_put_the_script_font_first() -> None:
    assert font_families("ar-SA")[0] == "Noto Naskh Arabic"
    assert font_families("fa")[0] == "Noto Naskh Arabic"
    assert font_families("zh-Hant-TW")[:2] == ("Noto Sans CJK SC", "Noto Sans CJK SC Ext")
    assert font_families("ja_JP.UTF-8")[0] == "Noto Sans CJK SC"
    assert font_families("sr-Latn")[0] == "Noto Sans"
    assert font_families("pa-Arab")[0] == "Noto Naskh Arabic"
    assert font_families("he")[0] == "Noto Sans Hebrew"
    assert font_families("de-DE")[0] == "Noto Sans"
    for lang in ("en", "ar", "ja", "th", "hi"):
        assert len(set(font_families(lang))) == 7


def test_shipped_fonts_and_license_are_present() -> None:
    files = {p.name for p in FONT_DIR.iterdir()}
    assert "OFL.txt" in files and "README.md" in files
    fonts = [p for p in FONT_DIR.iterdir() if p.suffix in (".ttf", ".otf")]
    assert len(fonts) == 15
    assert sum(p.stat().st_size for p in fonts) < 20_000_000


# -- the Markdown -> block tree step -------------------------------------------------------------


@pytest.fixture(scope="module")
def md() -> MarkdownBlocks:
    return MarkdownBlocks()


def test_blocks_basic_structure(md: MarkdownBlocks) -> None:
    blocks = md.parse("# Title *x*\n\nSome **bold** [link](https://e.com) `c`  \nnext\n\n---\n")
    assert blocks == [
        ["h", 1, ["Title ", ["i", ["x"]]]],
        ["p", ["Some ", ["b", ["bold"]], " ", ["a", "https://e.com", ["link"]], " ", ["c", "c"],
               ["br"], "next"]],
        ["hr"],
    ]  # fmt: skip


def test_blocks_lists_and_tables(md: MarkdownBlocks) -> None:
    tight, loose, ordered, table = md.parse(
        "- a\n- b\n\n* c\n\n* d\n\n7. x\n8. y\n\n| A | B |\n|:-:|--:|\n| 1 |\n"
    )
    assert tight == ["ul", True, [[["p", ["a"]]], [["p", ["b"]]]]]
    assert loose == ["ul", False, [[["p", ["c"]]], [["p", ["d"]]]]]
    assert ordered == ["ol", True, 7, [[["p", ["x"]]], [["p", ["y"]]]]]
    assert table == ["t", ["center", "end"], [["A"], ["B"]], [[["1"], []]]]


def test_blocks_text_rules(md: MarkdownBlocks) -> None:
    (para,) = md.parse(
        "中文\n中文 and\nLatin <b>raw</b> ![alt](x.png) [x](javascript:y) [m](ftp://h)"
    )
    assert para == ["p", ["中文中文 and Latin <b>raw</b> alt [x](javascript:y) m"]]
    (esc,) = md.parse("\\# not a heading \\*not em\\* \\[x\\]\\(y\\)")
    assert esc == ["p", ["# not a heading *not em* [x](y)"]]
    assert md.parse("a\x00b\x1bc\r\nd") == [["p", ["abc d"]]]
    assert md.parse("") == []


def test_blocks_nesting_is_bounded(md: MarkdownBlocks) -> None:
    def depth(node: object) -> int:
        if isinstance(node, list):
            return 1 + max((depth(x) for x in node), default=0)
        return 0

    deep_list = "".join("  " * i + f"- item{i}\n" for i in range(30))
    deep_quote = "> " * 50 + "text\n"
    deep_em = "*" * 30 + "x" + "*" * 30
    for source, last in ((deep_list, "item29"), (deep_quote, "text"), (deep_em, "x")):
        blocks = md.parse(source)
        assert last in str(blocks)  # nothing is lost ...
        assert depth(blocks) < 40  # ... but the tree stays shallow
