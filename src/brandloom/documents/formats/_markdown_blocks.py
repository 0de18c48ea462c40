"""Markdown -> a small, engine-neutral block/inline tree made of lists and strings.

The tree is plain JSON-ready data. A PDF engine gets it as data, never as markup, so contact
text can't become markup of the engine, whatever characters it holds. Parsing is done by
markdown-it-py (CommonMark + tables + strikethrough, raw HTML disabled: it stays literal text).

Blocks
    ``["h", level, inl]``            heading, level 1-6
    ``["p", inl]``                   paragraph
    ``["ul", tight, items]``         bullet list; an item is a list of blocks
    ``["ol", tight, start, items]``  ordered list
    ``["q", blocks]``                block quote
    ``["code", text]``               fenced or indented code
    ``["hr"]``                       thematic break
    ``["t", aligns, head, rows]``    table: aligns ``"start" | "center" | "end" | ""`` per column,
                                     head a list of cells (may be empty), rows lists of cells;
                                     a cell is an ``inl``; every row has as many cells as aligns

Inlines (``inl`` is a list of these)
    ``str``                          text (adjacent text is merged)
    ``["b", inl]`` / ``["i", inl]`` / ``["s", inl]``   strong / emphasis / strikethrough
    ``["a", url, inl]``              link: http(s), mailto and tel only; others stay plain text
    ``["c", text]``                  inline code
    ``["br"]``                       hard line break

Images become their alt text (nothing is fetched). A soft line break is a space, except between
two CJK characters where it disappears. Nesting deeper than ``MAX_DEPTH`` (blocks) or
``MAX_INLINE_DEPTH`` (inlines) is flattened, so an engine's recursion stays bounded.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["MAX_DEPTH", "MAX_INLINE_DEPTH", "Block", "Inline", "MarkdownBlocks"]

Inline = str | list[Any]
Block = list[Any]

MAX_DEPTH = 6
MAX_INLINE_DEPTH = 6
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
# C0/C1 controls other than tab and newline, and the noncharacters U+FFFE/U+FFFF.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_ALIGN = {"text-align:left": "start", "text-align:center": "center", "text-align:right": "end"}
_WRAPPERS = {"strong_open": "b", "em_open": "i", "s_open": "s", "link_open": "a"}
_CLOSERS = frozenset({"strong_close", "em_close", "s_close", "link_close"})
_SOFT: list[Any] = ["sb"]  # soft-break marker, resolved by _clean()


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
    )


def _last_char(items: list[Inline]) -> str:
    if items and isinstance(items[-1], str) and items[-1]:
        return items[-1][-1]
    return ""


def _clean(items: list[Inline]) -> list[Inline]:
    """Merge adjacent text and resolve soft breaks (space, or nothing between CJK chars)."""
    out: list[Inline] = []
    soft = False
    for item in items:
        if item is _SOFT:
            soft = True
            continue
        if soft:
            soft = False
            prev = _last_char(out)
            nxt = item[0] if isinstance(item, str) and item else ""
            if not (prev and nxt and _is_cjk(prev) and _is_cjk(nxt)):
                item = " " + item if isinstance(item, str) else item
                if not isinstance(item, str):
                    out.append(" ")
        if isinstance(item, str):
            if not item:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += item
            else:
                out.append(item)
        else:
            out.append(item)
    if soft:
        out.append(" ")
    return out


class MarkdownBlocks:
    """Parses Markdown into the block tree. Build once, call ``parse`` per document."""

    def __init__(self) -> None:
        # maxNesting: markdown-it drops text nested deeper than this (default 20); deeper
        # structure than MAX_DEPTH is flattened by us anyway.
        md = MarkdownIt(
            "commonmark",
            {"html": False, "linkify": False, "typographer": False, "maxNesting": 64},
        )
        md.enable(["table", "strikethrough"])
        self._md = md

    def parse(self, markdown: str) -> list[Block]:
        text = _CONTROL_RE.sub("", markdown.replace("\r\n", "\n").replace("\r", "\n"))
        return self._blocks(self._md.parse(text))

    # -- blocks -------------------------------------------------------------------------------

    def _blocks(self, tokens: list[Token]) -> list[Block]:
        """One pass over the token stream with a stack of open containers."""
        root: list[Block] = []
        blocks = root  # where the next block goes
        # Open containers: [kind, blocks-to-restore, payload...]
        stack: list[list[Any]] = []
        inl: list[Inline] = []
        depth = 0  # open lists + block quotes
        for tok in tokens:
            kind = tok.type
            if kind == "inline":
                inl = self._inline(tok)
                if stack and stack[-1][0] == "row":
                    stack[-1][2].append(inl)
            elif kind == "paragraph_open":
                inl = []
                if not tok.hidden:
                    for frame in reversed(stack):
                        if frame[0] == "quote":
                            break
                        if frame[0] == "list":
                            frame[3] = False  # a loose list
                            break
            elif kind == "paragraph_close":
                if inl:
                    blocks.append(["p", inl])
            elif kind == "heading_open":
                inl = []
            elif kind == "heading_close":
                level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
                if inl:
                    blocks.append(["h", min(max(level, 1), 6), inl])
            elif kind in ("bullet_list_open", "ordered_list_open"):
                number: int | None = None  # None: a bullet list
                if kind == "ordered_list_open":
                    start = tok.attrs.get("start", 1)
                    number = max(int(start), 0) if isinstance(start, int | float) else 1
                # ["list", parent blocks, items, tight, start number or None]
                stack.append(["list", blocks, [], True, number])
                depth += 1
            elif kind == "list_item_open":
                item: list[Block] = []
                stack.append(["item", blocks, item])
                blocks = item
            elif kind == "list_item_close":
                frame = stack.pop()
                blocks = frame[1]
                stack[-1][2].append(frame[2])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                _, blocks, items, tight, start = stack.pop()
                depth -= 1
                if depth >= MAX_DEPTH:
                    for item in items:
                        blocks.extend(item)
                elif start is None:
                    blocks.append(["ul", tight, items])
                else:
                    blocks.append(["ol", tight, start, items])
            elif kind == "blockquote_open":
                inner: list[Block] = []
                stack.append(["quote", blocks, inner])
                blocks = inner
                depth += 1
            elif kind == "blockquote_close":
                _, blocks, inner = stack.pop()
                depth -= 1
                if depth >= MAX_DEPTH:
                    blocks.extend(inner)
                elif inner:
                    blocks.append(["q", inner])
            elif kind in ("fence", "code_block"):
                code = tok.content.rstrip("\n")
                if code:
                    blocks.append(["code", code])
            elif kind == "hr":
                blocks.append(["hr"])
            elif kind == "table_open":
                # ["table", parent blocks, aligns, head, rows]
                stack.append(["table", blocks, [], [], []])
            elif kind == "th_open":
                stack[-2][2].append(_ALIGN.get(str(tok.attrs.get("style", "")), ""))
            elif kind == "tr_open":
                stack.append(["row", blocks, []])
            elif kind == "tr_close":
                row = stack.pop()[2]
                table = stack[-1]
                if table[3] or table[4] or not table[2]:
                    table[4].append(row)
                else:  # the first row of a table is its head
                    table[3].extend(row)
            elif kind == "table_close":
                _, blocks, aligns, head, rows = stack.pop()
                width = max([len(aligns), len(head), *(len(r) for r in rows)])
                if width:
                    aligns += [""] * (width - len(aligns))
                    if head:
                        head += [[] for _ in range(width - len(head))]
                    rows = [r + [[] for _ in range(width - len(r))] for r in rows]
                    blocks.append(["t", aligns, head, rows])
            # html_block is off; other tokens (thead/tbody/td wrappers) carry nothing
        return root

    # -- inlines ------------------------------------------------------------------------------

    def _inline(self, tok: Token) -> list[Inline]:
        root: list[Inline] = []
        # (kind or None when flattened, url, parent list) for every open wrapper
        stack: list[tuple[str | None, str, list[Inline]]] = []
        cur = root
        for child in tok.children or ():
            kind = child.type
            if kind == "text":
                cur.append(child.content)
            elif kind == "softbreak":
                cur.append(_SOFT)
            elif kind == "hardbreak":
                cur.append(["br"])
            elif kind in _WRAPPERS:
                wrapper: str | None = _WRAPPERS[kind]
                url = ""
                if wrapper == "a":
                    url = str(child.attrs.get("href", ""))
                    if not url.lower().startswith(_LINK_SCHEMES):
                        wrapper = None
                if len(stack) >= MAX_INLINE_DEPTH:
                    wrapper = None
                stack.append((wrapper, url, cur))
                cur = []
            elif kind in _CLOSERS:
                if stack:
                    cur = _close(stack, cur)
            elif kind == "code_inline":
                cur.append(["c", child.content])
            else:  # image (alt text), html_inline (off), anything else: its text
                cur.append(child.content)
        while stack:
            cur = _close(stack, cur)
        return _clean(cur)


def _close(stack: list[tuple[str | None, str, list[Inline]]], body: list[Inline]) -> list[Inline]:
    wrapper, url, parent = stack.pop()
    inner = _clean(body)
    if wrapper is None:
        parent.extend(inner)
    elif wrapper == "a":
        parent.append(["a", url, inner or [url]])
    elif inner:
        parent.append([wrapper, inner])
    return parent
