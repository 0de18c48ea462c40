"""Derive plain-text and Markdown *templates* from an HTML template, once, at compile time.

Rendering a document then never parses HTML: the derived template is rendered like any
other part. Template tags (``{{ }}``, ``{% %}``; ``{# #}`` comments are dropped) are swapped
for single private-use characters before the HTML is parsed and swapped back afterwards, so
they survive anywhere: in text, in ``href="{{ url | utm(...) }}"``, in attribute names.

Statement tags (``{% for %}``, ``{% if %}``...) are always kept, in document order, even when
they sit in markup that produces no text (attributes, comments, ``<style>``, hidden
elements); a tag that ends up nowhere else is appended at the end, so block structure stays
balanced. Expression tags in content that is not rendered (``<title>``, hidden preheader)
are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

# --- tag protection -----------------------------------------------------------------------

_TAG = re.compile(
    r"""\{\{(?:[^}'"]|'[^']*'|"[^"]*"|\}(?!\}))*\}\}"""
    r"""|\{%(?:[^%'"]|'[^']*'|"[^"]*"|%(?!\}))*%\}"""
    r"""|\{\#.*?\#\}""",
    re.DOTALL,
)
_PLANES = (0xF0000, 0x100000)
_PLANE_SIZE = 0xFFFE
_TRIM_OPEN = re.compile(r"^(\{[{%])[-+~]")
_TRIM_CLOSE = re.compile(r"[-+~]([}%]\})$")

EXPR, STMT = "expr", "stmt"
_LOOP_END = re.compile(r"\{%[-+~]?\s*end(?:for|tablerow)\b")


class _Protected:
    """Source with every template tag replaced by one private-use character."""

    def __init__(self, source: str) -> None:
        base = next(
            (
                plane
                for plane in _PLANES
                if not any(plane <= ord(ch) < plane + _PLANE_SIZE for ch in source)
            ),
            None,
        )
        if base is None:  # pragma: no cover - both supplementary private-use planes in use
            raise ValueError("the template uses characters reserved for tag placeholders")
        self.base = base
        self.tags: list[str] = []
        self.kinds: list[str] = []

        def swap(match: re.Match[str]) -> str:
            tag = match.group(0)
            if tag.startswith("{#"):
                return ""
            if len(self.tags) >= _PLANE_SIZE:
                raise ValueError("the template has too many tags")
            self.tags.append(tag)
            self.kinds.append(EXPR if tag.startswith("{{") else STMT)
            return chr(base + len(self.tags) - 1)

        self.text = _TAG.sub(swap, source)
        self._restore = {
            base + i: _TRIM_CLOSE.sub(r"\1", _TRIM_OPEN.sub(r"\1", tag))
            for i, tag in enumerate(self.tags)
        }

    def index(self, ch: str) -> int:
        i = ord(ch) - self.base
        return i if 0 <= i < len(self.tags) else -1

    def statements(self, text: str) -> list[str]:
        found = []
        for ch in text:
            i = self.index(ch)
            if i >= 0 and self.kinds[i] == STMT:
                found.append(ch)
        return found

    def strip_expressions(self, text: str) -> str:
        return "".join(ch for ch in text if (i := self.index(ch)) < 0 or self.kinds[i] == STMT)

    def restore(self, text: str) -> str:
        return text.translate(self._restore)


# --- output writer --------------------------------------------------------------------------


class _Writer:
    """Accumulates output with lazily-emitted line breaks and spaces.

    ``nl`` counts the newlines that end the real text so far (statements don't count), so a
    block opening right after ``{% for %}`` knows it is already on a fresh line: the loop
    body then renders the same way on every iteration.
    """

    def __init__(
        self,
        tail: Callable[[str], int | None],
        *,
        inline: bool = False,
        prefix: Callable[[], str] | None = None,
    ) -> None:
        self.chunks: list[str] = []
        self.tail = tail
        self.inline = inline
        self.nl = 2
        self.started = False
        self.pending_breaks = 0
        self.pending_space = False
        self.prefix = prefix
        self.lead = 0

    def at_line_start(self) -> bool:
        return self.nl > 0 or (self.pending_breaks > 0 and self.started)

    def space(self) -> None:
        if self.nl == 0 and not self.pending_breaks and self.started:
            last = self.chunks[-1] if self.chunks else ""
            if not last.endswith(" "):
                self.pending_space = True

    def brk(self, count: int = 1) -> None:
        if self.inline:
            self.space()
            return
        if not self.started:
            self.lead = max(self.lead, count)
        self.pending_breaks = max(self.pending_breaks, count)
        self.pending_space = False

    def flush(self) -> None:
        if self.pending_breaks:
            need = self.pending_breaks - self.nl
            if self.started and need > 0:
                self.chunks.append("\n" * need)
                self.nl += need
            self.pending_breaks = 0
            self.pending_space = False
        elif self.pending_space:
            self.chunks.append(" ")
            self.pending_space = False

    def text(self, value: str) -> None:
        if not value:
            return
        self.flush()
        if self.nl and self.prefix is not None:
            lead = self.prefix()
            if lead:
                self.chunks.append(lead)
        self.chunks.append(value)
        self.started = True
        tail = self.tail(value)
        self.nl = self.nl + value.count("\n") if tail is None else tail

    def raw_newline(self, value: str = "\n") -> None:
        """A hard line break (``<br>``) that is never merged with block breaks."""
        self.pending_space = False
        if self.pending_breaks:
            self.flush()
        self.chunks.append(value)
        self.started = True
        self.nl += 1

    def stmt(self, value: str) -> None:
        self.flush()
        self.chunks.append(value)

    def value(self) -> str:
        return "".join(self.chunks)


class _Cell:
    __slots__ = ("lead", "text", "trail")

    def __init__(self, writer: _Writer) -> None:
        self.text = writer.value().strip(" \n")
        self.lead = writer.lead
        self.trail = writer.pending_breaks


class _Row(_Writer):
    """Collects a table row: cells (closed cell writers) and statements between them."""

    def __init__(self, tail: Callable[[str], int | None]) -> None:
        super().__init__(tail)
        self.items: list[_Cell | str] = []

    def text(self, value: str) -> None:
        if value.strip():
            self.items.append(value)

    def stmt(self, value: str) -> None:
        self.items.append(value)

    def brk(self, count: int = 1) -> None:
        return

    def space(self) -> None:
        return

    def raw_newline(self, value: str = "\n") -> None:
        return


# --- converter -------------------------------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input"}
    | {"link", "meta", "param", "source", "track", "wbr"}
)
_SKIP = frozenset({"head", "title", "style", "script", "template", "noscript", "svg", "object"})
_PARA = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
    | {"blockquote", "pre", "dl", "figure", "address", "hr"}
)
_BLOCK = _PARA | frozenset(
    {"div", "li", "tr", "section", "article", "header", "footer", "center", "dt", "dd"}
    | {"caption", "body", "main", "nav", "aside", "form", "fieldset", "figcaption"}
    | {"details", "summary", "html", "tbody", "thead", "tfoot"}
)
# Elements with a dedicated ``_start_<tag>`` method.
_HANDLED = frozenset(
    {"a", "b", "blockquote", "br", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i"}
    | {"img", "li", "ol", "pre", "strong", "table", "td", "th", "tr", "ul"}
)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden"
    r"|max-height\s*:\s*0(?:px)?\s*[;!]?.*overflow\s*:\s*hidden"
    r"|overflow\s*:\s*hidden.*max-height\s*:\s*0(?:px)?\b",
    re.IGNORECASE | re.DOTALL,
)
_HIDDEN_CLASS = re.compile(r"\b(preheader|preview-text|preview|hidden|visually-hidden)\b", re.I)
_TRAILING_WS = re.compile(r"[ \t]+\n")
_WS = re.compile(r"[ \t\n\r\f\v]+")
_MD_LITERAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>"})
_MD_LINE_START = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")


def _md_literal(text: str, at_line_start: bool) -> str:
    text = _MD_ENTITY.sub(r"\\&", text.translate(_MD_LITERAL))
    if at_line_start:
        match = _MD_LINE_START.match(text)
        if match:
            if match.group(1):
                text = "\\" + text
            else:
                digits = match.group(2)
                text = f"{digits}\\{text[len(digits) :]}"
    return text


class _Emphasis:
    __slots__ = ("marker", "start", "writer")

    def __init__(self, marker: str, start: int, writer: _Writer) -> None:
        self.marker = marker
        self.start = start
        self.writer = writer


class _Element:
    __slots__ = ("action", "data", "tag")

    def __init__(self, tag: str, action: str = "", data: object = None) -> None:
        self.tag = tag
        self.action = action
        self.data = data


class _Converter(HTMLParser):
    def __init__(self, protected: _Protected, *, markdown: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.p = protected
        self.md = markdown
        self.stack: list[_Element] = []
        self.writers: list[_Writer] = [_Writer(self._tail, prefix=self._quote_prefix)]
        self.skip = 0
        self.pre = 0
        self.heading = 0
        self.quote = 0
        self.lists: list[str] = []

    # -- helpers --
    @property
    def w(self) -> _Writer:
        return self.writers[-1]

    def _tail(self, text: str) -> int | None:
        """Newlines ending ``text``, ignoring statements; ``None`` if it has no real text."""
        count = 0
        for ch in reversed(text):
            if ch == "\n":
                count += 1
                continue
            i = self.p.index(ch)
            if i >= 0 and self.p.kinds[i] == STMT:
                continue
            return count
        return None

    def _quote_prefix(self) -> str:
        return "> " * self.quote if self.md else ""

    def stmt_only(self, text: str) -> None:
        for ch in self.p.statements(text):
            self.w.stmt(ch)

    def emit_text(self, text: str, *, literal: bool = True) -> None:
        if self.md and literal:
            text = _md_literal(text, self.w.at_line_start())
        self.w.text(text)

    def brk(self, count: int) -> None:
        if self.heading and self.md:
            self.w.space()
        else:
            self.w.brk(count)

    # -- parser callbacks --
    def handle_data(self, data: str) -> None:
        if self.skip:
            self.stmt_only(data)
            return
        if self.pre:
            self.emit_text(data, literal=False)
            return
        pieces = _WS.split(data)
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            if piece:
                self._piece(piece)
            if i < last:
                self.w.space()

    def _piece(self, piece: str) -> None:
        # Statements inside running text keep their place; everything else is text.
        buf: list[str] = []
        for ch in piece:
            i = self.p.index(ch)
            if i >= 0 and self.p.kinds[i] == STMT:
                if buf:
                    self.emit_text("".join(buf))
                    buf = []
                self.w.stmt(ch)
            else:
                buf.append(ch)
        if buf:
            self.emit_text("".join(buf))

    def handle_comment(self, data: str) -> None:
        self.stmt_only(data)

    def handle_decl(self, decl: str) -> None:
        self.stmt_only(decl)

    def unknown_decl(self, data: str) -> None:
        self.stmt_only(data)

    def handle_pi(self, data: str) -> None:
        self.stmt_only(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: (value or "") for name, value in attrs}
        used: set[str] = set()
        if not self.skip:
            if tag == "a" and attr.get("href"):
                used.add("href")
            elif tag == "img":
                used.update(("alt", "src"))
        for name, value in attrs:
            self.stmt_only(name)
            if name not in used and value:
                self.stmt_only(value)
        if self.skip:
            if tag not in _VOID:
                self.stack.append(_Element(tag, "skip"))
                self.skip += 1
            return
        if tag in _SKIP or self._hidden(attr):
            if tag not in _VOID:
                self.stack.append(_Element(tag, "skip"))
                self.skip += 1
            return
        self._implicit_close(tag)
        if tag in _HANDLED:
            getattr(self, f"_start_{tag}")(attr)
            return
        if tag in _BLOCK:
            self.brk(2 if tag in _PARA else 1)
            if tag not in _VOID:
                self.stack.append(_Element(tag, "block", 2 if tag in _PARA else 1))
        elif tag not in _VOID:
            self.stack.append(_Element(tag))

    def handle_endtag(self, tag: str) -> None:
        if not any(el.tag == tag for el in self.stack):
            return
        while self.stack:
            el = self.stack.pop()
            self._close(el)
            if el.tag == tag:
                break

    def close(self) -> None:
        super().close()
        while self.stack:
            self._close(self.stack.pop())

    # -- structure --
    def _hidden(self, attr: dict[str, str]) -> bool:
        if "hidden" in attr:
            return True
        style = self.p.strip_expressions(attr.get("style", ""))
        if style and _HIDDEN_STYLE.search(style):
            return True
        cls = attr.get("class", "")
        return bool(cls and _HIDDEN_CLASS.search(cls))

    def _implicit_close(self, tag: str) -> None:
        closes = {
            "li": ("li", ("ul", "ol")),
            "td": ("td", ("tr", "table")),
            "th": ("th", ("tr", "table")),
            "tr": ("tr", ("table", "tbody", "thead", "tfoot")),
            "p": ("p", ("div", "td", "th", "li", "body", "blockquote")),
            "dt": ("dd", ("dl",)),
            "dd": ("dt", ("dl",)),
        }.get(tag)
        if closes is None:
            return
        target, stops = closes
        targets = {target, "td", "th"} if tag == "tr" else {target}
        if tag in ("td", "th"):
            targets = {"td", "th"}
        for i in range(len(self.stack) - 1, -1, -1):
            current = self.stack[i].tag
            if current in stops:
                return
            if current in targets:
                while len(self.stack) > i:
                    self._close(self.stack.pop())
                return

    def _close(self, el: _Element) -> None:
        action = el.action
        if action == "skip":
            self.skip -= 1
        elif action == "block":
            self.brk(el.data if isinstance(el.data, int) else 1)
        elif action == "link":
            self._end_link(el)
        elif action == "heading":
            self.heading -= 1
            self.brk(2)
        elif action == "emph":
            self._end_emph(el)
        elif action == "list":
            self.lists.pop()
            self.brk(2 if not self.lists else 1)
        elif action == "li":
            self.brk(1)
        elif action == "quote":
            self.quote -= 1
            self.brk(2)
        elif action == "pre":
            self.pre -= 1
            if self.md:
                self.w.raw_newline()
                self.w.text("```")
            self.brk(2)
        elif action == "table":
            self.brk(2)
        elif action == "row":
            self._end_row(el)
        elif action == "cell":
            self._end_cell(el)

    # -- elements --
    def _start_br(self, attr: dict[str, str]) -> None:
        if self.heading or self.w.inline:
            self.w.space()
        else:
            self.w.raw_newline("  \n" if self.md else "\n")

    def _start_hr(self, attr: dict[str, str]) -> None:
        self.brk(2)
        self.emit_text("---", literal=False)
        self.brk(2)

    def _start_img(self, attr: dict[str, str]) -> None:
        if attr.get("width", "").strip() in ("0", "1") or attr.get("height", "").strip() in (
            "0",
            "1",
        ):
            self.stmt_only(attr.get("alt", "") + attr.get("src", ""))
            return
        alt = _WS.sub(" ", attr.get("alt", "")).strip()
        src = attr.get("src", "").strip()
        if self.md and src:
            self.w.text(f"![{_md_literal(alt, False)}]({_md_url(src)})")
        elif alt:
            self.stmt_only(src)
            self.emit_text(alt)
        else:
            self.stmt_only(src)

    def _start_a(self, attr: dict[str, str]) -> None:
        href = attr.get("href", "").strip()
        if not href:
            self.stack.append(_Element("a"))
            return
        self.writers.append(_Writer(self._tail, inline=True))
        self.w.nl = 0  # a link label is never at the start of a Markdown line
        self.stack.append(_Element("a", "link", href))

    def _end_link(self, el: _Element) -> None:
        writer = self.writers.pop()
        href = str(el.data)
        label = _WS.sub(" ", writer.value()).strip()
        if self.p.restore(label) == self.p.restore(href):
            label = href  # same tag text, different placeholder
        plain = href.lower()
        if plain.startswith(("#", "javascript:")):
            self._append_inline(label)
            return
        shown = href
        for scheme in ("mailto:", "tel:"):
            if plain.startswith(scheme):
                shown = href[len(scheme) :]
        if self.md:
            autolink = plain.startswith(("http:", "https:", "mailto:")) or (
                self.p.index(href[0]) >= 0  # a tag, most likely {{ url }}
            )
            if autolink and (not label or label in (href, shown, _md_literal(href, False))):
                self._append_inline(f"<{shown if label == shown else href}>")
            else:
                self._append_inline(f"[{label}]({_md_url(href)})")
        elif not label or label in (href, shown):
            self._append_inline(shown if label == shown else href)
        else:
            self._append_inline(f"{label} ({href})")

    def _append_inline(self, text: str) -> None:
        if text:
            self.w.text(text)

    def _start_heading(self, tag: str) -> None:
        self.brk(2)
        self.heading += 1
        if self.md:
            self.w.text("#" * int(tag[1]) + " ")
        self.stack.append(_Element(tag, "heading"))

    def _start_h1(self, attr: dict[str, str]) -> None:
        self._start_heading("h1")

    def _start_h2(self, attr: dict[str, str]) -> None:
        self._start_heading("h2")

    def _start_h3(self, attr: dict[str, str]) -> None:
        self._start_heading("h3")

    def _start_h4(self, attr: dict[str, str]) -> None:
        self._start_heading("h4")

    def _start_h5(self, attr: dict[str, str]) -> None:
        self._start_heading("h5")

    def _start_h6(self, attr: dict[str, str]) -> None:
        self._start_heading("h6")

    def _start_emph(self, tag: str, marker: str) -> None:
        if not self.md:
            self.stack.append(_Element(tag))
            return
        # Open lazily: the marker is written with the first text inside the element.
        self.w.flush()
        start = len(self.w.chunks)
        self.stack.append(_Element(tag, "emph", _Emphasis(marker, start, self.w)))

    def _end_emph(self, el: _Element) -> None:
        if not isinstance(el.data, _Emphasis) or el.data.writer is not self.w:
            return
        marker, start, writer = el.data.marker, el.data.start, el.data.writer
        body = "".join(writer.chunks[start:])
        if not body.strip():
            return
        # Re-emit the element's text wrapped in the marker, keeping leading whitespace out.
        lead = len(body) - len(body.lstrip())
        writer.chunks[start:] = [body[:lead], marker, body[lead:], marker]

    def _start_strong(self, attr: dict[str, str]) -> None:
        self._start_emph("strong", "**")

    def _start_b(self, attr: dict[str, str]) -> None:
        self._start_emph("b", "**")

    def _start_em(self, attr: dict[str, str]) -> None:
        self._start_emph("em", "*")

    def _start_i(self, attr: dict[str, str]) -> None:
        self._start_emph("i", "*")

    def _start_list(self, tag: str) -> None:
        self.brk(2 if not self.lists else 1)
        self.lists.append(tag)
        self.stack.append(_Element(tag, "list"))

    def _start_ul(self, attr: dict[str, str]) -> None:
        self._start_list("ul")

    def _start_ol(self, attr: dict[str, str]) -> None:
        self._start_list("ol")

    def _start_li(self, attr: dict[str, str]) -> None:
        self.brk(1)
        depth = max(len(self.lists), 1)
        bullet = "1. " if self.md and self.lists and self.lists[-1] == "ol" else "- "
        self.w.text("  " * (depth - 1) + bullet)
        self.stack.append(_Element("li", "li"))

    def _start_blockquote(self, attr: dict[str, str]) -> None:
        self.brk(2)
        self.quote += 1
        self.stack.append(_Element("blockquote", "quote"))

    def _start_pre(self, attr: dict[str, str]) -> None:
        self.brk(2)
        self.pre += 1
        if self.md:
            self.w.text("```")
            self.w.raw_newline()
        self.stack.append(_Element("pre", "pre"))

    def _start_table(self, attr: dict[str, str]) -> None:
        self.brk(2)
        self.stack.append(_Element("table", "table", [0]))

    def _table_rows(self) -> list[int] | None:
        for el in reversed(self.stack):
            if el.action == "table" and isinstance(el.data, list):
                return el.data
        return None

    def _start_tr(self, attr: dict[str, str]) -> None:
        self.brk(1)
        self.writers.append(_Row(self._tail))
        self.stack.append(_Element("tr", "row"))

    def _start_td(self, attr: dict[str, str]) -> None:
        self._start_cell("td")

    def _start_th(self, attr: dict[str, str]) -> None:
        self._start_cell("th")

    def _start_cell(self, tag: str) -> None:
        if not isinstance(self.w, _Row):
            self.brk(1)
            self.stack.append(_Element(tag, "block", 1))
            return
        self.writers.append(_Writer(self._tail))
        self.stack.append(_Element(tag, "cell"))

    def _end_cell(self, el: _Element) -> None:
        cell = _Cell(self.writers.pop())
        row = self.w
        if isinstance(row, _Row):
            row.items.append(cell)

    def _end_row(self, el: _Element) -> None:
        row = self.writers.pop()
        items = row.items if isinstance(row, _Row) else []
        cells = [item for item in items if isinstance(item, _Cell)]
        out = self.w
        inline = len(cells) > 1 and not any("\n" in c.text or c.lead > 1 for c in cells)
        if not inline:
            for item in items:
                if isinstance(item, str):
                    out.stmt(item)
                elif item.text:
                    out.brk(max(1, item.lead))
                    out.text(item.text)
                    out.brk(max(1, item.trail))
            out.brk(1)
            return
        sep = " | "
        parts: list[str] = []
        seen_cell = False
        for item in items:
            if isinstance(item, str):
                parts.append(item)
                continue
            text = item.text.replace("|", "\\|") if self.md else item.text
            if seen_cell:
                parts.append(sep)
            parts.append(text)
            seen_cell = True
        line = "".join(parts)
        rows = self._table_rows()
        out.brk(1)
        if self.md:
            out.text(f"| {line} |")
            if rows is not None and rows[0] == 0:
                out.brk(1)
                out.text("|" + " --- |" * len(cells))
        else:
            out.text(line)
        if rows is not None:
            rows[0] += 1
        out.brk(1)


def _md_url(url: str) -> str:
    if any(ch in url for ch in " ()<>"):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _convert(source: str, *, markdown: bool) -> str:
    protected = _Protected(source)
    converter = _Converter(protected, markdown=markdown)
    converter.feed(protected.text)
    converter.close()
    body = converter.writers[0].value()
    # Nested writers left open by broken markup: fold their text back in.
    for writer in converter.writers[1:]:
        body += writer.value()
    missing = [
        chr(protected.base + i)
        for i, kind in enumerate(protected.kinds)
        if kind == STMT and chr(protected.base + i) not in body
    ]
    body = body.strip(" \n") + "".join(missing)
    # Whitespace before the statements that close the document renders as trailing blanks
    # (unless one of them ends a loop: then the whitespace belongs to the loop body).
    statements = [
        chr(protected.base + i)
        for i, (kind, tag) in enumerate(zip(protected.kinds, protected.tags, strict=True))
        if kind == STMT and not _LOOP_END.match(tag)
    ]
    if statements:
        closing = "[" + "".join(statements) + "]"
        body = re.sub(rf"\s+((?:{closing})+)\s*$", r"\1", body)
    body = re.sub(
        r"[ \t]+\n", lambda m: "  \n" if markdown and m.group(0).startswith("  ") else "\n", body
    )
    return protected.restore(body.strip("\n")) + "\n"


def html_to_text_template(src: str) -> str:
    """A plain-text template from an HTML template (tags preserved, HTML parsed once)."""
    return _convert(src, markdown=False)


def html_to_markdown_template(src: str) -> str:
    """A Markdown template from an HTML template; literal text is Markdown-escaped."""
    return _convert(src, markdown=True)
