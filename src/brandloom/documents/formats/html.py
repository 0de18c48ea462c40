"""Finishing of rendered HTML emails: CSS inlining, head essentials, lang/dir and preheader.

Everything per document is string work on the (already rendered and escaped) HTML plus one call
into css-inline (Rust); no Python-level HTML parsing. The output is deterministic.
"""

from __future__ import annotations

import re
from html import escape

import css_inline

from brandloom.kit.locale import nearest_locale

__all__ = ["HtmlFinisher"]

_DIRECTIONS = frozenset({"ltr", "rtl", "auto"})

_CSS_RE = re.compile(r"<(?:style|link)\b", re.IGNORECASE)
_HTML_OPEN_RE = re.compile(r"<html(?=[\s/>])[^>]*>", re.IGNORECASE)
_HEAD_OPEN_RE = re.compile(r"<head(?=[\s/>])[^>]*>", re.IGNORECASE)
_HEAD_CLOSE_RE = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_OPEN_RE = re.compile(r"<body(?=[\s/>])[^>]*>", re.IGNORECASE)
_DOCTYPE_RE = re.compile(r"\s*<!doctype\b", re.IGNORECASE)
_ATTR_VALUE = r"""(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?(?=[\s/>]|$)"""
_LANG_DIR_ATTR_RE = re.compile(r"\s(?:lang|dir)" + _ATTR_VALUE, re.IGNORECASE)
_DIR_ATTR_RE = re.compile(r"\sdir" + _ATTR_VALUE, re.IGNORECASE)
_CHARSET_RE = re.compile(r"<meta\b[^>]*\bcharset\b[^>]*>", re.IGNORECASE)
_VIEWPORT_RE = re.compile(r"""<meta\b[^>]*\bname\s*=\s*["']?viewport\b""", re.IGNORECASE)

_META_CHARSET = '<meta charset="utf-8">'
_META_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'

# Minimal responsive skeleton for fragments (templates that render only the body content).
_SKELETON_HEAD = (
    "<!DOCTYPE html><html><head>"
    f"{_META_CHARSET}{_META_VIEWPORT}"
    '<meta name="x-apple-disable-message-reformatting">'
    "<title></title></head>"
    '<body style="margin:0;padding:0;word-spacing:normal;">'
)
_SKELETON_TAIL = "</body></html>"

# The usual hidden preview-text block; the mso rule hides it in Outlook desktop too.
_PREHEADER_OPEN = (
    '<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;'
    'opacity:0;overflow:hidden;mso-hide:all;">'
)


class HtmlFinisher:
    """Built once per job; :meth:`finish` is called per document on rendered (escaped) HTML."""

    def __init__(self) -> None:
        self._inliner = css_inline.CSSInliner(
            inline_style_tags=True,
            keep_style_tags=False,
            keep_link_tags=False,
            # @media / @font-face / @supports stay in a <style> block: responsive emails need them.
            keep_at_rules=True,
            load_remote_stylesheets=False,
            minify_css=False,
        )

    def finish(
        self,
        html: str,
        *,
        preheader: str | None = None,
        lang: str | None = None,
        direction: str = "ltr",
    ) -> str:
        """Return a complete, CSS-inlined email document.

        - ``<style>`` rules are inlined into ``style`` attributes; at-rules (``@media`` ...) are
          kept in a ``<style>`` block; ``<link>`` stylesheets are dropped, never fetched.
        - A fragment (no ``<html>``/``<head>``/``<body>``) is wrapped in a minimal responsive
          skeleton.
        - ``<!DOCTYPE html>``, ``<meta charset="utf-8">`` and the viewport meta are ensured.
        - ``lang`` (a locale tag, written in its BCP 47 form; one CLDR does not know is ignored
          and the document's own kept) and ``dir`` are set on ``<html>``.
        - ``preheader`` (plain text, escaped here) becomes the hidden preview-text block right
          after ``<body>``.
        """
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be one of ltr, rtl, auto, not {direction!r}")
        html_tag = _HTML_OPEN_RE.search(html)
        head_tag = _HEAD_OPEN_RE.search(html)
        body_tag = _BODY_OPEN_RE.search(html)
        if html_tag is None and head_tag is None and body_tag is None:
            wrapped = f"{_SKELETON_HEAD}{html}{_SKELETON_TAIL}"
            out = wrapped if _CSS_RE.search(html) is None else self._inliner.inline(wrapped)
        elif html_tag is None or head_tag is None or body_tag is None or _CSS_RE.search(html):
            # css-inline always serializes a complete html/head/body document.
            out = self._inliner.inline(html)
        else:
            out = html
        tag = nearest_locale(lang)
        return self._finish_document(
            out, preheader, tag.tag if tag is not None else None, direction
        )

    @staticmethod
    def _finish_document(out: str, preheader: str | None, lang: str | None, direction: str) -> str:
        parts: list[str] = []
        if _DOCTYPE_RE.match(out) is None:
            parts.append("<!DOCTYPE html>")

        # <html ...> with lang / dir set.
        html_tag = _HTML_OPEN_RE.search(out)
        if html_tag is None:  # pragma: no cover - guaranteed by finish()
            raise ValueError("document without <html> element")
        tag = html_tag.group()
        if lang is not None:
            tag = _LANG_DIR_ATTR_RE.sub("", tag[:-1])
            tag = f'{tag} lang="{escape(lang)}" dir="{direction}">'
        else:
            tag = _DIR_ATTR_RE.sub("", tag[:-1])
            tag = f'{tag} dir="{direction}">'
        parts.append(out[: html_tag.start()])
        parts.append(tag)
        pos = html_tag.end()

        # <head>: ensure charset and viewport metas.
        head_tag = _HEAD_OPEN_RE.search(out, pos)
        if head_tag is None:  # pragma: no cover - guaranteed by finish()
            raise ValueError("document without <head> element")
        head_close = _HEAD_CLOSE_RE.search(out, head_tag.end())
        head_end = head_close.start() if head_close is not None else head_tag.end()
        head = out[head_tag.end() : head_end]
        parts.append(out[pos : head_tag.end()])
        # The charset declaration goes first (it must be within the first 1024 bytes and the
        # kept @media block precedes it otherwise); any other declaration is replaced: the
        # document is always sent as UTF-8.
        parts.append(_META_CHARSET)
        if _VIEWPORT_RE.search(head) is None:
            parts.append(_META_VIEWPORT)
        if _CHARSET_RE.search(head) is not None:
            parts.append(_CHARSET_RE.sub("", head))
            pos = head_end
        else:
            pos = head_tag.end()

        # <body>: the hidden preheader goes first.
        if preheader:
            body_tag = _BODY_OPEN_RE.search(out, head_end)
            if body_tag is None:  # pragma: no cover - guaranteed by finish()
                raise ValueError("document without <body> element")
            parts.append(out[pos : body_tag.end()])
            parts.append(_PREHEADER_OPEN)
            parts.append(escape(_single_line(preheader)))
            parts.append("</div>")
            pos = body_tag.end()
        parts.append(out[pos:])
        return "".join(parts)


_WS_RE = re.compile(r"\s+")


def _single_line(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()
