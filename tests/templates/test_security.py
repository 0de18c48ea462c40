"""Server-side template injection corpus: every payload fails to compile or renders harmlessly."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from brandloom.errors import BrandloomError
from brandloom.templates.engine import (
    PART_NAMES,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSource,
    TemplateSyntaxError,
    compile_template,
)

SENTINEL_NAME = "BRANDLOOM_SSTI_SENTINEL"
SENTINEL_VALUE = "sentinel-7f3a9c2e-do-not-leak"

# Substrings that only show up when Python internals leak into the output.
LEAK_MARKERS = (
    "class",
    "subclasses",
    "mro",
    "globals",
    "builtin",
    "os.",
    "<module",
    "function",
    "object at 0x",
    "environ",
    "Environment",
    "TemplateReference",
    "root:",
    SENTINEL_VALUE,
)

JINJA_PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__mro__[2].__subclasses__()[40]('/etc/passwd').read() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ [].__class__ }}",
    "{{ {}.__class__.__bases__ }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ lipsum.__globals__.__builtins__.__import__('os').environ }}",
    "{{ namespace.__init__.__globals__.os.environ }}",
    "{% set ns = namespace(a=1) %}{{ ns }}",
    "{{ range.__self__ }}",
    "{% for x in range(10**9) %}{{ x }}{% endfor %}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__dict__ }}",
    "{{ request }}{{ request.environ }}{{ config }}{{ settings.SECRET_KEY }}",
    "{{ config.items() }}",
    "{{ x | attr('__class__') }}",
    "{{ (x | attr('__class__')).__mro__ }}",
    "{{ '{0.__class__}'.format(x) }}",
    "{{ '{0.__class__.__mro__}'.format_map({'0': x}) }}",
    "{{ '%s' | format(x) }}",
    "{{ '%s' % x }}",
    "{{ '%.1000000f' % 1 }}",
    "{% set x = ''.__class__ %}{{ x }}",
    "{% set x = x.__init__ %}{{ x.__globals__ }}",
    "{% with y = ''.__class__ %}{{ y }}{% endwith %}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os.environ }}",
    "{% from 'secrets.html' import key %}{{ key }}",
    "{% extends 'base.html' %}",
    "{{ 'a'.upper.__self__ }}",
    "{{ 'a'.upper.__globals__ }}",
    "{{ ''.join.__self__.__class__ }}",
    "{{ x.__init__.__globals__ }}",
    "{{ x.__getattribute__('__class__') }}",
    "{{ ''['__class__'] }}",
    "{{ ''['_' ~ '_class__'] }}",
    "{{ user['__class__'] }}",
    "{{ x.mro() }}",
    "{{ getattr('', '__class__') }}",
    "{{ dict(a=1) }}{{ dict }}",
    "{{ __builtins__ }}",
    "{{ _ }}",
    "{{ x.upper }}{{ x.format }}{{ user.items }}",
    "{{ os.environ }}{{ environ }}{{ env.HOME }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% call x() %}{% endcall %}",
    "{% block b %}{{ self }}{% endblock %}",
    "{% for a in xs recursive %}{{ loop(a) }}{% endfor %}",
    "{% autoescape false %}{{ evil }}{% endautoescape %}",
    "{{ evil | safe }}",
    "{% filter upper %}{{ ''.__class__ }}{% endfilter %}",
    "{% for a in xs %}{{ loop.__class__ }}{% endfor %}",
    "{{ 'a' * 100000000 }}",
    "{{ 9 ** 9999999 }}",
    "{{ [1] * 100000000 }}",
    "{{ x.ljust(100000000) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ x.replace('', 'y' * 150000) }}",
    "{% set s = 'aaaaaaaaaa' %}" + "{% set s = s ~ s %}" * 30 + "{{ s | length }}",
    "{% set s %}{{ 'a' * 150000 }}{{ 'a' * 150000 }}{% endset %}{{ s | length }}",
    "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% for d in xs %}x"
    "{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "{{ x.__len__ }}{{ x.__doc__ }}",
    "{{ user.get('__class__') }}{{ user.__class__ }}",
]

LIQUID_PAYLOADS = [
    "{{ x.__class__ }}",
    "{{ x['__class__'] }}",
    "{{ user.__class__.__mro__ }}",
    "{{ user['__init__']['__globals__'] }}",
    "{% include 'secrets.liquid' %}",
    "{% render 'secrets.liquid' %}",
    "{% liquid include 'x' %}",
    "{% for i in (1..1000000000) %}{{ i }}{% endfor %}",
    "{{ (1..1000000000) | join }}",
    "{% assign r = (1..1000000000) %}{% for i in r %}{% endfor %}",
    "{% for a in (1..10000) %}{% for b in (1..10000) %}x{% endfor %}{% endfor %}",
    "{% assign s = 'aaaaaaaaaa' %}" + "{% assign s = s | append: s %}" * 30,
    "{{ os.environ }}{{ environ }}{{ env.HOME }}",
    "{{ x | nofilter }}",
    "{% capture c %}{{ x.__class__.__mro__ }}{% endcapture %}{{ c }}",
    "{{ self }}{{ template }}{{ settings }}",
    "{% echo x.__class__ %}",
    "{{ evil }}",
]


@pytest.fixture(autouse=True)
def sentinel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(SENTINEL_NAME, SENTINEL_VALUE)
    yield


def context() -> dict[str, object]:
    return {
        "x": "value",
        "user": {"name": "Ada"},
        "xs": list(range(20)),
        "evil": "<script>alert(1)</script>",
        "env_name": SENTINEL_NAME,
    }


def assert_harmless(source: str, engine: str) -> None:
    try:
        compiled = compile_template(TemplateSource({"html": source, "subject": source}, engine))
    except TemplateSyntaxError:
        return  # includes TemplateSecurityError
    try:
        rendered = compiled.render(context())
    except TemplateRenderError:
        return
    for part, output in rendered.parts.items():
        lowered = output.lower()
        for marker in LEAK_MARKERS:
            assert marker.lower() not in lowered, (part, source, output)
        assert "<script>" not in output or part != "html"
        assert len(output) < 100_000


@pytest.mark.parametrize("payload", JINJA_PAYLOADS)
def test_jinja_payloads_are_harmless(payload: str) -> None:
    started = time.perf_counter()
    assert_harmless(payload, "jinja")
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("payload", LIQUID_PAYLOADS)
def test_liquid_payloads_are_harmless(payload: str) -> None:
    started = time.perf_counter()
    assert_harmless(payload, "liquid")
    assert time.perf_counter() - started < 5


def test_corpus_is_large_enough() -> None:
    assert len(JINJA_PAYLOADS) + len(LIQUID_PAYLOADS) >= 35


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ("{{ ''.__class__ }}", "__class__"),
        ("{{ cycler.__init__ }}", "__init__"),
        ("{% include 'x' %}", "include"),
        ("{% import 'x' as y %}", "import"),
        ("{% extends 'x' %}", "extends"),
        ("{{ range(10) }}", "range"),
        ("{{ self }}", "self"),
        ("{% autoescape false %}{% endautoescape %}", "autoescape"),
        ("{{ '{0}'.format(x) }}", "format"),
    ],
)
def test_dangerous_constructs_fail_at_compile_time(payload: str, needle: str) -> None:
    with pytest.raises(TemplateSecurityError) as info:
        compile_template(TemplateSource({"html": "<p>\n" + payload}))
    err = info.value
    assert isinstance(err, BrandloomError)
    assert err.code == "template.forbidden"
    assert err.status == 422
    assert err.line == 2
    assert payload[err.column - 1 :].startswith(needle)


def test_unknown_filter_is_a_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        compile_template(TemplateSource({"html": "{{ x | attr('__class__') }}"}))
    assert info.value.code == "template.syntax_error"
    assert "unknown filter 'attr'" in info.value.message


def test_globals_are_empty() -> None:
    compiled = compile_template(
        TemplateSource({"subject": "[{{ range }}{{ lipsum }}{{ cycler }}{{ joiner }}]"})
    )
    rendered = compiled.render({})
    assert rendered.parts["subject"] == "[]"
    assert rendered.unresolved == ["range", "lipsum", "cycler", "joiner"]


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 100000000 }}",
        "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% for d in xs %}"
        "{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
        "{% set s = 'aaaaaaaaaa' %}" + "{% set s = s ~ s %}" * 30,
    ],
)
def test_resource_limits_raise_render_errors(source: str) -> None:
    compiled = compile_template(TemplateSource({"text": source}))
    with pytest.raises(TemplateRenderError) as info:
        compiled.render(context())
    assert info.value.code == "template.limit_exceeded"
    assert info.value.part == "text"


def test_sandbox_blocks_dynamic_unsafe_access_at_render() -> None:
    compiled = compile_template(TemplateSource({"subject": "[{{ x[k] }}]"}))
    assert compiled.render({"x": "s", "k": "__class__"}).parts["subject"] == "[]"
    # `upper` passes the compile-time allow-list by name, but at render time it is not a
    # str method here: the sandbox refuses to call it.
    compiled = compile_template(TemplateSource({"subject": "{{ obj.upper() }}"}))
    with pytest.raises(TemplateRenderError) as info:
        compiled.render({"obj": SimpleNamespace(upper=lambda: "called")})
    assert info.value.code == "template.forbidden"


def test_mutating_methods_are_rejected() -> None:
    with pytest.raises(TemplateSecurityError):
        compile_template(TemplateSource({"subject": "{{ xs.append(1) }}"}))
    with pytest.raises(TemplateSecurityError):
        compile_template(TemplateSource({"subject": "{{ user.update(a=1) }}"}))


def test_safe_methods_still_work() -> None:
    compiled = compile_template(
        TemplateSource(
            {
                "subject": "{{ name.split(' ')[0] }}|{{ name.upper() }}|"
                "{{ user.get('name', 'x') }}|{% for k, v in user.items() %}{{ k }}={{ v }}"
                "{% endfor %}|{% for i in xs %}{{ loop.cycle('a', 'b') }}{% endfor %}"
            }
        )
    )
    out = compiled.render({"name": "Ada Lovelace", "user": {"name": "Ada"}, "xs": [1, 2, 3]})
    assert out.parts["subject"] == "Ada|ADA LOVELACE|Ada|name=Ada|aba"


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_every_part_compiles_with_the_same_sandbox(engine: str) -> None:
    bad = "{% include 'x' %}"
    for part in PART_NAMES:
        with pytest.raises(TemplateSyntaxError):
            compile_template(TemplateSource({part: bad}, engine))


def test_environment_is_not_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = compile_template(TemplateSource({"text": "{{ " + SENTINEL_NAME + " }}"}))
    rendered = compiled.render({})
    assert SENTINEL_VALUE not in rendered.parts["text"]
    assert os.environ[SENTINEL_NAME] == SENTINEL_VALUE
