"""Public PKI endpoints: CA certificates, CRLs (DER) and the OCSP responder (RFC 6960, GET and POST)."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, abort, current_app, request
from sqlmodel import select

from app.db import get_session
from app.extensions import csrf, limiter
from app.models import Authority
from app.operations.pki import ocsp_answer

bp = Blueprint("pki", __name__, url_prefix="/pki")
MAX_OCSP_REQUEST = 8 * 1024


def _authority(name: str) -> Authority:
    row = get_session().exec(select(Authority).where(Authority.name == name)).first()
    if row is None:
        abort(404)
    return row


@bp.get("/ca/<name>.cer")
def ca_certificate(name: str):
    return Response(_authority(name).certificate_der, mimetype="application/pkix-cert",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/crl/<name>.crl")
def crl(name: str):
    row = _authority(name)
    if row.crl_der is None:
        abort(404)
    return Response(row.crl_der, mimetype="application/pkix-crl", headers={"Cache-Control": "public, max-age=3600"})


def _ocsp_limit() -> str:
    return current_app.config["SETTINGS"].ocsp_rate_limit


@bp.post("/ocsp")
@csrf.exempt
@limiter.limit(_ocsp_limit)
def ocsp_post():
    if request.content_length and request.content_length > MAX_OCSP_REQUEST:
        abort(413)
    return _ocsp(request.get_data(cache=False))


@bp.get("/ocsp/<path:encoded>")
@limiter.limit(_ocsp_limit)
def ocsp_get(encoded: str):
    try:
        der = base64.b64decode(encoded.replace("%2F", "/").replace("%2B", "+").replace("%3D", "="), validate=True)
    except (binascii.Error, ValueError):
        der = b""
    return _ocsp(der)


def _ocsp(der: bytes) -> Response:
    answer = ocsp_answer(get_session(), current_app.extensions["hsm"], der)
    return Response(answer, mimetype="application/ocsp-response", headers={"Cache-Control": "no-cache"})
