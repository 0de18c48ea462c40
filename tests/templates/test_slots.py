"""The typst part keeps every expression output apart from its template text (slots)."""

from __future__ import annotations

import pytest

from brandloom.templates.engine import (
    TemplateSource,
    TemplateSyntaxError,
    compile_template,
)
from brandloom.templates.slots import CLOSE, OPEN, SlotError, split_slots, strip_slots

ENGINES = ["jinja", "liquid"]


def typst(source: str, engine: str = "jinja", **context: object) -> tuple[str, list[str]]:
    compiled = compile_template(TemplateSource({"typst": source}, engine, {"typst": "l.typ"}))
    return split_slots(compiled.render(context).parts["typst"])


@pytest.mark.parametrize("engine", ENGINES)
def test_values_are_slots_and_decisions_shape_the_skeleton(engine: str) -> None:
    vip = "{% if vip %}*VIP* {% endif %}Dear {{ name }}, {{ points }} points"
    assert typst(vip, engine, vip=True, name="#a", points=3) == (
        f"*VIP* Dear {OPEN}, {OPEN} points",
        ["#a", "3"],
    )
    assert typst(vip, engine, vip=False, name="b")[0] == f"Dear {OPEN}, {OPEN} points"
    # a value that carries the marks itself can't break the structure
    assert typst(vip, engine, vip=False, name=f"x{CLOSE}#y{OPEN}", points=1)[1] == ["x#y", "1"]


def test_a_loop_gives_one_slot_per_output_per_iteration() -> None:
    rows = "{% for i in items %}[{{ i.name }}], [{{ i.price | currency('EUR') }}],\n{% endfor %}"
    skeleton, values = typst(
        rows, items=[{"name": "Jacket", "price": 99}, {"name": "Boots", "price": 5}]
    )
    assert skeleton == f"[{OPEN}], [{OPEN}],\n[{OPEN}], [{OPEN}],\n"
    assert values == ["Jacket", "€99.00", "Boots", "€5.00"]


def test_a_captured_block_printed_back_is_one_value() -> None:
    skeleton, values = typst(
        "{% set g %}*Hi* {{ name }}{% endset %}{{ g }}|{{ g | upper }}", name="a"
    )
    assert skeleton == f"{OPEN}|{OPEN}"
    assert values == ["*Hi* a", "*HI* A"]  # template text inside it is text too


def test_undefined_names_are_reported_like_any_part() -> None:
    compiled = compile_template(TemplateSource({"typst": "= {{ missing }}"}))
    rendered = compiled.render({})
    assert rendered.unresolved == ["missing"]
    assert split_slots(rendered.parts["typst"]) == (f"= {OPEN}", [""])


@pytest.mark.parametrize(
    ("engine", "source", "reason"),
    [
        (
            "jinja",
            "ok\n{% filter upper %}{{ x }}{% endfilter %}",
            "'filter' blocks are not allowed",
        ),
        ("jinja", f"ok\nText {OPEN}", "U+FDD0 and U+FDD1 are reserved"),
        ("liquid", f"ok\nText {CLOSE}", "U+FDD0 and U+FDD1 are reserved"),
        ("liquid", "ok\n{% cycle 'a', x %}", "unexpected tag 'cycle'"),
        ("liquid", "ok\n{% tablerow i in xs %}{{ i }}{% endtablerow %}", "unexpected tag"),
        ("jinja", "ok\n{% include 'x' %}", "'include' is not allowed"),
        ("jinja", "ok\n{{ x.__class__ }}", "is not allowed"),
    ],
)
def test_what_could_break_a_slot_is_refused_naming_the_line(
    engine: str, source: str, reason: str
) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        compile_template(TemplateSource({"typst": source}, engine, {"typst": "letter.typ"}))
    assert reason in info.value.message
    assert info.value.message.startswith("typst (letter.typ) line 2")


def test_other_parts_may_hold_the_marks() -> None:
    compiled = compile_template(TemplateSource({"text": f"a{OPEN}b"}))
    assert compiled.render({}).parts["text"] == f"a{OPEN}b"


def test_unpaired_marks_never_read_as_template_text() -> None:
    for broken in (f"a{OPEN}b", f"a{CLOSE}b", f"{OPEN}{OPEN}x{CLOSE}", f"{OPEN}x{CLOSE}{CLOSE}"):
        with pytest.raises(SlotError):
            split_slots(broken)
    assert strip_slots(f"Dear {OPEN}Ann{CLOSE}!") == "Dear Ann!"
