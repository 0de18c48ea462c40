"""Property tests: arbitrary contact data never breaks rendering or escaping."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandloom.templates.derive import html_to_markdown_template, html_to_text_template
from brandloom.templates.engine import CompiledTemplate, TemplateSource, compile_template

TRICKY = ["{{", "}}", "{%", "%}", "<", ">", "&", '"', "'", "\\", "*", "_", "[", "](", "#", "\n"]
values = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
    st.lists(st.sampled_from(TRICKY) | st.text(max_size=3), max_size=12).map("".join),
)

JINJA_PARTS = {
    "subject": "{{ v | title }}|{{ v | url_encode }}|{{ v | date('long') }}|{{ v | number }}",
    "preheader": "{{ v }}",
    "html": '<p>{{ v }}</p><a href="{{ v | utm(source=v) }}">{{ v | upper }}</a>',
    "sms": "{{ v | currency('EUR') }}{{ v | percent }}{{ v | truncate(20) }}",
    "markdown": "**{{ v }}**",
    "pdf": "{{ v | default('none') }}",
    "unsubscribe_url": "{{ v | replace('a', 'b') | trim }}",
}
LIQUID_PARTS = {
    "subject": "{{ v | title }}|{{ v | url_encode }}|{{ v | date: 'long' }}|{{ v | number }}",
    "preheader": "{{ v }}",
    "html": '<p>{{ v }}</p><a href="{{ v | utm: source: v }}">{{ v | upcase }}</a>',
    "sms": "{{ v | currency: 'EUR' }}{{ v | percent }}{{ v | truncate: 20 }}",
    "markdown": "**{{ v }}**",
    "pdf": "{{ v | default: 'none' }}",
    "unsubscribe_url": "{{ v | replace: 'a', 'b' | strip }}",
}
COMPILED = {
    "jinja": compile_template(TemplateSource(JINJA_PARTS, "jinja")),
    "liquid": compile_template(TemplateSource(LIQUID_PARTS, "liquid")),
}
HTML_BODY = re.compile(r"^<p>(.*)</p><a href=\"(.*)\">(.*)</a>$", re.DOTALL)


def unescaped(text: str, char: str) -> bool:
    """True if ``char`` appears without an odd run of backslashes before it."""
    for match in re.finditer(re.escape(char), text):
        run = len(text[: match.start()]) - len(text[: match.start()].rstrip("\\"))
        if run % 2 == 0:
            return True
    return False


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values)
def test_arbitrary_values_render_safely(engine: str, value: str) -> None:
    compiled: CompiledTemplate = COMPILED[engine]
    for locale in ("en-US", "ar-EG"):
        out = compiled.render({"v": value, "locale": locale}).parts
        assert out["preheader"] == value
        match = HTML_BODY.match(out["html"])
        assert match is not None, out["html"]
        for piece in match.groups():
            assert "<" not in piece and ">" not in piece and '"' not in piece
        assert not unescaped(out["markdown"][2:-2], "<")
        assert not unescaped(out["markdown"][2:-2], "[")
        assert "{{" not in value or "{{" in out["preheader"]


@settings(max_examples=60, deadline=None)
@given(value=values)
def test_derived_text_renders_arbitrary_values(value: str) -> None:
    compiled = compile_template(TemplateSource({"html": "<h1>Hi {{ v }}</h1><p>{{ v }}</p>"}))
    out = compiled.render({"v": value}).parts
    assert out["text"].startswith("Hi ")
    assert not unescaped(out["markdown"], "<")


BLOCKS = st.sampled_from(
    [
        "<p>text</p>",
        "<div>",
        "</div>",
        "<table><tr><td>a</td>",
        "<td>b</td></tr></table>",
        "<ul><li>",
        "</li></ul>",
        '<a href="{{ url }}">',
        "</a>",
        "<br>",
        '<img src="x.png" alt="{{ alt }}">',
        "{{ name }}",
        "<!-- c -->",
        '<span style="display:none">',
        "</span>",
        "<style>p{}",
        "</style>",
        "&amp; * _ # 1.",
    ]
)


@st.composite
def html_templates(draw: st.DrawFn) -> str:
    """Random (often malformed) HTML with balanced template statements sprinkled in."""
    pieces: list[str] = []
    for i in range(draw(st.integers(0, 4))):
        pieces.extend(draw(st.lists(BLOCKS, max_size=4)))
        kind = draw(st.sampled_from(["if", "for"]))
        pieces.append(f"{{% if c{i} %}}" if kind == "if" else f"{{% for x{i} in xs %}}")
        pieces.extend(draw(st.lists(BLOCKS, max_size=4)))
        pieces.append("{% endif %}" if kind == "if" else "{% endfor %}")
    pieces.extend(draw(st.lists(BLOCKS, max_size=4)))
    return "".join(pieces)


@settings(max_examples=200, deadline=None)
@given(html=html_templates())
def test_derived_templates_always_compile(html: str) -> None:
    for derive in (html_to_text_template, html_to_markdown_template):
        derived = derive(html)
        assert not re.search("[\U000f0000-\U0010ffff]", derived)
        assert derived.count("{%") == html.count("{%")
        compile_template(TemplateSource({"text": derived}))
