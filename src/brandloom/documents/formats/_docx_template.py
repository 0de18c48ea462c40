"""Turn one WordprocessingML part with Jinja tags into a Jinja source, once per template.

Word splits what the user typed as ``{{ first_name }}`` over several runs (spell checking,
revision ids, formatting). Per paragraph, the text of all ``<w:t>`` elements is scanned for
tags; a tag that spans runs is moved whole into the run where it starts, the runs keep their
other text and formatting. Tags are then cleaned (XML entities decoded, Word's smart quotes
made straight) and placed:

* inline, where they were (``{{ x }}``, and ``{% %}`` mixed with text);
* replacing their whole paragraph, table row, cell or run with the docxtpl prefixes
  ``{%p``, ``{%tr``, ``{%tc``, ``{%r`` (also ``{#p`` ...);
* replacing their paragraph when a paragraph holds nothing but ``{% %}``/``{# #}`` tags
  (so ``{% if vip %}`` on a line of its own leaves no empty paragraph behind) unless that
  would break the document's structure, in which case it stays inline.

Every block (``if``/``for``/...) is then checked to open and close (and ``else``/``elif``) at
the same place of the XML tree, which makes every rendering well-formed XML whatever the data.
No XML parser is used: a tokenizer that never expands entities or reads DTDs.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field
from typing import NoReturn

__all__ = [
    "PartError",
    "PreparedPart",
    "TagInfo",
    "prepare_part",
    "prepare_rels",
    "word_prefix",
]

_TOKEN_RE = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|[^<]+", re.DOTALL
)
_NAME_RE = re.compile(r"<(/?)([^\s/>]+)")
_XMLNS_RE = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")
_TAG_OPEN_RE = re.compile(r"\{[{%#]")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_MODIFIER_RE = re.compile(r"\{([%#])(p|tr|tc|r)(?=[\s-])")
_RICH_RE = re.compile(r"\{\{[pr]\s+[^\s}]")
_BLOCK_NAME_RE = re.compile(r"\{%[-+]?\s*(\w+)")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
    }
)
_OPENERS = frozenset(
    {"if", "for", "with", "filter", "macro", "call", "block", "autoescape", "trans", "set"}
)
_MIDDLES = {"elif": ("if",), "else": ("if", "for"), "pluralize": ("trans",)}
# Elements that make a paragraph worth keeping even when its text is only tags.
_KEEP = ("drawing", "pict", "object", "sectPr", "br", "txbxContent", "fldChar", "fldSimple")

W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)


class PartError(Exception):
    """A problem in a part: message, paragraph number (1-based, 0: unknown), column."""

    def __init__(self, message: str, paragraph: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.paragraph = paragraph
        self.column = column


@dataclass(slots=True)
class TagInfo:
    raw: str  # as found in the text (XML-escaped)
    text: str  # cleaned Jinja source of the tag
    kind: str  # "{{", "{%" or "{#"
    modifier: str | None  # "p", "tr", "tc", "r" or None
    token: int  # index of the w:t text token where the tag starts
    start: int  # offset of the tag in that token's original text
    paragraph_token: int  # index of the enclosing w:p start tag (-1: none)
    paragraph: int  # 1-based paragraph number in the part
    column: int  # 1-based column in the paragraph's text
    ancestors: tuple[tuple[str, int], ...]  # open elements around the text token
    offset: int = 0  # where the tag starts in the Jinja source
    names: tuple[str, ...] = ()  # element names open around the tag in the Jinja source
    promoted: bool = False


@dataclass(slots=True)
class PreparedPart:
    source: str
    tags: list[TagInfo] = field(default_factory=list)
    fix_empty_cells: bool = False


def word_prefix(xml: str) -> str:
    """``"w:"`` (or whatever prefix the root element binds to WordprocessingML)."""
    for match in _TOKEN_RE.finditer(xml):
        token = match.group(0)
        if token.startswith(("<?", "<!")) or not token.startswith("<"):
            continue
        for prefix, uri in _XMLNS_RE.findall(token):
            if uri in W_NAMESPACES:
                return f"{prefix}:" if prefix else ""
        break
    return "w:"


def _clean(raw: str) -> str:
    return html.unescape(raw).translate(_QUOTES)


@dataclass(slots=True)
class _Para:
    token: int
    number: int
    close: int = -1
    keep: bool = False
    pieces: list[int] = field(default_factory=list)  # w:t text token indices


@dataclass(slots=True)
class _Tree:
    """What one pass over a part's tokens learns about its elements."""

    names: list[str | None]  # element name of each tag token (None: text, comment, ...)
    close_of: dict[int, int] = field(default_factory=dict)  # start tag -> its end tag
    paras: dict[int, _Para] = field(default_factory=dict)  # w:p start tag -> paragraph
    para_order: list[_Para] = field(default_factory=list)
    snapshots: dict[int, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    sect_paras: set[int] = field(default_factory=set)  # paragraphs holding a section break
    t_opens: dict[int, int] = field(default_factory=dict)  # w:t text token -> its start tag

    def add_text(self, index: int, stack: list[tuple[str, int]], p_name: str) -> None:
        """A text token inside a ``w:t``: remember where it is and which paragraph owns it."""
        self.snapshots[index] = tuple(stack)
        self.t_opens[index] = stack[-1][1]
        for name, at in reversed(stack):
            if name == p_name:
                self.paras[at].pieces.append(index)
                break

    def keep_paragraphs(self, stack: list[tuple[str, int]], p_name: str, *, sect: bool) -> None:
        """The paragraphs around a drawing, break, field...: never removed for their tags."""
        for open_name, at in stack:
            if open_name == p_name:
                self.paras[at].keep = True
                if sect:
                    self.sect_paras.add(at)

    def add_paragraph(self, index: int) -> None:
        para = _Para(index, len(self.para_order) + 1)
        self.paras[index] = para
        self.para_order.append(para)


@dataclass(slots=True)
class _Found:
    """The tags of a part, and each text token cut into text and tags."""

    segments: dict[int, list[str | TagInfo]] = field(default_factory=dict)
    tags: list[TagInfo] = field(default_factory=list)
    para_tags: dict[int, list[TagInfo]] = field(default_factory=dict)
    para_static_blank: dict[int, bool] = field(default_factory=dict)  # only tags and blanks?


def prepare_part(xml: str) -> PreparedPart:
    """Jinja source for a document/header/footer part (raises :class:`PartError`)."""
    if "<!DOCTYPE" in xml or "<!ENTITY" in xml:
        raise PartError("DTDs are not allowed in a .docx part")
    tokens: list[str] = _TOKEN_RE.findall(xml)
    if sum(map(len, tokens)) != len(xml):
        raise PartError("the part is not well-formed XML")
    w = word_prefix(xml)
    tree = _scan(tokens, w)
    found = _find_tags(tokens, tree)
    if not found.tags:
        for token in tokens:
            if "{%" in token or "{#" in token:
                _static_block_error(token)
        return PreparedPart(xml)
    anchors = _anchors(found.tags, tree, w)
    return _place(tokens, tree, found, anchors, _promotable(found, tree), w)


def _scan(tokens: list[str], w: str) -> _Tree:
    """Elements, paragraphs and text runs of a part: checks that it is well-formed."""
    t_name, p_name = f"{w}t", f"{w}p"
    keep_names = frozenset(f"{w}{name}" for name in _KEEP)
    sect_name = f"{w}sectPr"
    tree = _Tree([None] * len(tokens))
    stack: list[tuple[str, int]] = []
    for index, token in enumerate(tokens):
        if token[0] != "<":
            if stack and stack[-1][0] == t_name:
                tree.add_text(index, stack, p_name)
            continue
        if token.startswith(("<?", "<!")):
            continue
        match = _NAME_RE.match(token)
        if match is None:
            raise PartError("the part is not well-formed XML")
        closing, name = match.group(1), match.group(2)
        tree.names[index] = name
        if closing:
            if not stack or stack[-1][0] != name:
                raise PartError(f"the part is not well-formed XML (unexpected </{name}>)")
            tree.close_of[stack.pop()[1]] = index
            continue
        if name in keep_names:
            tree.keep_paragraphs(stack, p_name, sect=name == sect_name)
        if name == p_name:
            tree.add_paragraph(index)
        if not token.endswith("/>"):
            stack.append((name, index))
    if stack:
        raise PartError(f"the part is not well-formed XML (<{stack[-1][0]}> is not closed)")
    for para in tree.para_order:
        para.close = tree.close_of.get(para.token, para.token)
    return tree


def _find_tags(tokens: list[str], tree: _Tree) -> _Found:
    """Per paragraph: find its tags and move each whole into the run where it starts."""
    found = _Found()
    for para in tree.para_order:
        if not para.pieces:
            continue
        texts = [tokens[i] for i in para.pieces]
        joined = "".join(texts)
        if "{" not in joined:
            continue
        spans = _tag_spans(joined, para)
        if spans:
            _cut_paragraph(para, texts, joined, spans, tree, found)
    return found


def _tag_spans(joined: str, para: _Para) -> list[tuple[int, int]]:
    """(start, end) of every tag in a paragraph's text; a tag must close in its paragraph."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        found = _TAG_OPEN_RE.search(joined, pos)
        if found is None:
            return spans
        start = found.start()
        opener = joined[start : start + 2]
        end = joined.find(_CLOSERS[opener], start + 2)
        if end < 0:
            raise PartError(
                f"the tag {_clean(joined[start : start + 40])!r} is not closed in the same "
                f"paragraph (it needs {_CLOSERS[opener]!r})",
                para.number,
                start + 1,
            )
        spans.append((start, end + 2))
        pos = end + 2


def _cut_paragraph(
    para: _Para,
    texts: list[str],
    joined: str,
    spans: list[tuple[int, int]],
    tree: _Tree,
    found: _Found,
) -> None:
    """Cut each text token of ``para`` into text and the tags that start in it."""
    found_tags: list[TagInfo] = []
    static_parts: list[str] = []
    span_index = 0
    base = 0
    for token_index, text in zip(para.pieces, texts, strict=True):
        lo, hi = base, base + len(text)
        base = hi
        out: list[str | TagInfo] = []
        cursor = lo
        while cursor < hi:
            while span_index < len(spans) and spans[span_index][1] <= cursor:
                span_index += 1
            if span_index < len(spans) and spans[span_index][0] < hi:
                start, end = spans[span_index]
                if start > cursor:
                    out.append(joined[cursor:start])
                    static_parts.append(joined[cursor:start])
                    cursor = start
                elif start == cursor:
                    raw = joined[start:end]
                    tag = _make_tag(raw, token_index, start - lo, para, start)
                    tag.ancestors = tree.snapshots[token_index]
                    out.append(tag)
                    found_tags.append(tag)
                    cursor = min(end, hi)
                else:  # the rest of a tag that started in an earlier run
                    cursor = min(end, hi)
            else:
                out.append(joined[cursor:hi])
                static_parts.append(joined[cursor:hi])
                cursor = hi
        found.segments[token_index] = out
    found.tags.extend(found_tags)
    found.para_tags[para.token] = found_tags
    found.para_static_blank[para.token] = not html.unescape("".join(static_parts)).strip()


def _anchors(tags: list[TagInfo], tree: _Tree, w: str) -> dict[int, tuple[int, int]]:
    """id(tag) -> the element (start, end token) a ``{%p/tr/tc/r`` tag replaces."""
    anchors: dict[int, tuple[int, int]] = {}
    for tag in tags:
        if tag.modifier is None:
            continue
        element = f"{w}{tag.modifier}"
        owner = next((at for name, at in reversed(tag.ancestors) if name == element), None)
        if owner is None:
            where = {"p": "paragraph", "tr": "table row", "tc": "table cell", "r": "run"}
            raise PartError(
                f"{tag.text!r} is not inside a {where[tag.modifier]}", tag.paragraph, tag.column
            )
        if tag.modifier == "p" and owner in tree.sect_paras:
            raise PartError(
                f"{tag.text!r}: this paragraph carries a section break; put the tag in a "
                "paragraph of its own",
                tag.paragraph,
                tag.column,
            )
        anchors[id(tag)] = (owner, tree.close_of[owner])
    return anchors


def _promotable(found: _Found, tree: _Tree) -> set[int]:
    """Paragraphs holding nothing but ``{% %}``/``{# #}`` tags: replaced by their tags."""
    promotable: set[int] = set()
    for para_token, in_para in found.para_tags.items():
        para = tree.paras[para_token]
        if (
            found.para_static_blank[para_token]
            and not para.keep
            and all(t.kind != "{{" and t.modifier is None for t in in_para)
        ):
            promotable.add(para_token)
    return promotable


def _place(
    tokens: list[str],
    tree: _Tree,
    found: _Found,
    anchors: dict[int, tuple[int, int]],
    promotable: set[int],
    w: str,
) -> PreparedPart:
    """Write the Jinja source; a paragraph promoted to its tags goes back to inline tags while
    that leaves a block opening and closing at different places of the document tree."""
    while True:
        source, emitted, fix_cells = _assemble(tokens, tree, found, anchors, promotable, w)
        culprit = _check_blocks(emitted)
        if culprit is None:
            return PreparedPart(source, emitted, fix_cells)
        demote = {t.paragraph_token for t in culprit if t.promoted} & promotable
        if not demote:
            first, second = culprit[0], culprit[-1]
            raise PartError(
                f"{first.text!r} and {second.text!r} (paragraph {second.paragraph}) are in "
                "different places of the document structure (e.g. one inside a table, the other "
                "outside); put both on paragraphs of their own at the same level, or use "
                "{%p ...%} / {%tr ...%}",
                first.paragraph,
                first.column,
            )
        promotable -= demote


def _make_tag(raw: str, token: int, start: int, para: _Para, column: int) -> TagInfo:
    text = _clean(raw)
    kind = text[:2]
    modifier = None
    found = _MODIFIER_RE.match(text)
    if found is not None:
        modifier = found.group(2)
        text = text[:2] + text[2 + len(modifier) :]
    elif _RICH_RE.match(text):
        raise PartError(
            f"{text!r}: rich-text and sub-document tags ({{{{r ...}}}}, {{{{p ...}}}}) are not "
            "supported",
            para.number,
            column + 1,
        )
    return TagInfo(
        raw=raw,
        text=text,
        kind=kind,
        modifier=modifier,
        token=token,
        start=start,
        paragraph_token=para.token,
        paragraph=para.number,
        column=column + 1,
        ancestors=(),
    )


def _assemble(
    tokens: list[str],
    tree: _Tree,
    found: _Found,
    anchors: dict[int, tuple[int, int]],
    promotable: set[int],
    w: str,
) -> tuple[str, list[TagInfo], bool]:
    """The Jinja source, its tags in source order, and whether empty cells need fixing."""
    replaced = _replacements(found.tags, anchors, promotable, tree.paras)
    preserve = {
        tree.t_opens[i]
        for i, segs in found.segments.items()
        if any(isinstance(s, TagInfo) for s in segs)
    }
    tc_name = f"{w}tc"
    line_starts = frozenset({f"{w}p", f"{w}tr"})
    fix_cells = False
    source = _Source()
    index = 0
    count = len(tokens)
    while index < count:
        if tree.names[index] in line_starts and tokens[index][1] != "/":
            # One line per paragraph/row in the Jinja source: Jinja's line numbers then map to
            # paragraphs (whitespace between block elements means nothing in WordprocessingML).
            source.write("\n")
        element = replaced.get(index)
        if element is not None:
            end, members = element
            fix_cells = fix_cells or tc_name in source.stack
            source.tags(members)
            index = end + 1
            continue
        segs = found.segments.get(index)
        if segs is not None:
            source.segments(segs)
        else:
            source.token(tokens[index], tree.names[index], preserve=index in preserve)
        index += 1
    return "".join(source.out), source.emitted, fix_cells


def _replacements(
    tags: list[TagInfo],
    anchors: dict[int, tuple[int, int]],
    promotable: set[int],
    paras: dict[int, _Para],
) -> dict[int, tuple[int, list[TagInfo]]]:
    """Element ranges replaced by their tags (start -> end, tags); an outer range swallows
    inner ones. Such an element may hold only ``{% %}`` and ``{# #}`` tags."""
    ranges: dict[int, tuple[int, list[TagInfo]]] = {}
    for tag in tags:
        element = anchors.get(id(tag))
        tag.promoted = False
        if element is None and tag.paragraph_token in promotable:
            para = paras[tag.paragraph_token]
            element = (para.token, para.close)
            tag.promoted = True
        if element is not None:
            ranges.setdefault(element[0], (element[1], []))[1].append(tag)
    merged: dict[int, tuple[int, list[TagInfo]]] = {}
    outer_start, outer_end = -1, -1
    for start in sorted(ranges):
        end, members = ranges[start]
        if start < outer_end:
            merged[outer_start][1].extend(members)
            continue
        merged[start] = (end, list(members))
        outer_start, outer_end = start, end
    for _end, members in merged.values():
        members.sort(key=lambda t: (t.token, t.start))
        _only_blocks(members)
    _nothing_swallowed(tags, merged)
    return merged


def _only_blocks(members: list[TagInfo]) -> None:
    for tag in members:
        if tag.kind == "{{":
            _refuse_inside_replaced(tag)


def _nothing_swallowed(tags: list[TagInfo], merged: dict[int, tuple[int, list[TagInfo]]]) -> None:
    """A tag inside a replaced element that does not stand for it would vanish with the
    element's text: refuse it (comments may go)."""
    if not merged:
        return
    starts = sorted(merged)
    standing = {id(tag) for _end, members in merged.values() for tag in members}
    for tag in tags:
        if tag.kind == "{#" or id(tag) in standing:
            continue
        at = bisect.bisect_right(starts, tag.token) - 1
        if at >= 0 and tag.token <= merged[starts[at]][0]:
            _refuse_inside_replaced(tag)


def _refuse_inside_replaced(tag: TagInfo) -> NoReturn:
    raise PartError(
        f"{tag.text!r} is in a paragraph/row replaced by a {{%p/tr/tc/r %}} tag; "
        "such an element may hold only {% %} tags standing for it (its text is dropped)",
        tag.paragraph,
        tag.column,
    )


class _Source:
    """The Jinja source being written: where each tag lands and which elements are open."""

    __slots__ = ("emitted", "out", "size", "stack")

    def __init__(self) -> None:
        self.out: list[str] = []
        self.size = 0
        self.emitted: list[TagInfo] = []
        self.stack: list[str] = []

    def write(self, text: str) -> None:
        self.out.append(text)
        self.size += len(text)

    def tags(self, members: list[TagInfo]) -> None:
        """Tags standing in for a whole element."""
        frozen = tuple(self.stack)
        for tag in members:
            self._tag(tag, frozen)

    def segments(self, segs: list[str | TagInfo]) -> None:
        """A text token: its text and the tags that start in it."""
        frozen = tuple(self.stack)
        for seg in segs:
            if isinstance(seg, str):
                self.write(seg)
            else:
                self._tag(seg, frozen)

    def token(self, token: str, name: str | None, *, preserve: bool) -> None:
        """Any other token, as it is (a ``w:t`` that gets tags keeps its spaces)."""
        if "{%" in token or "{#" in token:
            _static_block_error(token)
        if name is not None:
            if token[1] == "/":
                self.stack.pop()
            elif not token.endswith("/>"):
                self.stack.append(name)
                if preserve and "xml:space" not in token:
                    token = token[:-1] + ' xml:space="preserve">'
        self.write(token)

    def _tag(self, tag: TagInfo, names: tuple[str, ...]) -> None:
        tag.offset = self.size
        tag.names = names
        self.emitted.append(tag)
        self.write(tag.text)


def _static_block_error(token: str) -> None:
    raise PartError(
        "{% %} and {# #} tags are only supported in the document's text "
        f"(found one in {token[:60]!r})"
    )


def _block_name(tag: TagInfo) -> str | None:
    found = _BLOCK_NAME_RE.match(tag.text)
    if found is None:
        return None
    name = found.group(1)
    if name == "set" and "=" in tag.text:
        return None  # {% set x = ... %} is not a block
    return name


def _check_blocks(tags: list[TagInfo]) -> list[TagInfo] | None:
    """``None`` when every block opens/continues/closes at one place; else the culprits."""
    stack: list[tuple[str, TagInfo]] = []
    for tag in tags:
        if tag.kind != "{%":
            continue
        name = _block_name(tag)
        if name is None:
            continue
        if name == "raw":
            raise PartError(
                "{% raw %} is not supported in .docx templates", tag.paragraph, tag.column
            )
        if name in _OPENERS:
            stack.append((name, tag))
        elif name in _MIDDLES:
            if stack and stack[-1][0] in _MIDDLES[name]:
                opener = stack[-1][1]
                if opener.names != tag.names:
                    return [opener, tag]
            # anything else: Jinja's parser reports it
        elif name.startswith("end") and name[3:] in _OPENERS:
            if not stack or stack[-1][0] != name[3:]:
                inner = (
                    f"the innermost open block is {stack[-1][1].text!r} "
                    f"(paragraph {stack[-1][1].paragraph})"
                    if stack
                    else "no block is open"
                )
                raise PartError(f"unexpected {tag.text!r}: {inner}", tag.paragraph, tag.column)
            opener = stack.pop()[1]
            if opener.names != tag.names:
                return [opener, tag]
    if stack:
        name, opener = stack[-1]
        raise PartError(
            f"{opener.text!r} is never closed (a {{% end{name} %}} is missing)",
            opener.paragraph,
            opener.column,
        )
    return None


_REL_TARGET_RE = re.compile(r'(\sTarget\s*=\s*")([^"]*)(")')
_ENCODED_TAG_RE = re.compile(r"(?:\{|%7[bB]){2}.*?(?:\}|%7[dD]){2}", re.DOTALL)


def prepare_rels(xml: str) -> str | None:
    """Jinja source for a relationships part whose hyperlink targets hold tags, else None.

    Word stores ``https://x.test/?id={{ id }}`` percent-encoded; the tags are decoded back.
    Only ``{{ }}`` expressions are recognised in targets.
    """
    from urllib.parse import unquote

    found = False

    def fix_target(match: re.Match[str]) -> str:
        nonlocal found
        value = match.group(2)

        def decode(tag: re.Match[str]) -> str:
            nonlocal found
            found = True
            return _clean(unquote(tag.group(0)))

        return match.group(1) + _ENCODED_TAG_RE.sub(decode, value) + match.group(3)

    source = _REL_TARGET_RE.sub(fix_target, xml)
    if not found:
        return None
    if "{%" in source or "{#" in source:
        _static_block_error(source[source.find("{") :])
    return source
