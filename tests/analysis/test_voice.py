"""Voice profiles: fit on one brand's texts, score others, explain, serialize."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.guidelines import parse_guidelines
from brandloom.analysis.voice import VOICE_FORMAT, VoiceProfile, clean_text
from brandloom.errors import ValidationFailed

PLAYFUL = [
    "Hey there! We're so sorry your save vanished 😢 DM us your gamertag and we'll dig in!",
    "Oh no, that's not the vibe we want! Try restarting the console and let us know how it goes 🙌",
    "We hear you! Our team's on it and we'll shout as soon as the servers are back up 🎮",
    "Yikes! That's a weird one. Can you DM us a clip? We'd love to take a look!",
    "Thanks for the heads-up! We're passing this straight to the devs 🚀",
    "Ahh, sorry about that! Clear the cache and hop back in, that usually does the trick!",
    "You rock for reporting this! We'll keep you posted right here 💪",
    "Hey! We totally get it. Drop us a DM with your console ID and we'll sort it!",
    "So sorry for the wait! Servers are back and you're good to go 🎉",
    "Hmm, that shouldn't happen! Mind sending us a screenshot in DM? We've got you!",
    "We're on it! Hang tight while the team checks the patch notes 🛠️",
    "Oof, sorry! Give it another go after the update and tell us if it's still funky!",
]
FORMAL = [
    "We apologize for any inconvenience. Please contact our customer service department during "
    "business hours.",
    "Thank you for your message. For your security, please do not share account details on social "
    "media.",
    "We understand your concern. A representative will review your account and respond within two "
    "business days.",
    "Please visit your nearest branch with valid identification to complete this request.",
    "Thank you for bringing this matter to our attention. We will investigate the transaction "
    "promptly.",
    "For assistance with your statement, please call the number on the back of your card.",
    "We regret the delay. Your request has been forwarded to the appropriate department for "
    "review.",
    "Please note that wire transfers submitted after the cutoff time are processed the next "
    "business day.",
    "We appreciate your patience while we review the documentation you provided.",
    "To protect your privacy, please send us a direct message with your full name and the date of "
    "the transaction.",
    "Thank you for your inquiry. The requested information is available in your online banking "
    "portal.",
    "We are unable to discuss account specifics publicly. Please contact us through secure "
    "messaging.",
]


@pytest.fixture(scope="module")
def playful() -> VoiceProfile:
    return VoiceProfile(tone=False).fit(PLAYFUL[:10], locales=["en"] * 10)


@pytest.fixture(scope="module")
def formal() -> VoiceProfile:
    return VoiceProfile(tone=False).fit(FORMAL[:10], locales=["en"] * 10)


def test_unseen_texts_score_higher_against_their_own_brand(
    playful: VoiceProfile, formal: VoiceProfile
) -> None:
    for text in PLAYFUL[10:]:
        own, other = playful.score([text], locale="en")[0], formal.score([text], locale="en")[0]
        assert own.score > other.score
    for text in FORMAL[10:]:
        own, other = formal.score([text], locale="en")[0], playful.score([text], locale="en")[0]
        assert own.score > other.score


def test_a_score_has_dimensions_with_explanations_and_suggestions(formal: VoiceProfile) -> None:
    text = "OMG!!! This deal is INSANE 🎉🎉 grab it now before it's gone lol!!!"
    result = formal.score([text], locale="en")[0]
    data = result.to_dict()
    assert set(data) >= {"score", "dimensions", "violations", "suggestions"}
    assert 0 <= data["score"] <= 100
    dims = data["dimensions"]
    assert {"vocabulary", "sentence_length", "exclamation", "emoji", "capitals"} <= set(dims)
    for info in dims.values():
        assert 0 <= info["score"] <= 100 and info["explanation"]
    assert dims["exclamation"]["score"] < 50
    assert "this brand uses" in dims["exclamation"]["explanation"]
    assert dims["exclamation"]["suggestion"] == "fewer exclamation marks"
    assert "fewer exclamation marks" in data["suggestions"]


def test_sentence_length_explanation_names_both_averages(playful: VoiceProfile) -> None:
    long = (
        "Please be advised that in accordance with the terms and conditions that govern the use "
        "of this service any and all requests for reimbursement must be submitted in writing "
        "together with supporting documentation no later than thirty days after the transaction."
    )
    dim = playful.score([long], locale="en")[0].dimensions["sentence_length"]
    assert re.fullmatch(
        r"sentences average 4\d words; this brand's average [5-9]", dim["explanation"]
    )
    assert "shorter sentences" in dim["suggestion"]


def test_guidelines_add_violations_apart_from_the_score(formal: VoiceProfile) -> None:
    guidelines = parse_guidelines(
        {"banned_terms": ["guaranteed"], "glossary": {"cheap": "affordable"}}, source="t"
    )
    plain = formal.score(["A cheap loan, guaranteed."], locale="en")[0]
    ruled = formal.score(["A cheap loan, guaranteed."], guidelines=guidelines, locale="en")[0]
    assert plain.score == ruled.score  # the rules do not move the statistical score
    assert [v["code"] for v in ruled.violations] == ["brand.glossary", "brand.banned_term"]
    assert ruled.violations[0]["span"] == [2, 7]
    assert "affordable" in ruled.suggestions


def test_round_trip_through_bytes_scores_the_same(playful: VoiceProfile) -> None:
    payload = playful.to_bytes()
    again = VoiceProfile.from_bytes(payload)
    texts = PLAYFUL[10:] + FORMAL[:2]
    assert [s.to_dict() for s in again.score(texts, locale="en")] == [
        s.to_dict() for s in playful.score(texts, locale="en")
    ]
    assert again.to_bytes() == payload  # deterministic
    summary = again.summary()
    assert summary["format"] == VOICE_FORMAT and summary["n_texts"] == 10
    assert summary["languages"] == {"en": 10}
    assert "dm" in summary["distinctive"]


def test_broken_or_foreign_payloads_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="not a stored voice profile"):
        VoiceProfile.from_bytes(b"not gzip")
    import gzip

    with pytest.raises(ValidationFailed, match=r"voice\.profile\.v1"):
        VoiceProfile.from_bytes(gzip.compress(b'{"format": "voice.profile.v0"}'))


def test_too_few_texts_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="at least 3 texts"):
        VoiceProfile(tone=False).fit(["Hello there.", "", "12345"])


def test_links_and_handles_are_not_the_voice() -> None:
    assert clean_text("@jane see https://x.example/a?b=1 or www.y.example, mail a@b.example") == (
        "see or , mail"
    )


def test_a_multilingual_library_gets_one_voice_per_language() -> None:
    german = [
        "Vielen Dank für Ihre Nachricht. Wir prüfen Ihr Anliegen umgehend.",
        "Bitte senden Sie uns Ihre Kundennummer per Direktnachricht.",
        "Wir entschuldigen uns für die Unannehmlichkeiten.",
        "Ihr Paket ist unterwegs und kommt morgen an.",
        "Gerne helfen wir Ihnen weiter, schreiben Sie uns jederzeit.",
        "Wir haben Ihre Anfrage an das zuständige Team weitergeleitet.",
        "Bitte starten Sie die App neu und versuchen Sie es noch einmal.",
        "Ihre Rückerstattung wurde veranlasst.",
        "Wir melden uns in Kürze bei Ihnen.",
        "Danke für Ihre Geduld!",
    ]
    texts = PLAYFUL[:10] + german
    profile = VoiceProfile(tone=False).fit(texts, locales=["en"] * 10 + ["de-DE"] * 10)
    assert set(profile.voices_) == {"all", "en", "de"}
    result = profile.score(["Vielen Dank, wir prüfen Ihre Anfrage."], locale="de-DE")[0]
    assert result.language == "de"
    assert profile.summary()["voices"] == {"all": 20, "en": 10, "de": 10}


def test_tone_uses_the_sentiment_model() -> None:
    profile = VoiceProfile(tone=True).fit(PLAYFUL[:6], locales=["en"] * 6)
    dims = profile.score(["This is terrible and we hate it."], locale="en")[0].dimensions
    assert "tone" in dims and dims["tone"]["explanation"].startswith("sentiment -")
    # left out on request (bulk jobs): vocabulary and style only
    without = profile.score(["This is terrible and we hate it."], locale="en", tone=False)[0]
    assert "tone" not in without.dimensions and "vocabulary" in without.dimensions


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_text_scores_in_range(text: str) -> None:
    profile = VoiceProfile(tone=False).fit(FORMAL[:5], locales=["en"] * 5)
    (result,) = profile.score([text])
    assert 0 <= result.score <= 100
    assert all(0 <= d["score"] <= 100 for d in result.dimensions.values())


def test_extreme_inputs_keep_the_shape(formal: VoiceProfile) -> None:
    texts = ["", "🎉🎉🎉", "x" * 100_000, "Hello мир 你好 مرحبا", "   \n\t "]
    results = formal.score(texts)
    assert len(results) == len(texts)
    assert results[0].score == 0.0 and results[0].dimensions == {}
    assert results[2].to_dict()["score"] >= 0
