# The two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
DEMO_ENV := PORTAL_ENV=development

.PHONY: demo test lint messages catalogues clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps record what is installed; they are redone when pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $@ $(VENV)/.runtime

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime $(VENV)/.demo

# Card payments: with STRIPE_SECRET_KEY (and the publishable key and webhook secret) in the
# environment the demo uses them; without, it starts localstripe on loopback, sends its signed
# webhooks to the demo with a fresh secret, and stops it when the demo stops.
STRIPE_PORT ?= 8421
SERVE := $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 \
	--access-logfile - "portal:create_app()"

# E-mail: with MAIL_SERVER in the environment the demo sends there; without, it starts the
# demo's SMTP server on loopback, which keeps each message in instance/mail/ and prints a line.
MAIL_PORT ?= 8025

# The compiled catalogues (.mo) are build products, made from the .po files the project keeps.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po | $(VENV)/.runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@

catalogues: $(CATALOGUES)

demo: $(VENV)/.demo $(CATALOGUES)
	mkdir -p instance
	$(DEMO_ENV) $(BIN)/flask --app portal db upgrade
	$(DEMO_ENV) PORTAL_BASE_URL=http://127.0.0.1:$(PORT) $(BIN)/flask --app portal seed-demo
	@echo "Serving the demo on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	@pids=""; trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	export PORTAL_BASE_URL=http://127.0.0.1:$(PORT); \
	if [ -z "$$MAIL_SERVER" ]; then \
		$(BIN)/python -m portal.notifications.mailcatcher --port $(MAIL_PORT) --maildir instance/mail & \
		pids="$$pids $$!"; \
		export MAIL_SERVER=127.0.0.1 MAIL_PORT=$(MAIL_PORT); \
	fi; \
	if [ -n "$$STRIPE_SECRET_KEY" ]; then \
		$(DEMO_ENV) $(SERVE); \
	else \
		secret=whsec_$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(24))'); \
		$(BIN)/python -m portal.payments.emulator --port $(STRIPE_PORT) \
			--webhook-url http://127.0.0.1:$(PORT)/webhooks/stripe --webhook-secret $$secret & \
		pids="$$pids $$!"; \
		echo "Card payments through localstripe on http://127.0.0.1:$(STRIPE_PORT)/ (test card 4242 4242 4242 4242)"; \
		$(DEMO_ENV) STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) STRIPE_SECRET_KEY=sk_test_demo \
			STRIPE_PUBLISHABLE_KEY=pk_test_demo STRIPE_WEBHOOK_SECRET=$$secret \
			STRIPE_JS_URL=http://127.0.0.1:$(STRIPE_PORT)/js.stripe.com/v3/ $(SERVE); \
	fi

# axe-core for the browser journeys' accessibility checks, from the npm registry at the version
# tests/journeys/package-lock.json pins (tests/support/axe.py); without npm those checks skip.
AXE := tests/journeys/node_modules/axe-core/axe.min.js
NPM := $(shell command -v npm)

$(AXE): tests/journeys/package-lock.json
	npm ci --prefix tests/journeys --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.dev $(CATALOGUES) $(if $(NPM),$(AXE))
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# Extract translatable strings into messages.pot and carry them into each language's .po
# (Simplified Chinese: portal/translations/zh_Hans); `make catalogues` compiles them.
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		-o portal/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i portal/translations/messages.pot -d portal/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
