"""The fine-tuned sentiment encoder of ``sentiment.umsab.v2`` (``sentiment.umsab.v2.onnx``).

Run by ``scripts/train/sentiment.py``; on its own it fine-tunes the cross-validation folds and the
shipped model and caches them in ``--work``:

    python scripts/train/sentiment_encoder.py --data ../shared/data

Model: the upper 3 layers of all-MiniLM-L6-v2 (initialized from its layers 4-6), mean pooling
over real word pieces and a 3-class linear head, fine-tuned on UMSAB tweets (cross-entropy, AdamW,
weight decay 0.01, learning rate 1.6e-4 for the layers and 1e-3 for the head, 6 % warm-up then
linear decay, batch 32, 3 epochs). They continue from the shipped emotion encoder's hidden states
after its first 3 layers (its ``SHARED_STATES`` output, computed by the int8 encoder exactly as
the runtime computes them), which stay as they are. So the exported ONNX ships 3 layers and a
head (about 5.6 MB), and at run time the word-piece table and the lower layers run once per text
for emotions and sentiment.

The text is read as written (first ``MAX_CHARS`` characters, the emotion encoder's tokenizer and
its 128 word-piece limit), exactly as the runtime reads it.

Cross-fitting: one model per fold of ``sentiment.fold_assignment`` over every shared tweet
(official train + val; fitted on the other folds) predicts its fold through the int8 ONNX runtime
path, one text per call as the runtime does. Those out-of-fold probabilities are what
``sentiment.py`` blends and scores. The shipped model is fitted on every tweet.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))  # runnable as a plain script from a checkout
if str(ROOT / "scripts" / "train") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts" / "train"))

from emotion import (  # noqa: E402  (scripts/train/emotion.py)
    export_int8,
    expose_shared_states,
    length_batches,
    log,
    minilm_dir,
    optimizer_step,
    warmup_then_linear,
)

from brandloom.analysis import artifacts  # noqa: E402
from brandloom.analysis.emotion import NAME as EMOTION  # noqa: E402
from brandloom.analysis.emotion import (  # noqa: E402
    SHARED_LAYERS,
    SHARED_STATES,
    OnnxEncoder,
    OnnxHead,
)
from brandloom.analysis.sentiment import CLASSES, MAX_CHARS  # noqa: E402

HEAD_NAME = "sentiment.umsab.v2"
MAX_TOKENS = 128  # the emotion encoder's limit: the head reads what the encoder embedded
EPOCHS = 3
BATCH_SIZE = 32
ENCODER_LR = 1.6e-4
HEAD_LR = 1e-3
WARMUP = 0.06
SEED = 7
WORK = ROOT / "build" / "sentiment"  # where fine-tuned encoders are cached between runs


def emotion_paths() -> tuple[Path, Path]:
    return (
        artifacts.artifact_path(EMOTION, ".onnx"),
        artifacts.artifact_path(EMOTION, ".tokenizer.json"),
    )


def shared_states(texts: Sequence[str]) -> list[np.ndarray]:
    """Each text's hidden states after the emotion encoder's shared layers, float16: what the
    head reads at run time (int8 encoder, one text per call)."""
    model_path, tokenizer_path = emotion_paths()
    started = time.time()
    encoder = OnnxEncoder(model_path, tokenizer_path, max_tokens=MAX_TOKENS, threads=2)
    states = encoder.shared_states([t[:MAX_CHARS] for t in texts])
    log(f"  shared states of {len(texts)} texts in {time.time() - started:.0f}s")
    return [s.astype(np.float16) for s in states]


def build_head() -> Any:
    """MiniLM's upper layers reading the shared states, mean pooling, one logit per class."""
    import torch
    from transformers import AutoModel

    class Head(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            bert = AutoModel.from_pretrained(str(minilm_dir()), attn_implementation="eager")
            self.layers = torch.nn.ModuleList(list(bert.encoder.layer)[SHARED_LAYERS:])
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(bert.config.hidden_size, len(CLASSES))

        def forward(self, states: Any, attention_mask: Any) -> Any:
            additive = (1.0 - attention_mask[:, None, None, :].to(states.dtype)) * -10000.0
            hidden = states
            for layer in self.layers:
                out = layer(hidden, attention_mask=additive)
                hidden = out[0] if isinstance(out, tuple) else out
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-6)
            return self.head(self.dropout(pooled))

    return Head()


def padded(states: Sequence[np.ndarray]) -> tuple[Any, Any]:
    """``(batch, tokens, 384)`` float states and the ``(batch, tokens)`` attention mask."""
    import torch

    width = max(len(s) for s in states)
    batch = np.zeros((len(states), width, states[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(states), width), dtype=np.int64)
    for row, s in enumerate(states):
        batch[row, : len(s)] = s
        mask[row, : len(s)] = 1
    return torch.from_numpy(batch), torch.from_numpy(mask)


def finetune(states: Sequence[np.ndarray], y: Sequence[int], threads: int) -> Any:
    """The head fine-tuned on ``states`` for ``EPOCHS`` epochs (no checkpoint choice)."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    model = build_head()
    head = list(model.head.parameters())
    body = [p for n, p in model.named_parameters() if not n.startswith("head")]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": ENCODER_LR}, {"params": head, "lr": HEAD_LR}], weight_decay=0.01
    )
    steps_per_epoch = (len(states) + BATCH_SIZE - 1) // BATCH_SIZE
    total = steps_per_epoch * EPOCHS
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_then_linear(total, max(1, int(total * WARMUP)))
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    targets = torch.tensor(list(y), dtype=torch.long)
    rng = np.random.default_rng(SEED)
    lengths = [len(s) for s in states]
    for epoch in range(1, EPOCHS + 1):
        model.train()
        started = time.time()
        running = 0.0
        for batch in length_batches(lengths, BATCH_SIZE, rng):
            inputs, mask = padded([states[i] for i in batch])
            loss = loss_fn(model(inputs, mask), targets[batch])
            running += optimizer_step(model, loss, optimizer, scheduler)
        log(f"  epoch {epoch}: loss {running / steps_per_epoch:.4f} ({time.time() - started:.0f}s)")
    model.eval()
    return model


def export_head(model: Any, path: Path) -> None:
    """ONNX with ``SHARED_STATES`` + ``attention_mask`` in, 3 logits out; int8 weights."""
    import torch

    example = (torch.zeros((1, 4, model.head.in_features)), torch.ones((1, 4)).long())
    export_int8(model, path, example, SHARED_STATES)


def runtime_logits(head_path: Path, texts: Sequence[str]) -> np.ndarray:
    """The head's logits as the runtime computes them (int8 encoder + head, one text a call)."""
    model_path, tokenizer_path = emotion_paths()
    encoder = OnnxEncoder(model_path, tokenizer_path, max_tokens=MAX_TOKENS, threads=1)
    head = OnnxHead(head_path, threads=1)
    return encoder.outputs([t[:MAX_CHARS] for t in texts], [head])[1][0]


def digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
    h.update(emotion_paths()[0].read_bytes())
    return h.hexdigest()[:16]


def settings() -> dict[str, Any]:
    return {
        "epochs": EPOCHS,
        "batch": BATCH_SIZE,
        "lr": [ENCODER_LR, HEAD_LR],
        "warmup": WARMUP,
        "seed": SEED,
        "max_tokens": MAX_TOKENS,
        "shared_layers": SHARED_LAYERS,
    }


def fit_and_export(
    states: Sequence[np.ndarray], y: Sequence[int], path: Path, threads: int
) -> None:
    started = time.time()
    model = finetune(states, y, threads)
    path.parent.mkdir(parents=True, exist_ok=True)
    export_head(model, path)
    log(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.time() - started:.0f}s")


def out_of_fold(
    texts: Sequence[str], y: Sequence[int], assignment: np.ndarray, work: Path, threads: int
) -> np.ndarray:
    """``(n, 3)`` logits of every text by the model of the folds that did not see it (cached)."""
    folds = int(assignment.max()) + 1
    key = digest(list(texts), list(y), assignment.tolist(), settings())
    folder = work / key
    folder.mkdir(parents=True, exist_ok=True)
    out = np.zeros((len(texts), len(CLASSES)))
    states: list[np.ndarray] | None = None
    for k in range(folds):
        held = np.flatnonzero(assignment == k)
        cached = folder / f"fold{k}.npy"
        if not cached.exists():
            log(f"sentiment encoder: fold {k + 1}/{folds} ({len(texts) - len(held)} texts)")
            states = shared_states(texts) if states is None else states
            fit = np.flatnonzero(assignment != k)
            onnx_path = folder / f"fold{k}.onnx"
            fit_and_export([states[i] for i in fit], [y[i] for i in fit], onnx_path, threads)
            np.save(cached, runtime_logits(onnx_path, [texts[i] for i in held]))
            onnx_path.unlink()
        out[held] = np.load(cached)
    return out


def shipped(texts: Sequence[str], y: Sequence[int], out: Path, work: Path, threads: int) -> Path:
    """Fit on every text and write ``<out>/sentiment.umsab.v2.onnx`` (cached in ``work``)."""
    import shutil

    key = digest(list(texts), list(y), settings())
    cached = work / key / f"{HEAD_NAME}.onnx"
    if not cached.exists():
        log(f"sentiment encoder: the shipped model ({len(texts)} texts)")
        fit_and_export(shared_states(texts), y, cached, threads)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{HEAD_NAME}.onnx"
    shutil.copyfile(cached, target)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    from sentiment import fold_assignment, read_umsab

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "src/brandloom/analysis/models")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    expose_shared_states(emotion_paths()[0])
    splits = read_umsab(args.data)
    rows = splits["train"] + splits["val"]
    out_of_fold(rows.raw, rows.y, fold_assignment(rows), args.work, args.threads)
    shipped(rows.raw, rows.y, args.out, args.work, args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
