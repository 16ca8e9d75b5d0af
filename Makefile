# The two commands: `make demo` and `make test`. Both bootstrap .venv on a fresh machine (Python 3.11+ and make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench venv clean redis-server

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,redis]'
	@touch $(STAMP)

demo: venv
	$(BIN)/python -m examples.demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy --strict lp_toolbelt tests bench examples

unit: venv
	$(BIN)/python -m pytest -q

test: redis-server lint typecheck unit

# The Redis backend's tests need a local redis-server (Debian package `redis-server`), installed only when it is not
# on PATH. Without apt-get (or root) this does not fail the build: the Redis tests then skip, but fail under CI=true.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends redis-server; } >/dev/null 2>&1; then \
	    echo "installed redis-server"; \
	  else \
	    echo "warning: redis-server is missing and could not be installed; the Redis tests will skip (fail if CI=true)"; \
	  fi; }

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
