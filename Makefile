# Two commands for a newcomer: `make run` and `make test`. Both build .venv on first use.
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev

# The Python that builds .venv, and so the Lambda runtime Chalice packages for (python3.13):
# .python-version names it once, for make, pyenv and uv. Found on PATH, in pyenv or uv, or in the
# usual places; `make PYTHON=/path/to/python3.13` picks one by hand.
PYTHON_VERSION := $(shell cat .python-version)
_pyver = "$$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python$(PYTHON_VERSION) python3 python \
	"$$(command -v uv >/dev/null 2>&1 && uv python find $(PYTHON_VERSION) 2>/dev/null)" \
	$${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(PYTHON_VERSION)*/bin/python \
	/usr/local/bin/python$(PYTHON_VERSION) /opt/homebrew/bin/python$(PYTHON_VERSION) \
	/usr/bin/python$(PYTHON_VERSION); do \
	[ "$$($(_pyver))" = "$(PYTHON_VERSION)" ] && { command -v "$$p"; break; }; done)
endif
# .venv built with another Python (an older release's 3.11) is rebuilt
VENV_PYTHON := $(shell p=$(PY); [ -e "$$p" ] && { $(_pyver) || echo broken; })
STALE_VENV := $(if $(VENV_PYTHON),$(filter-out $(PYTHON_VERSION),$(VENV_PYTHON)))

.PHONY: install browser run test unit integration e2e browser-tests bench simulate package deploy clean import \
	recount-book check-runtime python stale-venv infra

python:  ## the Python $(PYTHON_VERSION) that builds .venv, or how to get it
	@p="$(PYTHON)"; v=$$($(_pyver)); [ "$$v" = "$(PYTHON_VERSION)" ] || { \
		echo "make: Python $(PYTHON_VERSION) is needed: the app is packaged for Lambda's python$(PYTHON_VERSION) (.python-version)." >&2; \
		if [ -n "$$p" ]; then echo "  PYTHON=$$p is $${v:+Python }$${v:-not a Python that runs}." >&2; else echo "  None was found on PATH, in pyenv or uv, or in /usr/local/bin, /opt/homebrew/bin, /usr/bin." >&2; fi; \
		echo "  Install python$(PYTHON_VERSION) (pyenv install $(PYTHON_VERSION); uv python install $(PYTHON_VERSION); apt-get install python$(PYTHON_VERSION); brew install python@$(PYTHON_VERSION))" >&2; \
		echo "  or name it: make PYTHON=/path/to/python$(PYTHON_VERSION) ..." >&2; exit 1; }
	@echo "$(PYTHON) (Python $(PYTHON_VERSION))"

$(VENV)/.installed: requirements.txt requirements-dev.txt .python-version $(if $(STALE_VENV),stale-venv)
	@$(MAKE) -s python >/dev/null
	$(if $(STALE_VENV),@echo ".venv has Python $(STALE_VENV) and not $(PYTHON_VERSION): rebuilt"; rm -rf $(VENV))
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

stale-venv: ;

install: $(VENV)/.installed

run: install  ## the whole engine on this machine: AWS stand-in, API on :8000, worker
	$(PY) -m chalicelib.local.stack

# The console's browser tests drive Debian's Chromium (Playwright brings no browser here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:  ## Chromium for the browser tests, installed when missing (Debian/Ubuntu)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ command -v apt-get >/dev/null 2>&1 || { echo "install Chromium (the console's browser tests need it)"; exit 1; }; \
		  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

test: install browser  ## unit, integration (moto), end-to-end (local stack over HTTP) and browser (Chromium)
	$(PY) -m pytest -q -p no:cacheprovider --durations=15 tests/unit tests/integration tests/e2e tests/browser

unit: install
	$(PY) -m pytest -q tests/unit

integration: install
	$(PY) -m pytest -q tests/integration

e2e: install
	$(PY) -m pytest -q tests/e2e

browser-tests: install browser  ## the console in Chromium; screenshots land in out/screenshots/
	$(PY) -m pytest -q tests/browser

bench: install  ## measured figures: calls per touch, sweep reads, cold import, RSS, cost (writes bench/README.md)
	$(PY) -m bench.run

check-runtime: install  ## the Lambda runtime's end of support by today's date: warns 180 days ahead, fails once deprecated
	$(PY) infra/runtime.py

simulate: install  ## a year of the real engine for synthetic borrowers, audited: make simulate [LEADS=100 DAYS=365 SEED=7]
	$(PY) -m sim.run --leads $(or $(LEADS),100) --days $(or $(DAYS),365) --seed $(or $(SEED),7)

import: install  ## an LOS/CRM export into a running stack: make import FILE=export.csv [API=http://127.0.0.1:8000 TOKEN=...]
	$(PY) -m chalicelib.cli import $(FILE) $(if $(API),--api $(API)) $(if $(TOKEN),--token $(TOKEN))

package: install  ## the whole team stack as one CloudFormation template, infra merged in (out/<stage>/sam.json + zip)
	$(PY) infra/build_merge.py --stage $(STAGE) --out out/merge-$(STAGE).json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
		$(VENV)/bin/chalice package --stage $(STAGE) --merge-template out/merge-$(STAGE).json out/$(STAGE)

infra: install  ## a team's data stack (tables, queues, topics, alarms), its names into the stage: make infra STAGE=<team> [ALERT_EMAIL=ops@...]
	$(PY) infra/data_stack.py deploy --stage $(STAGE) $(if $(ALERT_EMAIL),--alert-email $(ALERT_EMAIL))

deploy: infra  ## make infra, then chalice deploy --stage <team> and what it cannot set: make deploy STAGE=<team> [ALERT_EMAIL=ops@...]
	$(VENV)/bin/chalice deploy --stage $(STAGE)
	$(PY) infra/data_stack.py after-deploy --stage $(STAGE)
	$(MAKE) recount-book STAGE=$(STAGE)
	$(PY) -m chalicelib.cli migrate --stage $(STAGE)  # the store's migrations (CHANGELOG.md): idempotent

recount-book: install  ## the mass-send breaker's book counted from the leads: make recount-book STAGE=<team> (AWS credentials)
	$(PY) -m chalicelib.cli recount-book --stage $(STAGE)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
