"""The numpy TF-IDF runtime reproduces scikit-learn term for term, and survives a round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from brandloom.analysis.artifacts import Artifact
from brandloom.analysis.features import LinearModel, SparseRows, Tfidf, softmax

CORPUS = [
    "Last chance: 30% off ends tonight!",
    "Letzte Chance: 30 % Rabatt nur heute!!",
    "Dernière chance : -30 % jusqu'à ce soir",
    "¡Última oportunidad!  30 % de descuento\thasta esta noche",
    "最后机会：今晚结束 30% 折扣",
    "ÉTÉ café naïve 😀 emoji\n\nnew   lines",
    "a",
    "",
]
CONFIGS = [
    ("word", (1, 1)),
    ("word", (1, 2)),
    ("char", (1, 3)),
    ("char", (2, 5)),
    ("char_wb", (1, 4)),
    ("char_wb", (2, 5)),
]


@pytest.mark.parametrize(("analyzer", "ngram_range"), CONFIGS)
@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_transform_matches_scikit_learn(
    analyzer: str, ngram_range: tuple[int, int], sublinear_tf: bool
) -> None:
    vectorizer = TfidfVectorizer(
        analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=sublinear_tf
    ).fit(CORPUS)
    ours = Tfidf.from_sklearn(vectorizer)
    theirs = vectorizer.transform(CORPUS).toarray()
    assert np.abs(ours.transform(CORPUS).dot(np.eye(ours.n_features)) - theirs).max() < 1e-6
    for text in CORPUS:
        assert sorted(ours.terms(text)) == sorted(vectorizer.build_analyzer()(text))


# (binary, use_idf, norm): presence features without weights or norm, and the mixes between.
WEIGHTINGS = [(True, False, None), (True, True, "l2"), (False, False, None), (False, True, None)]


@pytest.mark.parametrize(("binary", "use_idf", "norm"), WEIGHTINGS)
def test_weightings_match_scikit_learn_and_round_trip(
    binary: bool, use_idf: bool, norm: str | None
) -> None:
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), binary=binary, use_idf=use_idf, norm=norm
    ).fit(CORPUS)
    ours = Tfidf.from_sklearn(vectorizer)
    theirs = vectorizer.transform(CORPUS).toarray()
    got = ours.transform(CORPUS).dot(np.eye(ours.n_features))
    assert np.abs(got - theirs).max() < 1e-6
    if binary and norm is None:
        assert set(np.unique(got)) == {0.0, 1.0}
    meta, arrays = ours.to_state("v")
    assert ("v.idf" in arrays) == use_idf  # no weights stored where none are used
    again = Tfidf.from_state(meta, arrays, "v")
    assert np.abs(again.transform(CORPUS).dot(np.eye(again.n_features)) - theirs).max() < 1e-6


def test_a_vectorizer_of_an_older_artifact_reads_as_sublinear_tf_idf_l2() -> None:
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(CORPUS)
    meta, arrays = Tfidf.from_sklearn(vectorizer).to_state("v")
    assert set(meta) == {"analyzer", "ngram_range", "lowercase", "sublinear_tf"}
    again = Tfidf.from_state(meta, arrays, "v")
    assert (again.binary, again.use_idf, again.norm) == (False, True, "l2")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_analyzers_agree_with_scikit_learn_on_any_text(text: str) -> None:
    for analyzer, ngram_range in CONFIGS:
        vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range)
        ours = Tfidf(analyzer=analyzer, ngram_range=ngram_range)
        assert ours.terms(text) == vectorizer.build_analyzer()(text)


def test_unsupported_vectorizer_settings_are_refused() -> None:
    vectorizer = TfidfVectorizer(strip_accents="unicode").fit(CORPUS)
    with pytest.raises(ValueError, match="strip_accents"):
        Tfidf.from_sklearn(vectorizer)
    with pytest.raises(ValueError, match="norm='l1'"):
        Tfidf.from_sklearn(TfidfVectorizer(norm="l1").fit(CORPUS))


def test_linear_model_round_trips_through_an_artifact() -> None:
    labels = [0, 0, 1, 1, 2, 2, 0, 1]
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True).fit(CORPUS)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit(CORPUS)
    from scipy.sparse import hstack

    features = hstack([word.transform(CORPUS), char.transform(CORPUS)]).tocsr()
    classifier = LogisticRegression(max_iter=1000).fit(features, labels)
    model = LinearModel([Tfidf.from_sklearn(word), Tfidf.from_sklearn(char)])
    model.coef_ = classifier.coef_.T.astype(np.float32)
    model.intercept_ = classifier.intercept_
    meta, arrays = model.to_state("clf")
    data = Artifact("test.corpus.v1", {"model": meta}, arrays).to_bytes()
    restored = Artifact.from_bytes(data, expected_name="test.corpus.v1")
    again = LinearModel.from_state(restored.meta["model"], restored.arrays, "clf")
    expected = classifier.predict_proba(features)
    assert np.abs(softmax(again.decision_function(CORPUS)) - expected).max() < 1e-5


def test_sparse_rows_dot_handles_empty_rows_and_hstack() -> None:
    rows = SparseRows(np.array([0, 0, 2]), np.array([0, 2]), np.array([1.0, 2.0]), 3)
    other = SparseRows(np.array([0, 1, 1]), np.array([1]), np.array([5.0]), 2)
    both = SparseRows.hstack([rows, other])
    weights = np.arange(10, dtype=np.float32).reshape(5, 2)
    dense = np.array([[0, 0, 0, 0, 5.0], [1.0, 0, 2.0, 0, 0]])
    assert np.allclose(both.dot(weights), dense @ weights)
