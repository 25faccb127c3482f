# The whole contributor interface: make run, make test, make lint.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# One crawl of the default outlets into ./data/rasad.db. Exit 1 means some source failed
# (e.g. no internet): the report above it says which; make does not treat that as an error.
run: $(STAMP)
	$(BIN)/rasad crawl; status=$$?; [ $$status -le 1 ] || exit $$status

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict monitor store spiders seeds

bench: $(STAMP)
	$(BIN)/python bench/crawl_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
