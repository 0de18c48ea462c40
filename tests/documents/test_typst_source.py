"""The Typst source of a layout path: every value a reference, placed by the mode it is in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brandloom.documents.formats._typst_source import LayoutSourceError, layout_source
from brandloom.templates.slots import OPEN

V = OPEN  # one value's place in a skeleton
M = "#brandloom-v.at({});"  # as text, in markup and math
C = "(brandloom-v.at({}))"  # as a string, in code
P = "#context brandloom-at({});"  # as text read where the page is laid out (headers, footers)


@pytest.mark.parametrize(
    ("skeleton", "source"),
    [
        (f"Dear {V},", f"Dear {M.format(0)},"),
        (f"Dear {V}(VIP).x[y]", f"Dear {M.format(0)}(VIP).x[y]"),  # ';' ends the reference
        (f"#table(columns: 2, [A], [{V}])", f"#table(columns: 2, [A], [{M.format(0)}])"),
        (f"#let n = {V}\n{V}", f"#let n = {C.format(0)}\n{M.format(1)}"),
        (
            f'#link("https://x.example/?c=" + {V})[{V}]',
            f'#link("https://x.example/?c=" + {C.format(0)})[{M.format(1)}]',
        ),
        (f"#strong({V}) *{V}*", f"#strong({C.format(0)}) *{M.format(1)}*"),
        (f"#{V}", f"#{C.format(0)}"),
        (f"$ x = {V} $", f"$ x = {M.format(0)} $"),
        (f"// {V}\n/* {V} /* {V} */ */ {V}", f"// \n/*  /*  */ */ {M.format(3)}"),
        (
            f"#if vip [A {V}] else if b {{ {V} }} else [{V}] {V}",
            f"#if vip [A {M.format(0)}] else if b {{ {C.format(1)} }} else "
            f"[{M.format(2)}] {M.format(3)}",
        ),
        (f"#if a [x]\nelse [{V}]", f"#if a [x]\nelse [{M.format(0)}]"),  # no else on a new line
        (f"#for i in items [{V}]", f"#for i in items [{M.format(0)}]"),
        (f"#set text(lang: {V})\n{V}", f"#set text(lang: {C.format(0)})\n{M.format(1)}"),
        (
            f"#show heading: it => [{V} #it]\n{V}",
            f"#show heading: it => [{M.format(0)} #it]\n{M.format(1)}",
        ),
        (f"#context {V}", f"#context {C.format(0)}"),
        (
            f"#raw({V}) `code` ```\nblock\n``` {V}",
            f"#raw({C.format(0)}) `code` ```\nblock\n``` {M.format(1)}",
        ),
        (
            f'"{V}" in markup is smart-quoted text',
            f'"{M.format(0)}" in markup is smart-quoted text',
        ),
        (f"x#{V}y", f"x#{C.format(0)}y"),
        (f"[{V}] ] [{V}]", f"[{M.format(0)}] ] [{M.format(1)}]"),  # text brackets stay text
        (f'#box[#image("logo.png")] {V}', f'#box[#image("logo.png")] {M.format(0)}'),
        ("no values at all", "no values at all"),
        (
            f"#set page(footer: [No. {V}], header: context [{V} #counter(page).display()])\n{V}",
            f"#set page(footer: [No. {P.format(0)}], header: context [{P.format(1)} "
            f"#counter(page).display()])\n{M.format(2)}",
        ),
        (
            f'#set page(footer: text(size: 8pt, "No. " + {V}))\n#page[{V}]',
            f'#set page(footer: text(size: 8pt, "No. " + {C.format(0)}))\n#page[{M.format(1)}]',
        ),
    ],
)
def test_each_value_is_a_reference_for_its_mode(skeleton: str, source: str) -> None:
    assert layout_source(skeleton) == source


@pytest.mark.parametrize(
    ("skeleton", "reason"),
    [
        (f'#let s = "Dear {V}"', "inside a Typst string"),
        (f'$ "{V}" $', "inside a Typst string"),
        (f"`{V}`", "inside raw text"),
        (f"```py {V}```", "inside raw text"),
        (f"see https://x.example/?c={V}", "inside a link written as text"),
        (f"\\{V}", "right after a backslash"),
        (f"#image({V})", "contact data never names a file"),
        (f'#image("img/" + {V} + ".png", width: 2cm)', "contact data never names a file"),
        (f"#box(image({V}))", "contact data never names a file"),
        (f'#read("a" + {V})', "contact data never names a file"),
        (f"#{{ json({V}) }}", "contact data never names a file"),
        ('#import "@preview/cetz:0.3.4": *', "`import` is not allowed"),
        ('#include "other.typ"', "`include` is not allowed"),
        ('#eval("1 + 1")', "`eval` is not allowed"),
        ('#{ calc.eval("1") }', "`eval` is not allowed"),
        ('#plugin("x.wasm")', "`plugin` is not allowed"),
        ('#dictionary(std).at("ev" + "al")("1")', "`std` is not allowed"),
        ("#let brandloom-v = (1,)", "`brandloom-v` is a reserved name"),
        ("#brandloom-data.v", "`brandloom-data` is a reserved name"),
        ("#let brandloom-at(i) = i", "`brandloom-at` is a reserved name"),
    ],
)
def test_values_where_they_cannot_be_values_are_refused(skeleton: str, reason: str) -> None:
    with pytest.raises(LayoutSourceError) as info:
        layout_source("first line\n" + skeleton)
    assert reason in info.value.reason
    assert info.value.line == 2
    assert OPEN not in info.value.text and (V not in skeleton or "{{…}}" in info.value.text)


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=OPEN), max_size=12)))
def test_the_source_is_the_skeleton_with_references_and_nothing_else(texts: list[str]) -> None:
    """Whatever the template text around them, a value becomes a reference or nothing (in a
    comment), never anything else; the template text is kept as it is."""
    skeleton = OPEN.join(texts)
    try:
        source = layout_source(skeleton)
    except LayoutSourceError:
        return
    rest = source
    for i in range(len(texts) - 1):
        for ref in (M.format(i), C.format(i), P.format(i)):
            rest = rest.replace(ref, "", 1)
    assert rest == "".join(texts)
