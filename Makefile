# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test install dev lint typecheck unit browser kubectl mutation bench bench-ray catalog figures clean

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

unit: dev browser kubectl
	$(BIN)/pytest

# The report's browser test renders in Debian's Chromium (no browser download at test time).
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

# kubectl judges the Kubernetes API test server (tests/kubeapi): Debian's kubernetes-client.
kubectl:
	command -v kubectl >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kubernetes-client)

test: lint typecheck unit

# Mutation testing of the decision core (not part of `make test`; see docs/testing.md).
# mutmut keeps its verdicts in mutants/ and does not re-test a surviving mutant when the
# tests change, so each run starts clean; MUTATION_KEEP=1 resumes an interrupted run.
# MUTATION_SELECT takes mutant name globs: the default samples about one mutant in 36,
# spread over every file (a whole run takes hours on two cores); MUTATION_SELECT= runs all.
MUTATION_JOBS ?= 2
MUTATION_KEEP ?=
MUTATION_FAIL_UNDER ?=
MUTATION_SELECT ?= 'spotwise.*__mutmut_*[02468]7'
mutation: dev
	$(if $(MUTATION_KEEP),,rm -rf mutants)
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS) $(MUTATION_SELECT)
	$(BIN)/python scripts/mutation_score.py $(if $(MUTATION_FAIL_UNDER),--fail-under $(MUTATION_FAIL_UNDER))

bench: dev
	$(BIN)/python benchmarks/catalog_load.py
	$(BIN)/python benchmarks/scheduling_karpenter.py
	$(BIN)/python benchmarks/packing_cost.py
	$(BIN)/python benchmarks/plan_startup.py
	$(BIN)/python benchmarks/launch_lists.py
	$(BIN)/python benchmarks/expected_prices.py

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
