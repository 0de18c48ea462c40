"""``POST /v1/analyze``: shapes, limits, errors and the scope."""

from __future__ import annotations

from brandloom.analysis.resonance import EMOTIONS
from brandloom.insights.service import MAX_TEXT_CHARS, MAX_TEXTS
from tests.api.test_lists_and_previews import Api


def test_one_item_per_text_in_order(api: Api) -> None:
    resp = api.client.post(
        "/v1/analyze",
        headers=api.a,
        json={
            "texts": ["Thank you, this is wonderful!", "", "Das ist leider enttäuschend."],
            "locale": "de-DE",
            "targets": ["gratitude", "urgency"],
        },
    )
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert len(items) == 3
    thanks, empty, german = items
    assert thanks["language"] == "en" and german["language"] == "de"
    assert empty["language"] is None and empty["language_confidence"] == 0
    assert set(thanks["emotions"]) == set(EMOTIONS)
    assert "gratitude" in thanks["emotion_labels"]
    assert thanks["sentiment"]["label"] == "positive" and thanks["sentiment"]["score"] > 0
    assert german["sentiment"]["score"] < thanks["sentiment"]["score"]
    assert set(thanks["resonance"]["targets"]) == {"gratitude", "urgency"}
    assert 0 <= thanks["spam_score"] <= 1
    assert isinstance(thanks["culture"], list)
    assert any(f["code"] == "culture.language" for f in thanks["culture"])


def test_without_locale_or_targets_those_keys_are_absent(api: Api) -> None:
    resp = api.client.post("/v1/analyze", headers=api.a, json={"texts": ["Hello there"]})
    assert resp.status_code == 200, resp.text
    (item,) = resp.json()["items"]
    assert "culture" not in item and "resonance" not in item


def test_limits_answer_413_with_the_error_shape(api: Api) -> None:
    too_many = api.client.post(
        "/v1/analyze", headers=api.a, json={"texts": ["a"] * (MAX_TEXTS + 1)}
    )
    assert too_many.status_code == 413
    assert too_many.json()["error"]["code"] == "analyze.too_large"
    too_long = api.client.post(
        "/v1/analyze", headers=api.a, json={"texts": ["ok", "x" * (MAX_TEXT_CHARS + 1)]}
    )
    assert too_long.status_code == 413
    assert "texts[1]" in too_long.json()["error"]["message"]


def test_bad_requests_answer_422_naming_what(api: Api) -> None:
    for body, needle in (
        ({"texts": ["hi"], "locale": "xx-YY"}, "xx-YY"),
        ({"texts": ["hi"], "targets": ["urgncy"]}, "urgency"),
        ({"texts": ["hi"], "languages": ["en", "zz"]}, "zz"),
        ({"texts": "not a list"}, "texts"),
        ({"texts": ["hi"], "formality": "casual"}, "formality"),
    ):
        resp = api.client.post("/v1/analyze", headers=api.a, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert needle in resp.text, (body, resp.text)


def test_the_analyze_scope_is_required(api: Api) -> None:
    resp = api.client.post("/v1/analyze", headers=api.templates_only, json={"texts": ["hi"]})
    assert resp.status_code == 403
    assert "analyze" in resp.json()["error"]["message"]
    assert api.client.post("/v1/analyze", json={"texts": ["hi"]}).status_code == 401
