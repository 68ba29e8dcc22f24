# Parley: `make run` serves it, `make test` runs every test. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := static/vendor

.PHONY: run test lint bench bench-search bench-notify setup clean

run: setup
	$(PY) -m app

test: setup
	scripts/ensure-chromium
	scripts/ensure-nginx
	scripts/ensure-pgbouncer
	$(PY) -m pytest $(PYTEST_ARGS)

# Style, the layer contract (pyproject.toml [tool.importlinter]) and the types: CI runs it first.
lint: setup
	$(VENV)/bin/ruff check app config tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench.suite $(BENCH_ARGS)

bench-search: setup
	$(PY) -m bench.search $(BENCH_ARGS)

bench-notify: setup
	$(PY) -m bench.notify_rate $(BENCH_ARGS)

setup: $(VENV)/.installed $(VENDOR)/.installed $(VENDOR)/emoji.json $(VENDOR)/icons.svg

$(VENV)/.installed: requirements.lock requirements-test.lock pyproject.toml
	scripts/check-python $(PYTHON)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-test.lock
	touch $@

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/htmx-ext-ws/dist/ws.min.js $(VENDOR)/ws.min.js
	cp node_modules/markdown-it/dist/markdown-it.min.js $(VENDOR)/markdown-it.min.js
	cp node_modules/jsqr/dist/jsQR.js $(VENDOR)/jsQR.js
	cp node_modules/qrcode-generator/dist/qrcode.mjs $(VENDOR)/qrcode-generator.js
	touch $@

# The reaction picker's data, generated from the pinned emoji package (not committed).
$(VENDOR)/emoji.json: $(VENV)/.installed app/emoji_set.py scripts/emoji-picker-data
	mkdir -p $(VENDOR)
	$(PY) scripts/emoji-picker-data $@

# The icon sprite: the Lucide icons app/icons.py names, from the pinned lucide-static package.
$(VENDOR)/icons.svg: $(VENDOR)/.installed $(VENV)/.installed app/icons.py scripts/icon-sprite
	$(PY) scripts/icon-sprite $@

clean:
	rm -rf $(VENV) node_modules $(VENDOR) static/.compressed
