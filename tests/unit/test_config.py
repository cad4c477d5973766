"""Production refuses settings that would fall back to the sandbox, plain HTTP or an unguarded proxy."""

import pytest

from app.config import ConfigurationError, Settings

PRODUCTION = {
    "PORTAL_ENV": "production", "SECRET_KEY": "s", "HSM_PIN": "1234", "PSC_CLIENT_SECRET": "c",
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
])
def test_production_refuses_unsafe_endpoints(change, expected):
    env = {k: v for k, v in {**PRODUCTION, **change}.items() if v is not None}
    with pytest.raises(ConfigurationError, match=expected):
        Settings.from_env(env).resolve_secrets()


def test_development_keeps_the_sandbox_defaults(tmp_path):
    settings = Settings.from_env({"INSTANCE_PATH": str(tmp_path)})
    settings.resolve_secrets()
    assert settings.psc_discovery_url.startswith("http://127.0.0.1:8001/")
