# The whole contributor interface: make run, make test, make lint.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# One crawl of the default outlets into ./data/rasad.db. Exit 1 means some source failed
# (e.g. no internet): the report above it says which; make does not treat that as an error.
run: $(STAMP)
	$(BIN)/rasad crawl; status=$$?; [ $$status -le 1 ] || exit $$status

# The whole flow offline in about a minute: a local replay of an Arabic news site, a crawl into
# ./demo-data (never ./data or ./rasad.toml), a digest dry run, then the archive. Ctrl-C stops it.
demo: $(STAMP)
	$(BIN)/python docs/demo.py

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
