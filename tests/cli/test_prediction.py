"""``brandloom predict`` and ``brandloom experiment ...`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import run


def test_predict_prints_one_object_per_row_and_ranks_groups(
    env: dict[str, str], tmp_path: Path
) -> None:
    rows = [
        ("t1", "This dad wrote a letter to his son. The internet can't stop reading it."),
        ("t1", "A letter from a father"),
        ("t2", "9 charts that explain the budget"),
        ("t2", "The budget, explained in charts you will actually understand"),
        ("t2", "Budget"),
    ]
    path = tmp_path / "headlines.csv"
    path.write_text("test,headline\n" + "".join(f'{g},"{h}"\n' for g, h in rows), encoding="utf-8")
    scored = run(env, "predict", "--input", str(path), "--column", "headline", "--jsonl")
    assert scored.returncode == 0, scored.stderr
    lines = [json.loads(line) for line in scored.stdout.splitlines()]
    assert len(lines) == 5 and all({"score", "uncertainty"} <= set(row) for row in lines)
    groups = run(
        env, "predict", "--input", str(path), "--column", "headline", "--pairs",
        "--group-column", "test", "--jsonl",
    )  # fmt: skip
    assert groups.returncode == 0, groups.stderr
    ranked = [json.loads(line) for line in groups.stdout.splitlines()]
    assert [r["group"] for r in ranked] == ["t1", "t2"]
    for r in ranked:
        assert {"group", "winner", "win_probability", "ranking"} <= set(r)
        assert len(r["ranking"]) == (2 if r["group"] == "t1" else 3)
    missing = run(env, "predict", "--input", str(path), "--column", "title")
    assert missing.returncode == 2 and "no 'title' column" in missing.stderr


def test_experiment_analyze_follows_the_contract(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        "variant,impressions,clicks\nA,10000,200\nB,10000,290\nC,10000,205\n", encoding="utf-8"
    )
    result = run(env, "experiment", "analyze", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["decision"] == "B" and data["reason"]
    assert [v["variant"] for v in data["variants"]] == ["A", "B", "C"]
    for v in data["variants"]:
        assert {"posterior_mean", "ci_low", "ci_high", "prob_best", "expected_loss"} <= set(v)
    assert abs(sum(v["prob_best"] for v in data["variants"]) - 1) < 1e-6
    # a close race under a strict rule keeps it running
    close = tmp_path / "close.csv"
    close.write_text("variant,impressions,clicks\nA,10000,200\nB,10000,235\n", encoding="utf-8")
    strict = run(env, "experiment", "analyze", str(close), "--json", "--prob-best", "0.999")
    assert json.loads(strict.stdout)["decision"] == "keep_running"
    prior = run(env, "experiment", "analyze", str(path), "--json", "--prior", "20,980")
    assert json.loads(prior.stdout)["prior"] == [20.0, 980.0]

    bad = tmp_path / "bad.csv"
    bad.write_text("variant,impressions,clicks\nA,100,5\nB,100,many\n", encoding="utf-8")
    refused = run(env, "experiment", "analyze", str(bad))
    assert refused.returncode == 2 and "line 3" in refused.stderr and "'many'" in refused.stderr


def test_stored_experiments_record_allocate_and_list(env: dict[str, str], tmp_path: Path) -> None:
    made = run(
        env, "experiment", "create", "subject-test", "--arm", "a=Spring sale",
        "--arm", "b=Spring is here: 20% off", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    results = tmp_path / "r.csv"
    results.write_text("variant,impressions,clicks\na,2000,40\nb,2000,70\n", encoding="utf-8")
    recorded = run(env, "experiment", "record", "subject-test", str(results))
    assert recorded.returncode == 0, recorded.stderr
    allocated = run(env, "experiment", "allocate", "subject-test", "--json")
    weights = json.loads(allocated.stdout)["weights"]
    assert weights["b"] > weights["a"] and abs(sum(weights.values()) - 1) < 1e-9
    listed = run(env, "experiment", "list", "--json")
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["name"] == "subject-test" and row["arms"][1]["clicks"] == 70
    unknown = tmp_path / "u.csv"
    unknown.write_text("variant,impressions,clicks\nz,10,1\n", encoding="utf-8")
    refused = run(env, "experiment", "record", "subject-test", str(unknown))
    assert refused.returncode == 2 and "'z' is not an arm" in refused.stderr


def _weighted_spec(tmp_path: Path, weights: object) -> Path:
    import yaml

    from tests.factories import contacts, write_csv, write_spec

    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    write_csv(folder / "contacts.csv", contacts(60, locales=("en-US",)))
    path = write_spec(folder, outputs=["txt"])
    spec = yaml.safe_load(path.read_text())
    spec["variant_weights"] = weights
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_variant_weights_from_the_predictor_and_from_an_experiment(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _weighted_spec(tmp_path, "predicted")
    out = tmp_path / "out"
    result = run(env, "generate", str(spec), "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    chosen = report["variant_weights"]
    assert chosen["source"] == "predicted" and chosen["part"] == "subject"
    assert chosen["basis"] == "global prior"
    assert set(chosen["weights"]) == {"A", "B"}
    assert abs(sum(chosen["weights"].values()) - 1) < 1e-6
    assert min(chosen["weights"].values()) >= 0.05 - 1e-9
    assert "{{" not in chosen["texts"]["B"]  # the template's tags are not scored as text

    made = run(env, "experiment", "create", "spring", "--arm", "A", "--arm", "B")
    assert made.returncode == 0, made.stderr
    results = tmp_path / "r.csv"
    results.write_text("variant,impressions,clicks\nA,3000,30\nB,3000,90\n", encoding="utf-8")
    assert run(env, "experiment", "record", "spring", str(results)).returncode == 0
    spec = _weighted_spec(tmp_path, {"experiment": "spring"})
    out2 = tmp_path / "out2"
    result = run(env, "generate", str(spec), "--out", str(out2), "--workers", "1")
    assert result.returncode == 0, result.stderr
    weights = json.loads((out2 / "report.json").read_text())["variant_weights"]
    assert weights["source"] == "experiment" and weights["weights"]["B"] > 0.8
    manifest = [json.loads(line) for line in (out2 / "manifest.jsonl").read_text().splitlines()]
    shares = sum(1 for row in manifest if row.get("variant") == "B") / len(manifest)
    assert shares > 0.6  # 60 contacts assigned with B's weight

    mismatch = _weighted_spec(tmp_path, {"experiment": "nope"})
    refused = run(env, "generate", str(mismatch), "--out", str(tmp_path / "out3"))
    assert refused.returncode == 2 and "experiment" in refused.stderr
