# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast install lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/xueji db upgrade
	$(BIN)/xueji demo load
	@echo "服务地址 / Serving at http://127.0.0.1:8000"
	$(BIN)/xueji serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

# the unit tier alone, in well under a minute: domain rules, file readers, house rules
test-fast: install
	$(BIN)/pytest -m fast -q

bench: install
	$(BIN)/python bench/identity.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/reconcile.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/propagation.py
	$(BIN)/python bench/drain.py
	$(BIN)/python bench/concurrency.py
	$(BIN)/python bench/hostile_uploads.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
