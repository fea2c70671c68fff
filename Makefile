# `make run`: set up and run the pipeline locally on the sample data. `make test`: set up and run the tests.
# Running needs the venv with requirements-local.txt only (`make venv`); `make setup` adds what only the
# tests use (requirements-dev.txt, Debian chromium and poppler), so `make run` and the benchmarks work
# where apt is absent and install no test tool.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv dev setup run lint test test-fast bench bench-scrapers bench-report clean

$(BIN)/.installed: requirements.txt requirements-local.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip<26.3"  # chalice 1.34 requires pip<26.3 (it packages with pip)
	$(BIN)/python -m pip install --quiet -r requirements-local.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The report tests look at the output as a person does: headless Chromium lays the HTML out at
# 375/900 px, poppler turns the PDF into pages and text. Debian packages, installed when missing.
BROWSER_TOOLS := /usr/bin/chromium /usr/bin/pdftoppm /usr/bin/pdftotext

$(BROWSER_TOOLS):
	@echo "installing Debian chromium and poppler-utils (report tests)"
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq --no-install-recommends chromium poppler-utils

venv: $(BIN)/.installed

dev: $(BIN)/.installed-dev

setup: dev $(BROWSER_TOOLS)

run: venv
	$(BIN)/python -m local run $(ARGS)

# ruff (settings in pyproject.toml): lint and import order, no finding allowed.
lint: dev
	$(BIN)/ruff check .

# Two phases, nothing skipped: every test not marked `timing` on one worker per core (pytest-xdist,
# a test file stays on one worker), then the `timing` tests alone (they assert wall-clock rates).
# Exit code 5 is "no test selected" (ARGS picked tests of one phase only).
define pytest_phases
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m "not timing" $(1) $(ARGS) || test $$? -eq 5
	$(BIN)/python -m pytest -q -m timing $(1) $(ARGS) || test $$? -eq 5
endef

# Everything (what CI runs): ruff, then tests/unit and tests/integration.
test: setup lint
	$(call pytest_phases,)

# tests/unit only: no state machine engine, no local runtime, no browser (well under a minute).
test-fast: dev lint
	$(call pytest_phases,tests/unit)

bench: venv
	$(BIN)/python -m bench.pipeline $(ARGS)

bench-scrapers: venv
	$(BIN)/python -m bench.scrapers $(ARGS)
bench-report: venv
	$(BIN)/python -m bench.report $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache
