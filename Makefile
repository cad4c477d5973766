# make run  : install what is missing, migrate, set up the HSM token and demo data, serve on :8000 (+ PSC sandbox :8001)
# make test : install what is missing, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test install system-packages system-packages-test prepare clean

run: system-packages install prepare
	@echo "Portail : http://127.0.0.1:8000  –  bac à sable Pro Santé Connect : http://127.0.0.1:8001"
	@trap 'kill 0' INT TERM; \
	$(BIN)/gunicorn -c gunicorn.sandbox.conf.py 'app.psc.sandbox:create_sandbox_app()' & \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app; \
	kill 0

test: system-packages-test install
	$(BIN)/ruff check app seeds tests bench
	$(BIN)/pytest $(PYTEST_ARGS)

system-packages:
	@sh bin/ensure-system-packages run

system-packages-test:
	@sh bin/ensure-system-packages test

install: $(VENV)/.installed app/static/vendor/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

app/static/vendor/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	sh bin/copy-assets
	touch $@

prepare:
	$(BIN)/flask db upgrade
	$(BIN)/flask hsm init
	$(BIN)/flask pki init
	$(BIN)/flask seed

clean:
	rm -rf $(VENV) node_modules app/static/vendor
