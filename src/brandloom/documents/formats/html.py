"""Finishing of rendered HTML emails: CSS inlining, head essentials, lang/dir and preheader,
and the brand's layout around a fragment.

Everything per document is string work on the (already rendered and escaped) HTML plus one call
into css-inline (Rust); no Python-level HTML parsing. The output is deterministic.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

import css_inline

from brandloom.documents.formats._brand import fit
from brandloom.kit.locale import nearest_locale

if TYPE_CHECKING:
    from brandloom.documents.formats._brand import KitView

__all__ = ["BrandFrame", "HtmlFinisher"]

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


#: An ``<a`` start tag without a ``style`` attribute (``<abbr>``, ``<area>`` are other tags).
_A_UNSTYLED_RE = re.compile(r"<a(?=[\s>/])(?![^>]*\sstyle\s*=)", re.IGNORECASE)
#: A heading's start tag without a ``style`` attribute.
_H_UNSTYLED_RE = re.compile(r"<(h[1-6])(?=[\s>/])(?![^>]*\sstyle\s*=)", re.IGNORECASE)
_LOGO_MAX = (200, 56)  # the header's logo box in CSS pixels (width, height)
_OUTER_BACKGROUND = "#F4F4F4"
_FOOTER_TEXT = "#6B6B6B"
_RULE = "#E3E3E3"


class BrandFrame:
    """A brand's e-mail layout, built once per job (see :meth:`HtmlFinisher.finish`).

    The usual e-mail-safe shape: a full-width table with a 600 px centered one inside (a
    conditional table holds Outlook's Word engine to 600 px; others take ``max-width``, and
    a narrow screen gets the whole width), a header with the logo (``alt``: the brand's name)
    or the name, a rule in the primary color, the content cell in the kit's text color and font
    stack, and a footer with the address and legal lines. Kit text is data: it is HTML-escaped
    here. ``logo_src`` is how the logo is reached: a ``data:`` URI in standalone HTML, a
    ``cid:`` reference in an e-mail; None leaves the logo out (the name stands there).
    """

    __slots__ = ("_closes", "_heading_style", "_link_style", "_opens", "logo_src")

    def __init__(self, kit: KitView, *, logo_src: str | None) -> None:
        self.logo_src = logo_src
        self._link_style = f'<a style="color:{kit.link};text-decoration:underline;"'
        self._heading_style = rf'<\1 style="color:{kit.primary};"'
        self._opens = {
            direction: _frame_open(kit, logo_src, direction) for direction in _DIRECTIONS
        }
        self._closes = {direction: _frame_close(kit, direction) for direction in _DIRECTIONS}

    def wrap(self, fragment: str, direction: str) -> str:
        """``fragment`` inside the layout: a complete document, its links in the link color
        and its headings in the primary color (one with its own ``style`` keeps it)."""
        if "<a" in fragment or "<A" in fragment:
            fragment = _A_UNSTYLED_RE.sub(self._link_style, fragment)
        if "<h" in fragment or "<H" in fragment:
            fragment = _H_UNSTYLED_RE.sub(self._heading_style, fragment)
        return self._opens[direction] + fragment + self._closes[direction]

    def wrap_styled(self, fragment: str, direction: str) -> str:
        """For a fragment with its own ``<style>``, inlined with the layout: the layout's rules
        for links and headings come first, so the fragment's own rules win."""
        return self._opens[direction] + fragment + self._closes[direction]


def _frame_open(kit: KitView, logo_src: str | None, direction: str) -> str:
    side = "right" if direction == "rtl" else "left"
    font = kit.font_stack
    if logo_src is not None:
        width, height = fit(kit.logo_size, *_LOGO_MAX)
        brand = (
            f'<img src="{escape(logo_src)}" alt="{escape(kit.name)}" width="{width}"'
            f' height="{height}" style="display:inline-block;border:0;outline:none;'
            f'text-decoration:none;width:{width}px;height:{height}px;max-width:100%;">'
        )
    else:
        brand = (
            f'<span dir="{kit.name_dir}" style="font-family:{font};font-size:22px;'
            f'line-height:28px;font-weight:bold;color:{kit.primary};">{escape(kit.name)}</span>'
        )
    pad = "padding-left:32px;padding-right:32px;"
    return (
        "<!DOCTYPE html><html><head>"
        f"{_META_CHARSET}{_META_VIEWPORT}"
        '<meta name="x-apple-disable-message-reformatting">'
        '<meta name="format-detection" content="telephone=no,address=no,email=no,date=no">'
        "<title></title>"
        f"<style>a{{color:{kit.link};}}h1,h2,h3,h4,h5,h6{{color:{kit.primary};}}"
        "@media (max-width:620px){.bl-pad{padding-left:16px !important;"
        "padding-right:16px !important;}}</style></head>"
        f'<body style="margin:0;padding:0;word-spacing:normal;'
        f'background-color:{_OUTER_BACKGROUND};">'
        f'<div role="article" aria-roledescription="email" aria-label="{escape(kit.name)}"'
        f' style="background-color:{_OUTER_BACKGROUND};">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
        f' style="width:100%;border-collapse:collapse;background-color:{_OUTER_BACKGROUND};">'
        '<tr><td align="center" style="padding:24px 0;">'
        '<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0"'
        ' border="0" align="center"><tr><td><![endif]-->'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
        ' style="width:100%;max-width:600px;border-collapse:collapse;'
        f'background-color:{kit.background};">'
        f'<tr><td class="bl-pad" align="{side}" style="{pad}padding-top:24px;'
        f"padding-bottom:16px;text-align:{side};border-bottom:3px solid {kit.primary};"
        f'line-height:1;">{brand}</td></tr>'
        f'<tr><td class="bl-pad" style="{pad}padding-top:24px;padding-bottom:24px;'
        f'font-family:{font};font-size:16px;line-height:1.5;color:{kit.text};">'
    )


def _frame_close(kit: KitView, direction: str) -> str:
    lines = []
    if kit.address:
        lines.append(" &middot; ".join(escape(line) for line in kit.address))
    lines.extend(escape(line) for line in kit.legal_footer)
    # the kit's text in its own direction, at the document's start side
    side = "right" if direction == "rtl" else "left"
    footer = (
        f'<tr><td class="bl-pad" dir="{kit.footer_dir}" align="{side}"'
        ' style="padding:16px 32px 24px 32px;'
        f"border-top:1px solid {_RULE};font-family:{kit.font_stack};font-size:12px;"
        f'line-height:1.5;color:{_FOOTER_TEXT};text-align:{side};">'
        + "<br>".join(lines)
        + "</td></tr>"
        if lines
        else ""
    )
    return (
        f"</td></tr>{footer}</table>"
        "<!--[if mso]></td></tr></table><![endif]-->"
        "</td></tr></table></div></body></html>"
    )


class HtmlFinisher:
    """Built once per job; :meth:`finish` is called per document on rendered (escaped) HTML.

    ``brand``: the layout a fragment is wrapped in (else the minimal skeleton).
    """

    def __init__(self, brand: BrandFrame | None = None) -> None:
        self._brand = brand
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
          skeleton, or in the brand's layout when the finisher has one (a whole document is the
          author's layout and is left as it is).
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
            styled = _CSS_RE.search(html) is not None
            brand = self._brand
            if brand is None:
                wrapped = f"{_SKELETON_HEAD}{html}{_SKELETON_TAIL}"
                out = self._inliner.inline(wrapped) if styled else wrapped
            elif styled:
                out = self._inliner.inline(brand.wrap_styled(html, direction))
            else:
                out = brand.wrap(html, direction)
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
