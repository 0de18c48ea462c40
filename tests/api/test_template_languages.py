"""A template's languages through the API: catalogs stored with the template (JSON or uploaded
files), checked on the way in, rendered per contact, and a catalog no contact gets flagged."""

from __future__ import annotations

import orjson
import yaml

from tests.api.test_lists_and_previews import Api

EN = {"greeting": "Hello {first_name}", "cta": "Shop now"}
DE = {"greeting": "Hallo {first_name}", "cta": "Jetzt einkaufen"}
PARTS = {"subject": "{{ t.greeting }}", "text": "{{ t.cta }} ({{ locale }})"}
DE_PO = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    'msgid "greeting"\nmsgstr "Hallo {first_name}"\n\n'
    'msgid "cta"\nmsgstr "Jetzt einkaufen"\n'
)


def _create(api: Api, **body: object) -> object:
    return api.client.post("/v1/templates", headers=api.a, json={"name": "langs", **body})


def _document(api: Api, job_id: str, key: str) -> str:
    resp = api.client.get(f"/v1/jobs/{job_id}/documents/{key}/txt", headers=api.a)
    assert resp.status_code == 200, resp.text
    return resp.text


def test_a_template_carries_its_catalogs_and_a_job_renders_each_contact_in_its_language(
    api: Api,
) -> None:
    resp = _create(
        api,
        parts=PARTS,
        messages={"en": EN, "de": DE},
        locales={"ja": {"subject": "{{ first_name }}さん"}},
    )
    assert resp.status_code == 201, resp.text
    template = resp.json()
    assert template["messages"] == {"en": EN, "de": DE}
    assert template["locales"] == {"ja": {"subject": "{{ first_name }}さん"}}
    assert api.client.get(f"/v1/templates/{template['id']}", headers=api.a).json() == template
    listed = api.client.get("/v1/templates", headers=api.a).json()["items"]
    assert listed[0]["message_locales"] == ["en", "de"]

    audience = api.upload("people")
    job = api.job("langs", audience["id"], template["id"], locale="en-US")
    assert job["state"] == "done", job
    assert job["report"]["locales"] == {"de": 1, "en": 2}
    assert _document(api, job["id"], "ann@example.com") == "Jetzt einkaufen (de-DE)"
    assert _document(api, job["id"], "bob@example.com") == "Shop now (ja-JP)"
    manifest = api.client.get(f"/v1/jobs/{job['id']}/manifest", headers=api.a).json()["items"]
    assert {m["key"]: m["locale"] for m in manifest} == {
        "ann@example.com": "de",
        "bob@example.com": "en",
        "cy@example.com": "en",
    }


def test_catalog_problems_answer_422_naming_locale_and_key(api: Api) -> None:
    resp = _create(api, parts=PARTS, messages={"en": EN, "de": {"greeting": "Hallo"}})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "template.messages"
    assert "messages.de (inline): key 'cta' is missing" in error["message"]
    assert (
        "key 'greeting' uses no placeholders but messages.en uses {first_name}"
        in (error["message"])
    )
    resp = _create(api, parts={"text": "{{ t.cta }}"})
    assert resp.status_code == 422
    assert "add template.messages" in resp.json()["error"]["message"]
    resp = _create(api, parts=PARTS, messages={"en": EN}, locales={"ja": {"footer": "x"}})
    assert resp.status_code == 422
    assert "locales.ja: unknown part(s) ['footer']" in resp.text


def test_validate_checks_the_catalogs_and_lists_their_keys(api: Api) -> None:
    body = {"parts": PARTS, "messages": {"en": EN, "de": DE}}
    resp = api.client.post("/v1/templates/validate", headers=api.a, json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["message_locales"] == ["en", "de"]
    assert resp.json()["message_keys"] == ["cta", "greeting"]
    body["messages"] = {"en": EN, "de": {**DE, "greeting": "Hallo {vorname}"}}
    resp = api.client.post("/v1/templates/validate", headers=api.a, json=body)
    assert resp.status_code == 422
    assert "uses {vorname} but messages.en uses {first_name}" in resp.json()["error"]["message"]


def test_a_template_uploaded_as_files_with_yaml_and_po_catalogs(api: Api) -> None:
    files = [
        ("text", ("body.txt", b"\xef\xbb\xbf{{ t.cta }}", "text/plain")),
        ("messages", ("en.yaml", yaml.safe_dump(EN).encode(), "application/yaml")),
        ("messages", ("de.po", DE_PO.encode(), "text/x-gettext-translation")),
        ("locales", ("locales.yaml", b"ja:\n  subject: '{{ first_name }}'\n", "text/yaml")),
    ]
    resp = api.client.post(
        "/v1/templates/files",
        headers=api.a,
        data={"name": "uploaded", "subject": "{{ t.greeting }}"},
        files=files,
    )
    assert resp.status_code == 201, resp.text
    template = resp.json()
    assert template["parts"] == {"subject": "{{ t.greeting }}", "text": "{{ t.cta }}"}
    assert template["messages"] == {"en": EN, "de": DE}
    assert template["locales"] == {"ja": {"subject": "{{ first_name }}"}}
    # the same content sent as JSON is the same stored template
    same = _create(
        api,
        parts={"subject": "{{ t.greeting }}", "text": "{{ t.cta }}"},
        messages={"en": EN, "de": DE},
        locales={"ja": {"subject": "{{ first_name }}"}},
    )
    assert same.json()["id"] == template["id"]


def test_uploaded_files_that_cannot_be_used_are_refused_naming_the_file(api: Api) -> None:
    def upload(*files: tuple[str, tuple[str, bytes, str]]) -> tuple[int, dict[str, str]]:
        resp = api.client.post(
            "/v1/templates/files", headers=api.a, data={"name": "bad"}, files=list(files)
        )
        return resp.status_code, resp.json().get("error", {})

    text = ("text", ("body.txt", b"{{ t.cta }}", "text/plain"))
    status, error = upload(text, ("messages", ("notes.txt", b"cta: x", "text/plain")))
    assert status == 422 and "notes.txt: a catalog is a .yaml" in error["message"]
    status, error = upload(text, ("messages", ("de.yaml", b"cta: [unclosed", "text/yaml")))
    assert status == 422 and "messages.de: de.yaml: not valid YAML" in error["message"]
    status, error = upload(
        text,
        ("messages", ("de.yaml", b"cta: a", "text/yaml")),
        ("messages", ("de.json", orjson.dumps({"cta": "b"}), "application/json")),
    )
    assert status == 422 and "de.yaml and de.json are both catalogs for 'de'" in error["message"]
    status, error = upload(("html", ("email.html", "<p>Grüße</p>".encode("cp1252"), "text/html")))
    assert status == 422 and error["code"] == "template.not_utf8"
    assert "html (email.html): not UTF-8" in error["message"]
    status, error = upload()
    assert status == 422 and "give at least one part" in error["message"]
    status, error = upload(("text", ("body.txt", b"x" * (2 * 1024 * 1024 + 1), "text/plain")))
    assert status == 413 and error["code"] == "template.too_large"


def test_a_catalog_no_contact_gets_is_a_warning_when_the_job_is_created(api: Api) -> None:
    template = _create(api, parts=PARTS, messages={"en": EN, "de": DE, "fr": EN}).json()
    audience = api.upload("people")
    body = {
        "name": "warned",
        "audience_id": audience["id"],
        "template_id": template["id"],
        "outputs": ["txt"],
    }
    resp = api.client.post("/v1/jobs", headers=api.a, json=body)
    assert resp.status_code == 202, resp.text
    warnings = resp.json()["warnings"]
    assert [w["code"] for w in warnings] == ["template.unused_catalog"]
    assert warnings[0]["message"].startswith("messages.fr (inline): no contact")
    assert "de-DE, es-PE, ja-JP" in warnings[0]["message"]
    job_id = resp.json()["id"]
    api.client.app.state.brandloom.executor.wait(job_id, timeout=120)  # type: ignore[attr-defined]
    report = api.client.get(f"/v1/jobs/{job_id}", headers=api.a).json()["report"]
    assert report["warnings"] == warnings


def test_a_preview_speaks_the_contacts_language(api: Api) -> None:
    template = _create(
        api, parts=PARTS, messages={"en": EN, "de": DE}, locales={"ja": {"subject": "様"}}
    ).json()
    contact = {"email": "ann@example.com", "first_name": "Ann", "locale": "de-AT"}
    url = f"/v1/templates/{template['id']}/preview"
    shown = api.client.post(url, headers=api.a, json={"contact": contact}).json()
    assert shown["parts"]["subject"] == "Hallo Ann"
    assert shown["qa"]["issues"] == [] or all(
        i["code"] != "variable.unresolved" for i in shown["qa"]["issues"]
    )
    shown = api.client.post(url, headers=api.a, json={"contact": contact, "locale": "ja"}).json()
    assert shown["parts"]["subject"] == "様"
    shown = api.client.post(url, headers=api.a, json={"contact": contact, "locale": "fr"}).json()
    assert shown["parts"]["subject"] == "Hello Ann"
