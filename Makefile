# make run  : install what is missing, migrate, set up the HSM token and demo data, serve on :8000 (+ PSC sandbox :8001)
# make test : install what is missing, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test install install-dev system-packages system-packages-test prepare clean

run: system-packages install prepare
	@echo "Portail : http://$${BIND:-127.0.0.1:8000}  –  bac à sable Pro Santé Connect : http://$${PSC_SANDBOX_BIND:-127.0.0.1:$${PSC_SANDBOX_PORT:-8001}}"
	@# Ctrl-C reaches both servers, which stop cleanly; the shell then stops the sandbox if it still runs.
	@# (The former `trap 'kill 0' INT TERM` re-entered its own trap on the TERM it sent and crashed the shell.)
	@# The job worker (python -m app.jobs: CRLs, OCSP responders, notices, e-mail) runs beside them, on its queue
	@# in instance/jobs.sqlite3 unless JOB_BROKER names Redis or PostgreSQL.
	@trap 'trap - INT TERM; kill $$sandbox $$worker 2>/dev/null' INT TERM; \
	$(BIN)/gunicorn -c gunicorn.sandbox.conf.py 'psc_sandbox:create_sandbox_app()' & sandbox=$$!; \
	$(BIN)/python -m app.jobs & worker=$$!; \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app; status=$$?; \
	kill $$sandbox $$worker 2>/dev/null; wait $$sandbox $$worker; exit $$status

# Four processes for everything but the browser tests (each has its own token, database and live servers; files
# stay whole on one worker): most tests wait on servers, sockets and databases, so four beat two even on two CPUs
# (issue 30: 246 s against 289 s on PostgreSQL, 258 s on SQLite); then the browser tests alone: they time real
# seals and would starve beside the rest.
# Exit status 5 is « nothing selected » (PYTEST_ARGS naming no browser test, or only those).
PYTEST_WORKERS ?= 4
test: system-packages-test install-dev
	$(BIN)/ruff check app seeds psc_sandbox tests bench
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not e2e" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/pytest -m e2e $(PYTEST_ARGS) || [ $$? -eq 5 ]

system-packages:
	@sh bin/ensure-system-packages run

system-packages-test:
	@sh bin/ensure-system-packages test

install: $(VENV)/.installed app/static/vendor/.installed

install-dev: install $(VENV)/.installed-dev

# make run needs only the runtime dependencies; make test adds pytest, ruff and Playwright.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

app/static/vendor/.installed: package.json package-lock.json bin/copy-assets bin/subset_assets.py app/web/assets.py $(VENV)/.installed
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	PORTAL_PYTHON=$(BIN)/python sh bin/copy-assets
	touch $@

prepare:
	$(BIN)/flask db upgrade
	$(BIN)/flask hsm init
	$(BIN)/flask pki init
	$(BIN)/python -m seeds

clean:
	rm -rf $(VENV) node_modules app/static/vendor
