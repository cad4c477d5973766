"""« Demander un certificat » : family → structure → usage → details and CSR, then issuance at once."""

from __future__ import annotations

import shlex

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session, refuse
from app.domain.certificates import PROFILES, CertificateRequestError, organisation_subject
from app.domain.inputs import parse_id
from app.domain.products import INSI_NAMES, PRODUCTS, USAGES, StructureFacts, structure_decision, usages_for
from app.models import Filing, IssuedCertificate, Person, Structure
from app.models.base import utcnow
from app.operations import domains
from app.operations.certificates import CertificateOrder, contacts_from_f413, order_certificates
from app.signing.csr import load_csr
from app.views.certificates import administered
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("certificate_request", __name__, url_prefix="/certificats")
STEPS = ("Famille", "Structure", "Usage", "Détails et CSR")


def _choices(args) -> dict:
    """The choices made so far (from the query or the form), each checked against the actor's habilitations."""
    scopes = administered()
    chosen = {"famille": "", "structure": None, "usage": "", "renouvellement": None}
    renewal = args.get("renouvellement", "")
    if renewal:
        renewal_id = parse_id(renewal)
        previous = get_session().get(IssuedCertificate, renewal_id) if renewal_id else None
        family = PROFILES[previous.profile].family if previous and previous.profile in PROFILES else ""
        if previous is None or family not in scopes.get(previous.structure_id, set()):
            abort(404)
        chosen.update(famille=family, structure=get_session().get(Structure, previous.structure_id),
                      usage=previous.usage or "AUTRE", renouvellement=previous)
        return chosen
    family = args.get("famille", "")
    if family in {f for fams in scopes.values() for f in fams}:
        chosen["famille"] = family
        sid = parse_id(args.get("structure", ""))
        if sid is not None and family not in scopes.get(sid, set()):
            abort(403)  # a structure this user does not administer for this family
        if sid is not None:
            chosen["structure"] = get_session().get(Structure, sid)
            if (family, args.get("usage", "")) in PRODUCTS:
                chosen["usage"] = args["usage"]
    return chosen


def _context(chosen: dict, **extra) -> dict:
    scopes = administered()
    step = 1 + bool(chosen["famille"]) + bool(chosen["structure"]) + bool(chosen["usage"])
    structures = []
    if chosen["famille"] and not chosen["structure"]:
        query = select(Structure).where(Structure.id.in_([s for s, f in scopes.items() if chosen["famille"] in f]))
        if text := request.args.get("q", "").strip():
            query = query.where(Structure.name.ilike(f"%{text}%") | (Structure.finess == text)
                                | (Structure.siret == text))
        structures = get_session().exec(query.order_by(Structure.name).limit(50)).all()
    families = sorted({f for fams in scopes.values() for f in fams})
    context = dict(step=step, steps=STEPS, chosen=chosen, families=families,
                   structures=structures, usages=usages_for(chosen["famille"]) if chosen["famille"] else [],
                   usage_labels=USAGES, insi_names=INSI_NAMES, values={}, errors={}, many=len(scopes) > 8)
    if chosen["usage"]:
        product = PRODUCTS[(chosen["famille"], chosen["usage"])]
        structure, previous = chosen["structure"], chosen["renouvellement"]
        decision = structure_decision(StructureFacts(structure.kind, structure.public, structure.dialysis),
                                      renewal=previous is not None, attestation=True, today=utcnow().date())
        me = get_session().get(Person, g.actor.person_id)
        declared, generic = contacts_from_f413(get_session(), structure, g.actor.national_id)
        context.update(product=product, decision=decision, needs_attestation=bool(decision.rule and
                                                                                    decision.rule.needs_attestation),
                       values={"service_name": previous.common_name if previous else "",
                               "dns_names": " ".join(previous.dns_names) if previous else "",
                               "email": (previous.contact_emails[0] if previous and previous.contact_emails
                                         else declared or (me.email if me else "")),
                               "copy_email": (previous.contact_emails[1] if previous and
                                              len(previous.contact_emails) > 1 else generic)},
                       openssl=_openssl(product, structure),
                       declared_domains=domains.declared(get_session(), structure) if chosen["famille"] == "SERV"
                       else [])
    context.update(extra)
    return context


def _openssl(product, structure: Structure) -> dict[str, str]:
    """The command to run on the target server: the key is made there and never travels."""
    commands = {}
    for profile in product.profiles:
        stem = profile.lower().replace("_", "-")
        subject = organisation_subject(structure_name=structure.name, structure_national_id=structure.national_id,
                                       departement=structure.departement, common_name="NOM-DU-SERVICE")
        subj = "/" + "/".join(a.rfc4514_string().replace("/", "\\/") for a in reversed(list(subject)))
        extra = ' -addext "subjectAltName=DNS:serveur.exemple.fr"' if PROFILES[profile].san_dns_required else ""
        commands[profile] = (f"openssl req -new -newkey rsa:2048 -nodes -keyout {stem}.key -out {stem}.csr "
                             f"-subj {shlex.quote(subj)}{extra}")
    return commands


@bp.get("/demande")
@requires("certificate.order")
def start():
    return render("certificates/request.html", **_context(_choices(request.args)))


@bp.post("/demande/verifier-csr")
@requires("certificate.order")
def check_csr():
    """The immediate check of a pasted or uploaded CSR: key type and size, or the problem in French."""
    name = request.form.get("_champ", "csr_ORG_AUTH_CLI")
    data = _csr_bytes(name)
    try:
        checked = load_csr(data)
        message, ok = f"CSR lisible : clé {checked.key_description}" + (
            f", noms DNS {', '.join(checked.requested_dns)}" if checked.requested_dns else "") + ".", True
    except CertificateRequestError as exc:
        message, ok = str(exc), False
    return render("certificates/_csr_check.html", name=name, message=message, ok=ok, block="check",
                  status=200 if ok else 422)


def _csr_bytes(name: str) -> bytes:
    upload = request.files.get(f"{name}_fichier")
    if upload is not None and upload.filename:
        return upload.stream.read(64 * 1024 + 1)
    return request.form.get(name, "").strip().encode()


@bp.post("/demande")
@requires("certificate.order")
def submit():
    chosen = _choices(request.form)
    if not chosen["usage"]:
        abort(400)
    product = PRODUCTS[(chosen["famille"], chosen["usage"])]
    form = request.form
    service_name = form.get("insi_name", "") if chosen["usage"] == "INSI" else form.get("service_name", "")
    order = CertificateOrder(
        family=chosen["famille"], usage=chosen["usage"], structure_id=chosen["structure"].id,
        service_name=service_name.strip(), dns_names=form.get("dns_names", "").replace(",", " ").split(),
        email=form.get("email", "").strip(), copy_email=form.get("copy_email", "").strip(),
        csrs={p: _csr_bytes(f"csr_{p}") for p in product.profiles}, attestation=bool(form.get("attestation")),
        renewal_of=chosen["renouvellement"].id if chosen["renouvellement"] else None)
    db = get_session()
    try:
        filing, issued = order_certificates(db, current_app.extensions["hsm"], order, person_id=g.actor.person_id,
                                            actor=g.actor.national_id, auth_method=g.actor.auth_method,
                                            base_url=current_app.config["SETTINGS"].portal_base_url)
    except CertificateRequestError as exc:
        refuse()
        values = {k: form.get(k, "") for k in ("service_name", "dns_names", "email", "copy_email", "insi_name")}
        values.update({f"csr_{p}": form.get(f"csr_{p}", "") for p in product.profiles})
        return render("certificates/request.html", status=422,
                      **_context(chosen, values=values, errors={exc.field: str(exc)},
                                 attestation=bool(form.get("attestation"))))
    flash(f"{len(issued)} certificat{'s' if len(issued) > 1 else ''} délivré{'s' if len(issued) > 1 else ''} "
          f"(commande {filing.reference}).", "success")
    return success(url_for("certificate_request.order", filing_id=filing.id))


def order_target(filing_id: int) -> Filing:
    filing = get_session().get(Filing, filing_id)
    if filing is None or filing.form != "CERT":
        abort(404)
    return filing


@bp.get("/commandes/<int:filing_id>")
@requires("certificate.order_view", target=order_target)
def order(filing_id: int, target: Filing):
    db, filing = get_session(), target
    issued = db.exec(select(IssuedCertificate).where(IssuedCertificate.filing_id == filing_id)
                     .order_by(IssuedCertificate.id)).all()
    return render("certificates/order.html", filing=filing, issued=issued, usages=USAGES, profiles=PROFILES)
