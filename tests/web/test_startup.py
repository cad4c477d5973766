"""gunicorn as `make run` starts it: serves the portal, or stops with one clear line on bad configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def server_env(app_config, tmp_path):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app_config["DATABASE_URL"],
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "startup-test",
        "HSM_TOKEN_LABEL": app_config["HSM_TOKEN_LABEL"],
        "HSM_PIN": app_config["HSM_PIN"],
        "SOFTHSM2_CONF": app_config["SOFTHSM2_CONF"],
        "WEB_CONCURRENCY": "1",
    })
    return env


def start(env, port):
    env = dict(env, BIND=f"127.0.0.1:{port}")
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_gunicorn_serves_home_and_healthz(server_env):
    port = free_port()
    proc = start(server_env, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", proc)  # any failure retried: a loaded machine
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["base"] == "ok"
        home = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert home.status_code == 200 and 'lang="fr"' in home.text and "fr-header" in home.text
        css = requests.get(f"http://127.0.0.1:{port}/static/vendor/dsfr/dsfr.min.css", timeout=5)
        assert css.status_code == 200 and len(css.content) > 10_000
    finally:
        stop_process(proc)


@pytest.mark.parametrize("change, expected", [
    ({"PKCS11_MODULE": "/nonexistent/libsofthsm2.so"}, "Module PKCS#11 introuvable"),
    ({"HSM_PIN": "99999999"}, "PIN refusé"),
    ({"HSM_TOKEN_LABEL": "absent"}, "flask hsm init"),
    ({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "Base de données injoignable"),
    ({"PORTAL_ENV": "production", "SECRET_KEY": "", "PSC_CLIENT_SECRET": "x"}, "SECRET_KEY manquant en production"),
    ({"PORTAL_ENV": "production", "PSC_CLIENT_SECRET": "x"}, "PSC_DISCOVERY_URL doit être l'URL https"),
])
def test_bad_configuration_stops_with_one_clear_line(server_env, tmp_path, change, expected):
    proc = start(dict(server_env, **change), free_port())
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("gunicorn started despite the bad configuration")
    assert proc.returncode != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("portail : ") and expected in lines[-1], err


def test_unmigrated_database_is_named(server_env, tmp_path):
    proc = start(dict(server_env, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}"), free_port())
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "flask db upgrade" in err.splitlines()[-1]
