# efp: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Debian packages the tests need (graphviz's `dot`, chromium for the HTML outputs). Installed when running as root;
# skipped otherwise.
DEBIAN_PACKAGES := graphviz chromium

.PHONY: install system-deps test demo bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "not root: skipping Debian packages$$missing (tests that need them will say so)"; \
	fi

demo: $(STAMP)
	$(BIN)/python -m efp_builders.quickstart --report report/quickstart

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/python scripts/generate_reference.py

bench: $(STAMP)
	$(BIN)/python benchmarks/propagation.py
	$(BIN)/python benchmarks/engine_overhead.py

clean:
	rm -rf $(VENV) .venv-boaviztapi .pytest_cache .hypothesis
