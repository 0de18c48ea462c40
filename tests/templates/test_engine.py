"""Compile/render contract: parts, escaping, variable analysis, unresolved tracking."""

from __future__ import annotations

import pickle
import threading

import pytest

from brandloom.templates.engine import (
    PART_NAMES,
    CompiledTemplate,
    Rendered,
    TemplateError,
    TemplateRenderError,
    TemplateSource,
    TemplateVariableError,
    VariableUse,
    check_variables,
    compile_template,
)
from brandloom.templates.slots import OPEN, split_slots

ENGINES = ["jinja", "liquid"]


def compile_one(part: str, text: str, engine: str = "jinja") -> CompiledTemplate:
    return compile_template(TemplateSource({part: text}, engine))


# --- variables -------------------------------------------------------------------------------


def test_fallbacks_in_jinja() -> None:
    compiled = compile_template(
        TemplateSource(
            {
                "subject": "Hi {{ first_name | default('there') }}",
                "preheader": "{% if city %}In {{ city }}{% endif %}",
                "html": "<p>{{ first_name }}</p>\n<p>{{ last_name | d('') }}</p>\n"
                "<p>{{ nick if nick else 'friend' }}</p>\n"
                "{% if vip is defined and vip %}{{ vip.level }}{% endif %}\n"
                "{% if not promo %}none{% else %}{{ promo }}{% endif %}\n"
                "{% for p in products %}{{ p.name }}{{ loop.index }}{% endfor %}\n"
                "{% set greeting = 'x' %}{{ greeting }}{{ company }}",
            }
        )
    )
    required = compiled.required_variables()
    assert set(required) == {"first_name", "products", "company"}
    assert required["first_name"] == VariableUse("first_name", "html", 1, False)
    assert required["company"].line == 7
    names = [u.name for u in compiled.variables]
    assert "p" not in names and "loop" not in names and "greeting" not in names
    by_name = {(u.name, u.part): u for u in compiled.variables}
    assert by_name[("first_name", "subject")].has_fallback
    assert by_name[("city", "preheader")].has_fallback
    assert by_name[("promo", "html")].has_fallback
    assert by_name[("nick", "html")].has_fallback
    assert by_name[("vip", "html")].has_fallback


def test_fallbacks_in_liquid() -> None:
    compiled = compile_template(
        TemplateSource(
            {
                "subject": "Hi {{ first_name | default: 'there' }}",
                "html": "<p>{{ first_name }}</p>\n{% if city %}{{ city }}{% endif %}\n"
                "{% unless promo %}x{% else %}{{ promo }}{% endunless %}\n"
                "{% for p in products %}{{ p.name }}{{ forloop.index }}{% endfor %}\n"
                "{% assign g = 'x' %}{{ g }}{{ company }}",
            },
            "liquid",
        )
    )
    required = compiled.required_variables()
    assert set(required) == {"first_name", "products", "company"}
    assert required["first_name"] == VariableUse("first_name", "html", 1, False)
    assert required["company"].line == 5


@pytest.mark.parametrize("engine", ENGINES)
def test_check_variables_lists_every_missing_name_with_part_and_line(engine: str) -> None:
    compiled = compile_template(
        TemplateSource(
            {"subject": "Hi {{ first_name }}", "html": "<p>\n{{ city }} {{ email }}</p>"}, engine
        )
    )
    check_variables(compiled, ["first_name", "city", "email"])
    with pytest.raises(TemplateVariableError) as info:
        check_variables(compiled, ["email"])
    err = info.value
    assert err.missing == [
        VariableUse("first_name", "subject", 1, False),
        VariableUse("city", "html", 2, False),
    ]
    assert err.code == "template.unknown_variable"
    assert err.status == 422
    assert "first_name (subject line 1)" in err.message
    assert "city (html line 2)" in err.message


def test_fallback_only_variables_are_not_required() -> None:
    compiled = compile_one("subject", "Hi {{ first_name | default('there') }}")
    assert compiled.required_variables() == {}
    check_variables(compiled, [])


# --- rendering + escaping ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_html_is_escaped_and_raw_parts_are_not(engine: str) -> None:
    parts = dict.fromkeys(PART_NAMES, "{{ v }}")
    compiled = compile_template(TemplateSource(parts, engine))
    out = compiled.render({"v": "<script>alert('x')</script> & [a](b)"}).parts
    assert out["html"] == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; [a](b)"
    for raw in ("subject", "preheader", "text", "sms", "unsubscribe_url"):
        assert out[raw] == "<script>alert('x')</script> & [a](b)"
    for md in ("markdown", "pdf"):
        assert out[md] == "\\<script\\>alert('x')\\</script\\> & \\[a\\](b)"


@pytest.mark.parametrize("engine", ENGINES)
def test_contact_data_is_never_rendered_as_a_template(engine: str) -> None:
    parts = dict.fromkeys(PART_NAMES, "[{{ v }}]")
    compiled = compile_template(TemplateSource(parts, engine))
    value = "{{ 7*7 }}{% if true %}yes{% endif %}"
    for part, output in compiled.render({"v": value}).parts.items():
        assert "49" not in output, (part, output)
        if part == "typst":  # kept apart from the template text, as one slot
            assert split_slots(output) == (f"[{OPEN}]", [value])
            continue
        plain = output.replace("\\", "")  # markdown/pdf escape '*'
        assert f"[{value}]" in plain.replace("&#39;", "'"), (part, output)


@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_part_escapes_links_and_html(engine: str) -> None:
    compiled = compile_one("markdown", "Hello **{{ name }}**, see [our shop]({{ url }})", engine)
    out = compiled.render(
        {"name": "[click](http://evil.example) <b>x</b>", "url": "https://a.example/x_y"}
    )
    assert out.parts["markdown"] == (
        "Hello **\\[click\\](http://evil.example) \\<b\\>x\\</b\\>**, "
        "see [our shop](https://a.example/x\\_y)"
    )


def test_none_and_callables_render_empty() -> None:
    compiled = compile_one("subject", "[{{ a }}|{{ b }}|{{ s.upper }}]")
    assert compiled.render({"a": None, "b": 0, "s": "x"}).parts["subject"] == "[|0|]"


@pytest.mark.parametrize("engine", ENGINES)
def test_unresolved_names_are_recorded_per_render(engine: str) -> None:
    fallback = "{{ x | default('y') }}" if engine == "jinja" else "{{ x | default: 'y' }}"
    compiled = compile_template(
        TemplateSource(
            {"subject": "{{ a }}{{ b }}", "html": "{{ a }}{{ c.d }}", "text": fallback}, engine
        )
    )
    first = compiled.render({"b": "B", "c": {"d": "D"}})
    assert first.unresolved == ["a"]
    assert (first.parts["subject"], first.parts["html"], first.parts["text"]) == ("B", "D", "y")
    second = compiled.render({"a": "A"})
    assert second.unresolved == ["b", "c"]
    third = compiled.render({"a": 1, "b": 2, "c": {"d": 3}})
    assert third.unresolved == []
    assert first.unresolved == ["a"]  # not mutated by later renders


def test_unresolved_is_isolated_between_threads() -> None:
    compiled = compile_one("subject", "{{ n0 }}{{ n1 }}{{ n2 }}{{ n3 }}{{ n4 }}{{ n5 }}")
    errors: list[str] = []

    def worker(i: int) -> None:
        for _ in range(300):
            ctx = {f"n{j}": "x" for j in range(6) if j != i}
            result = compiled.render(ctx)
            if result.unresolved != [f"n{i}"]:
                errors.append(f"{i}: {result.unresolved}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_render_selected_parts_and_rendered_type() -> None:
    compiled = compile_template(
        TemplateSource({"subject": "S {{ a }}", "html": "<p>H {{ a }}</p>", "sms": "M"})
    )
    assert compiled.parts == ("subject", "html", "text", "markdown", "sms")
    assert compiled.derived == frozenset({"text", "markdown"})
    result = compiled.render({"a": 1}, ["text", "subject", "preheader"])
    assert isinstance(result, Rendered)
    assert list(result.parts) == ["subject", "text"]  # canonical order, missing part skipped
    assert result.parts["text"] == "H 1\n"
    assert compiled.render({"a": 1}, ("sms",)).parts == {"sms": "M"}
    with pytest.raises(TemplateError) as info:
        compiled.render({}, ["body"])
    assert info.value.code == "template.unknown_part"


def test_given_text_is_not_replaced_by_derivation() -> None:
    compiled = compile_template(TemplateSource({"html": "<p>x</p>", "text": "own"}))
    assert compiled.derived == frozenset({"markdown"})
    assert compiled.render({}).parts["text"] == "own"


def test_invalid_sources() -> None:
    with pytest.raises(TemplateError) as info:
        compile_template(TemplateSource({"body": "x"}))
    assert info.value.code == "template.unknown_part"
    with pytest.raises(TemplateError) as info:
        compile_template(TemplateSource({"subject": "x"}, "mustache"))
    assert info.value.code == "template.unknown_engine"
    with pytest.raises(TemplateError):
        compile_template(TemplateSource({}))


def test_render_errors_are_brandloom_errors() -> None:
    compiled = compile_one("subject", "{{ price * 2 }}")
    assert compiled.render({"price": 3}).parts["subject"] == "6"
    with pytest.raises(TemplateRenderError) as info:
        compiled.render({})
    assert info.value.part == "subject"
    assert info.value.status == 422


def test_missing_values_compare_false_and_chain() -> None:
    compiled = compile_one(
        "subject", "{% if score > 3 %}hi{% else %}lo{% endif %}|{{ contact.address.city }}|"
    )
    out = compiled.render({})
    assert out.parts["subject"] == "lo||"
    assert out.unresolved == ["contact"]


@pytest.mark.parametrize("engine", ENGINES)
def test_compiled_templates_pickle_by_recompiling(engine: str) -> None:
    compiled = compile_template(
        TemplateSource({"subject": "Hi {{ name }}"}, engine, {"subject": "a.txt"})
    )
    clone = pickle.loads(pickle.dumps(compiled))
    assert clone.engine == engine
    assert clone.render({"name": "Ada"}).parts == {"subject": "Hi Ada"}


@pytest.mark.parametrize("engine", ENGINES)
def test_loops_and_conditions(engine: str) -> None:
    if engine == "jinja":
        text = "{% for p in items %}{{ loop.index }}:{{ p.name | upper }} {% endfor %}"
    else:
        text = "{% for p in items %}{{ forloop.index }}:{{ p.name | upcase }} {% endfor %}"
    compiled = compile_one("text", text, engine)
    out = compiled.render({"items": [{"name": "a"}, {"name": "b"}]})
    assert out.parts["text"] == "1:A 2:B "


@pytest.mark.parametrize(
    ("engine", "fallback"),
    [("jinja", "{{ frist_name | default('') }}"), ("liquid", "{{ frist_name | default: '' }}")],
)
def test_an_unknown_variable_suggests_the_closest_lists_the_rest_and_names_the_file(
    engine: str, fallback: str
) -> None:
    compiled = compile_template(
        TemplateSource(
            {"subject": "Hi", "html": "<p>\n\n{{ frist_name }}</p>"},
            engine,
            origins={"html": "/brand/email.html"},
        )
    )
    with pytest.raises(TemplateVariableError) as info:
        check_variables(compiled, ["email", "first_name", "city"])
    message = info.value.message
    assert "frist_name (html, /brand/email.html line 3) (did you mean `first_name`?)" in message
    assert "Available variables: city, email, first_name" in message
    assert fallback in message
    assert info.value.details["available"] == ["city", "email", "first_name"]
