"""Login with Pro Santé Connect (card or e-CPS) or with the CPS card over TLS; logout."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, g, redirect, request, session, url_for

from app.db import get_session
from app.errors import render_error
from app.extensions import limiter
from app.operations.login import end_session, open_session
from app.psc.cps import identity_from_certificate, load_forwarded_certificate
from app.psc.identity import IdentityError
from app.psc.oidc import PendingLogin, PscError
from app.views.rendering import render
from app.views.security import start_portal_session

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "30 per minute")


def _external(endpoint: str) -> str:
    return current_app.config["SETTINGS"].portal_base_url + url_for(endpoint)


def _safe_next(value: str | None) -> str | None:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _login_failed(message: str):
    session.clear()
    return render_error(401, message)


@bp.get("/connexion")
def login():
    next_url = _safe_next(request.args.get("next"))
    if next_url:
        session["next"] = next_url
    cps_url = current_app.config.get("CPS_LOGIN_URL") or url_for("auth.cps")
    return render("auth/login.html", cps_url=cps_url)


@bp.get("/psc/login")
@limiter.limit(_login_limit)
def psc_login():
    try:
        url, pending = current_app.extensions["psc"].begin(_external("auth.psc_callback"))
    except PscError as exc:
        return render_error(503, str(exc))
    session["psc_pending"] = pending.to_dict()
    return redirect(url, code=303)


@bp.get("/psc/callback")
@limiter.limit(_login_limit)
def psc_callback():
    stored = session.pop("psc_pending", None)
    pending = PendingLogin.from_dict(stored) if isinstance(stored, dict) else None
    try:
        result = current_app.extensions["psc"].complete(request.args.to_dict(), pending)
    except PscError as exc:
        current_app.logger.warning("PSC login refused: %s", exc)
        return _login_failed(str(exc))
    return _finish_login(open_session(get_session(), result.identity, id_token=result.id_token))


@bp.get("/cps")
@limiter.limit(_login_limit)
def cps():
    settings = current_app.config["SETTINGS"]
    if not _from_trusted_proxy(settings):
        return _login_failed("La connexion par carte CPS passe par le frontal sécurisé du portail : "
                             "utilisez le bouton « Carte CPS » de la page de connexion.")
    if request.headers.get("X-SSL-Client-Verify", "") != "SUCCESS":
        return _login_failed("Le certificat de votre carte n’a pas été reconnu.")
    try:
        cert = load_forwarded_certificate(request.headers.get("X-SSL-Client-Cert", ""))
        identity = identity_from_certificate(cert)
    except IdentityError as exc:
        return _login_failed(str(exc))
    return _finish_login(open_session(get_session(), identity))


def _from_trusted_proxy(settings) -> bool:
    """The forwarded certificate counts only from the configured proxy (secret and/or address)."""
    if not settings.cps_proxy_secret and not settings.cps_trusted_proxies:
        return False
    if settings.cps_proxy_secret and not hmac.compare_digest(
            request.headers.get("X-Proxy-Secret", "").encode(), settings.cps_proxy_secret.encode()):
        return False
    # The peer that connected to us, before ProxyFix replaced it with the client's forwarded address.
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.remote_addr)
    return not settings.cps_trusted_proxies or peer in settings.cps_trusted_proxies


def _finish_login(login):
    next_url = _safe_next(session.get("next"))
    start_portal_session(login.id)
    return redirect(next_url or url_for("dashboard.index"), code=303)


@bp.post("/logout")
def logout():
    login = g.get("login_session")
    target = url_for("main.home")
    if login is not None:
        end_session(get_session(), login)
        if login.auth_method.startswith("psc") and login.id_token:
            target = current_app.extensions["psc"].logout_url(
                login.id_token, current_app.config["SETTINGS"].portal_base_url + "/") or target
    session.clear()
    return redirect(target, code=303)
