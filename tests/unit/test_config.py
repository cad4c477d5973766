"""Production refuses settings that would fall back to the sandbox, plain HTTP or an unguarded proxy."""

import pytest

from app.config import ConfigurationError, Settings

PRODUCTION = {
    "PORTAL_ENV": "production", "SECRET_KEY": "k" * 16 + "Zq8vR2mXw4TnY7pL", "HSM_PIN": "1234",
    "PSC_CLIENT_SECRET": "c", "DATABASE_URL": "postgresql+psycopg://portail@db.example/portail",
    "RATELIMIT_STORAGE_URI": "redis://redis.example:6379/0", "JOB_BROKER": "redis://redis.example:6379/1",
    "PSC_DISCOVERY_URL": "https://auth.esante.gouv.fr/auth/realms/esante-wallet/.well-known/"
                         "wallet-openid-configuration",
    "PSC_ISSUER": "https://auth.esante.gouv.fr/auth/realms/esante-wallet",
    "PORTAL_BASE_URL": "https://portail.example.fr",
}


def test_complete_production_settings_pass():
    Settings.from_env(PRODUCTION).resolve_secrets()


@pytest.mark.parametrize("change, expected", [
    ({"PSC_DISCOVERY_URL": None}, "PSC_DISCOVERY_URL"),
    ({"PSC_DISCOVERY_URL": "http://auth.esante.gouv.fr/x"}, "PSC_DISCOVERY_URL"),
    ({"PSC_DISCOVERY_URL": "https://127.0.0.1:8001/x"}, "PSC_DISCOVERY_URL"),
    ({"PSC_DISCOVERY_URL": "https://localhost/x"}, "PSC_DISCOVERY_URL"),
    ({"PSC_DISCOVERY_URL": "https://[::1]/x"}, "PSC_DISCOVERY_URL"),
    ({"PSC_ISSUER": None}, "PSC_ISSUER"),
    ({"PSC_ISSUER": "http://auth.esante.gouv.fr/auth/realms/esante-wallet"}, "PSC_ISSUER"),
    ({"PORTAL_BASE_URL": None}, "PORTAL_BASE_URL"),
    ({"PORTAL_BASE_URL": "http://portail.example.fr"}, "PORTAL_BASE_URL"),
    ({"CPS_TRUSTED_PROXIES": "10.0.0.5"}, "CPS_PROXY_SECRET"),
    ({"DATABASE_URL": None}, "DATABASE_URL"),  # issue 28 (3): the toy defaults
    ({"DATABASE_URL": "sqlite:////var/lib/portail.db"}, "DATABASE_URL"),
    ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI"),
    ({"SECRET_KEY": "change-me"}, "SECRET_KEY"),
    ({"SECRET_KEY": "court"}, "SECRET_KEY"),
    ({"DOMAIN_CHECK_NETWORKS": "127.0.0.0/8"}, "DOMAIN_CHECK_NETWORKS"),
    ({"JOB_BROKER": None}, "JOB_BROKER"),  # one queue for every node's worker
    ({"JOB_BROKER": "sqlite:////var/lib/portail/jobs.sqlite3"}, "JOB_BROKER"),
    ({"JOB_BROKER": "immediate"}, "JOB_BROKER"),
])
def test_production_refuses_unsafe_endpoints(change, expected):
    env = {k: v for k, v in {**PRODUCTION, **change}.items() if v is not None}
    with pytest.raises(ConfigurationError, match=expected):
        Settings.from_env(env).resolve_secrets()


def test_development_keeps_the_sandbox_defaults(tmp_path):
    settings = Settings.from_env({"INSTANCE_PATH": str(tmp_path)})
    settings.resolve_secrets()
    assert settings.psc_discovery_url.startswith("http://127.0.0.1:8001/")


@pytest.mark.parametrize("key", ["MAIL_PORT", "DNS_PORT", "HTTP01_PORT", "BEHIND_PROXY", "ACME_ORDERS_PER_HOUR",
                                 "JOB_WORKERS", "JOB_LEASE_SECONDS"])
def test_a_wrong_type_is_one_french_line(key):
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({key: "x"})
    assert str(refused.value) == f"{key}\u00a0: nombre entier attendu (reçu «\u00a0x\u00a0»)."


def test_preflight_prints_one_line_for_a_wrong_type(tmp_path):
    import subprocess
    import sys

    from tests.live import ROOT

    done = subprocess.run([sys.executable, "-m", "app.preflight"], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "MAIL_PORT": "x", "INSTANCE_PATH": str(tmp_path)},
                          timeout=60, check=False)
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        "portail\u00a0: MAIL_PORT\u00a0: nombre entier attendu (reçu «\u00a0x\u00a0»)."]


def test_preflight_names_an_unreachable_job_broker(tmp_path, database_url):
    import subprocess
    import sys

    from tests.live import ROOT

    done = subprocess.run([sys.executable, "-m", "app.preflight"], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url,
                               "JOB_BROKER": "redis://127.0.0.1:9/0"}, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(
        "portail\u00a0: File des tâches injoignable (redis://127.0.0.1:9/0)\u00a0: ConnectionError.")
