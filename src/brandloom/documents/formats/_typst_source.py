"""The Typst source of one path through a ``typst`` template part.

A rendered ``typst`` part is a *skeleton* (its template text, one ``OPEN`` mark per value, see
:mod:`brandloom.templates.slots`) plus the values. :func:`layout_source` turns a skeleton into
Typst source in which each mark is a reference to the value's place in the document's data
file, never the value itself:

- in markup and math (``Dear {{ name }},``, ``[{{ item }}]``): ``#brandloom-v.at(3);``, an
  embedded expression closed by its semicolon, so whatever follows (``(``, ``.x``, ``[``) stays
  text. The value is a string, placed as text: Typst parses none of it, so ``*``, ``#``, ``$``,
  ``"`` or ``--`` print as they are (no markup, smart quotes or shorthands). In the arguments of
  ``page`` (a header or footer) it is ``#context brandloom-at(3);``, the same string read from
  the data file where the page is laid out (see ``_PAGE_REF``);
- in code (``#link("https://x.example/?c=" + {{ key }})``, ``#let n = {{ name }}``):
  ``(brandloom-v.at(3))``, a string expression;
- in a comment: nothing.

Refused, naming the line, because the value could not be a value there: a mark inside a
string literal, raw text (backticks), a link written as text or right after a backslash, or
in the arguments of a function that reads a file or runs code (``image``, ``read``, ``json``,
``eval``, ...): contact data never names a file. The part itself may not use ``import``,
``include``, ``eval``, ``plugin`` or ``std`` (a layout loads nothing but the template's assets;
a package import would go to the network) nor the reserved names ``brandloom-data``,
``brandloom-v`` and ``brandloom-at``.

The scanner follows Typst's own modes (markup, code, math, strings, raw, comments; embedded
expressions after ``#`` and where they end) closely enough for templates people write. Where
it could misjudge a mode, the worst outcome is a Typst error or a reference printed as text:
the data never becomes source either way, since a reference is all that is ever written.
"""

from __future__ import annotations

from brandloom.templates.slots import OPEN

__all__ = [
    "DATA_FILE",
    "PREAMBLE_LINES",
    "LayoutSourceError",
    "layout_source",
    "preamble",
]

#: The document's data file (its values, language, direction and fonts), in the project root.
DATA_FILE = "brandloom-data.json"
#: The data file read when the source is evaluated; its values, in order (strings in code).
DATA_NAME = "brandloom-data"
REF_NAME = "brandloom-v"
#: Value ``i`` read from the data file where the page is laid out (text in markup and math).
TEXT_NAME = "brandloom-at"

_MARKUP_REF = f"#{REF_NAME}.at({{}});"
_CODE_REF = f"({REF_NAME}.at({{}}))"
# In the arguments of ``page`` (``set page(footer: [...])``) a value is read where the page is
# laid out, in a context: evaluated into the page's style it would change that style for the
# whole document, and none of the previous document's layout could be reused (a page with its
# customer number in the footer took 3x longer). Elsewhere a context costs more than it saves.
_PAGE_REF = f"#context {TEXT_NAME}({{}});"
_PREAMBLE = (
    f'#let {DATA_NAME} = json("/{DATA_FILE}")\n'
    f"#let {REF_NAME} = {DATA_NAME}.v\n"
    f'#let {TEXT_NAME}(i) = json("/{DATA_FILE}").v.at(i)\n'
    f"#set document(title: {DATA_NAME}.title)\n"
    '#set page(paper: "{paper}")\n'
    f"#set text(font: {DATA_NAME}.fonts, lang: {DATA_NAME}.lang, region: {DATA_NAME}.region, "
    f'dir: if {DATA_NAME}.dir == "rtl" {{ rtl }} else {{ ltr }})\n'
)
#: Lines the preamble adds before the part's own (for error lines).
PREAMBLE_LINES = _PREAMBLE.count("\n")

# Functions whose arguments name a file or hold code: a value may not be one of them.
_FILE_FUNCS = frozenset(
    {"image", "read", "json", "csv", "yaml", "toml", "xml", "cbor", "bibliography"}
    | {"plugin", "eval", "include", "import"}
)
_FORBIDDEN = {
    "import": "`import` is not allowed in the typst part: a layout loads only its assets",
    "include": "`include` is not allowed in the typst part: a layout loads only its assets",
    "eval": "`eval` is not allowed in the typst part: it would run text as code",
    "plugin": "`plugin` is not allowed in the typst part",
    # dictionary(std).at("ev" + "al") would reach eval without naming it
    "std": "`std` is not allowed in the typst part (it would reach eval)",
    **{
        name: f"`{name}` is a reserved name in the typst part"
        for name in (DATA_NAME, REF_NAME, TEXT_NAME)
    },
}
_STATEMENTS = frozenset({"let", "set", "show", "return"})
_LOOPS = frozenset({"if", "while", "for"})
_LINK_CHARS = frozenset("!#$%&*+,-./:;=?@_~'()[]")


class LayoutSourceError(ValueError):
    """A value sits where it cannot be a value, or the part uses something it may not."""

    def __init__(self, reason: str, *, line: int, text: str) -> None:
        super().__init__(f"{reason} (line {line} of the rendered layout: `{text}`)")
        self.reason = reason
        self.line = line
        self.text = text


def _id_start(c: str) -> bool:
    return c.isalpha() or c == "_"


def _id_continue(c: str) -> bool:
    return c.isalnum() or c in "_-"


class _Scanner:
    def __init__(self, skeleton: str) -> None:
        self.s = skeleton
        self.n = len(skeleton)
        self.refs: list[str] = []
        self.page = 0  # inside the arguments of ``page(...)``

    # -- results and errors -------------------------------------------------------------------

    def ref(self, template: str) -> None:
        self.refs.append(template.format(len(self.refs)))

    def fail(self, at: int, reason: str) -> LayoutSourceError:
        s = self.s
        start = s.rfind("\n", 0, at) + 1
        end = s.find("\n", at)
        text = s[start : end if end >= 0 else len(s)].strip().replace(OPEN, "{{…}}")
        return LayoutSourceError(reason, line=s.count("\n", 0, at) + 1, text=text[:120])

    def drop(self, start: int, end: int) -> None:
        """Marks in a comment reference nothing."""
        for _ in range(self.s.count(OPEN, start, end)):
            self.refs.append("")

    def ident(self, i: int) -> tuple[str, int]:
        s, n = self.s, self.n
        j = i + 1
        while j < n and _id_continue(s[j]):
            j += 1
        name = s[i:j]
        reason = _FORBIDDEN.get(name)
        if reason is not None:
            raise self.fail(i, reason)
        return name, j

    # -- lexical pieces shared by every mode ---------------------------------------------------

    def comment(self, i: int) -> int | None:
        """The end of a comment starting at ``i`` (None when there is none)."""
        s = self.s
        if s.startswith("//", i):
            end = s.find("\n", i)
            end = self.n if end < 0 else end
            self.drop(i, end)
            return end
        if s.startswith("/*", i):
            depth, j = 0, i
            while j < self.n:
                if s.startswith("/*", j):
                    depth += 1
                    j += 2
                elif s.startswith("*/", j):
                    depth -= 1
                    j += 2
                    if depth == 0:
                        break
                else:
                    j += 1
            self.drop(i, j)
            return j
        return None

    def string(self, i: int) -> int:
        s, n = self.s, self.n
        j = i + 1
        while j < n:
            c = s[j]
            if c == OPEN:
                raise self.fail(
                    j, 'a value inside a Typst string: join it instead ("Dear " + {{ name }})'
                )
            if c == "\\":
                j += 2
            elif c == '"':
                return j + 1
            else:
                j += 1
        return n

    def raw(self, i: int) -> int:
        s, n = self.s, self.n
        k = i
        while k < n and s[k] == "`":
            k += 1
        ticks = k - i
        if ticks == 2:
            return k
        fence = "`" * (1 if ticks == 1 else ticks)
        end = s.find(fence, k)
        end = n if end < 0 else end + len(fence)
        inside = s.find(OPEN, k, end)
        if inside >= 0:
            raise self.fail(inside, "a value inside raw text (backticks): use #raw({{ value }})")
        return end

    # -- markup ---------------------------------------------------------------------------------

    def markup(self, i: int, closer: str | None) -> int:
        s, n = self.s, self.n
        depth = 0
        while i < n:
            c = s[i]
            if c == OPEN:
                self.ref(_PAGE_REF if self.page else _MARKUP_REF)
                i += 1
            elif c == "\\":
                if i + 1 < n and s[i + 1] == OPEN:
                    raise self.fail(i + 1, "a value right after a backslash")
                i += 2
            elif c == "#":
                i = self.embedded(i + 1)
            elif c == "$":
                i = self.math(i + 1)
            elif c == "`":
                i = self.raw(i)
            elif c == "[":
                depth += 1
                i += 1
            elif c == "]":
                i += 1
                if depth:
                    depth -= 1
                elif closer == "]":
                    return i
            elif c == "/" and (end := self.comment(i)) is not None:
                i = end
            elif c == "h" and s.startswith(("http://", "https://"), i):
                i = self.link(i) if i == 0 or not s[i - 1].isalnum() else i + 1
            else:
                i += 1
        return n

    def link(self, i: int) -> int:
        """A URL written as text: Typst makes it a link, taking what follows into it."""
        s, n = self.s, self.n
        j = i
        while j < n and (s[j].isalnum() or s[j] in _LINK_CHARS):
            j += 1
        if j < n and s[j] == OPEN:
            raise self.fail(
                j, 'a value inside a link written as text: use #link("https://…" + {{ value }})'
            )
        return j

    def math(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c == OPEN:
                self.ref(_PAGE_REF if self.page else _MARKUP_REF)
                i += 1
            elif c == "$":
                return i + 1
            elif c == "\\":
                if i + 1 < n and s[i + 1] == OPEN:
                    raise self.fail(i + 1, "a value right after a backslash")
                i += 2
            elif c == '"':
                i = self.string(i)
            elif c == "#":
                i = self.embedded(i + 1)
            elif c == "/" and (end := self.comment(i)) is not None:
                i = end
            else:
                i += 1
        return n

    # -- code -------------------------------------------------------------------------------

    def embedded(self, i: int) -> int:
        """An expression after ``#`` in markup or math; returns where it ends."""
        s, n = self.s, self.n
        if i >= n:
            return n
        c = s[i]
        callee: str | None = None
        if c == OPEN:
            self.ref(_CODE_REF)
            i += 1
        elif c == "(":
            i = self.code(i + 1, ")")
        elif c == "{":
            i = self.code(i + 1, "}")
        elif c == "[":
            i = self.markup(i + 1, "]")
        elif c == '"':
            i = self.string(i)
        elif _id_start(c):
            name, i = self.ident(i)
            if name in _STATEMENTS:
                return self.code(i, None, statement=True)
            if name in _LOOPS:
                return self.loop(i)
            if name == "context":
                while i < n and s[i] in " \t":
                    i += 1
                return self.embedded(i)
            callee = name
        elif c.isdigit():
            while i < n and (s[i].isalnum() or s[i] == "."):
                i += 1
            return i
        else:
            return i
        return self.postfix(i, callee)

    def postfix(self, i: int, callee: str | None) -> int:
        """Field accesses, calls and trailing content right after an embedded expression."""
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c == "." and i + 1 < n and _id_start(s[i + 1]):
                callee, i = self.ident(i + 1)
            elif c == "(":
                i = self.arguments(i, callee, files=False)
                callee = None
            elif c == "[":
                i = self.markup(i + 1, "]")
                callee = None
            else:
                break
        return i

    def loop(self, i: int) -> int:
        """``if``/``while``/``for``: a header, a block, and ``else`` branches on the same line."""
        s, n = self.s, self.n
        while True:
            i = self.code(i, None, header=True)
            if i >= n or s[i] not in "[{":
                return i
            i = self.block(i)
            j = i
            while j < n and s[j] in " \t":
                j += 1
            if not self.keyword(j, "else"):
                return i
            i = j + 4
            while i < n and s[i] in " \t":
                i += 1
            if self.keyword(i, "if"):
                i += 2
            elif i < n and s[i] in "[{":
                return self.block(i)
            else:
                return i

    def keyword(self, i: int, word: str) -> bool:
        s, end = self.s, i + len(word)
        return s.startswith(word, i) and (end >= self.n or not _id_continue(s[end]))

    def block(self, i: int) -> int:
        """A ``[content]`` or ``{code}`` block starting at ``i``."""
        return self.markup(i + 1, "]") if self.s[i] == "[" else self.code(i + 1, "}")

    def code(
        self,
        i: int,
        closer: str | None,
        *,
        statement: bool = False,
        header: bool = False,
        files: bool = False,
    ) -> int:
        """Code until ``closer`` (consumed); a statement ends at a line break or ``;``, a loop
        header before its block. ``files``: inside the arguments of a file function."""
        s, n = self.s, self.n
        last: str | None = None  # the identifier right before this position (a callee)
        while i < n:
            c = s[i]
            if c == OPEN:
                if files:
                    raise self.fail(
                        i, "a value as a file or code argument: contact data never names a file"
                    )
                self.ref(_CODE_REF)
                i += 1
                last = None
                continue
            if (statement or header) and c == "\n":
                return i
            if header and c in "[{":
                return i
            if statement and c == ";":
                return i + 1
            if c in ")]}":
                return i + 1 if c == closer else i
            if _id_start(c):
                last, i = self.ident(i)
                continue
            i = self.code_piece(i, last, files=files)
            last = None
        return n

    def arguments(self, i: int, callee: str | None, *, files: bool) -> int:
        """A call's arguments, from the ``(`` at ``i``."""
        page = callee == "page"
        self.page += page
        try:
            return self.code(i + 1, ")", files=files or callee in _FILE_FUNCS)
        finally:
            self.page -= page

    def code_piece(self, i: int, last: str | None, *, files: bool) -> int:
        """One string, raw text, nested block, call arguments, math, comment, number or other
        character (``last``: the identifier right before it)."""
        s, n = self.s, self.n
        c = s[i]
        if c == '"':
            return self.string(i)
        if c == "`":
            return self.raw(i)
        if c == "[":
            return self.markup(i + 1, "]")
        if c == "{":
            return self.code(i + 1, "}", files=files)
        if c == "(":
            return self.arguments(i, last, files=files)
        if c == "$":
            return self.math(i + 1)
        if c == "/" and (end := self.comment(i)) is not None:
            return end
        if c.isdigit():
            while i < n and (s[i].isalnum() or s[i] == "."):
                i += 1
            return i
        return i + 1


def layout_source(skeleton: str) -> str:
    """Typst source for ``skeleton``: each mark replaced by a reference to its value (see the
    module doc). Raises :class:`LayoutSourceError` naming the line of a value that cannot be
    one where it is, or of a name the part may not use."""
    scanner = _Scanner(skeleton)
    try:
        scanner.markup(0, None)
    except RecursionError:
        raise LayoutSourceError("the layout nests too deeply", line=1, text="") from None
    pieces = skeleton.split(OPEN)
    refs = scanner.refs
    if len(refs) != len(pieces) - 1:  # pragma: no cover - every mark is visited once
        raise LayoutSourceError("a value was not placed", line=1, text="")
    out = [pieces[0]]
    for ref, piece in zip(refs, pieces[1:], strict=True):
        out.append(ref)
        out.append(piece)
    return "".join(out)


def preamble(paper: str) -> str:
    """What every layout source starts with: the data file, the names that read it, and the
    document's defaults (title, paper, language, direction, fonts) that the part may override."""
    return _PREAMBLE.replace("{paper}", paper)
