"""Lists of audiences, templates and jobs; validating and previewing a template without a job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from brandloom.api.app import create_app
from brandloom.auth import AuthContext
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.documents.formats.html import HtmlFinisher
from brandloom.kit.locale import text_direction
from brandloom.settings import Settings
from brandloom.workspaces.service import create_workspace, issue_key
from tests.factories import HTML

CSV = (
    "email,first_name,city,locale,consent\n"
    "ann@example.com,Ann,Berlin,de-DE,yes\n"
    "bob@example.com,<b>Bob</b>,Tokyo,ja-JP,yes\n"
    "cy@example.com,Cy,Lima,es-PE,yes\n"
)

Headers = dict[str, str]


class Api:
    def __init__(self, client: TestClient, a: Headers, b: Headers, narrow: Headers) -> None:
        self.client, self.a, self.b = client, a, b
        self.templates_only = narrow  # workspace a, scope templates:read only

    def upload(self, name: str, csv: str = CSV, *, headers: Headers | None = None) -> Any:
        resp = self.client.post(
            "/v1/audiences?wait=true",
            headers=headers or self.a,
            files={"file": (f"{name}.csv", csv.encode(), "text/csv")},
            data={"key": "email", "name": name},
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    def template(self, name: str, parts: dict[str, str] | None = None) -> Any:
        body = {
            "name": name,
            "parts": parts or {"subject": f"Hi {{{{ first_name }}}} {name}", "text": name},
        }
        resp = self.client.post("/v1/templates", headers=self.a, json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def job(self, name: str, audience_id: str, template_id: str, **options: Any) -> Any:
        body = {
            "name": name,
            "audience_id": audience_id,
            "template_id": template_id,
            "outputs": ["txt"],
            **options,
        }
        resp = self.client.post("/v1/jobs", headers=self.a, json=body)
        assert resp.status_code == 202, resp.text
        job = resp.json()
        self.client.app.state.brandloom.executor.wait(job["id"], timeout=120)  # type: ignore[attr-defined]
        return self.client.get(f"/v1/jobs/{job['id']}", headers=self.a).json()


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        acme = create_workspace(session, name="acme")
        globex = create_workspace(session, name="globex")
        narrow = issue_key(
            session,
            AuthContext.operator(acme.workspace),
            name="templates-only",
            scopes=["templates:read"],
        )
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url), workers=1)
    with TestClient(app) as client:
        yield Api(
            client,
            {"Authorization": f"Bearer {acme.api_key}"},
            {"Authorization": f"Bearer {globex.api_key}"},
            {"Authorization": f"Bearer {narrow.api_key}"},
        )


def _all_pages(api: Api, url: str, **params: Any) -> tuple[list[Any], int]:
    """Every item of a list, following cursors; and how many pages it took."""
    items: list[Any] = []
    pages = 0
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        resp = api.client.get(url, headers=api.a, params=query)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert set(page) == {"items", "next_cursor"}
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


# ------------------------------------------------------------------------------------ lists


def test_lists_are_newest_first_paged_and_filtered(api: Api) -> None:
    audiences = [api.upload(f"list-{i}", CSV.replace("Ann", f"Ann{i}")) for i in range(3)]
    templates = [api.template(f"t{i}") for i in range(3)]
    jobs = [api.job(f"j{i}", audiences[i]["id"], templates[i]["id"]) for i in range(3)]

    for url, made in (
        ("/v1/audiences", audiences),
        ("/v1/templates", templates),
        ("/v1/jobs", jobs),
    ):
        items, pages = _all_pages(api, url, limit=2)
        assert [i["id"] for i in items] == [m["id"] for m in reversed(made)], url
        assert pages == 2
        one = api.client.get(url, headers=api.a, params={"name": made[1]["name"]}).json()
        assert [i["id"] for i in one["items"]] == [made[1]["id"]] and one["next_cursor"] is None
        assert api.client.get(url, headers=api.a, params={"name": "nope"}).json() == {
            "items": [],
            "next_cursor": None,
        }

    listed = api.client.get("/v1/templates", headers=api.a).json()["items"][0]
    assert set(listed) == {"id", "name", "engine", "part_names", "message_locales", "created_at"}
    assert listed["part_names"] == ["subject", "text"]
    job = api.client.get("/v1/jobs", headers=api.a).json()["items"][0]
    assert job == api.client.get(f"/v1/jobs/{job['id']}", headers=api.a).json()
    audience = api.client.get("/v1/audiences", headers=api.a).json()["items"][0]
    assert audience == api.client.get(f"/v1/audiences/{audience['id']}", headers=api.a).json()


def test_lists_filter_by_state(api: Api) -> None:
    audience = api.upload("ready")
    template = api.template("t")
    done = api.job("done", audience["id"], template["id"])
    assert done["state"] == "done"
    resp = api.client.post(f"/v1/jobs/{done['id']}/cancel", headers=api.a)
    assert resp.status_code == 409  # a finished job stays done
    by_state = {
        state: [
            j["id"]
            for j in api.client.get("/v1/jobs", headers=api.a, params={"state": state}).json()[
                "items"
            ]
        ]
        for state in ("done", "failed", "queued")
    }
    assert by_state == {"done": [done["id"]], "failed": [], "queued": []}
    ready = api.client.get("/v1/audiences", headers=api.a, params={"state": "ready"}).json()
    assert [a["id"] for a in ready["items"]] == [audience["id"]]
    importing = api.client.get("/v1/audiences", headers=api.a, params={"state": "importing"})
    assert importing.json()["items"] == []


@pytest.mark.parametrize("url", ["/v1/audiences", "/v1/templates", "/v1/jobs"])
def test_list_parameters_are_checked(api: Api, url: str) -> None:
    for params in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}):
        resp = api.client.get(url, headers=api.a, params=params)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.json()["error"]["code"] == "request.invalid"
    assert api.client.get(url, headers=api.a, params={"limit": 1000}).status_code == 200
    bad = api.client.get(url, headers=api.a, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request.invalid_cursor"
    if url != "/v1/templates":
        wrong = api.client.get(url, headers=api.a, params={"state": "sleeping"})
        assert wrong.status_code == 422


def test_lists_show_only_the_callers_workspace(api: Api) -> None:
    audience = api.upload("mine")
    template = api.template("mine")
    api.job("mine", audience["id"], template["id"])
    for url in ("/v1/audiences", "/v1/templates", "/v1/jobs"):
        assert len(api.client.get(url, headers=api.a).json()["items"]) == 1
        assert api.client.get(url, headers=api.b).json() == {"items": [], "next_cursor": None}
        assert api.client.get(url).status_code == 401
    # a cursor carries no workspace: one made in a's list pages nothing of a's for b
    api.template("mine-2")
    cursor = api.client.get("/v1/templates", headers=api.a, params={"limit": 1}).json()
    assert cursor["next_cursor"]
    theirs = api.client.get(
        "/v1/templates", headers=api.b, params={"cursor": cursor["next_cursor"]}
    )
    assert theirs.json()["items"] == []


# ---------------------------------------------------------------------------------- validate


def test_validate_reports_variables_and_warnings_and_stores_nothing(api: Api) -> None:
    body = {
        "parts": {
            "subject": "Hi {{ first_name }}",
            "html": "<p>{{ city | default('your city') }} {{ first_name }}</p>",
        }
    }
    resp = api.client.post("/v1/templates/validate", headers=api.a, json=body)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["valid"] is True
    assert out["variables"] == [
        {"name": "first_name", "required": True, "part": "subject", "line": 1},
        {"name": "city", "required": False, "part": "html", "line": 1},
    ]
    codes = [w["code"] for w in out["warnings"]]
    assert "template.no_unsubscribe" in codes and "template.derived_text" in codes
    assert "template.no_subject" not in codes
    assert api.client.get("/v1/templates", headers=api.a).json()["items"] == []

    liquid = {"engine": "liquid", "parts": {"text": "Hi {{ first_name | default: 'you' }}"}}
    assert api.client.post("/v1/templates/validate", headers=api.a, json=liquid).json() == {
        "valid": True,
        "message_locales": [],
        "message_keys": [],
        "variables": [{"name": "first_name", "required": False, "part": "text", "line": 1}],
        "warnings": [],
    }


def test_validate_names_part_line_and_column_of_an_error(api: Api) -> None:
    body = {"parts": {"subject": "ok", "html": "<p>\n  {{ first_name </p>"}}
    resp = api.client.post("/v1/templates/validate", headers=api.a, json=body)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "template.syntax_error"
    assert error["message"].startswith("html (inline) line 2, column ")
    forbidden = {"parts": {"text": "{{ ''.__class__ }}"}}
    resp = api.client.post("/v1/templates/validate", headers=api.a, json=forbidden)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "template.forbidden"
    for bad in ({"name": "x", "parts": {"text": "x"}}, {"parts": {"footer": "x"}}, {"parts": {}}):
        resp = api.client.post("/v1/templates/validate", headers=api.a, json=bad)
        assert resp.status_code == 422, bad
    assert api.client.post("/v1/templates/validate", json=body).status_code == 401


# ----------------------------------------------------------------------------------- preview


def _preview(api: Api, template_id: str, body: dict[str, Any], headers: Headers | None = None):  # type: ignore[no-untyped-def]
    return api.client.post(
        f"/v1/templates/{template_id}/preview", headers=headers or api.a, json=body
    )


def test_preview_parts_are_what_a_job_renders(api: Api) -> None:
    audience = api.upload("aud")
    template = api.template(
        "welcome",
        {"subject": "Hi {{ first_name }}", "html": HTML, "preheader": "for {{ city }}"},
    )
    options = {
        "variants": [{"name": "A", "subject": "A: {{ first_name }}"}, {"name": "B"}],
        "seed": 7,
        "sink": "jsonl",
        "outputs": ["html", "txt"],
    }
    job = api.job("compare", audience["id"], template["id"], **options)
    assert job["state"] == "done", job
    out = Path(api.client.app.state.brandloom.settings.jobs_dir) / job["id"]  # type: ignore[attr-defined]
    rendered = {
        r["key"]: r for r in map(orjson.loads, (out / "documents.jsonl").read_bytes().splitlines())
    }
    preview_options = {k: v for k, v in options.items() if k != "sink"}
    for key, record in rendered.items():
        resp = _preview(
            api,
            template["id"],
            {"audience_id": audience["id"], "key": key, "options": preview_options},
        )
        assert resp.status_code == 200, resp.text
        shown = resp.json()
        assert shown["key"] == key and shown["variant"] == record["variant"]
        # byte for byte: the envelope parts a job keeps, the text part its txt file
        assert {p: shown["parts"][p] for p in record["parts"]} == record["parts"]
        assert set(record["parts"]) == {"subject", "preheader"}
        assert shown["parts"]["text"] == record["formats"]["txt"]
        finished = HtmlFinisher().finish(
            shown["parts"]["html"],
            preheader=shown["parts"]["preheader"],
            lang=shown["locale"],
            direction=text_direction(shown["locale"]),
        )
        assert finished == record["formats"]["html"]  # the html file is the finished part
        assert shown["qa"]["status"] == record["qa"]
    assert {r["variant"] for r in rendered.values()} <= {"A", "B"}

    # the same contact given inline renders the same parts
    inline = _preview(
        api,
        template["id"],
        {
            "contact": {
                "email": "bob@example.com",
                "first_name": "<b>Bob</b>",
                "city": "Tokyo",
                "locale": "ja-JP",
                "consent": "yes",
            },
            "options": preview_options,
        },
    ).json()
    by_key = _preview(
        api,
        template["id"],
        {"audience_id": audience["id"], "key": "bob@example.com", "options": preview_options},
    ).json()
    assert inline["parts"] == by_key["parts"]
    assert inline["locale"] == "ja-JP"
    assert "&lt;b&gt;Bob&lt;/b&gt;" in inline["parts"]["html"]


def test_preview_variant_and_locale_override_the_contacts(api: Api) -> None:
    template = api.template(
        "loc", {"subject": "{{ first_name }} {{ locale }}", "text": "{{ first_name }}"}
    )
    contact = {"email": "ann@example.com", "first_name": "Ann", "locale": "de-DE"}
    options = {"variants": [{"name": "A"}, {"name": "B", "subject": "B {{ first_name }}"}]}
    shown = _preview(
        api, template["id"], {"contact": contact, "variant": "B", "options": options}
    ).json()
    assert (shown["variant"], shown["parts"]["subject"]) == ("B", "B Ann")
    shown = _preview(
        api,
        template["id"],
        {"contact": contact, "variant": "A", "locale": "fr_fr", "options": options},
    ).json()
    assert shown["variant"] == "A" and shown["locale"] == "fr-FR"
    assert shown["parts"]["subject"] == "Ann fr-FR"
    plain = _preview(api, template["id"], {"contact": contact}).json()
    assert plain["variant"] is None and plain["locale"] == "de-DE"
    assert set(plain) == {"key", "variant", "locale", "parts", "qa"}
    assert set(plain["qa"]) == {"status", "issues"}

    for body, code in (
        ({"contact": contact, "variant": "C", "options": options}, "preview.unknown_variant"),
        ({"contact": contact, "variant": "A"}, "preview.unknown_variant"),
        ({"contact": contact, "locale": "xx-nope"}, "locale.invalid"),
        ({"contact": {"email": "not-an-email", "first_name": "X"}}, "email.invalid"),
        ({"contact": {"email": "a@example.com"}}, "template.unknown_variable"),
        ({"contact": {"first_name": "X"}}, "audience.mapping"),
    ):
        resp = _preview(api, template["id"], body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["error"]["code"] == code, resp.text


def test_preview_request_shape(api: Api) -> None:
    template = api.template("shape")
    for body in (
        {},
        {"audience_id": "aud_x"},
        {"key": "a@example.com"},
        {"contact": {"email": "a@example.com"}, "audience_id": "aud_x", "key": "k"},
        {"contact": {"email": {"nested": 1}}},
        {"contact": {"email": "a@example.com"}, "surprise": 1},
    ):
        resp = _preview(api, template["id"], body)
        assert resp.status_code == 422, body
        assert resp.json()["error"]["code"] == "request.invalid"


def test_preview_is_scoped_to_the_workspace_and_its_scopes(api: Api) -> None:
    audience = api.upload("aud")
    template = api.template("t")
    by_key = {"audience_id": audience["id"], "key": "ann@example.com"}
    inline = {"contact": {"email": "ann@example.com", "first_name": "Ann"}}
    assert _preview(api, template["id"], by_key).status_code == 200
    # another workspace sees neither the template nor the audience
    other = api.upload("theirs", headers=api.b)
    resp = _preview(api, template["id"], inline, api.b)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "template.not_found"
    own = api.client.post(
        "/v1/templates", headers=api.b, json={"name": "t", "parts": {"text": "x"}}
    ).json()
    resp = _preview(api, own["id"], by_key, api.b)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "audience.not_found"
    resp = _preview(api, template["id"], {"audience_id": other["id"], "key": "ann@example.com"})
    assert resp.status_code == 404
    missing = _preview(api, template["id"], {**by_key, "key": "zed@example.com"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "contact.not_found"
    # templates:read previews an inline contact; reading one from an audience needs more
    assert _preview(api, template["id"], inline, api.templates_only).status_code == 200
    refused = _preview(api, template["id"], by_key, api.templates_only)
    assert refused.status_code == 403
    assert "audiences:read" in refused.json()["error"]["message"]
    assert (
        api.client.post(f"/v1/templates/{template['id']}/preview", json=inline).status_code == 401
    )
