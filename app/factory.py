"""Application factory: configuration, extensions, blueprints, error handlers."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import db, errors, jobs, logs
from app.config import Settings
from app.domain.inputs import ID_MAX
from app.extensions import csrf, htmx, limiter
from app.mail import Mailer, SmtpTransport
from app.psc.oidc import PscClient, PscConfig
from app.signing.hsm import Hsm
from app.web import csrf_tokens

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


class BoundedInt(IntegerConverter):
    """``<int:…>`` within the database's INTEGER ids: a larger id is a 404, not an overflow and a 500."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict | None = None) -> Flask:
    """Build the portal. ``config`` overrides settings by their environment names (tests)."""
    overrides = dict(config or {})
    settings = Settings.from_env()
    for key in list(overrides):
        if hasattr(settings, key.lower()):
            setattr(settings, key.lower(), overrides.pop(key))
    settings.resolve_secrets()
    settings.apply_process_environment()

    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.url_map.converters["int"] = BoundedInt
    # Forms post only to the portal; the logout form's 303 continues to PSC's end-session endpoint, which
    # browsers check against form-action too: allow that one origin (PSC's issuer), nothing else.
    psc = urlsplit(settings.psc_issuer or settings.psc_discovery_url)
    csp = {**CSP, "form-action": ["'self'", f"{psc.scheme}://{psc.netloc}"]}
    secure = settings.portal_base_url.startswith("https://")
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        # __Host-: the browser refuses it unless Secure, host-only and for the whole path (no sibling can set it).
        SESSION_COOKIE_NAME="__Host-portail_session" if secure else "portail_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        # A request may carry one attachment (checked again with a French message in the view); the fields
        # around it stay bounded by Werkzeug's MAX_FORM_MEMORY_SIZE (500 kB).
        MAX_CONTENT_LENGTH=settings.attachment_max_bytes + 256 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down: the same limits, counted per process in memory (logged), until Redis answers again
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        # Flask-Limiter sets its window's reset on every answer of a limited route, which overwrote a 503's own
        # Retry-After; its figure goes in its own header, and the 429 page sets the standard one (app/errors.py)
        RATELIMIT_HEADER_RETRY_AFTER="X-RateLimit-Retry-After",
    )
    app.config.update(overrides)
    if settings.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.behind_proxy, x_proto=settings.behind_proxy,
                                x_host=settings.behind_proxy)

    db.init_app(app, settings.database_url)
    app.extensions["mailer"] = Mailer(
        app.extensions["db"],
        SmtpTransport(settings.mail_server, settings.mail_port, settings.mail_from) if settings.mail_server else None)
    jobs.init_app(app, settings)
    app.extensions["hsm"] = Hsm(settings.pkcs11_module, settings.hsm_token_label, settings.hsm_pin)
    app.extensions["psc"] = PscClient(PscConfig(
        discovery_url=settings.psc_discovery_url, client_id=settings.psc_client_id,
        client_secret=settings.psc_client_secret, scope=settings.psc_scope, acr_values=settings.psc_acr_values,
        client_auth=settings.psc_client_auth, tls_cert=settings.psc_tls_cert, tls_key=settings.psc_tls_key,
        issuer=settings.psc_issuer,
    ))

    if not settings.is_production:  # the PSC sandbox learns opposed and revoked cards, as the real PSC does
        from pathlib import Path

        from app.operations import card_feed
        from app.psc import registry

        registry_path = Path(settings.psc_sandbox_registry)
        card_feed.listener = lambda changes: registry.set_statuses(registry_path, changes)

    from app.operations import domain_control

    domain_control.configure(settings)
    csrf.init_app(app)
    csrf_tokens.register(app)
    htmx.init_app(app)
    limiter.init_app(app)
    # Limits are set per view (login, OCSP) and checked by their decorators; with no default limits the
    # extension's before_request hook only repeats that work on every request (0.12 ms a page).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    from app.web import compression, headers, observe, refusals, requests, templating

    logs.register(app)  # first: every later hook and view logs with the request id
    observe.register(app)
    requests.register(app)
    compression.register(app)  # runs after the headers (after_request is last-registered first): Vary is set
    headers.register(app, csp)

    _register_blueprints(app)
    from app.web.security import load_actor

    app.before_request(load_actor)
    errors.register(app)
    refusals.register(app)  # a refusal before the catch-all: the page shown again, or the 409/422 page
    templating.register(app)
    from app import cli

    cli.register(app)

    logs.configure(settings.log_format)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def _register_blueprints(app: Flask) -> None:
    from app.views import (
        aac,
        acme,
        acme_accounts,
        api,
        api_tokens,
        auth,
        backoffice,
        card_orders,
        certificate_request,
        certificates,
        dashboard,
        domains,
        email_login,
        filings,
        fleet,
        follow_up,
        inbox,
        laboratory,
        main,
        pki,
        referential,
        statistics,
    )

    for module in (main, auth, dashboard, pki, referential, filings, backoffice, card_orders, inbox,
                   email_login, certificates, certificate_request, api, api_tokens, domains, acme_accounts, acme, aac,
                   fleet, follow_up, laboratory, statistics):
        app.register_blueprint(module.bp)
