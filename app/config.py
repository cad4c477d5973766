"""Settings read from the environment, with safe development defaults.

The variable names are a contract (see DESIGN.md): DATABASE_URL, SECRET_KEY, PORTAL_BASE_URL,
PKCS11_MODULE, SOFTHSM2_CONF, HSM_TOKEN_LABEL, HSM_PIN, PSC_*, MAIL_SERVER, MAIL_PORT.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOFTHSM_MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


SANDBOX_DISCOVERY_URL = "http://127.0.0.1:8001/auth/realms/esante-wallet/.well-known/wallet-openid-configuration"


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says how to fix it, in one line."""


def default_pkcs11_module() -> str:
    for candidate in SOFTHSM_MODULE_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return SOFTHSM_MODULE_CANDIDATES[0]


@dataclass
class Settings:
    env: str = "development"
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    secret_key: str = ""
    portal_base_url: str = "http://127.0.0.1:8000"
    pkcs11_module: str = ""
    softhsm2_conf: str = ""
    hsm_token_label: str = "portail-sante"  # noqa: S105 - a label, not a secret
    hsm_pin: str = ""
    psc_discovery_url: str = SANDBOX_DISCOVERY_URL
    psc_issuer: str = ""
    psc_client_id: str = "portail-sante"
    psc_client_secret: str = ""
    psc_scope: str = "openid scope_all"
    psc_acr_values: str = "eidas1"
    mail_server: str = ""  # empty: mail stays in the outbox (the development inbox page lists it)
    mail_port: int = 25
    mail_from: str = "Portail santé <ne-pas-repondre@portail-sante.localhost>"
    job_broker: str = ""  # the job engine's queue (app/jobs): redis://, postgresql://, sqlite:/// or immediate
    job_workers: int = 2  # threads of `python -m app.jobs`
    job_lease_seconds: int = 0  # a periodic run's claim; 0: each job's own (app/jobs/periodic.py)
    attachment_max_bytes: int = 5 * 1024 * 1024
    ratelimit_storage_uri: str = "memory://"
    dns_resolver: str = ""  # domain control: the resolver asked for TXT and A records ("" = the system's)
    dns_port: int = 53
    domain_check_quorum: int = 0  # resolvers (DNS_RESOLVER, comma-separated) that must agree; 0: all but one of 3+
    http01_port: int = 80  # domain control's http-01: where the domain's web server answers
    https01_port: int = 443  # where an http-01 redirect to https is followed (tests: a port of their own)
    # reserved or private networks the http-01 check may reach all the same (tests: "127.0.0.0/8"); never in production
    domain_check_networks: str = ""
    caa_identity: str = ""  # the portal's CAA issuer domain (RFC 8659); "" = the host of PORTAL_BASE_URL
    domain_check_rate_limit: str = "30 per hour"  # http-01 and dns-01 looks per structure (pages and ACME)
    metrics_token: str = ""  # Bearer token of /metrics; empty: /metrics is absent (404)
    log_format: str = "json"  # json (one object a line) or text (a developer's terminal)
    acme_orders_per_hour: int = 100  # per ACME account
    acme_certificates_per_domain_week: int = 50  # per declared domain
    behind_proxy: int = 0
    psc_client_auth: str = "client_secret_basic"
    psc_tls_cert: str = ""
    psc_tls_key: str = ""
    cps_proxy_secret: str = ""
    cps_trusted_proxies: tuple[str, ...] = ()
    cps_crl_file: str = ""  # where the card-crl-file job writes the card CAs' CRLs for nginx's ssl_crl
    cps_crl_reload: str = ""  # the command that reloads nginx, run only when that file changed
    ocsp_rate_limit: str = "600 per minute"
    psc_sandbox_registry: str = ""  # development: the sandbox's added identities (app/psc/sandbox/registry.py)
    # Who publishes and hosts the portal, and whom people write to (mentions légales, accessibility statement).
    legal_publisher: str = "Éditeur du portail (à renseigner : LEGAL_PUBLISHER)"
    legal_publication_director: str = "Directeur ou directrice de la publication (à renseigner : LEGAL_DIRECTOR)"
    legal_host: str = "Hébergeur (à renseigner : LEGAL_HOST)"
    legal_contact: str = "contact@portail-sante.localhost"
    legal_dpo: str = "dpo@portail-sante.localhost"

    @property
    def caa_issuer(self) -> str:
        """The domain CAA records name to allow the portal to issue (CAA_IDENTITY, else the portal's own host)."""
        return self.caa_identity or (urlsplit(self.portal_base_url).hostname or "").lower()

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def hsm_dir(self) -> Path:
        return self.instance_path / "hsm"

    @property
    def hsm_pins_file(self) -> Path:
        return self.hsm_dir / "pins.json"

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Settings:
        env = os.environ if environ is None else environ
        s = cls()
        s.env = env.get("PORTAL_ENV", "development")
        s.instance_path = Path(env.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance"))).resolve()
        s.database_url = env.get("DATABASE_URL") or f"sqlite:///{s.instance_path / 'portail.db'}"
        for name, key in (("legal_publisher", "LEGAL_PUBLISHER"), ("legal_publication_director", "LEGAL_DIRECTOR"),
                          ("legal_host", "LEGAL_HOST"), ("legal_contact", "LEGAL_CONTACT"), ("legal_dpo", "LEGAL_DPO")):
            setattr(s, name, env.get(key) or getattr(s, name))
        s.psc_sandbox_registry = env.get("PSC_SANDBOX_REGISTRY") or str(s.instance_path /
                                                                          "psc-sandbox-identities.json")
        s.secret_key = env.get("SECRET_KEY", "")
        # make run's own ports (BIND, PSC_SANDBOX_PORT) are the development defaults of the addresses derived from them
        s.portal_base_url = env.get("PORTAL_BASE_URL", f"http://{env['BIND']}" if env.get("BIND")
                                    else s.portal_base_url).rstrip("/")
        if env.get("PSC_SANDBOX_PORT"):
            s.psc_discovery_url = SANDBOX_DISCOVERY_URL.replace(":8001/", f":{env['PSC_SANDBOX_PORT']}/")
        s.pkcs11_module = env.get("PKCS11_MODULE") or default_pkcs11_module()
        s.softhsm2_conf = env.get("SOFTHSM2_CONF") or str(s.hsm_dir / "softhsm2.conf")
        s.hsm_token_label = env.get("HSM_TOKEN_LABEL", s.hsm_token_label)
        s.hsm_pin = env.get("HSM_PIN", "")
        for name in ("psc_discovery_url", "psc_issuer", "psc_client_id", "psc_client_secret", "psc_scope",
                     "psc_acr_values"):
            setattr(s, name, env.get(name.upper(), getattr(s, name)))
        s.mail_server = env.get("MAIL_SERVER", s.mail_server)
        s.mail_port = _int(env, "MAIL_PORT", s.mail_port)
        s.mail_from = env.get("MAIL_FROM", s.mail_from)
        s.job_broker = env.get("JOB_BROKER", s.job_broker)
        s.job_workers = _int(env, "JOB_WORKERS", s.job_workers)
        s.job_lease_seconds = _int(env, "JOB_LEASE_SECONDS", s.job_lease_seconds)
        s.cps_crl_reload = env.get("CPS_CRL_RELOAD", "")
        s.ratelimit_storage_uri = env.get("RATELIMIT_STORAGE_URI", s.ratelimit_storage_uri)
        s.dns_resolver = env.get("DNS_RESOLVER", s.dns_resolver)
        s.dns_port = _int(env, "DNS_PORT", s.dns_port)
        s.domain_check_quorum = _int(env, "DOMAIN_CHECK_QUORUM", s.domain_check_quorum)
        s.http01_port = _int(env, "HTTP01_PORT", s.http01_port)
        s.https01_port = _int(env, "HTTPS01_PORT", s.https01_port)
        s.domain_check_networks = env.get("DOMAIN_CHECK_NETWORKS", s.domain_check_networks)
        s.domain_check_rate_limit = env.get("DOMAIN_CHECK_RATE_LIMIT", s.domain_check_rate_limit)
        s.log_format = env.get("LOG_FORMAT", s.log_format)
        s.metrics_token = env.get("METRICS_TOKEN", "")
        s.caa_identity = env.get("CAA_IDENTITY", s.caa_identity).strip().lower()
        try:
            ipaddress_networks(s.domain_check_networks)
        except ValueError:
            raise ConfigurationError("DOMAIN_CHECK_NETWORKS : réseaux séparés par des virgules attendus "
                                     "(ex. 127.0.0.0/8).") from None
        s.acme_orders_per_hour = _int(env, "ACME_ORDERS_PER_HOUR", s.acme_orders_per_hour)
        s.acme_certificates_per_domain_week = _int(env, "ACME_CERTIFICATES_PER_DOMAIN_WEEK",
                                                   s.acme_certificates_per_domain_week)
        s.behind_proxy = _int(env, "BEHIND_PROXY", 0)
        s.psc_client_auth = env.get("PSC_CLIENT_AUTH", s.psc_client_auth)
        s.psc_tls_cert = env.get("PSC_TLS_CERT", "")
        s.psc_tls_key = env.get("PSC_TLS_KEY", "")
        s.cps_proxy_secret = env.get("CPS_PROXY_SECRET", "")
        s.cps_trusted_proxies = tuple(env.get("CPS_TRUSTED_PROXIES", "").split())
        s.cps_crl_file = env.get("CPS_CRL_FILE", "")
        s.ocsp_rate_limit = env.get("OCSP_RATE_LIMIT", s.ocsp_rate_limit)
        return s

    def resolve_secrets(self) -> None:
        """Fill development secrets from instance/; refuse to guess them in production."""
        if self.is_production:
            required = ["SECRET_KEY", "HSM_PIN"]
            if self.psc_client_auth == "client_secret_basic":
                required.append("PSC_CLIENT_SECRET")
            missing = [n for n in required if not getattr(self, n.lower())]
            if missing:
                raise ConfigurationError(
                    f"{', '.join(missing)} manquant en production : définissez ces variables d'environnement."
                )
            self._check_production_endpoints()
            return
        if not self.secret_key:
            self.secret_key = _instance_secret(self.instance_path / "secret_key")
        if not self.psc_client_secret:
            self.psc_client_secret = _instance_secret(self.instance_path / "psc_client_secret")
        if not self.hsm_pin and self.hsm_pins_file.exists():
            self.hsm_pin = json.loads(self.hsm_pins_file.read_text())["user_pin"]

    def _check_production_endpoints(self) -> None:
        """Production never falls back to the loopback sandbox or to plain HTTP."""
        if not _public_https(self.psc_discovery_url):
            raise ConfigurationError("PSC_DISCOVERY_URL doit être l'URL https du vrai Pro Santé Connect en "
                                     "production (pas le bac à sable local ni une adresse de bouclage).")
        if not _public_https(self.psc_issuer):
            raise ConfigurationError("PSC_ISSUER manquant ou non https en production : indiquez l'émetteur "
                                     "attendu de Pro Santé Connect (comparé à la découverte et à chaque jeton).")
        if not self.portal_base_url.startswith("https://"):
            raise ConfigurationError("PORTAL_BASE_URL doit commencer par https:// en production.")
        if self.cps_trusted_proxies and not self.cps_proxy_secret:
            raise ConfigurationError("CPS_TRUSTED_PROXIES sans CPS_PROXY_SECRET est refusé en production : "
                                     "définissez le secret partagé avec le frontal nginx.")
        if self.database_url.startswith("sqlite"):
            raise ConfigurationError("DATABASE_URL\u00a0: SQLite est refusé en production (un seul nœud, pas de "
                                     "sauvegarde à chaud)\u00a0: donnez l'URL PostgreSQL (postgresql+psycopg://…).")
        if self.ratelimit_storage_uri.startswith("memory://"):
            raise ConfigurationError("RATELIMIT_STORAGE_URI\u00a0: memory:// compte par processus et par nœud\u00a0; "
                                     "en production, redis://… partagé par tous les nœuds.")
        if len(self.secret_key) < 32 or self.secret_key.lower() in EXAMPLE_SECRETS:
            raise ConfigurationError("SECRET_KEY trop court ou d'exemple\u00a0: au moins 32 caractères aléatoires "
                                     "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))').")
        if not self.job_broker.startswith(("redis://", "rediss://", "unix://", "postgresql://", "postgres://",
                                           "postgresql+psycopg://")):
            raise ConfigurationError("JOB_BROKER\u00a0: en production, la file des tâches est partagée par tous les "
                                     "nœuds\u00a0: redis://… ou postgresql://… (pas SQLite ni immediate).")
        if self.domain_check_networks:
            raise ConfigurationError("DOMAIN_CHECK_NETWORKS est refusé en production\u00a0: les vérifications de "
                                     "domaine n'atteignent jamais une adresse réservée ou privée.")

    def apply_process_environment(self) -> None:
        """SoftHSM reads SOFTHSM2_CONF from the process environment when the module loads."""
        os.environ.setdefault("SOFTHSM2_CONF", self.softhsm2_conf)


def ipaddress_networks(text: str) -> tuple:
    """The networks of a setting such as « 127.0.0.0/8, ::1/128 »."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _int(env, key: str, default: int) -> int:
    """An integer setting, or one French line naming it (never a traceback)."""
    value = env.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{key}\u00a0: nombre entier attendu (reçu «\u00a0{value[:30]}\u00a0»).") from None


EXAMPLE_SECRETS = frozenset({"change-me", "changeme", "secret", "dev", "development", "tests-only-secret",
                             "live-tests"})


def _instance_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def _public_https(url: str) -> bool:
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def redact_url(url: str) -> str:
    """Database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<URL illisible>"
