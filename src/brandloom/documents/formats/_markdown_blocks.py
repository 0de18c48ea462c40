"""Markdown -> a small, engine-neutral block/inline tree made of lists and strings.

The tree is JSON-ready data: a PDF engine gets it as data (never as markup), so contact text
that survived Markdown escaping can't turn into engine markup. Nodes:

Blocks
    ``["h", level, inl]``  heading, level 1-6
    ``["p", inl]``         paragraph
    ``["ul", tight, items]`` / ``["ol", tight, start, items]``  lists, an item is a block list
    ``["q", blocks]``      block quote
    ``["code", text]``     fenced or indented code
    ``["hr"]``             thematic break
    ``["t", aligns, head, rows]``  table: aligns ``"start" | "center" | "end" | ""``,
                           head a list of cells, rows a list of lists of cells; a cell is ``inl``

Inlines (``inl`` is a list of these)
    ``str``                text (adjacent text merged)
    ``["b", inl]`` / ``["i", inl]`` / ``["s", inl]``  strong / emphasis / strikethrough
    ``["a", url, inl]``    link (http, https, mailto and tel only; others become plain text)
    ``["c", text]``        inline code
    ``["br"]``             hard line break

Raw HTML is not enabled: it stays literal text. Images become their alt text (no fetching).
Nesting deeper than ``MAX_DEPTH`` is flattened so the engine's recursion stays bounded.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["MAX_DEPTH", "Block", "Inline", "MarkdownBlocks"]

Inline = str | list[Any]
Block = list[Any]

MAX_DEPTH = 8
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
# C0/C1 controls other than tab and newline, and noncharacters: never useful in a document.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_ALIGN = {"text-align:left": "start", "text-align:center": "center", "text-align:right": "end"}


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
    )


class _Inlines:
    """Builds one inline list from markdown-it inline children."""

    __slots__ = ("out", "stack")

    def __init__(self) -> None:
        self.out: list[Inline] = []
        self.stack: list[list[Inline]] = [self.out]

    def text(self, text: str) -> None:
        if not text:
            return
        cur = self.stack[-1]
        if cur and isinstance(cur[-1], str):
            cur[-1] += text
        else:
            cur.append(text)

    def softbreak(self) -> None:
        # A line break inside a paragraph is a space, except between two CJK characters.
        cur = self.stack[-1]
        if cur and isinstance(cur[-1], str) and cur[-1] and _is_cjk(cur[-1][-1]):
            cur.append("\n")  # marker, resolved by the next text
        else:
            self.text(" ")

    def push(self, node: list[Any], body: list[Inline]) -> None:
        self.stack[-1].append(node)
        self.stack.append(body)

    def pop(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    def finish(self) -> list[Inline]:
        return _clean(self.out)


def _clean(items: list[Inline]) -> list[Inline]:
    """Resolve soft-break markers, merge text, drop empty wrappers."""
    out: list[Inline] = []
    pending_break = False
    for item in items:
        if item == "\n":
            pending_break = True
            continue
        if isinstance(item, str):
            if pending_break and not _is_cjk(item[0]):
                item = " " + item
            pending_break = False
            if out and isinstance(out[-1], str):
                out[-1] += item
            else:
                out.append(item)
            continue
        if pending_break:
            pending_break = False
            if out and isinstance(out[-1], str):
                out[-1] += " "
            else:
                out.append(" ")
        kind = item[0]
        if kind in ("b", "i", "s"):
            body = _clean(item[1])
            if body:
                out.append([kind, body])
        elif kind == "a":
            body = _clean(item[2])
            out.append(["a", item[1], body or [item[1]]])
        else:
            out.append(item)
    return out


class MarkdownBlocks:
    """Parses Markdown into the block tree. Build once, call ``parse`` per document."""

    def __init__(self) -> None:
        md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        md.enable(["table", "strikethrough"])
        self._md = md

    def parse(self, markdown: str) -> list[Block]:
        text = _CONTROL_RE.sub("", markdown.replace("\r\n", "\n").replace("\r", "\n"))
        tokens = self._md.parse(text)
        blocks, _ = self._blocks(tokens, 0, len(tokens), 0)
        return blocks

    # -- blocks -------------------------------------------------------------------------------

    def _blocks(self, tokens: list[Token], i: int, end: int, depth: int) -> tuple[list[Block], int]:
        """Blocks from ``tokens[i:end]`` (stops early at an unmatched close token)."""
        out: list[Block] = []
        while i < end:
            tok = tokens[i]
            kind = tok.type
            if kind == "heading_open":
                level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
                out.append(["h", min(max(level, 1), 6), self._inline(tokens[i + 1])])
                i += 3
            elif kind == "paragraph_open":
                inl = self._inline(tokens[i + 1])
                if inl:
                    out.append(["p", inl])
                i += 3
            elif kind in ("bullet_list_open", "ordered_list_open"):
                close = _matching(tokens, i)
                items = self._items(tokens, i + 1, close, depth + 1)
                tight = not any(t.type == "paragraph_open" and not t.hidden for t in
                                tokens[i:close])
                if depth >= MAX_DEPTH:
                    for item in items:
                        out.extend(item)
                elif kind == "bullet_list_open":
                    out.append(["ul", tight, items])
                else:
                    start = tok.attrs.get("start", 1)
                    out.append(["ol", tight, int(start) if isinstance(start, int | str)
                                and str(start).isdigit() else 1, items])
                i = close + 1
            elif kind == "blockquote_open":
                close = _matching(tokens, i)
                inner, _ = self._blocks(tokens, i + 1, close, depth + 1)
                if depth >= MAX_DEPTH:
                    out.extend(inner)
                else:
                    out.append(["q", inner])
                i = close + 1
            elif kind in ("fence", "code_block"):
                out.append(["code", tok.content.rstrip("\n")])
                i += 1
            elif kind == "hr":
                out.append(["hr"])
                i += 1
            elif kind == "table_open":
                close = _matching(tokens, i)
                out.append(self._table(tokens, i + 1, close))
                i = close + 1
            elif kind == "inline":  # e.g. tight list item paragraphs without wrappers
                inl = self._inline(tok)
                if inl:
                    out.append(["p", inl])
                i += 1
            else:
                i += 1
        return out, i

    def _items(self, tokens: list[Token], i: int, end: int, depth: int) -> list[list[Block]]:
        items: list[list[Block]] = []
        while i < end:
            if tokens[i].type == "list_item_open":
                close = _matching(tokens, i)
                inner, _ = self._blocks(tokens, i + 1, close, depth)
                items.append(inner)
                i = close + 1
            else:
                i += 1
        return items

    def _table(self, tokens: list[Token], i: int, end: int) -> Block:
        aligns: list[str] = []
        head: list[list[Inline]] = []
        rows: list[list[list[Inline]]] = []
        row: list[list[Inline]] | None = None
        in_head = False
        while i < end:
            tok = tokens[i]
            if tok.type == "thead_open":
                in_head = True
            elif tok.type == "thead_close":
                in_head = False
            elif tok.type == "tr_open":
                row = []
            elif tok.type == "tr_close" and row is not None:
                if in_head:
                    head = row
                else:
                    rows.append(row)
                row = None
            elif tok.type in ("th_open", "td_open") and row is not None:
                if in_head:
                    style = tok.attrs.get("style", "")
                    aligns.append(_ALIGN.get(str(style), ""))
                row.append(self._inline(tokens[i + 1]) if tokens[i + 1].type == "inline" else [])
            i += 1
        width = max([len(head), *(len(r) for r in rows)]) if (head or rows) else 0
        aligns += [""] * (width - len(aligns))
        head += [[] for _ in range(width - len(head))] if head else []
        rows = [r + [[] for _ in range(width - len(r))] for r in rows]
        return ["t", aligns[:width], head, rows]

    # -- inlines ------------------------------------------------------------------------------

    def _inline(self, tok: Token) -> list[Inline]:
        b = _Inlines()
        for child in tok.children or ():
            kind = child.type
            if kind == "text":
                b.text(child.content)
            elif kind == "softbreak":
                b.softbreak()
            elif kind == "hardbreak":
                b.stack[-1].append(["br"])
            elif kind == "strong_open":
                body: list[Inline] = []
                b.push(["b", body], body)
            elif kind == "em_open":
                body = []
                b.push(["i", body], body)
            elif kind == "s_open":
                body = []
                b.push(["s", body], body)
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                body = []
                if href.lower().startswith(_LINK_SCHEMES):
                    b.push(["a", href, body], body)
                else:  # keep the text, drop the link
                    b.push(["i", body], body)
                    b.stack[-2][-1] = ["_", body]
            elif kind in ("strong_close", "em_close", "s_close", "link_close"):
                b.pop()
            elif kind == "code_inline":
                b.stack[-1].append(["c", child.content])
            elif kind == "image":
                b.text(child.content)
            elif kind in ("html_inline", "html_block"):
                b.text(child.content)
            else:
                b.text(child.content)
        return _unwrap(b.finish())


def _unwrap(items: list[Inline]) -> list[Inline]:
    """Replace ``["_", body]`` placeholders (links with unsupported schemes) by their body."""
    if not any(isinstance(x, list) for x in items):
        return items
    out: list[Inline] = []
    for item in items:
        if isinstance(item, list):
            if item[0] == "_":
                out.extend(_unwrap(item[1]))
                continue
            if item[0] in ("b", "i", "s"):
                item = [item[0], _unwrap(item[1])]
            elif item[0] == "a":
                item = ["a", item[1], _unwrap(item[2])]
        out.append(item)
    return _clean(out)


def _matching(tokens: list[Token], i: int) -> int:
    """Index of the close token matching the open token at ``i`` (same nesting level)."""
    level = tokens[i].level
    close_type = tokens[i].type.replace("_open", "_close")
    j = i + 1
    n = len(tokens)
    while j < n:
        t = tokens[j]
        if t.type == close_type and t.level == level:
            return j
        j += 1
    return n - 1
