"""The TF-IDF feature pair every shipped text model reads: word n-grams and char_wb n-grams,
sublinear tf, each capped in size (``brandloom.analysis.features.Tfidf`` replays them at run
time); or the same n-grams' presence (0/1, no IDF, no norm). Training-only: imports
scikit-learn."""

from __future__ import annotations

from typing import Any

import numpy as np


def word_and_char(
    *,
    word_features: int,
    char_features: int,
    char_ngrams: tuple[int, int] = (2, 5),
    char_min_df: int = 2,
    dtype: Any = np.float64,
    presence: bool = False,
) -> list[Any]:
    """``[word 1-2-grams, char_wb n-grams]`` vectorizers, unfitted (``presence``: 0/1 features)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    weighting: dict[str, Any] = {"sublinear_tf": True}
    if presence:
        weighting = {"binary": True, "use_idf": False, "norm": None}
    return [
        TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            min_df=2,
            max_features=word_features,
            dtype=dtype,
            **weighting,
        ),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=char_ngrams,
            min_df=char_min_df,
            max_features=char_features,
            dtype=dtype,
            **weighting,
        ),
    ]
