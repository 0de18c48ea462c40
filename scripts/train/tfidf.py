"""The TF-IDF feature pair every shipped text model reads: word n-grams and char_wb n-grams,
sublinear tf, each capped in size (``brandloom.analysis.features.Tfidf`` replays them at run
time). Training-only: imports scikit-learn."""

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
) -> list[Any]:
    """``[word 1-2-grams, char_wb n-grams]`` vectorizers, unfitted."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return [
        TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=2,
            max_features=word_features,
            dtype=dtype,
        ),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=char_ngrams,
            sublinear_tf=True,
            min_df=char_min_df,
            max_features=char_features,
            dtype=dtype,
        ),
    ]
