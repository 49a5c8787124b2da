# The two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
DEMO_ENV := PORTAL_ENV=development

.PHONY: demo test lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps record what is installed; they are redone when pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	mkdir -p instance
	$(DEMO_ENV) $(BIN)/flask --app portal db upgrade
	$(DEMO_ENV) $(BIN)/flask --app portal seed-demo
	@echo "Serving the demo on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	$(DEMO_ENV) $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 \
		--access-logfile - "portal:create_app()"

test: $(VENV)/.dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# Extract translatable strings (English now; add Simplified Chinese with `pybabel init -l zh_Hans_CN`).
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -o portal/translations/messages.pot .

clean:
	rm -rf $(VENV) instance .pytest_cache
