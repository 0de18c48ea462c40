"""Measure the shipped emotion model (``emotion.goemotions.v1``) on GoEmotions' dev split.

    PYTHONPATH=src python benchmarks/eval_emotion.py [--data ../shared/data] [--threads 1]

Scores the installed artifacts as they ship (no retraining): dev macro-F1 of the blend, of the
encoder alone and of the TF-IDF model alone (the latter two with thresholds tuned on the training
script's tuning part, stored in the artifact's metadata), F1 per label, the load time, the
throughput of ``predict_proba`` and the size on disk.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def read_dev(path: Path, n_labels: int) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    y_rows: list[list[int]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            texts.append(record[0])
            y_rows.append([int(i) for i in record[1].split(",")])
    y = np.zeros((len(texts), n_labels), dtype=np.int8)
    for row, ids in enumerate(y_rows):
        y[row, ids] = 1
    return texts, y


def f1_per_label(y: np.ndarray, proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    predicted = (proba >= thresholds).astype(np.int8)
    empty = predicted.sum(axis=1) == 0
    predicted[empty, np.argmax(proba[empty], axis=1)] = 1
    tp = (y & predicted).sum(axis=0).astype(np.float64)
    denominator = 2 * tp + ((1 - y) & predicted).sum(axis=0) + (y & (1 - predicted)).sum(axis=0)
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def cold_load_seconds(threads: int) -> float:
    """Load time in a fresh interpreter (the artifact cache is per process)."""
    code = (
        "import time; t = time.perf_counter();"
        "from brandloom.analysis.emotion import EmotionModel;"
        f"EmotionModel.load(threads={threads}); print(time.perf_counter() - t)"
    )
    env = {"PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    out.check_returncode()
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the dev figures, throughput, load time and size of the shipped model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from brandloom.analysis import artifacts
    from brandloom.analysis.emotion import NAME, EmotionModel

    load_s = cold_load_seconds(args.threads)
    model = EmotionModel.load(threads=args.threads)
    texts, y = read_dev(args.data / "goemotions" / "dev.tsv", len(model.labels_))

    started = time.perf_counter()
    encoder = model.encoder_proba(texts)
    encoder_s = time.perf_counter() - started
    started = time.perf_counter()
    tfidf = model.tfidf_proba(texts)
    tfidf_s = time.perf_counter() - started
    weight = model.encoder_weight_
    blend = np.clip(weight * encoder + (1 - weight) * tfidf, 0.0, 1.0)

    tuned = model.meta_["training"].get("thresholds_alone", {})
    rows = [("ensemble (shipped)", blend, model.thresholds_)]
    for part, proba in (("encoder", encoder), ("tfidf", tfidf)):
        if part in tuned:
            rows.append((f"{part} alone", proba, np.asarray(tuned[part])))
    print(f"dev.tsv: {len(texts)} texts; encoder weight {weight}")
    per_label: dict[str, np.ndarray] = {}
    for label, proba, thresholds in rows:
        f1 = f1_per_label(y, proba, thresholds)
        per_label[label] = f1
        print(f"  macro-F1 {label:<20} {f1.mean():.4f}")
    print("F1 per label (ensemble, encoder, tfidf):")
    for j, name in enumerate(model.labels_):
        values = "  ".join(f"{f1[j]:.3f}" for f1 in per_label.values())
        print(f"  {name:<15} {values}")

    sample = texts[:2000]
    started = time.perf_counter()
    model.predict_proba(sample)
    elapsed = time.perf_counter() - started
    print(
        f"predict_proba: {len(sample) / elapsed:.0f} texts/s ({args.threads} onnxruntime thread(s);"
    )
    encoder_rate, tfidf_rate = len(texts) / encoder_s, len(texts) / tfidf_s
    print(f"  encoder {encoder_rate:.0f} texts/s, TF-IDF {tfidf_rate:.0f} texts/s)")
    print(f"load (fresh process, import included): {load_s:.2f} s")
    sizes = {
        suffix: artifacts.artifact_path(NAME, suffix).stat().st_size
        for suffix in (".npz", ".onnx", ".tokenizer.json")
    }
    listed = ", ".join(f"{s} {b / 1e6:.1f} MB" for s, b in sizes.items())
    print(f"size: {listed}; total {sum(sizes.values()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
