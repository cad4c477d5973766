"""The ACME server (RFC 8555) certbot, lego and the other clients speak to obtain, renew and revoke SERV SSL
certificates with External Account Binding. Every POST is a JWS checked in ``operations.acme.protocol``; every
answer carries a fresh nonce; every error is an ``application/problem+json`` document with an ACME type."""

from __future__ import annotations

from datetime import UTC

from cryptography.hazmat.primitives import serialization
from flask import Blueprint, current_app, jsonify, request, url_for

from app.db import after_commit, get_session, refuse
from app.domain.acme import CHALLENGES, RENEWAL_INFO_RETRY, Limits, Problem
from app.domain.inputs import parse_id
from app.extensions import csrf, limiter
from app.models import AcmeAccount, AcmeAuthorization, AcmeOrder, IssuedCertificate
from app.models.base import aware, utcnow
from app.operations.acme import accounts, orders, renewal
from app.operations.acme.protocol import Nonces, check
from app.web import certificate_files
from app.web.quotas import check_domain_quota

bp = Blueprint("acme", __name__, url_prefix="/acme")
csrf.exempt(bp)  # no cookie: each request is signed by the account's key, with a single-use nonce


def _nonces() -> Nonces:
    return current_app.extensions.setdefault("acme_nonces", Nonces(current_app.config["SECRET_KEY"]))


def _url(endpoint: str, **values) -> str:
    return current_app.config["SETTINGS"].portal_base_url.rstrip("/") + url_for(endpoint, **values)


def _rfc3339(moment) -> str:
    return aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _limits() -> Limits:
    settings = current_app.config["SETTINGS"]
    return current_app.config.get("ACME_LIMITS") or Limits(
        orders_per_hour=settings.acme_orders_per_hour,
        certificates_per_domain_week=settings.acme_certificates_per_domain_week)


@bp.after_app_request
def _protocol_headers(response):
    """Every answer under /acme, its 404 and 405 included (they match no route of the blueprint), carries a fresh
    nonce and the directory's link (RFC 8555 §6.5, §7.1)."""
    if not request.path.startswith("/acme/"):
        return response
    response.headers["Replay-Nonce"] = _nonces().issue()
    response.headers["Cache-Control"] = "no-store"
    response.headers.add("Link", f'<{_url("acme.directory")}>;rel="index"')
    return response


@bp.errorhandler(Problem)
def _problem(exc: Problem):
    refuse()
    response = jsonify(exc.document())
    response.status_code = exc.status
    response.content_type = "application/problem+json"
    if exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _signed(key_from: str = "kid"):
    query = request.query_string.decode(errors="replace")
    return check(get_session(), _nonces(), request.get_data(), request.content_type,
                 url=_url(request.endpoint, **request.view_args) + (f"?{query}" if query else ""),
                 account_url=_url("acme.new_account").replace("new-account", "acct"), key_from=key_from,
                 writing=current_app.extensions["db"].writing)


def _owned(model, object_id: int, account: AcmeAccount):
    db = get_session()
    row = db.get(model, object_id) if parse_id(object_id) else None
    order = db.get(AcmeOrder, row.order_id) if isinstance(row, AcmeAuthorization) else row
    if row is None or order.account_id != account.id:
        raise Problem("malformed", "Ressource inconnue pour ce compte.", status=404)
    return row


@bp.get("/directory")
def directory():
    return jsonify({
        "newNonce": _url("acme.new_nonce"), "newAccount": _url("acme.new_account"),
        "newOrder": _url("acme.new_order"), "revokeCert": _url("acme.revoke_cert"),
        "keyChange": _url("acme.key_change"), "renewalInfo": _url("acme.renewal_info_base"),
        "meta": {"externalAccountRequired": True, "website": _url("acme_accounts.index"),
                 "caaIdentities": [current_app.config["SETTINGS"].caa_issuer],
                 "termsOfService": _url("main.acme_terms")},
    })


@bp.get("/renewal-info", endpoint="renewal_info_base")
@bp.get("/renewal-info/<cert_id>")
def renewal_info(cert_id: str = ""):
    """RFC 9773: when to renew this certificate (unauthenticated GET); clients ask again after Retry-After."""
    found = renewal.certificate_of(get_session(), cert_id) if cert_id else None
    if found is None:
        raise Problem("malformed", "Identifiant de certificat ARI inconnu ou mal formé.", status=404)
    start, end, explanation = renewal.window(found)
    body = {"suggestedWindow": {"start": _rfc3339(start), "end": _rfc3339(end)}}
    if explanation:
        body["explanationURL"] = _url("main.acme_terms") + "#renouvellement-anticipe"
    response = jsonify(body)
    response.headers["Retry-After"] = str(RENEWAL_INFO_RETRY)
    return response


@bp.route("/new-nonce", methods=["GET", "HEAD"])
def new_nonce():
    return "", 204 if request.method == "GET" else 200


def _account_document(account: AcmeAccount) -> dict:
    return {"status": account.status, "contact": account.contact, "termsOfServiceAgreed": True,
            "orders": _url("acme.account_orders", account_id=account.id)}


def _account_limit() -> str:
    return current_app.config.get("ACME_ACCOUNT_RATE_LIMIT", "20 per minute")


@bp.post("/new-account")
@limiter.limit(_account_limit)  # each binding checked costs an HMAC in the HSM: per address, before any of it
def new_account():
    signed = _signed("jwk")
    account, created = accounts.new_account(get_session(), current_app.extensions["hsm"], signed,
                                            url=_url("acme.new_account"))
    response = jsonify(_account_document(account))
    response.status_code = 201 if created else 200
    response.headers["Location"] = _url("acme.account", account_id=account.id)
    return response


@bp.post("/acct/<int:account_id>")
def account(account_id: int):
    signed = _signed()
    if signed.account.id != account_id:
        raise Problem("unauthorized", "Ce n’est pas le compte qui signe.")
    return jsonify(_account_document(accounts.update(get_session(), signed.account, signed.payload)))


@bp.post("/acct/<int:account_id>/orders")
def account_orders(account_id: int):
    signed = _signed()
    if signed.account.id != account_id:
        raise Problem("unauthorized", "Ce n’est pas le compte qui signe.")
    size = current_app.config.get("ACME_ORDERS_PAGE", 100)
    query = AcmeOrder.__table__.select().where(AcmeOrder.account_id == account_id,
                                               AcmeOrder.status.in_(("pending", "ready", "valid")))
    if "curseur" in request.args:
        before = parse_id(request.args["curseur"])
        if before is None:
            raise Problem("malformed", "«\u00a0curseur\u00a0» est un numéro de commande.")
        query = query.where(AcmeOrder.id < before)
    rows = get_session().exec(query.order_by(AcmeOrder.id.desc()).limit(size + 1)).all()
    response = jsonify({"orders": [_url("acme.order", order_id=r.id) for r in rows[:size]]})
    if len(rows) > size:  # RFC 8555 §7.1.2.1: the next page by a Link header
        following = _url("acme.account_orders", account_id=account_id) + f"?curseur={rows[size - 1].id}"
        response.headers.add("Link", f'<{following}>;rel="next"')
    return response


@bp.post("/key-change")
def key_change():
    signed = _signed()
    account_url = _url("acme.account", account_id=signed.account.id)
    try:
        account = accounts.change_key(get_session(), signed.account, signed, url=_url("acme.key_change"),
                                      account_url=account_url)
    except Problem as exc:
        if exc.status == 409:
            response = _problem(exc)
            response.headers["Location"] = account_url
            return response
        raise
    return jsonify(_account_document(account))


def _order_document(order: AcmeOrder) -> dict:
    db = get_session()
    found = {"status": order.status, "expires": _rfc3339(order.expires_at),
             "identifiers": [{"type": "dns", "value": n} for n in order.names],
             "authorizations": [_url("acme.authorization", authz_id=a.id) for a in orders.authorizations(db, order)],
             "finalize": _url("acme.finalize", order_id=order.id)}
    if order.certificate_id:
        found["certificate"] = _url("acme.certificate", certificate_id=order.certificate_id)
    if order.error:
        found["error"] = order.error
    if order.replaces_id:
        found["replaces"] = renewal.ari_of(db.get(IssuedCertificate, order.replaces_id))
    return found


def _order_response(order: AcmeOrder, status: int = 200):
    response = jsonify(_order_document(order))
    response.status_code = status
    response.headers["Location"] = _url("acme.order", order_id=order.id)
    return response


@bp.post("/new-order")
def new_order():
    signed = _signed()
    return _order_response(orders.new_order(get_session(), signed.account, signed.payload, _limits()), 201)


@bp.post("/order/<int:order_id>")
def order(order_id: int):
    signed = _signed()
    return _order_response(orders.refresh_status(get_session(), _owned(AcmeOrder, order_id, signed.account)))


@bp.post("/order/<int:order_id>/finalize")
def finalize(order_id: int):
    signed = _signed()
    found = orders.finalize(get_session(), current_app.extensions["hsm"], signed.account,
                            _owned(AcmeOrder, order_id, signed.account), signed.payload,
                            base_url=current_app.config["SETTINGS"].portal_base_url, limits=_limits())
    return _order_response(found)


def _challenge_document(authz: AcmeAuthorization, method: str) -> dict:
    if authz.method != method:
        status = "pending"
    elif authz.status == "pending":
        status = "processing" if authz.checking_since else "pending"
    else:
        status = authz.status
    found = {"type": method, "url": _url("acme.challenge", authz_id=authz.id, method=method),
             "token": authz.token, "status": status}
    if authz.method == method and authz.validated_at and authz.status == "valid":
        found["validated"] = _rfc3339(authz.validated_at)
    if authz.method == method and authz.error:
        found["error"] = authz.error
    return found


def _authorization_document(authz: AcmeAuthorization) -> dict:
    methods = [authz.method] if authz.status == "valid" and authz.method else list(CHALLENGES)
    return {"identifier": {"type": "dns", "value": authz.name}, "status": authz.status,
            "expires": _rfc3339(authz.expires_at),
            "challenges": [_challenge_document(authz, m) for m in methods]}


@bp.post("/authz/<int:authz_id>")
def authorization(authz_id: int):
    signed = _signed()
    authz = _owned(AcmeAuthorization, authz_id, signed.account)
    if signed.payload:
        orders.update_authorization(get_session(), authz, signed.payload)
    response = jsonify(_authorization_document(authz))
    if authz.status == "pending" and authz.checking_since:
        response.headers["Retry-After"] = "1"
    return response


@bp.post("/chall/<int:authz_id>/<method>")
def challenge(authz_id: int, method: str):
    signed = _signed()
    if method not in CHALLENGES:
        raise Problem("malformed", "Défi inconnu.", status=404)
    authz = _owned(AcmeAuthorization, authz_id, signed.account)
    accounts.require_standing(get_session(), signed.account)  # revoked credentials, an ended habilitation: refused
    if signed.payload is not None and authz.status == "pending":  # {} answers it; a POST-as-GET only reads it
        wait = check_domain_quota(get_session().get(AcmeOrder, authz.order_id).structure_id)
        if wait is not None:
            raise Problem("rateLimited", "Trop de vérifications de domaine pour cette structure : réessayez plus "
                                         "tard.", status=429, retry_after=wait)
        if orders.start_check(get_session(), authz, method, utcnow()):
            # the job engine looks once this is committed; the client polls (RFC 8555 § 7.5.1)
            after_commit(lambda authz_id=authz.id: current_app.extensions["jobs"].enqueue("acme-check",
                                                                                         authz_id=authz_id))
    response = jsonify(_challenge_document(authz, method))
    response.headers.add("Link", f'<{_url("acme.authorization", authz_id=authz.id)}>;rel="up"')
    if authz.status == "pending" and authz.checking_since:
        response.headers["Retry-After"] = "1"
    return response


@bp.post("/cert/<int:certificate_id>")
def certificate(certificate_id: int):
    signed = _signed()
    db = get_session()
    found = db.get(IssuedCertificate, certificate_id) if parse_id(certificate_id) else None
    owner = found and db.exec(AcmeOrder.__table__.select().where(AcmeOrder.certificate_id == found.id)).first()
    if found is None or owner is None or owner.account_id != signed.account.id:
        raise Problem("malformed", "Certificat inconnu pour ce compte.", status=404)
    # the root is the client's trust anchor, not part of the chain served
    chain = certificate_files.chain(get_session(), found)[:-1]
    body = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    return body, 200, {"Content-Type": "application/pem-certificate-chain"}


@bp.post("/revoke-cert")
def revoke_cert():
    signed = _signed("either")
    orders.revoke(get_session(), current_app.extensions["hsm"], signed)
    return "", 200
