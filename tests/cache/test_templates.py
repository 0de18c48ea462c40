"""Stored templates through the cache, and compiled Jinja code reused without losing the sandbox."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cache import LocalCache, RedisCache
from brandloom.db.engine import unit_of_work
from brandloom.errors import NotFoundError
from brandloom.templates import _jinja
from brandloom.templates.engine import (
    TemplateRenderError,
    TemplateSource,
    TemplateSyntaxError,
    compile_template,
)
from brandloom.templates.service import (
    compile_variants,
    get_template,
    save_template,
    template_cache_key,
)
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import create_workspace
from tests.cache.test_auth import count_queries
from tests.factories import HTML
from tests.templates.test_security import JINJA_PAYLOADS
from tests.templates.test_security import context as payload_context


class CountingCache(LocalCache):
    def __init__(self) -> None:
        super().__init__()
        self.hits = 0

    def get(self, key: str) -> bytes | None:
        value = super().get(key)
        self.hits += value is not None
        return value


def _saved(factory: sessionmaker[Session]) -> tuple[str, str, str]:
    with unit_of_work(factory) as session:
        a = create_workspace(session, name="acme").workspace
        b = create_workspace(session, name="globex").workspace
        template = save_template(
            session, a, name="spring", engine="jinja", parts={"subject": "Hi {{ name }}"}
        )
        return a.id, b.id, template.id


# --- stored templates -------------------------------------------------------------------------


def test_a_cached_template_costs_no_query(factory: sessionmaker[Session], engine: Engine) -> None:
    ws_id, _, tpl_id = _saved(factory)
    cache = LocalCache()
    with unit_of_work(factory) as session:
        get_template(session, ws_id, template_id=tpl_id, cache=cache)
    with count_queries(engine) as statements, unit_of_work(factory) as session:
        template = get_template(session, ws_id, template_id=tpl_id, cache=cache)
        assert (template.name, template.engine, template.parts) == (
            "spring",
            "jinja",
            {"subject": "Hi {{ name }}"},
        )
        assert template.created_at.tzinfo is not None
    assert statements == []
    with unit_of_work(factory) as session:
        again = get_template(session, ws_id, template_id=tpl_id, cache=cache)
        assert again.docx is None, "the Word document loads from the database on access"


def test_the_cache_does_not_cross_workspaces(factory: sessionmaker[Session]) -> None:
    ws_a, ws_b, tpl_id = _saved(factory)
    cache = LocalCache()
    with unit_of_work(factory) as session:
        get_template(session, ws_a, template_id=tpl_id, cache=cache)
    with unit_of_work(factory) as session, pytest.raises(NotFoundError):
        workspace = session.get(Workspace, ws_b)
        assert workspace is not None
        get_template(session, workspace, template_id=tpl_id, cache=cache)
    # Even a planted entry under the other workspace's key is not believed.
    cache.set(
        template_cache_key(ws_b, tpl_id), cache.get(template_cache_key(ws_a, tpl_id)) or b"", 60
    )
    with unit_of_work(factory) as session, pytest.raises(NotFoundError):
        get_template(session, ws_b, template_id=tpl_id, cache=cache)


def test_a_rolled_back_template_is_never_cached(factory: sessionmaker[Session]) -> None:
    ws_id, _, _ = _saved(factory)
    cache = LocalCache()
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        draft = save_template(session, workspace, name="draft", engine="jinja", parts={"sms": "x"})
        get_template(session, workspace, template_id=draft.id, cache=cache)
        draft_id = draft.id
        raise RuntimeError("the request failed")
    assert cache.get(template_cache_key(ws_id, draft_id)) is None
    with unit_of_work(factory) as session, pytest.raises(NotFoundError):
        get_template(session, ws_id, template_id=draft_id, cache=cache)


def test_templates_are_shared_through_redis(
    factory: sessionmaker[Session], redis_url: str, redis_prefix: str
) -> None:
    ws_id, _, tpl_id = _saved(factory)
    one = RedisCache(redis_url, prefix=redis_prefix)
    two = RedisCache(redis_url, prefix=redis_prefix)
    with unit_of_work(factory) as session:
        get_template(session, ws_id, template_id=tpl_id, cache=one)
    assert two.get(template_cache_key(ws_id, tpl_id)) is not None
    with unit_of_work(factory) as session:
        assert get_template(session, ws_id, template_id=tpl_id, cache=two).name == "spring"


# --- compiled templates -----------------------------------------------------------------------

FULL = {
    "subject": "Spring sale for {{ first_name | default('you') }}",
    "preheader": "{% for i in range_ %}{{ i }}{% endfor %}{{ items | join(', ') }}",
    "html": HTML + "{% for item in items %}<li>{{ item | upper }}</li>{% endfor %}",
    "sms": "{{ first_name }}: {{ 'x' ~ city }} {{ amount | currency('EUR') }}",
    "pdf": "# {{ first_name }} *{{ city }}*",
}
DATA: dict[str, Any] = {
    "first_name": "<b>Ann</b>",
    "city": "Berlin_*",
    "items": ["a", "b<"],
    "range_": [1, 2, 3],
    "amount": 12.5,
    "locale": "de-DE",
}


def _outcome(source: TemplateSource, data: dict[str, Any], cache: Any) -> tuple[Any, ...]:
    try:
        compiled = compile_template(source, cache=cache)
    except TemplateSyntaxError as exc:
        return ("compile", type(exc).__name__, exc.code, str(exc))
    try:
        rendered = compiled.render(data)
    except TemplateRenderError as exc:
        return ("render", exc.code, str(exc), compiled.variables)
    return ("ok", rendered.parts, rendered.unresolved, compiled.variables, compiled.derived)


def test_a_cache_hit_renders_exactly_like_a_fresh_compile() -> None:
    source = TemplateSource(FULL)
    fresh = _outcome(source, DATA, None)
    cache = CountingCache()
    cold = _outcome(source, DATA, cache)
    assert cache.hits == 0
    warm = _outcome(source, DATA, cache)
    assert cache.hits == len(FULL) + 4  # every part, plus derived text/markdown and their code
    assert fresh[0] == "ok"
    assert fresh == cold == warm


def test_a_cache_hit_skips_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = LocalCache()
    source = TemplateSource({"html": HTML, "subject": "Hi {{ first_name }}"})
    compile_template(source, cache=cache)

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("parsed although the compiled code was cached")

    monkeypatch.setattr(_jinja.Sandbox, "parse", refuse)
    monkeypatch.setattr(_jinja.Sandbox, "compile", refuse)
    assert compile_template(source, cache=cache).render(DATA).parts["subject"] == "Hi <b>Ann</b>"
    with pytest.raises(AssertionError):
        compile_template(source)


def test_the_same_text_in_differently_escaped_parts_is_compiled_for_each() -> None:
    cache = LocalCache()
    text = "{{ first_name }} {{ city }}"
    compile_template(TemplateSource({"subject": text}), cache=cache)
    rendered = compile_template(
        TemplateSource({"subject": text, "html": text, "markdown": text}), cache=cache
    ).render(DATA)
    assert rendered.parts["subject"] == "<b>Ann</b> Berlin_*"
    assert rendered.parts["html"] == "&lt;b&gt;Ann&lt;/b&gt; Berlin_*"
    assert rendered.parts["markdown"] == r"\<b\>Ann\</b\> Berlin\_\*"


@pytest.mark.parametrize("payload", JINJA_PAYLOADS)
def test_sandbox_escapes_stay_blocked_when_cached(payload: str) -> None:
    source = TemplateSource({"html": payload, "subject": payload})
    cache = LocalCache()
    fresh = _outcome(source, payload_context(), None)
    cold = _outcome(source, payload_context(), cache)
    warm = _outcome(source, payload_context(), cache)
    assert fresh == cold == warm
    if fresh[0] == "ok":
        for output in fresh[1].values():
            assert "class" not in output.lower() and "globals" not in output.lower()


def test_a_runtime_blocked_payload_is_still_blocked_from_the_cache() -> None:
    source = TemplateSource({"subject": "{{ '%s' % x }}", "sms": "{{ x[key] }}"})
    cache = CountingCache()
    compile_template(source, cache=cache)
    compiled = compile_template(source, cache=cache)
    assert cache.hits == 2
    with pytest.raises(TemplateRenderError) as info:
        compiled.render({"x": "v"}, parts=["subject"])
    assert info.value.code == "template.forbidden"
    # Item access with an underscore name from data goes through the sandbox's getitem.
    rendered = compiled.render({"x": "v", "key": "__class__"}, parts=["sms"])
    assert "class" not in rendered.parts["sms"]


def test_templates_that_fail_to_compile_are_not_cached() -> None:
    cache = LocalCache()
    source = TemplateSource({"subject": "{{ ''.__class__ }}"})
    for _ in range(2):
        with pytest.raises(TemplateSyntaxError):
            compile_template(source, cache=cache)
    assert len(cache) == 0


def test_an_unreadable_entry_is_compiled_again() -> None:
    cache = LocalCache()
    text = "Hi {{ first_name }}"
    cache.set(_jinja.code_cache_key(text, "raw"), b"\x00garbage", 60)
    compiled = compile_template(TemplateSource({"subject": text}), cache=cache)
    assert compiled.render(DATA).parts["subject"] == "Hi <b>Ann</b>"


def test_compiled_code_never_goes_to_redis(
    redis_url: str, redis_prefix: str, redis_client: redis.Redis
) -> None:
    shared = RedisCache(redis_url, prefix=redis_prefix)
    source = TemplateSource({"html": HTML, "subject": "Hello {{ first_name }}"})
    first = compile_template(source, cache=shared)
    second = compile_template(source, cache=shared)
    assert first.render(DATA).parts == second.render(DATA).parts
    assert list(redis_client.scan_iter(match=redis_prefix + "*")) == []


def test_variants_share_compiled_parts_and_still_pickle() -> None:
    cache = CountingCache()
    variants = {"A": {}, "B": {"subject": "{{ first_name }}, spring is here"}}
    compiled = compile_variants(
        engine="jinja", parts={"subject": "Hi", "html": HTML}, variants=variants, cache=cache
    )
    assert cache.hits >= 3  # B reuses A's html, derived text and markdown
    restored = pickle.loads(pickle.dumps(compiled["B"]))
    assert restored.render(DATA).parts == compiled["B"].render(DATA).parts
    plain = compile_variants(
        engine="jinja", parts={"subject": "Hi", "html": HTML}, variants=variants
    )
    assert {k: v.render(DATA).parts for k, v in plain.items()} == {
        k: v.render(DATA).parts for k, v in compiled.items()
    }
