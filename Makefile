# Two commands for a newcomer: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev

.PHONY: install browser run test unit integration e2e browser-tests bench simulate package deploy clean import recount-book reindex

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

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
	$(PY) -m pytest -q -p no:cacheprovider tests/unit tests/integration tests/e2e tests/browser

unit: install
	$(PY) -m pytest -q tests/unit

integration: install
	$(PY) -m pytest -q tests/integration

e2e: install
	$(PY) -m pytest -q tests/e2e

browser-tests: install browser  ## the console in Chromium; screenshots land in out/screenshots/
	$(PY) -m pytest -q tests/browser

bench: install  ## measured figures: calls per touch, sweep reads, cold import, RSS, cost
	$(PY) -m bench.run

simulate: install  ## a year of the real engine for synthetic borrowers, audited: make simulate [LEADS=100 DAYS=365 SEED=7]
	$(PY) -m sim.run --leads $(or $(LEADS),100) --days $(or $(DAYS),365) --seed $(or $(SEED),7)

import: install  ## an LOS/CRM export into a running stack: make import FILE=export.csv [API=http://127.0.0.1:8000 TOKEN=...]
	$(PY) -m chalicelib.cli import $(FILE) $(if $(API),--api $(API)) $(if $(TOKEN),--token $(TOKEN))

package: install  ## the deployment package for one team stage, infra merged in (out/<stage>/sam.json + zip)
	$(PY) infra/build_merge.py --stage $(STAGE) --out out/merge-$(STAGE).json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
		$(VENV)/bin/chalice package --stage $(STAGE) --merge-template out/merge-$(STAGE).json out/$(STAGE)

deploy: package  ## per-team stack: make deploy STAGE=<team> BUCKET=<artifact bucket> [ALERT_EMAIL=ops@...] (aws CLI + credentials)
	aws cloudformation package --template-file out/$(STAGE)/sam.json --s3-bucket $(BUCKET) \
		--output-template-file out/$(STAGE)/packaged.yaml
	aws cloudformation deploy --template-file out/$(STAGE)/packaged.yaml --stack-name touchengine-$(STAGE) \
		--capabilities CAPABILITY_IAM $(if $(ALERT_EMAIL),--parameter-overrides AlertEmail=$(ALERT_EMAIL))
	$(MAKE) recount-book STAGE=$(STAGE)
	$(MAKE) reindex STAGE=$(STAGE)

recount-book: install  ## the mass-send breaker's book counted from the leads: make recount-book STAGE=<team> (AWS credentials)
	$(PY) -m chalicelib.cli recount-book --stage $(STAGE)

reindex: install  ## leads and open tasks written before an index put into it (name search, Today): make reindex STAGE=<team>
	$(PY) -m chalicelib.cli reindex --stage $(STAGE)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
