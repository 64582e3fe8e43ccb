# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test install dev lint typecheck unit browser bench bench-ray catalog figures clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

demo: install
	mkdir -p out
	$(BIN)/spotwise simulate --compare --report out/report.html

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy

unit: dev browser
	$(BIN)/pytest

# The report's browser test renders in Debian's Chromium (no browser download at test time).
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

test: lint typecheck unit

bench: dev
	$(BIN)/python benchmarks/catalog_load.py
	$(BIN)/python benchmarks/scheduling_karpenter.py
	$(BIN)/python benchmarks/packing_cost.py

# The packing benchmark compares with Ray's autoscaler when Ray is installed (large).
bench-ray: dev
	$(PIP) 'ray==2.60.0'
	$(BIN)/python benchmarks/packing_cost.py

# The command outputs quoted in README.md and docs/ (blocks after an "output:" marker).
figures: install
	$(BIN)/python scripts/doc_figures.py

catalog: dev
	$(BIN)/python scripts/build_catalog.py --data ../shared/data

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
