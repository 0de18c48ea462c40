from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from brandloom.analysis.spam_rules import spam_rules
from brandloom.documents.qa import (
    ISSUE_CODES,
    QAChecker,
    QAConfig,
    QAInput,
    QAIssue,
    QAResult,
    load_spam_phrases,
)
from brandloom.documents.qa import base as qa_base
from brandloom.kit.text import TextScan, strip_html
from tests.kit.test_text import reference_scan

GOOD_HTML = (
    "<!DOCTYPE html><html><head></head><body>"
    '<img src="https://cdn.example.com/logo.png" alt="Example">'
    "<p>Hello Anna, our spring collection is here.</p>"
    '<a href="https://shop.example.com/spring?utm_source=news&amp;utm_medium=email'
    '&amp;utm_campaign=spring">See the collection</a>'
    '<a href="mailto:help@example.com">Help</a> <a href="tel:+4930123456">Call</a>'
    '<a href="#top">Top</a>'
    "</body></html>"
)
GOOD_TEXT = "Hello Anna, our spring collection is here.\nhttps://shop.example.com/spring\n"


def doc(**parts: str) -> QAInput:
    return QAInput(parts=parts)


def email_doc(**overrides: Any) -> QAInput:
    parts = {
        "subject": "Our spring collection is here",
        "preheader": "New colours for the season",
        "html": GOOD_HTML,
        "text": GOOD_TEXT,
    }
    parts.update(overrides)
    return QAInput(parts={k: v for k, v in parts.items() if v is not None})


def check(config: QAConfig | None = None, document: QAInput | None = None) -> QAResult:
    return QAChecker(config or QAConfig()).check(document or email_doc())


def codes(result: QAResult) -> list[str]:
    return [issue.code for issue in result.issues]


def issue(result: QAResult, code: str) -> QAIssue:
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, result.issues
    return found[0]


def test_clean_document_passes() -> None:
    result = check()
    assert result == QAResult("pass", (), result.spam_score)
    assert result.spam_score < 2.5


# --- config ---------------------------------------------------------------------------------


def test_config_forbids_unknown_keys_and_codes() -> None:
    with pytest.raises(ValidationError):
        QAConfig.model_validate({"subject_max_char": 10})
    with pytest.raises(ValidationError):
        QAConfig.model_validate({"severity": {"link.insecur": "off"}})
    with pytest.raises(ValidationError):
        QAConfig.model_validate({"severity": {"link.insecure": "error"}})
    with pytest.raises(ValidationError):
        QAConfig.model_validate({"allowed_link_hosts": ["not a host"]})
    config = QAConfig.model_validate(
        {"banned_phrases": [" free ", ""], "allowed_link_hosts": ["*.Bücher.de", "example.com"]}
    )
    assert config.banned_phrases == ["free"]
    assert config.allowed_link_hosts == ["xn--bcher-kva.de", "example.com"]


def test_all_codes_have_valid_default_severity() -> None:
    assert set(ISSUE_CODES.values()) <= {"fail", "warn"}


# --- variables, consent, subject, preheader, sms ----------------------------------------------


def test_variables() -> None:
    result = check(document=QAInput(parts=email_doc().parts, unresolved=["first_name", "city"]))
    assert issue(result, "variable.unresolved").severity == "fail"
    assert "first_name, city" in issue(result, "variable.unresolved").message
    assert result.status == "fail"
    result = check(document=QAInput(parts=email_doc().parts, empty=["city"]))
    assert codes(result) == ["variable.empty"]
    assert result.status == "warn"


def test_unparsed_filter_values_warn_naming_filter_and_value() -> None:
    unparsed = [("currency", "1.234,50"), ("date", "03.02.2026"), ("currency", "1.234,50")]
    result = check(document=QAInput(parts=email_doc().parts, unparsed=unparsed))
    assert codes(result) == ["filter.unparsed_value"]
    assert result.status == "warn"
    message = issue(result, "filter.unparsed_value").message
    assert "currency('1.234,50'); date('03.02.2026')" in message  # each pair once
    assert "audience.types" in message
    assert ISSUE_CODES["filter.unparsed_value"] == "warn"
    config = QAConfig.model_validate({"severity": {"filter.unparsed_value": "fail"}})
    assert check(config, QAInput(parts=email_doc().parts, unparsed=unparsed)).status == "fail"
    config = QAConfig.model_validate({"severity": {"filter.unparsed_value": "off"}})
    assert check(config, QAInput(parts=email_doc().parts, unparsed=unparsed)).status == "pass"


def test_consent() -> None:
    parts = email_doc().parts
    assert "consent.missing" not in codes(check(document=QAInput(parts=parts, consent="denied")))
    config = QAConfig(require_consent=True)
    for consent in ("denied", "unknown", "bogus"):
        result = check(config, QAInput(parts=parts, consent=consent))
        assert codes(result) == ["consent.missing"]
        assert result.status == "fail"
    assert check(config, QAInput(parts=parts, consent="granted")).status == "pass"


def test_duplicate_email_names_the_first_row() -> None:
    parts = email_doc().parts
    assert check(document=QAInput(parts=parts, duplicate_of=None)).status == "pass"
    result = check(document=QAInput(parts=parts, duplicate_of=3))
    found = issue(result, "contact.duplicate_email")
    assert found.severity == "warn" and "row 3" in found.message
    assert result.status == "warn"
    failing = QAConfig.model_validate({"severity": {"contact.duplicate_email": "fail"}})
    assert check(failing, QAInput(parts=parts, duplicate_of=3)).status == "fail"
    off = QAConfig.model_validate({"severity": {"contact.duplicate_email": "off"}})
    assert check(off, QAInput(parts=parts, duplicate_of=3)).status == "pass"


def test_subject_checks() -> None:
    assert codes(check(document=email_doc(subject=None))) == ["subject.missing"]
    assert codes(check(document=email_doc(subject="   "))) == ["subject.missing"]
    assert check(QAConfig(subject_required=False), email_doc(subject=None)).status == "pass"
    long = check(document=email_doc(subject="Spring " * 12))
    assert codes(long) == ["subject.too_long"]
    assert long.status == "warn"
    assert check(QAConfig(subject_max_chars=100), email_doc(subject="Spring " * 12)).issues == ()
    # an SMS-only document needs no subject
    assert check(document=doc(sms="Hi Anna, our sale starts now.")).status == "pass"


def test_preheader_too_long() -> None:
    result = check(document=email_doc(preheader="x" * 141))
    assert codes(result) == ["preheader.too_long"]
    assert check(document=email_doc(preheader="x" * 140)).issues == ()


def test_sms_segments() -> None:
    assert check(document=doc(sms="a" * 306)).issues == ()
    result = check(document=doc(sms="a" * 307))
    assert codes(result) == ["sms.too_many_segments"]
    assert "3 segments" in result.issues[0].message
    assert codes(check(document=doc(sms="😀" * 68))) == ["sms.too_many_segments"]
    assert check(QAConfig(sms_max_segments=3), doc(sms="a" * 307)).issues == ()


# --- phrases --------------------------------------------------------------------------------


def test_banned_phrase_word_boundaries() -> None:
    config = QAConfig(banned_phrases=["free", "act now", "e-mail"])
    checker = QAChecker(config)
    hit = checker.check(doc(sms="Get it FREE today"))
    assert codes(hit) == ["phrase.banned"]
    assert "'free'" in hit.issues[0].message and "sms" in hit.issues[0].message
    for text in (
        "Freedom for all",
        "carefree summer",
        "free_shipping",
        "react now",
        "act nowhere",
        "email us",
    ):
        assert checker.check(doc(sms=text)).issues == (), text
    for text in ("free!", "(free)", "free-stuff", "ACT\n NOW", "Act now.", "send an E-Mail"):
        assert codes(checker.check(doc(sms=text))) == ["phrase.banned"], text


def test_banned_phrase_unicode_case() -> None:
    checker = QAChecker(QAConfig(banned_phrases=["Straße", "ÜBERRASCHUNG", "gratis", "セール"]))
    assert codes(checker.check(doc(sms="Die STRASSE ist frei"))) == ["phrase.banned"]
    assert codes(checker.check(doc(sms="eine überraschung!"))) == ["phrase.banned"]
    assert codes(checker.check(doc(sms="GRATIS-Versand"))) == ["phrase.banned"]
    assert checker.check(doc(sms="Gratisversand")).issues == ()
    assert codes(checker.check(doc(sms="大セール開催中"))) == ["phrase.banned"]  # no spaces in CJK


def test_banned_phrase_parts_and_html_fallback() -> None:
    config = QAConfig(banned_phrases=["spring"])
    result = check(config)
    message = issue(result, "phrase.banned").message
    assert "subject" in message and "text" in message and "preheader" not in message
    html_only = check(config, email_doc(text=None, subject="Hello"))
    assert "in html" in issue(html_only, "phrase.banned").message
    # tags, attributes and styles are not text
    styled = '<html><head><style>.spring{}</style></head><body class="spring">x</body></html>'
    assert check(config, doc(subject="Hi", html=styled)).issues == ()


def test_banned_phrases_many() -> None:
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdefghij") for _ in range(8)) for _ in range(600)]
    phrases = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(300)]
    checker = QAChecker(QAConfig(banned_phrases=phrases))
    assert checker.check(email_doc()).issues == ()
    text = f"Intro. {phrases[10]}, then {phrases[200].upper()}! Bye."
    result = checker.check(doc(sms=text))
    found = sorted(i.message for i in result.issues)
    assert len(found) >= 2
    assert any(repr(phrases[10]) in m for m in found)
    assert any(repr(phrases[200]) in m for m in found)


def test_required_phrases() -> None:
    config = QAConfig(required_phrases=["unsubscribe", "Example GmbH"])
    result = check(config)
    assert [i.message for i in result.issues] == [
        "Required phrase 'unsubscribe' not found",
        "Required phrase 'Example GmbH' not found",
    ]
    ok = check(config, email_doc(text=GOOD_TEXT + "Unsubscribe here. EXAMPLE GmbH, Berlin"))
    assert ok.issues == ()
    # whole words only
    partial = check(config, email_doc(text="unsubscribed? Example GmbHs"))
    assert len(partial.issues) == 2


# --- links ----------------------------------------------------------------------------------


def html_with(href: str, attr: str = "href") -> QAInput:
    tag = f'<a {attr}="{href}">x</a>' if attr == "href" else f'<img {attr}="{href}" alt="">'
    return email_doc(html=f"<html><body>{tag}</body></html>", text="Hello")


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "vbscript:x",
        "data:text/html,hi",
        "{{ url }}",
        "https://example.com/{{ id }}",
        "https://example.com/?u={%raw%}",
        "*|UNSUB|*",
        "",
        "/relative/path",
        "//example.com/x",
        "https://",
        "https:example.com",
        "https://exa mple.com",
        "https://user:pw@example.com/",
        "https://example.com:99999/",
        "https://a..b/",
        "https://256.1.1.1/",
    ],
)
def test_invalid_links(href: str) -> None:
    result = check(document=html_with(href))
    assert "link.invalid" in codes(result), href
    assert result.status == "fail"


@pytest.mark.parametrize(
    "href",
    [
        "https://example.com/",
        "HTTPS://Example.COM/x",
        "mailto:a@example.com",
        "tel:+49301234",
        "sms:+49301234",
        "#anchor",
        "https://bücher.de/",
        "https://example.com:8443/a?b=1#c",
        "https://[2001:4860:4860::8888]/",
        "https://8.8.8.8/",
    ],
)
def test_valid_links(href: str) -> None:
    assert check(document=html_with(href)).issues == ()


def test_insecure_link() -> None:
    result = check(document=html_with("http://example.com/"))
    assert codes(result) == ["link.insecure"]
    assert result.status == "warn"
    assert check(QAConfig(require_https=False), html_with("http://example.com/")).issues == ()
    assert codes(check(document=html_with("http://example.com/i.png", "src"))) == ["link.insecure"]


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST.",
        "app.localhost",
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.10",
        "169.254.169.254",
        "0.0.0.0",
        "2130706433",
        "0x7f000001",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "127.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[fe80::1]",
        "[fc00::1]",
        "printer.local",
        "db.internal",
        "intranet",
    ],
)
def test_private_hosts(host: str) -> None:
    result = check(document=html_with(f"https://{host}/x"))
    assert codes(result) == ["link.private_host"], host
    assert result.status == "fail"


@pytest.mark.parametrize("host", ["172.32.0.1", "11.0.0.1", "192.169.0.1", "local.example.com"])
def test_public_hosts(host: str) -> None:
    assert check(document=html_with(f"https://{host}/x")).issues == ()


def test_private_host_in_text_and_markdown() -> None:
    result = check(document=doc(subject="Hi", text="See http://127.0.0.1:8080/admin."))
    assert sorted(codes(result)) == ["link.insecure", "link.private_host"]
    md = check(document=doc(markdown="[x](javascript:alert(1)) [y](https://10.0.0.1/)"))
    assert sorted(codes(md)) == ["link.invalid", "link.private_host"]
    sms = check(document=doc(sms="Shop: https://localhost/x"))
    assert codes(sms) == ["link.private_host"]


def test_allowed_hosts() -> None:
    config = QAConfig(allowed_link_hosts=["example.com"])
    assert check(config).issues == ()  # shop./cdn. subdomains allowed
    result = check(config, html_with("https://evil.com/"))
    assert codes(result) == ["link.host_not_allowed"]
    assert "evil.com" in result.issues[0].message
    assert codes(check(config, html_with("https://notexample.com/"))) == ["link.host_not_allowed"]
    assert check(config, html_with("mailto:x@evil.com")).issues == ()
    by_ip = QAConfig(allowed_link_hosts=["8.8.8.8", "[2001:4860:4860::8888]", "cafe.de"])
    assert check(by_ip, html_with("https://8.8.8.8/")).issues == ()
    assert check(by_ip, html_with("https://[2001:4860:4860:0::8888]/")).issues == ()
    assert check(by_ip, html_with("https://www.cafe.de/")).issues == ()
    assert codes(check(by_ip, html_with("https://8.8.4.4/"))) == ["link.host_not_allowed"]


def test_utm() -> None:
    config = QAConfig(require_utm=True)
    result = check(config)
    # the text URL lacks UTM, the html one has all three; images and mailto are exempt
    missing = issue(result, "link.missing_utm")
    assert missing.severity == "warn"
    assert "'https://shop.example.com/spring' in text" in missing.message
    assert "utm_source, utm_medium, utm_campaign" in missing.message
    assert check(config, email_doc(text="plain")).issues == ()
    partial = check(config, html_with("https://example.com/?utm_source=a&utm_medium=b"))
    assert "(utm_campaign)" in issue(partial, "link.missing_utm").message


def test_link_issues_are_grouped() -> None:
    html = "".join(f'<a href="http://example.com/{i}">x</a>' for i in range(8))
    result = check(document=email_doc(html=f"<html><body>{html}</body></html>"))
    assert codes(result) == ["link.insecure"]
    assert "(+3 more)" in result.issues[0].message


# --- images ---------------------------------------------------------------------------------


def test_images_alt() -> None:
    html = (
        '<html><body><img src="https://e.com/a.png"><IMG SRC="https://e.com/B.png" />'
        '<img src="https://e.com/c.png" alt=""><img alt="d" src="https://e.com/d.png">'
        "<imgx></body></html>"
    )
    result = check(document=email_doc(html=html))
    missing = issue(result, "image.missing_alt")
    assert missing.severity == "warn"
    assert missing.message.startswith("2 image(s)")
    assert "https://e.com/a.png" in missing.message and "https://e.com/B.png" in missing.message
    assert check(QAConfig(check_images_alt=False), email_doc(html=html)).issues == ()


# --- spam -----------------------------------------------------------------------------------


def test_spam_phrases_are_shipped() -> None:
    phrases = load_spam_phrases()
    assert 80 <= len(phrases) <= 200
    assert all(0 < w <= 3 for _, w in phrases)


def test_spam_score_levels() -> None:
    mild = check(document=email_doc(subject="Last chance: free gift inside"))
    assert mild.spam_score > 0
    spammy = email_doc(
        subject="FREE MONEY!!! YOU HAVE WON",
        text="CONGRATULATIONS!!! Claim your prize now, act now, 100% free, no catch. $$$",
    )
    result = check(document=spammy)
    assert result.spam_score >= 5
    assert issue(result, "spam.score").severity == "fail"
    assert check(QAConfig(spam_threshold=50), spammy).issues == ()
    warn = check(QAConfig(spam_threshold=result.spam_score * 1.5), spammy)
    assert issue(warn, "spam.score").severity == "warn"


def test_spam_caps_and_punctuation() -> None:
    base = check(document=email_doc(subject="Spring news"))
    caps = check(document=email_doc(subject="SPRING NEWS"))
    assert caps.spam_score >= base.spam_score + 1.5
    bangs = check(document=email_doc(subject="Spring news!!"))
    assert bangs.spam_score >= base.spam_score + 1
    shouting = check(document=email_doc(text=GOOD_TEXT.upper() * 3))
    assert shouting.spam_score >= base.spam_score + 1.5
    short = check(document=email_doc(text="OK"))
    assert short.spam_score == base.spam_score


def test_spam_url_shortener() -> None:
    result = check(document=email_doc(text="https://bit.ly/abc"))
    assert result.spam_score >= 1


# --- severity overrides and status ------------------------------------------------------------


def test_severity_overrides() -> None:
    document = html_with("http://example.com/")
    assert check(QAConfig(severity={"link.insecure": "fail"}), document).status == "fail"
    assert check(QAConfig(severity={"link.insecure": "off"}), document).status == "pass"
    banned = QAConfig(banned_phrases=["spring"], severity={"phrase.banned": "warn"})
    result = check(banned)
    assert result.status == "warn"
    assert issue(result, "phrase.banned").severity == "warn"
    spammy = email_doc(subject="FREE MONEY!!! YOU HAVE WON")
    assert check(QAConfig(severity={"spam.score": "off"}), spammy).issues == ()
    assert check(QAConfig(severity={"spam.score": "warn"}, spam_threshold=1), spammy).status == (
        "warn"
    )
    unresolved = QAInput(parts=email_doc().parts, unresolved=["x"])
    assert check(QAConfig(severity={"variable.unresolved": "warn"}), unresolved).status == "warn"


def test_checker_is_reusable_and_deterministic() -> None:
    checker = QAChecker(QAConfig(banned_phrases=["free"], require_utm=True))
    document = email_doc(text="free https://127.0.0.1/ http://example.com/")
    first = checker.check(document)
    assert checker.check(document) == first
    assert QAChecker(QAConfig(banned_phrases=["free"], require_utm=True)).check(document) == first


_PART_NAMES = st.sampled_from(["subject", "preheader", "html", "text", "markdown", "sms", "x"])
_TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="<>=\"' /:.&#;{}[]()!$abcAB01émg@hrefsrcimgalthttps", max_size=300),
)


@settings(max_examples=300)
@given(
    parts=st.dictionaries(_PART_NAMES, _TEXTS, max_size=6),
    unresolved=st.lists(st.text(max_size=10), max_size=3),
    consent=st.text(max_size=8),
)
def test_check_never_crashes(parts: dict[str, str], unresolved: list[str], consent: str) -> None:
    checker = _FUZZ_CHECKER
    result = checker.check(QAInput(parts=parts, unresolved=unresolved, consent=consent))
    assert result.status in ("pass", "warn", "fail")
    assert all(i.code in ISSUE_CODES and i.severity in ("warn", "fail") for i in result.issues)
    assert result.spam_score >= 0


_FUZZ_CHECKER = QAChecker(
    QAConfig(
        banned_phrases=["free", "act now", "$$$", "セール", "e-mail"],
        required_phrases=["unsubscribe"],
        require_utm=True,
        allowed_link_hosts=["example.com"],
        require_consent=True,
    )
)


# --- fast paths against their reference implementations -------------------------------------


_HTMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            ["<a href=", "<A HREF='", "<img src=", "<IMG SRC=", " alt", " ALT=", '"', "'", ">",
             "https://", "http://", "ex.com/", "İ", "K", "Ü", "ü", "·", " ", "\n", "&amp;",
             "?utm_source=x", "free", "FREE", "act now", "ACT\u00a0NOW", "!!!", "$$$", "e-mail",
             "セール", "Unsubscribe"]
        ),
        st.characters(max_codepoint=0x2FF),
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=400)
@given(
    parts=st.dictionaries(
        st.sampled_from(["subject", "preheader", "html", "text", "markdown", "sms"]),
        _HTMLISH,
        max_size=6,
    )
)
def test_check_fast_paths_match_reference(parts: dict[str, str]) -> None:
    """check() gives the same result with the fast scan as with the reference one."""
    document = QAInput(parts=parts, consent="granted")
    fast = _FUZZ_CHECKER.check(document)
    original_scan = qa_base.scan

    def slow_scan(text: str) -> Any:
        return TextScan(*reference_scan(text))

    qa_base.scan = slow_scan  # type: ignore[assignment]
    try:
        slow = _FUZZ_CHECKER.check(document)
    finally:
        qa_base.scan = original_scan
    assert fast == slow


def _reference_spam_score(parts: dict[str, str]) -> float:
    """The spam score as first written: counts taken from the body text itself."""
    subject, preheader, sms = parts.get("subject"), parts.get("preheader"), parts.get("sms")
    body_name, body = "text", parts.get("text")
    if body is None:
        body_name, body = "markdown", parts.get("markdown")
    if body is None and "html" in parts:
        body_name, body = "html", strip_html(parts["html"])
    scans = {}
    for name, value in (("subject", subject), ("preheader", preheader), (body_name, body)):
        if value:
            scans[name] = TextScan(*reference_scan(value))
    if sms:
        scans["sms"] = TextScan(*reference_scan(sms))
    text = body or sms or ""
    rules = spam_rules()
    weights = rules._weights
    subject_hits = rules._matcher.find(scans["subject"]) if "subject" in scans else set()
    body_hits: set[int] = set()
    for name, scan in scans.items():
        if name != "subject":
            body_hits |= rules._matcher.find(scan)
    score = 0.0
    for index in subject_hits:
        score += weights[index] * 1.5
    for index in body_hits - subject_hits:
        score += weights[index]
    if subject:
        letters = [c for c in subject if c.isascii() and c.isalpha()]
        if len(letters) >= 4 and all(c.isupper() for c in letters):
            score += 1.5
        elif any(len(w) >= 4 and w.isupper() and w.isalpha() for w in subject.split()):
            score += 0.5
        if "!!" in subject:
            score += 1.0
        if subject.lstrip().lower().startswith(("re:", "fw:", "fwd:")):
            score += 0.75
    if "!!!" in text:
        score += 0.5
    if "$$$" in text or (subject is not None and "$$$" in subject):
        score += 1.0
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) >= 50:
        ratio = sum(1 for c in letters if c.isupper()) / len(letters)
        score += 1.5 if ratio > 0.5 else 0.75 if ratio > 0.3 else 0
    return round(score, 2)


_SPAMMY = st.lists(
    st.sampled_from(
        ["FREE", "free", "act now", "CASH BONUS", "!!!", "!!", "$$$", "$", "Re: ", "WINNER ",
         "Ünïcode ", "ÄÖÜ", "abc ", "XYZ ", "\n", " ", "100% free", "earn money ", "·"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=400)
@given(
    parts=st.dictionaries(
        st.sampled_from(["subject", "preheader", "html", "text", "markdown", "sms"]),
        _SPAMMY,
        max_size=6,
    )
)
def test_spam_score_matches_reference(parts: dict[str, str]) -> None:
    result = _FUZZ_CHECKER.check(QAInput(parts=parts, consent="granted"))
    assert result.spam_score == _reference_spam_score(parts)


def test_parts_are_masked_together_and_a_nul_in_the_copy_falls_back_part_by_part() -> None:
    """The contact's own values leave every part (masked in one pass over all of them); copy
    holding the separator itself is masked part by part, with the same result."""
    from brandloom.documents.qa.base import QADocument, QAInput
    from brandloom.documents.qa.text import masked_copy, masked_parts, zeroed_parts

    personal = {"first_name": "Jürgen", "city": "Göttingen", "email": "j@example.com"}
    parts = {
        "subject": "Jürgen, 1.234 Punkte",
        "preheader": "In Göttingen",
        "text": "Hallo Jürgen aus Göttingen: ٣ Gutscheine",
    }
    together = masked_parts(QADocument(QAInput(parts=parts, personal=personal)))
    assert together == {
        "subject": " , 1.234 Punkte",
        "preheader": "In  ",
        "text": "Hallo   aus  : ٣ Gutscheine",
    }
    nul = {**parts, "preheader": "In Göttingen\x00"}
    apart = masked_parts(QADocument(QAInput(parts=nul, personal=personal)))
    assert apart == {**together, "preheader": "In  \x00"}
    for doc_parts in (parts, nul):
        doc = QADocument(QAInput(parts=doc_parts, personal=personal))
        copy = masked_copy(doc)
        assert copy is not None
        assert copy.names == ("subject", "preheader", "text")
        assert copy.parts()[0] == " , 1.234 Punkte"
        assert zeroed_parts(doc)[0] == " , 0.000 Punkte"
        assert zeroed_parts(doc)[2] == "Hallo   aus  : 0 Gutscheine"


def _key_of(parts: dict[str, str], personal: dict[str, str]) -> object:
    from brandloom.documents.qa.base import QADocument, QAInput
    from brandloom.documents.qa.text import copy_key

    return copy_key(QADocument(QAInput(parts=parts, personal=personal)))


@pytest.mark.parametrize(
    ("digits", "name", "city", "word"),
    [
        ("1.234", "Jürgen", "Göttingen", "Punkte"),
        ("٣.٤٥٦", "प्रिया", "Pune", "Punkte"),
        ("1.234", "Ann", "Köln", "Pun\x00kte"),
    ],
)
def test_documents_that_differ_only_in_personalization_share_one_copy_key(
    digits: str, name: str, city: str, word: str
) -> None:
    """The key the brand checks look documents up by: the contact's values and every digit
    (ASCII or not, on the fast UTF-8 path or the character path, or part by part for copy
    holding a NUL) leave it; anything else in the copy changes it."""

    def doc(first: str, town: str, number: str, noun: str = word) -> dict[str, str]:
        return {
            "subject": f"{first}, {number} {noun}",
            "preheader": f"In {town}",
            "text": f"Hallo {first} aus {town}: {number} Gutscheine",
        }

    one = _key_of(doc(name, city, digits), {"first_name": name, "city": city})
    other = _key_of(
        doc("Maximilian", "Berlin", "9.876"), {"first_name": "Maximilian", "city": "Berlin"}
    )
    assert one is not None and one == other
    changed = _key_of(
        doc("Maximilian", "Berlin", "9.876", word + "n"),
        {"first_name": "Maximilian", "city": "Berlin"},
    )
    assert changed != one
    # the same copy with a part moved is another document
    moved = doc(name, city, digits)
    moved["preheader"], moved["subject"] = moved["subject"], moved["preheader"]
    assert _key_of(moved, {"first_name": name, "city": city}) != one
