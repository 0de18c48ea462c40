# brandloom — every target bootstraps .venv on first use, so a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench bench-analysis bench-voice bench-write bench-replay bench-prediction models format clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/brandloom demo --out demo-output

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Quality and speed of the text-analysis models on ../shared/data (cross-validated or dev split).
DATA ?= ../shared/data
bench-analysis: $(STAMP)
	$(BIN)/python benchmarks/analysis.py --data $(DATA)

bench-voice: $(STAMP)
	$(BIN)/python benchmarks/eval_voice.py --data $(DATA)

# Does the engagement model pick the A/B winner? 5-fold CV grouped by test (about 3 minutes).
bench-prediction: $(STAMP)
	$(BIN)/python benchmarks/eval_prediction.py --data $(DATA)

bench-write: $(STAMP)
	$(BIN)/python benchmarks/write.py
	$(BIN)/python benchmarks/llm.py

# The replay draws its figure with matplotlib (the `bench` extra).
bench-replay: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/replay_upworthy.py

# Rebuilds every shipped model in src/brandloom/analysis/models from $(DATA) (about three hours on
# 2 cores). PyTorch is needed only here: TORCH picks the build (the CPU wheel is enough). The
# emotion encoder comes first: the sentiment and engagement models read it.
TORCH ?= torch==2.13.0
models: $(STAMP)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev,train]"
	$(BIN)/python scripts/train/spam.py --data $(DATA)
	$(BIN)/python scripts/train/emotion.py --data $(DATA)
	$(BIN)/python scripts/train/sentiment.py --data $(DATA)
	$(BIN)/python scripts/train/voice_reference.py --data $(DATA)
	$(BIN)/python scripts/train/engagement.py --data $(DATA)

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
