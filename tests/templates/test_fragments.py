"""compile_fragment: template text inside another format, compiled exactly like a part."""

from __future__ import annotations

import pytest

from brandloom.templates.engine import compile_fragment
from brandloom.templates.errors import (
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)


def _amp(value: object) -> str:
    return str(value).replace("&", "&amp;")


def test_fragment_renders_through_the_callers_finalize() -> None:
    fragment = compile_fragment(
        "<x>{{ name }}</x>\n<y>{{ city|default('?') }}</y>", part="word/document.xml", finalize=_amp
    )
    assert fragment.variables == frozenset({"name", "city"})
    assert [(u.name, u.line, u.has_fallback) for u in fragment.uses] == [
        ("name", 1, False),
        ("city", 2, True),
    ]
    assert fragment.render({"name": "A & B"}, []) == "<x>A &amp; B</x>\n<y>?</y>"
    sink: list[str] = []
    assert fragment.render({"city": "C"}, sink) == "<x></x>\n<y>C</y>"
    assert sink == ["name"]


def test_fragment_is_validated_like_a_part() -> None:
    with pytest.raises(TemplateSecurityError) as caught:
        compile_fragment("ok\n{{ ''.__class__ }}", part="p", origin="t.docx")
    assert (caught.value.part, caught.value.origin, caught.value.line) == ("p", "t.docx", 2)
    with pytest.raises(TemplateSecurityError):
        compile_fragment("{% include 'x' %}", part="p")
    with pytest.raises(TemplateSyntaxError, match="unknown filter"):
        compile_fragment("{{ a|nosuchfilter }}", part="p")
    with pytest.raises(TemplateSyntaxError) as syntax:
        compile_fragment("a\nb {{ x + }}", part="p")
    assert syntax.value.line == 2


def test_fragment_is_hardened_like_a_part() -> None:
    looping = compile_fragment(
        "{% for i in xs %}{% for j in xs %}x{% endfor %}{% endfor %}", part="p"
    )
    with pytest.raises(TemplateRenderError) as caught:
        looping.render({"xs": list(range(200))}, [])
    assert caught.value.code == "template.limit_exceeded"
    capped = compile_fragment("{{ text }}", part="p", max_output=5)
    assert capped.render({"text": "12345"}, []) == "12345"
    with pytest.raises(TemplateRenderError) as too_long:
        capped.render({"text": "123456"}, [])
    assert (too_long.value.code, too_long.value.part) == ("template.limit_exceeded", "p")
    with pytest.raises(TemplateRenderError):
        compile_fragment("{{ missing + 1 }}", part="p").render({}, [])
