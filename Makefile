# The two commands a newcomer needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint lint-css install migrate demo clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python -m consult migrate

demo: migrate
	$(BIN)/python -m consult demo

run: demo
	$(BIN)/python -m consult logins
	$(BIN)/python -m consult serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP) lint-css
	$(BIN)/ruff check consult tests bench app.py
	$(BIN)/lint-imports

# The browser floor of .browserslistrc (old phones): static/*.css through doiuse with a
# fallback for every feature it lacks (lint/css-floor.mjs), static/*.js stays ES2017.
# Node packages pinned in package.json / package-lock.json, installed into node_modules/.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

lint-css: $(NODE_STAMP)
	node lint/css-floor.mjs static/*.css
	npx --no-install es-check es2017 'static/*.js' --checkFeatures
	node --test lint/

clean:
	rm -rf $(VENV) node_modules var/*.db var/*.db-*
