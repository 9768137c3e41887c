# The two commands a fresh clone needs are `make serve` and `make test` (see README.md).
# Both create .venv/ from the lock files on first use and reuse it afterwards.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv serve test test-fast build check chromium lint format lock clean

$(STAMP): requirements.lock package-lock.json pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# pip installs uv alone, pinned by its hashes in the lock; uv installs the rest, compiled to
	@# bytecode as pip does: pages and downloaded scripts run with bytecode writes off (nothing
	@# left in a page's folder), so a module not compiled here is compiled again by every one
	awk '/^uv==/ {p = 1; print; next} p && /^ / {print; next} {p = 0}' requirements.lock >$(VENV)/uv.lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv.lock.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode --require-hashes --no-deps -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps --no-build-isolation -e .
	$(BIN)/npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(STAMP)

venv: $(STAMP)  ## create .venv/ from the lock files (every other target does this first)

serve: $(STAMP)  ## build the site, serve it at http://127.0.0.1:8000 and rebuild on change
	$(BIN)/techpath serve  # with the generator mkdocs.yml picks (techpath plugin option `generator`)

test: $(STAMP)  ## the full suite, as CI runs it: lint, every test, every post re-executed, strict build, browser
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/python -m pytest -n auto --dist loadgroup  # workers share posts and sites (tests/sites.py)

test-fast: $(STAMP)  ## the fast tier while working on the toolkit: no site build, no browser
	$(BIN)/python -m pytest tests -m "not slow" -n auto --dist loadgroup

# `techpath lint` only reads the pages: it runs beside the changed posts' execution and the site's
# tests (whose first worker builds the site while the other waits for it), its output kept until
# they end; `make check` fails if either does. The tests run the changed posts' downloads (CI all).
check: $(STAMP)  ## the post tier, for a new or changed post: lint, run it, strict build, the site's tests
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	@lint=$$(mktemp); $(BIN)/techpath lint >$$lint 2>&1 & pid=$$!; \
	echo '$(BIN)/python scripts/changed_posts.py --check'; \
	$(BIN)/python scripts/changed_posts.py --check && \
	echo '$(BIN)/python -m pytest tests -m site -n auto --dist loadgroup --changed-posts' && \
	$(BIN)/python -m pytest tests -m site -n auto --dist loadgroup --changed-posts; tests=$$?; \
	wait $$pid; linted=$$?; echo '$(BIN)/techpath lint'; cat $$lint; rm -f $$lint; \
	[ $$tests -ne 0 ] && exit $$tests; exit $$linted

chromium: $(STAMP)  ## a headless Chromium for the browser tests, from npm into .venv/chromium (no root)
	$(BIN)/python scripts/headless_chromium.py

build: $(STAMP)  ## the static site for deployment, in site/ (with the generator mkdocs.yml picks)
	$(BIN)/techpath build --strict

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts

format: $(STAMP)
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

lock: $(STAMP)  ## regenerate requirements.lock from pyproject.toml and requirements.in (with the venv's uv)
	$(BIN)/uv pip compile pyproject.toml requirements.in --extra dev --extra site --extra generators --universal --python-version 3.11 \
	  --generate-hashes -o requirements.lock

clean:
	rm -rf site .cache/techpath
