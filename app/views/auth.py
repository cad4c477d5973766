"""Login with Pro Santé Connect (card or e-CPS) or with the CPS card over TLS; logout."""

from __future__ import annotations

import hmac
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.db import get_session, keep
from app.errors import render_error
from app.extensions import limiter
from app.models import LoginSession
from app.operations.card_login import check_card_certificate
from app.operations.login import IDLE_TIMEOUT, end_session, extend, open_session
from app.psc.cps import identity_from_certificate, load_forwarded_certificate
from app.psc.identity import IdentityError
from app.psc.oidc import PendingLogin, PscError, pending_matches
from app.web.rendering import render
from app.web.security import start_portal_session

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "30 per minute")


def _external(endpoint: str) -> str:
    return current_app.config["SETTINGS"].portal_base_url + url_for(endpoint)


def _safe_next(value: str | None) -> str | None:
    """``value`` if it is a path to one of the portal's own GET pages, else None.

    Browsers and Werkzeug drop control characters and whitespace and read ``\\`` as ``/`` when they resolve
    a Location, so any of them (raw or percent-encoded) could turn a path into another host: refuse them all,
    then require the path to match a route.
    """
    if not value or len(value) > 1024 or not value.startswith("/"):
        return None
    for text in (value, unquote(value)):
        if text.startswith("//") or "\\" in text or any(unicodedata.category(ch)[0] in "CZ" for ch in text):
            return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    try:
        current_app.url_map.bind("portail").match(parts.path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    return value


def _end_current_session(reason: str) -> None:
    """The server-side session dies with the cookie: a stolen copy of the cookie is worth nothing."""
    login = g.get("login_session")
    if login is not None:
        db = get_session()
        end_session(db, db.get(LoginSession, login.id), reason=reason)
        g.login_session = None


def _login_failed(message: str):
    _end_current_session("login_failed")
    keep()  # the failed attempt is audited and the former session ended, though the answer is a 401
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
    stored = session.get("psc_pending")
    pending = PendingLogin.from_dict(stored) if isinstance(stored, dict) else None
    if not pending_matches(pending, request.args.get("state")):
        # Not the answer to a login this browser started (forged or replayed link): touch nothing.
        return render_error(400, "La réponse de Pro Santé Connect ne correspond à aucune connexion en cours.")
    session.pop("psc_pending", None)
    try:
        result = current_app.extensions["psc"].complete(request.args.to_dict(), pending)
    except PscError as exc:
        current_app.logger.warning("PSC login refused: %s", exc)
        return _login_failed(str(exc))
    return _finish_login(result.identity, id_token=result.id_token)


@bp.get("/cps")
@limiter.limit(_login_limit)
def cps():
    settings = current_app.config["SETTINGS"]
    if not _from_trusted_proxy(settings):
        return _login_failed("La connexion directe par carte et lecteur passe par le frontal TLS du portail, qui "
                             "lit le certificat de la carte (en production, ou avec `deploy/` ici) ; il ne "
                             "répond pas sur ce serveur de développement. Connectez-vous par Pro Santé Connect : "
                             "son bac à sable propose la carte avec son code PIN, ou e-CPS.")
    verify = request.headers.get("X-SSL-Client-Verify", "")
    if verify != "SUCCESS":
        return _login_failed(_VERIFY_FAILURES.get(verify.partition(":")[2].strip(), _UNRECOGNISED)
                             if verify.startswith("FAILED") else _UNRECOGNISED)
    try:
        cert = load_forwarded_certificate(request.headers.get("X-SSL-Client-Cert", ""))
        identity = identity_from_certificate(cert)
        check_card_certificate(get_session(), cert)
    except IdentityError as exc:
        return _login_failed(str(exc))
    return _finish_login(identity)


_UNRECOGNISED = "Le certificat de votre carte n’a pas été reconnu."
_VERIFY_FAILURES = {  # what nginx reports in $ssl_client_verify after "FAILED:" (OpenSSL's texts)
    "certificate revoked": "Cette carte a été révoquée (opposition ou remplacement) : elle ne permet plus de se "
                           "connecter. Connectez-vous avec e-CPS ou contactez votre gestionnaire de cartes.",
    "certificate has expired": "Le certificat de la carte n’est pas en cours de validité.",
    "issuer is not a card CA": "Ce certificat n’a pas été émis par une autorité de cartes CPS : utilisez votre "
                               "carte CPS, CPF, CPE ou CDE.",
}


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


def _finish_login(identity, id_token: str = ""):
    next_url = _safe_next(session.get("next"))
    _end_current_session("relogin")
    login = open_session(get_session(), identity, id_token=id_token)
    start_portal_session(login.id)
    return redirect(next_url or url_for("dashboard.index"), code=303)


@bp.post("/session/prolonger")
def extend_session():
    """« Rester connecté » in the warning shown before the idle timeout (WCAG 2.2.1): 204 and a fresh idle clock,
    401 when the session already ended (the page then says so)."""
    login = g.get("login_session")
    if login is None:
        return {"erreur": "Votre session a expiré\u00a0: reconnectez-vous."}, 401
    until = extend(get_session(), login.id)
    return {"expire": until.isoformat(), "inactivite": int(IDLE_TIMEOUT.total_seconds())}, 200


@bp.post("/logout")
def logout():
    login = g.get("login_session")
    target = url_for("main.home")
    if login is not None:
        db = get_session()
        end_session(db, db.get(LoginSession, login.id))
        if login.auth_method.startswith("psc") and login.id_token:
            target = current_app.extensions["psc"].logout_url(
                login.id_token, current_app.config["SETTINGS"].portal_base_url + "/") or target
    session.clear()
    return redirect(target, code=303)
