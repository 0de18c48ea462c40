"""Emotions in English text: the 28 GoEmotions labels (27 emotions and ``neutral``).

Two models vote: a fine-tuned MiniLM encoder (int8 ONNX, read with onnxruntime) and a TF-IDF
(word and character n-grams) one-vs-rest logistic regression. Their probabilities are blended with
a weight chosen at training time, and a label is asserted when its blended probability reaches
its own threshold (rare emotions such as grief need lower bars than joy or neutral).

The encoder reads at most ``max_tokens`` word pieces per text (128): a longer text is judged on its
beginning by the encoder, while the TF-IDF half still reads all of it. The model was trained on
English Reddit comments; other languages get mostly ``neutral``.

Nothing is read at import time: ``EmotionModel.load()`` opens the artifact and the ONNX session on
first use and keeps them for the process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from brandloom.analysis import artifacts
from brandloom.analysis.features import LinearModel, sigmoid
from brandloom.analysis.labels import GOEMOTIONS_LABELS

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

NAME = "emotion.goemotions.v1"

LABELS: tuple[str, ...] = GOEMOTIONS_LABELS

# The int8 model scales its activations per call, over every text in it: batched, a text's
# probabilities moved by up to 0.19 with its batchmates (and 18 of 11,200 decisions flipped in a
# 400-text sample). One text per call makes a text's result its own, for about 30 % of the
# throughput; a larger batch (sorted by length, so padding costs little) trades that back.
DEFAULT_BATCH = 1

# Task heads (``OnnxHead``) continue from the encoder's hidden states after its first
# ``SHARED_LAYERS`` layers (of 6): its second output, named ``SHARED_STATES``. The word-piece
# table and those layers ship once and run once per text, whatever the number of heads.
SHARED_LAYERS = 3
SHARED_STATES = f"layer{SHARED_LAYERS}_states"


class OnnxEncoder:
    """The fine-tuned encoder: word pieces in, one probability per label out."""

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        *,
        max_tokens: int = 128,
        threads: int = 1,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        # Imported here so that importing brandloom.analysis never loads onnxruntime.
        import onnxruntime
        from tokenizers import Tokenizer

        self.max_tokens = max_tokens
        self.batch_size = batch_size
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()
        self._tokenizer: Tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), n_labels)`` raw scores; batches (if any) are formed by token count."""
        return self.outputs(texts, ())[0]

    def outputs(
        self, texts: Sequence[str], heads: Sequence[OnnxHead]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The encoder's logits and each head's logits, ``(len(texts), width)`` each.

        A head continues from the encoder's shared hidden states of the same call, so each
        text is tokenized and run through the shared layers once whatever the number of heads."""
        wanted = ["logits", SHARED_STATES] if heads else ["logits"]
        out: np.ndarray | None = None
        head_out: list[np.ndarray | None] = [None] * len(heads)
        for n, chunk, mask, results in self._run(texts, wanted):
            scores = results[0]
            if out is None:
                out = np.zeros((n, scores.shape[1]), dtype=np.float64)
            out[chunk] = scores
            for h, head in enumerate(heads):
                head_scores = head.logits(results[1], mask)
                part = head_out[h]
                if part is None:
                    part = head_out[h] = np.zeros((n, head_scores.shape[1]))
                part[chunk] = head_scores
        if out is None:
            empty = [np.zeros((0, head.width), dtype=np.float64) for head in heads]
            return np.zeros((0, self.width), dtype=np.float64), empty
        return out, [part for part in head_out if part is not None]

    def shared_states(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's ``SHARED_STATES`` (``(tokens, 384)``, padding cut), computed as
        ``outputs`` computes them for a head: what a head is trained on."""
        states: list[np.ndarray] = [np.zeros((0, 384), dtype=np.float32)] * len(texts)
        for _, chunk, mask, results in self._run(texts, [SHARED_STATES]):
            for row, i in enumerate(chunk):
                states[i] = results[0][row, : int(mask[row].sum())]
        return states

    def _run(
        self, texts: Sequence[str], wanted: list[str]
    ) -> Iterator[tuple[int, list[int], np.ndarray, list[np.ndarray]]]:
        """``(len(texts), rows, attention mask, outputs)`` per session call, texts batched by
        token count."""
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            results = self._session.run(wanted, {"input_ids": input_ids, "attention_mask": mask})
            yield len(ids), chunk, mask, results

    @property
    def width(self) -> int:
        return int(self._session.get_outputs()[0].shape[1])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Independent per-label probabilities (sigmoid of the logits)."""
        return sigmoid(self.logits(texts))


class OnnxHead:
    """A task model that reads the shared encoder's hidden states after its first
    ``SHARED_LAYERS`` layers (``SHARED_STATES``, ``(batch, tokens, 384)``) and the attention
    mask, and gives ``width`` logits per text. It ships only its own upper layers and output;
    the word-piece table and the lower layers are the encoder's."""

    def __init__(self, model_path: Path, *, threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.width = int(self._session.get_outputs()[0].shape[1])
        names = [node.name for node in self._session.get_inputs()]
        if names != [SHARED_STATES, "attention_mask"]:
            raise ValueError(
                f"{model_path}: inputs {names}, expected [{SHARED_STATES!r}, 'attention_mask'] "
                f"(a head of the encoder's first {SHARED_LAYERS} layers)"
            )

    def logits(self, states: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.asarray(
            self._session.run(None, {SHARED_STATES: states, "attention_mask": mask})[0],
            dtype=np.float64,
        )


class EmotionModel:
    """Blend of the encoder and the TF-IDF model, with one decision threshold per label."""

    labels_: list[str]
    thresholds_: np.ndarray
    encoder_weight_: float
    tfidf_: LinearModel
    encoder_: OnnxEncoder
    meta_: dict[str, Any]

    @classmethod
    def from_artifact(
        cls, artifact: artifacts.Artifact, encoder: OnnxEncoder, prefix: str = "tfidf"
    ) -> EmotionModel:
        """Rebuild from the ``.npz`` state and an opened encoder."""
        model = cls()
        meta = artifact.meta
        model.labels_ = [str(label) for label in meta["labels"]]
        model.thresholds_ = artifact.arrays["thresholds"].astype(np.float64)
        model.encoder_weight_ = float(meta["encoder_weight"])
        model.tfidf_ = LinearModel.from_state(meta["tfidf"], artifact.arrays, prefix)
        model.encoder_ = encoder
        model.meta_ = meta
        if len(model.labels_) != len(model.thresholds_):
            raise artifacts.ArtifactError(f"{artifact.name}: labels and thresholds differ")
        return model

    @classmethod
    def load(cls, *, threads: int = 1) -> EmotionModel:
        """The shipped model, opened once per process (and per thread count)."""

        def open_model() -> EmotionModel:
            artifact = artifacts.load(NAME)
            encoder = OnnxEncoder(
                artifacts.artifact_path(NAME, ".onnx"),
                artifacts.artifact_path(NAME, ".tokenizer.json"),
                max_tokens=int(artifact.meta["max_tokens"]),
                threads=threads,
            )
            return cls.from_artifact(artifact, encoder)

        return artifacts.opened_once((NAME, threads), open_model)

    def tfidf_proba(self, texts: Sequence[str]) -> np.ndarray:
        """The TF-IDF model's probabilities alone, ``(n, 28)``."""
        return sigmoid(self.tfidf_.decision_function(texts))

    def encoder_proba(self, texts: Sequence[str]) -> np.ndarray:
        """The encoder's probabilities alone, ``(n, 28)``."""
        return self.encoder_.predict_proba(texts)

    def predict_proba(
        self, texts: Sequence[str], *, encoder_logits: np.ndarray | None = None
    ) -> np.ndarray:
        """``(len(texts), 28)`` probabilities in [0, 1], columns in ``labels_`` order.

        ``encoder_logits``: the encoder's logits for ``texts`` when the caller has them already
        (``encoder_.logits(texts)``; the sentiment model reads them too), so it runs once."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.labels_)), dtype=np.float64)
        weight = self.encoder_weight_
        if encoder_logits is None:
            encoder = self.encoder_proba(texts)
        else:
            encoder = sigmoid(np.asarray(encoder_logits, dtype=np.float64))
        blended = weight * encoder + (1.0 - weight) * self.tfidf_proba(texts)
        return np.clip(blended, 0.0, 1.0)

    def decide(self, proba: np.ndarray) -> list[list[str]]:
        """Labels at or over their thresholds per row; a row with none gets its argmax label."""
        over = proba >= self.thresholds_
        out: list[list[str]] = []
        for row, flags in zip(proba, over, strict=True):
            picked = np.flatnonzero(flags)
            if len(picked) == 0:
                picked = np.asarray([int(np.argmax(row))])
            # Most probable first, so callers wanting one label take the head.
            ranked = sorted(picked.tolist(), key=lambda j: -row[j])
            out.append([self.labels_[j] for j in ranked])
        return out

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """The labels the model asserts for each text (never empty)."""
        return self.decide(self.predict_proba(texts))
