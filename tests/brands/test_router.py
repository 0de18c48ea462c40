"""``/v1/brands``: CRUD, guidelines versions, kit and logo, library imports, voice, score and
lint; every route scoped to the key's workspace and its scope."""

from __future__ import annotations

from typing import Any

import pytest

from brandloom.brands import service
from brandloom.brands.kit import MAX_LOGO_BYTES
from brandloom.insights.service import MAX_TEXT_CHARS, MAX_TEXTS
from tests.brands.conftest import BrandApi
from tests.brands.factories import GUIDELINES, LIBRARY, SVG, png

# ---------------------------------------------------------------------------------- CRUD


def test_create_read_list_rename_delete(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    made = api.create(
        "Lumen",
        guidelines=GUIDELINES,
        kit={"colors": {"primary": "#0a6e5c"}, "font": "Noto Sans"},
    )
    assert made["id"].startswith("brand_")
    assert made["guidelines_version"] == 1
    assert made["kit"] == {"colors": {"primary": "#0A6E5C"}, "font": "Noto Sans"}
    assert made["logo_media_type"] is None
    assert client.get(f"/v1/brands/{made['id']}", headers=api.a).json() == made

    again = client.post("/v1/brands", headers=api.a, json={"name": "Lumen"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "brand.exists"
    others = [api.create(f"b{i}") for i in range(3)]

    page = client.get("/v1/brands", headers=api.a, params={"limit": 2}).json()
    assert [b["name"] for b in page["items"]] == ["b2", "b1"]
    rest = client.get(
        "/v1/brands", headers=api.a, params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [b["name"] for b in rest["items"]] == ["b0", "Lumen"] and rest["next_cursor"] is None
    named = client.get("/v1/brands", headers=api.a, params={"name": "b1"}).json()
    assert [b["id"] for b in named["items"]] == [others[1]["id"]]

    renamed = client.patch(f"/v1/brands/{made['id']}", headers=api.a, json={"name": "Lumen Co"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Lumen Co"
    taken = client.patch(f"/v1/brands/{made['id']}", headers=api.a, json={"name": "b0"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "brand.exists"

    assert client.delete(f"/v1/brands/{made['id']}", headers=api.a).status_code == 204
    gone = client.get(f"/v1/brands/{made['id']}", headers=api.a)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "brand.not_found"
    assert client.delete(f"/v1/brands/{made['id']}", headers=api.a).status_code == 404


def test_bad_create_bodies_answer_422_naming_the_field(brand_api: BrandApi) -> None:
    api = brand_api
    for body, needle in (
        ({"name": ""}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "guidelines": {"tone_of_voice": ["warm"]}}, "tone_of_voice"),
        ({"name": "x", "guidelines": {"emoji": "lots"}}, "guidelines: emoji"),
        ({"name": "x", "kit": {"font": "Arial"}}, "kit: font: not a shipped font"),
    ):
        resp = api.client.post("/v1/brands", headers=api.a, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert needle in resp.json()["error"]["message"], (body, resp.text)
    # nothing was stored by a refused request
    assert api.client.get("/v1/brands", headers=api.a).json()["items"] == []


# ---------------------------------------------------------------------------- guidelines


def test_every_change_of_guidelines_is_a_new_version(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen")
    url = f"/v1/brands/{brand['id']}/guidelines"
    none = client.get(url, headers=api.a)
    assert none.status_code == 404 and none.json()["error"]["code"] == "brand.no_guidelines"

    first = client.put(url, headers=api.a, json=GUIDELINES).json()
    assert (first["version"], first["changed"]) == (1, True)
    assert first["guidelines"]["banned_terms"] == {"*": ["guaranteed", "act now"]}
    same = client.put(url, headers=api.a, json=GUIDELINES).json()
    assert (same["version"], same["changed"]) == (1, False)
    second = client.put(url, headers=api.a, json={**GUIDELINES, "emoji": "none"}).json()
    assert (second["version"], second["changed"]) == (2, True)

    current = client.get(url, headers=api.a).json()
    assert current["version"] == 2 and current["guidelines"]["emoji"] == "none"
    assert client.get(f"/v1/brands/{brand['id']}", headers=api.a).json()["guidelines_version"] == 2
    old = client.get(f"{url}/versions/1", headers=api.a).json()
    assert old["guidelines"] == first["guidelines"]  # the old version is kept as it was
    missing = client.get(f"{url}/versions/9", headers=api.a)
    assert missing.status_code == 404

    page = client.get(f"{url}/versions", headers=api.a, params={"limit": 1}).json()
    assert [v["version"] for v in page["items"]] == [2]
    rest = client.get(
        f"{url}/versions", headers=api.a, params={"limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert [v["version"] for v in rest["items"]] == [1] and rest["next_cursor"] is None

    bad = client.put(url, headers=api.a, json={"glosary": {}})
    assert bad.status_code == 422
    assert "did you mean `glossary`" in bad.json()["error"]["message"]
    assert client.get(url, headers=api.a).json()["version"] == 2


# ----------------------------------------------------------------------------------- kit


def test_kit_and_logo(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen")
    url = f"/v1/brands/{brand['id']}/kit"
    kit = {
        "colors": {"primary": "#0A6E5C", "text": "#1d1d1b"},
        "font": "Noto Sans Hebrew",
        "address": ["Lumen GmbH", "Torstraße 1", "10119 Berlin"],
        "legal_footer": ["HRB 12345"],
        "sender": "Lumen <news@lumen.example>",
    }
    stored = client.put(url, headers=api.a, json=kit)
    assert stored.status_code == 200, stored.text
    assert stored.json()["kit"] == {**kit, "colors": {"primary": "#0A6E5C", "text": "#1D1D1B"}}
    for body, needle in (
        ({"colors": {"primary": "teal"}}, "colors.primary"),
        ({"font": "Helvetica"}, "not a shipped font"),
        ({"sender": "news@"}, "sender"),
        ({"logo": "x.png"}, "upload the logo"),
    ):
        resp = client.put(url, headers=api.a, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["error"]["code"] == "brand.kit"
        assert needle in resp.json()["error"]["message"]

    logo_url = f"{url}/logo"
    assert client.get(logo_url, headers=api.a).json()["error"]["code"] == "brand.no_logo"
    image = png(64, 32)
    put = client.put(logo_url, headers=api.a, files={"file": ("logo.bin", image, "text/plain")})
    assert put.status_code == 200, put.text
    assert put.json()["logo_media_type"] == "image/png"  # from the bytes, not the upload's type
    got = client.get(logo_url, headers=api.a)
    assert got.content == image and got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"

    svg = client.put(logo_url, headers=api.a, files={"file": ("logo.svg", SVG, "image/svg+xml")})
    assert svg.json()["logo_media_type"] == "image/svg+xml"
    assert "sandbox" in client.get(logo_url, headers=api.a).headers["content-security-policy"]

    for data, status, code in (
        (b"\x89PNG\r\n\x1a\nnot really", 422, "brand.logo"),
        (b"%PDF-1.7 fake", 422, "brand.logo"),
        (b"<svg><script>alert(1)</script></svg>", 422, "brand.logo"),
        (png() + b"\x00" * MAX_LOGO_BYTES, 413, "brand.logo_too_large"),
    ):
        resp = client.put(logo_url, headers=api.a, files={"file": ("logo.png", data, "image/png")})
        assert (resp.status_code, resp.json()["error"]["code"]) == (status, code)
    assert client.get(logo_url, headers=api.a).content == SVG  # the refused ones changed nothing
    # the kit survives a logo change, and the logo a kit change
    assert client.get(f"/v1/brands/{brand['id']}", headers=api.a).json()["kit"]["font"] == (
        "Noto Sans Hebrew"
    )
    client.put(url, headers=api.a, json={"font": "Noto Sans"})
    assert client.get(logo_url, headers=api.a).content == SVG


# ------------------------------------------------------------------------------- library

FILES: list[tuple[str, bytes, dict[str, Any]]] = [
    (
        "copy.txt",
        b"Soft light for slow mornings.\n\nWool that lasts.\n\nSoft  light for slow mornings.\n",
        {"format": "txt", "accepted": 2, "duplicates": 1, "rejected_total": 0, "rejected": []},
    ),
    (
        "copy.csv",
        b"text,channel,locale\nHello there,email,en-GB\n,email,\nBonjour,sms,xx-YY\n"
        b"Wool that lasts.,,\n",
        {
            "format": "csv",
            "accepted": 1,
            "duplicates": 1,  # "Wool that lasts." came with the txt file
            "rejected_total": 2,
            "rejected": [
                {"row": 2, "reason": "empty text"},
                {"row": 3, "reason": "locale: unknown locale 'xx-YY' (a BCP 47 tag like de-DE)"},
            ],
        },
    ),
    (
        "copy.md",
        b"# Autumn\n\nSoft **wool** and [light](https://x.example).\n\n- Soft wool and light.\n",
        {"format": "md", "accepted": 2, "duplicates": 1, "rejected_total": 0, "rejected": []},
    ),
    (
        "copy.html",
        b"<html><head><title>x</title></head><body><p>Kind&nbsp;words.</p>\n<p></p>"
        b"<script>x()</script><p>Kind words.</p></body></html>",
        {"format": "html", "accepted": 1, "duplicates": 1, "rejected_total": 0, "rejected": []},
    ),
    (
        "copy.jsonl",
        b'{"text": "A quiet home.", "locale": "en"}\n{oops\n{"text": ""}\n',
        {
            "format": "jsonl",
            "accepted": 1,
            "duplicates": 0,
            "rejected_total": 2,
            "rejected": [
                {"line": 2, "reason": "not valid JSON: unexpected character, expected a "
                 "string key: line 1 column 2 (char 1)"},
                {"line": 3, "reason": "empty text"},
            ],
        },
    ),
]  # fmt: skip


def test_library_imports_every_format_with_reports(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen")
    url = f"/v1/brands/{brand['id']}/library"
    for filename, data, expected in FILES:
        resp = client.post(url, headers=api.a, files={"file": (filename, data, "text/plain")})
        assert resp.status_code == 200, resp.text
        assert resp.json() == expected, filename
    texts, cursor = [], None
    while True:
        page = client.get(
            url, headers=api.a, params={"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        texts += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(texts) == 7
    assert texts[0]["text"] == "A quiet home." and texts[0]["locale"] == "en"  # newest first
    assert texts[-1]["text"] == "Soft light for slow mornings."
    hello = next(t for t in texts if t["text"] == "Hello there")
    assert (hello["channel"], hello["locale"]) == ("email", "en-GB")

    again = client.post(
        url, headers=api.a, files={"file": ("again.txt", FILES[0][1], "text/plain")}
    )
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 3

    forced = client.post(
        url,
        headers=api.a,
        files={"file": ("notes.data", b"New line one\nNew line two\n", "text/plain")},
        data={"format": "txt", "channel": "social", "locale": "de-DE"},
    )
    assert forced.json()["accepted"] == 2
    newest = client.get(url, headers=api.a, params={"limit": 1}).json()["items"][0]
    assert (newest["text"], newest["channel"], newest["locale"]) == (
        "New line two",
        "social",
        "de-DE",
    )

    as_json = client.post(
        url,
        headers=api.a,
        json={
            "texts": [
                {"text": "From JSON", "locale": "fr"},
                {"text": " "},
                {"text": "x", "locale": "zz-ZZ"},
            ]
        },
    )
    assert as_json.status_code == 200, as_json.text
    report = as_json.json()
    assert (report["format"], report["accepted"], report["rejected_total"]) == ("json", 1, 2)
    assert [r["row"] for r in report["rejected"]] == [2, 3]


def test_library_file_problems(brand_api: BrandApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen")
    url = f"/v1/brands/{brand['id']}/library"
    for name, data, needle in (
        ("copy.pdf", b"x", "cannot tell the format"),
        ("copy.csv", b"body\nx\n", "no 'text' column"),
        ("copy.txt", b"caf\xe9\n", "line 1: not UTF-8"),
    ):
        resp = client.post(url, headers=api.a, files={"file": (name, data, "text/plain")})
        assert resp.status_code == 422, resp.text
        assert resp.json()["error"]["code"] == "brand.library"
        assert needle in resp.json()["error"]["message"]
    bad_locale = client.post(
        url, headers=api.a, files={"file": ("a.txt", b"x\n", "text/plain")}, data={"locale": "q"}
    )
    assert bad_locale.status_code == 422 and "unknown locale" in bad_locale.text
    no_file = client.post(url, headers=api.a, files={"other": ("a.txt", b"x", "text/plain")})
    assert no_file.status_code == 422 and "'file'" in no_file.text
    bad_json = client.post(url, headers=api.a, json={"texts": [{"txt": "x"}]})
    assert bad_json.status_code == 422 and "txt" in bad_json.json()["error"]["message"]
    monkeypatch.setattr(service, "MAX_LIBRARY_BYTES", 10)
    big = client.post(url, headers=api.a, files={"file": ("a.txt", b"x" * 11, "text/plain")})
    assert big.status_code == 413 and big.json()["error"]["code"] == "brand.too_large"
    assert client.get(url, headers=api.a).json()["items"] == []


# --------------------------------------------------------------------- voice, score, lint


def test_voice_train_score_and_lint(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen")
    base = f"/v1/brands/{brand['id']}"
    empty = client.post(f"{base}/voice", headers=api.a)
    assert empty.status_code == 409 and empty.json()["error"]["code"] == "brand.no_texts"
    assert client.get(f"{base}/voice", headers=api.a).json()["error"]["code"] == "brand.no_voice"
    no_voice = client.post(f"{base}/score", headers=api.a, json={"texts": ["hi"]})
    assert no_voice.status_code == 404 and no_voice.json()["error"]["code"] == "brand.no_voice"
    no_rules = client.post(f"{base}/lint", headers=api.a, json={"texts": ["hi"]})
    assert no_rules.status_code == 404
    assert no_rules.json()["error"]["code"] == "brand.no_guidelines"

    api.add_texts(brand["id"], LIBRARY[:2])
    too_few = client.post(f"{base}/voice", headers=api.a)
    assert too_few.status_code == 422, too_few.text

    api.add_texts(brand["id"], LIBRARY)
    trained = client.post(f"{base}/voice", headers=api.a)
    assert trained.status_code == 201, trained.text
    voice = trained.json()
    assert voice["n_texts"] == len(LIBRARY) and voice["guidelines_version"] is None
    assert voice["format"] == "voice.profile.v1" and voice["summary"]["n_texts"] == len(LIBRARY)
    assert client.get(f"{base}/voice", headers=api.a).json() == voice

    client.put(f"{base}/guidelines", headers=api.a, json=GUIDELINES)
    texts = [
        "A slow, warm evening with soft linen and a quiet candle.",
        "ACT NOW!!! Guaranteed lowest prices, cheap deals, click here!!!",
        "",
    ]
    scored = client.post(f"{base}/score", headers=api.a, json={"texts": texts, "channel": "email"})
    assert scored.status_code == 200, scored.text
    items = scored.json()["items"]
    assert len(items) == 3
    for item in items:
        assert 0 <= item["score"] <= 100
        assert item["voice_id"] == voice["id"] and item["guidelines_version"] == 1
    assert items[0]["score"] > items[1]["score"]
    codes = {v["code"] for v in items[1]["violations"]}
    assert {"brand.banned_term", "brand.exclamation", "brand.disclaimer_missing"} <= codes

    linted = client.post(f"{base}/lint", headers=api.a, json={"texts": texts, "channel": "email"})
    assert linted.status_code == 200, linted.text
    lint_items = linted.json()["items"]
    assert [i["index"] for i in lint_items] == [0, 1, 2]
    assert all(i["guidelines_version"] == 1 for i in lint_items)
    banned = [v for v in lint_items[1]["violations"] if v["code"] == "brand.banned_term"]
    assert banned and texts[1][banned[0]["span"][0] : banned[0]["span"][1]].lower() in {
        "act now",
        "guaranteed",
    }
    glossary = [v for v in lint_items[1]["violations"] if v["code"] == "brand.glossary"]
    assert glossary and glossary[0]["suggestion"] == "affordable"

    # a retrained voice is the current one and records the guidelines version of its time
    retrained = client.post(f"{base}/voice", headers=api.a).json()
    assert retrained["id"] != voice["id"] and retrained["guidelines_version"] == 1
    rescored = client.post(f"{base}/score", headers=api.a, json={"texts": ["x"]}).json()
    assert rescored["items"][0]["voice_id"] == retrained["id"]


@pytest.mark.parametrize("route", ["score", "lint"])
def test_score_and_lint_limits(brand_api: BrandApi, route: str) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen", guidelines=GUIDELINES)
    if route == "score":
        api.add_texts(brand["id"], LIBRARY)
        assert client.post(f"/v1/brands/{brand['id']}/voice", headers=api.a).status_code == 201
    url = f"/v1/brands/{brand['id']}/{route}"
    too_many = client.post(url, headers=api.a, json={"texts": ["a"] * (MAX_TEXTS + 1)})
    assert too_many.status_code == 413 and too_many.json()["error"]["code"] == "brand.too_large"
    too_long = client.post(url, headers=api.a, json={"texts": ["ok", "x" * (MAX_TEXT_CHARS + 1)]})
    assert too_long.status_code == 413 and "texts[1]" in too_long.json()["error"]["message"]
    for body, needle in (
        ({"texts": ["hi"], "locale": "xx-YY"}, "xx-YY"),
        ({"texts": ["hi"], "channel": "e mail"}, "channel"),
        ({"texts": "hi"}, "texts"),
        ({"texts": ["hi"], "tone": "warm"}, "tone"),
    ):
        resp = client.post(url, headers=api.a, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert needle in resp.json()["error"]["message"]


# --------------------------------------------------------------------- isolation and auth


def _routes(brand_id: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, url, scope, request arguments) of every brand route on ``brand_id``."""
    base = f"/v1/brands/{brand_id}"
    texts = {"json": {"texts": ["hi"]}}
    return [
        ("GET", base, "read", {}),
        ("PATCH", base, "write", {"json": {"name": "renamed"}}),
        ("GET", f"{base}/guidelines", "read", {}),
        ("PUT", f"{base}/guidelines", "write", {"json": GUIDELINES}),
        ("GET", f"{base}/guidelines/versions", "read", {}),
        ("GET", f"{base}/guidelines/versions/1", "read", {}),
        ("PUT", f"{base}/kit", "write", {"json": {"font": "Noto Sans"}}),
        ("PUT", f"{base}/kit/logo", "write", {"files": {"file": ("l.png", png(), "image/png")}}),
        ("GET", f"{base}/kit/logo", "read", {}),
        ("POST", f"{base}/library", "write", {"json": {"texts": [{"text": "hi"}]}}),
        ("GET", f"{base}/library", "read", {}),
        ("POST", f"{base}/voice", "write", {}),
        ("GET", f"{base}/voice", "read", {}),
        ("POST", f"{base}/score", "read", texts),
        ("POST", f"{base}/lint", "read", texts),
        ("DELETE", base, "write", {}),
    ]


def test_another_workspace_sees_nothing(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen", guidelines=GUIDELINES, kit={"font": "Noto Sans"})
    api.add_texts(brand["id"], LIBRARY)
    assert client.post(f"/v1/brands/{brand['id']}/voice", headers=api.a).status_code == 201
    client.put(f"/v1/brands/{brand['id']}/kit/logo", headers=api.a, files={"file": ("l.svg", SVG)})
    assert client.get("/v1/brands", headers=api.b).json()["items"] == []
    for method, url, _, kwargs in _routes(brand["id"]):
        resp = client.request(method, url, headers=api.b, **kwargs)
        assert resp.status_code == 404, (method, url, resp.text)
        assert resp.json()["error"]["code"] == "brand.not_found", (method, url)
    # globex may use the same name: names are unique per workspace
    same = client.post("/v1/brands", headers=api.b, json={"name": "Lumen"})
    assert same.status_code == 201
    assert client.get(f"/v1/brands/{brand['id']}/library", headers=api.a).json()["items"]
    assert client.get(f"/v1/brands/{brand['id']}", headers=api.a).json()["name"] == "Lumen"


def test_every_route_needs_a_key_and_its_scope(brand_api: BrandApi) -> None:
    api, client = brand_api, brand_api.client
    brand = api.create("Lumen", guidelines=GUIDELINES)
    routes = [
        ("POST", "/v1/brands", "write", {"json": {"name": "x"}}),
        ("GET", "/v1/brands", "read", {}),
        *_routes(brand["id"]),
    ]
    for method, url, scope, kwargs in routes:
        anonymous = client.request(method, url, **kwargs)
        assert anonymous.status_code == 401, (method, url)
        refused = client.request(method, url, headers=api.other, **kwargs)
        assert refused.status_code == 403, (method, url)
        assert refused.json()["error"]["details"] == {"scope": f"brands:{scope}"}
        with_read = client.request(method, url, headers=api.read, **kwargs)
        if scope == "write":
            assert with_read.status_code == 403, (method, url)
        else:
            assert with_read.status_code not in (401, 403), (method, url, with_read.text)
