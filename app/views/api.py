"""The editors' API: list certificates, order or renew one from a CSR, fetch it with its chain. Bearer tokens
made in the portal (« Mes certificats » › « Jetons d’API »); JSON errors carry the portal's French messages."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlmodel import select

from app.db import bookkeeping, get_session
from app.domain.certificates import PROFILES
from app.domain.inputs import parse_id
from app.domain.products import PRODUCTS, certificate_status
from app.domain.refusals import Refusal
from app.extensions import csrf
from app.models import IssuedCertificate, Structure
from app.models.base import utcnow
from app.operations.api_tokens import TokenError, allows, authenticate, record_use
from app.operations.certificates import CertificateOrder, order_certificates
from app.web import certificate_files
from app.web.certificate_files import DOWNLOADS
from app.web.openapi import list_query_error, order_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie, no session: a bearer token in each request
PAGE = 100


def error(message: str, status: int, field: str | None = None):
    body = {"erreur": message} | ({"champ": field} if field else {})
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="portail-sante"'
    return response


def _caller():
    token, person = authenticate(get_session(), request.headers.get("Authorization"))
    if request.method == "POST":  # an order records the token's use, whatever its answer; a listing only reads
        token_id = token.id  # read now: the request's objects are expired once its work rolls back
        bookkeeping(lambda own: record_use(own, token_id))
    return token, person


def _describe(c: IssuedCertificate, *, with_pem: bool = False) -> dict:
    found = {"id": c.id, "numero_serie": c.serial_hex, "profil": c.profile, "famille": PROFILES[c.profile].family,
             "usage": c.usage, "nom": c.common_name, "sujet": c.subject, "noms_dns": c.dns_names,
             "structure_id": c.structure_id, "debut": c.not_before.isoformat(), "fin": c.not_after.isoformat(),
             "statut": certificate_status(c.not_after, c.revoked_at, utcnow()), "renouvelle": c.renewed_from_id,
             "lien": url_for("api.certificate", certificate_id=c.id, _external=False)}
    if with_pem:
        chain = certificate_files.chain(get_session(), c)
        found |= {"pem": DOWNLOADS["certificat.pem"][1](chain).decode(),
                  "chaine_pem": DOWNLOADS["chaine.pem"][1](chain).decode()}
    return found


@bp.errorhandler(TokenError)
def _token_error(exc: TokenError):
    return error(str(exc), 401)


@bp.get("/certificats")
def certificates():
    token, person = _caller()
    db = get_session()
    families = [p for p, prof in PROFILES.items() if prof.family in token.families]
    query = (select(IssuedCertificate).join(Structure, Structure.id == IssuedCertificate.structure_id)
             .where(IssuedCertificate.profile.in_(families),
                    IssuedCertificate.structure_id.in_(token.structure_ids)
                    | Structure.parent_id.in_(token.structure_ids)))
    if (wrong := list_query_error(request.args)) is not None:
        return error(wrong[0], 400, wrong[1])
    if request.args.get("apres"):
        query = query.where(IssuedCertificate.id < int(request.args["apres"]))
    rows = [c for c in db.exec(query.order_by(IssuedCertificate.id.desc()).limit(PAGE + 1))
            if allows(db, token, person, db.get(Structure, c.structure_id), PROFILES[c.profile].family)]
    return jsonify({"certificats": [_describe(c) for c in rows[:PAGE]],
                    "suivant": rows[PAGE - 1].id if len(rows) > PAGE else None})


@bp.get("/certificats/<int:certificate_id>")
def certificate(certificate_id: int):
    token, person = _caller()
    db = get_session()
    c = db.get(IssuedCertificate, certificate_id)
    if c is None or c.structure_id is None or c.profile not in PROFILES:
        return error("Certificat inconnu.", 404)
    if not allows(db, token, person, db.get(Structure, c.structure_id), PROFILES[c.profile].family):
        return error("Ce certificat n’est pas dans le périmètre du jeton.", 403)
    return jsonify(_describe(c, with_pem=True))


@bp.post("/certificats")
def order():
    token, person = _caller()
    db = get_session()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error("Corps JSON attendu.", 400)
    if (wrong := order_error(body)) is not None:
        raise Refusal(wrong[0], field=wrong[1])
    previous = None
    if body.get("renouvellement_de") is not None:
        renewed_id = parse_id(body["renouvellement_de"])
        previous = db.get(IssuedCertificate, renewed_id) if renewed_id else None
        if previous is None or previous.structure_id is None or previous.profile not in PROFILES:
            return error("Certificat à renouveler inconnu.", 404, "renouvellement_de")
        family, usage, structure_id = PROFILES[previous.profile].family, previous.usage or "AUTRE", \
            previous.structure_id
    else:
        family, usage, structure_id = body.get("famille", ""), body.get("usage", ""), body.get("structure_id")
    structure = db.get(Structure, parse_id(structure_id)) if parse_id(structure_id) else None
    if structure is None:
        return error("Structure inconnue.", 404, "structure_id")
    if not allows(db, token, person, structure, family):
        return error("Cette structure ou cette famille n’est pas dans le périmètre du jeton.", 403, "structure_id")
    product = PRODUCTS.get((family, usage))
    if product is None:
        raise Refusal("Usage inconnu pour cette famille.", field="usage")
    csrs = body.get("csrs") or ({product.profiles[0]: body["csr"]} if isinstance(body.get("csr"), str) else {})
    if not isinstance(csrs, dict) or not all(isinstance(v, str) for v in csrs.values()):
        raise Refusal("« csr » (texte PEM) ou « csrs » (profil → PEM) attendu.", field="csr")
    emails = previous.contact_emails if previous else []
    order = CertificateOrder(
        family=family, usage=usage, structure_id=structure.id,
        service_name=body.get("nom_service") or (previous.common_name if previous else ""),
        dns_names=body.get("noms_dns") or (list(previous.dns_names) if previous else []),
        email=body.get("courriel") or (emails[0] if emails else person.email),
        copy_email=body.get("courriel_copie") or (emails[1] if len(emails) > 1 else ""),
        csrs={k: v.encode() for k, v in csrs.items()}, attestation=bool(body.get("attestation")),
        renewal_of=previous.id if previous else None)
    filing, issued = order_certificates(db, current_app.extensions["hsm"], order, person_id=person.id,
                                        actor=person.national_id, auth_method="api",
                                        base_url=current_app.config["SETTINGS"].portal_base_url)
    return jsonify({"commande": filing.reference, "certificats": [_describe(c, with_pem=True) for c in issued]}), 201


@bp.get("/openapi.json")
def openapi():
    from app.web.openapi import document

    return jsonify(document(current_app.config["SETTINGS"].portal_base_url))
