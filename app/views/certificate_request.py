"""« Demander un certificat » : family → structure → usage → details and CSR, then issuance at once."""

from __future__ import annotations

import shlex

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session
from app.domain.certificates import PROFILES, CertificateRequestError, organisation_subject
from app.domain.forms import schema
from app.domain.forms.certificate_request import CERT_REQUEST
from app.domain.forms.schema import Situation
from app.domain.inputs import parse_id
from app.domain.products import PRODUCTS, USAGES, StructureFacts, structure_decision, usages_for
from app.domain.refusals import Refusal
from app.models import Filing, IssuedCertificate, Person, Structure
from app.models.base import utcnow
from app.operations import domains, rights
from app.operations.certificates import CertificateOrder, contacts_from_f413, order_certificates
from app.signing.csr import load_csr
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("certificate_request", __name__, url_prefix="/certificats")
FAMILY_HINTS = {"ORG": "Personne morale : authentification, signature (DMP, INSi, Pro Santé Connect, MSSanté…)",
                "SERV": "Serveur : SSL/TLS (opérateurs)"}
DETAILS = CERT_REQUEST.step("details")


def _choices(args) -> dict:
    """The choices made so far (from the query or the form), each checked against the actor's habilitations."""
    scopes = rights.administered(get_session(), g.actor)
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


def _situation(chosen: dict, scopes: dict, *, needs_attestation: bool = False) -> Situation:
    """What the wizard offers at this point: the families, structures and usages the habilitations allow, then
    the fields the chosen product needs."""
    family, choices, hints = chosen["famille"], {}, {}
    choices["famille"] = [(f, f, FAMILY_HINTS.get(f, "")) for f in sorted({f for fs in scopes.values() for f in fs})]
    if family and not chosen["structure"]:
        query = select(Structure).where(Structure.id.in_([s for s, f in scopes.items() if family in f]))
        if text := request.args.get("q", "").strip():
            query = query.where(Structure.name.ilike(f"%{text}%") | (Structure.finess == text)
                                | (Structure.siret == text))
        choices["structure"] = [(str(s.id), s.name, s.national_id)
                                for s in get_session().exec(query.order_by(Structure.name).limit(50))]
    if family:
        choices["usage"] = usages_for(family)
    flags = {family} if family else set()
    if chosen["usage"]:
        product = PRODUCTS[(family, chosen["usage"])]
        flags |= {f"csr_{p}" for p in product.profiles}
        flags |= {"insi"} if chosen["usage"] == "INSI" else {"nom_libre"} if family == "ORG" else set()
        flags |= {"attestation"} if needs_attestation else set()
        if family == "SERV":
            declared = domains.declared(get_session(), chosen["structure"])
            hints["dns_names"] = ("Séparés par des espaces ; le premier devient le nom du certificat. Seuls les noms "
                                  "situés dans les domaines déclarés par la structure sont acceptés" + (
                                      " : " + ", ".join(declared) if declared else
                                      " (aucun domaine déclaré : déposez un F413 ou un F503 famille SERV)") + ".")
    return Situation(frozenset(flags), choices, hints)


def _context(chosen: dict, **extra) -> dict:
    scopes = rights.administered(get_session(), g.actor)
    index = bool(chosen["famille"]) + bool(chosen["structure"]) + bool(chosen["usage"])
    context = dict(spec=CERT_REQUEST, step=CERT_REQUEST.steps[index], chosen=chosen, usage_labels=USAGES,
                   errors={}, many=len(scopes) > 8)
    needs_attestation = False
    if chosen["usage"]:
        product = PRODUCTS[(chosen["famille"], chosen["usage"])]
        structure, previous = chosen["structure"], chosen["renouvellement"]
        decision = structure_decision(StructureFacts(structure.kind, structure.public, structure.dialysis),
                                      renewal=previous is not None, attestation=True, today=utcnow().date())
        needs_attestation = bool(decision.rule and decision.rule.needs_attestation)
        me = get_session().get(Person, g.actor.person_id)
        declared, generic = contacts_from_f413(get_session(), structure, g.actor.national_id)
        context.update(product=product, decision=decision, openssl=_openssl(product, structure), values={
            "service_name": previous.common_name if previous else "",
            "insi_name": previous.common_name if previous and chosen["usage"] == "INSI" else "INSI-AUTO",
            "dns_names": " ".join(previous.dns_names) if previous else "",
            "email": (previous.contact_emails[0] if previous and previous.contact_emails
                      else declared or (me.email if me else "")),
            "copy_email": (previous.contact_emails[1] if previous and len(previous.contact_emails) > 1
                           else generic)})
    situation = _situation(chosen, scopes, needs_attestation=needs_attestation)
    if not chosen["usage"]:  # a choice step: the first choice ready, as on paper
        name = context["step"].name
        context["values"] = {name: next(iter(situation.choices_of(context["step"].fields[0])), ("",))[0]}
    context.update(situation=situation)
    context.update(extra)
    context["labels"] = schema.labels(DETAILS, {}, situation)
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
        commands[f"csr_{profile}"] = (f"openssl req -new -newkey rsa:2048 -nodes -keyout {stem}.key -out {stem}.csr "
                                      f"-subj {shlex.quote(subj)}{extra}")
    return commands


@bp.get("/demande")
@requires("certificate.order")
def start():
    return render("certificates/request.html", **_context(_choices(request.args)))


def _csr_message(data: bytes) -> tuple[str, bool]:
    try:
        checked = load_csr(data)
    except CertificateRequestError as exc:
        return str(exc), False
    return f"CSR lisible : clé {checked.key_description}" + (
        f", noms DNS {', '.join(checked.requested_dns)}" if checked.requested_dns else "") + ".", True


@bp.post("/demande/verifier-csr")
@requires("certificate.order")
def check_csr():
    """The immediate check of an uploaded (or pasted) CSR: key type and size, or the problem in French."""
    name = request.form.get("_champ", "csr_ORG_AUTH_CLI")
    on_refusal(lambda refusal: render("certificates/_csr_check.html", name=name, message=str(refusal), ok=False,
                                      block="check"))
    message, ok = _csr_message(_csr_bytes(name))
    if not ok:
        raise Refusal(message, field=name)
    return render("certificates/_csr_check.html", name=name, message=message, ok=ok, block="check")


@bp.post("/demande/champ")
@requires("certificate.order")
def field():
    """Inline check of one detail as the administrator leaves it (nothing is saved: issuance is immediate)."""
    spec_field = next((f for f in DETAILS.fields if f.name == request.form.get("_name", "")), None)
    if spec_field is None or request.form.get("_step") != DETAILS.name:
        abort(400)
    value = schema.clean(spec_field, request.form.get(spec_field.name, ""))

    def field_block(error: str | None):
        return render("components/_field.html", spec_field=spec_field, name=spec_field.name, value=value,
                      error=error, check_url=url_for("certificate_request.field"), step=DETAILS, block="field")

    on_refusal(lambda refusal: field_block(str(refusal)))
    error = schema.check(spec_field, value)
    if error is None and spec_field.kind == "csr" and value:
        message, ok = _csr_message(value.encode())
        error = None if ok else message
    if error:
        raise Refusal(error, field=spec_field.name)
    return field_block(None)


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
    shown = _context(chosen)["situation"]
    typed = schema.read(DETAILS, form, shown)
    errors = schema.step_errors(DETAILS, typed, shown)
    for profile in product.profiles:  # a file dropped stands for the pasted text
        if errors.get(f"csr_{profile}") and request.files.get(f"csr_{profile}_fichier"):
            errors.pop(f"csr_{profile}")
    service_name = typed.get("insi_name", "") if chosen["usage"] == "INSI" else typed.get("service_name", "")
    order = CertificateOrder(
        family=chosen["famille"], usage=chosen["usage"], structure_id=chosen["structure"].id,
        service_name=service_name, dns_names=(typed.get("dns_names") or "").replace(",", " ").split(),
        email=typed.get("email", ""), copy_email=typed.get("copy_email", ""),
        csrs={p: _csr_bytes(f"csr_{p}") for p in product.profiles}, attestation=bool(typed.get("attestation")),
        renewal_of=chosen["renouvellement"].id if chosen["renouvellement"] else None)

    def shown_again(refusal):
        field_name = "insi_name" if refusal.field == "service_name" and chosen["usage"] == "INSI" else refusal.field
        values = {k: form.get(k, "") for k in ("service_name", "dns_names", "email", "copy_email", "insi_name",
                                               *(f"csr_{p}" for p in product.profiles))}
        values["attestation"] = bool(form.get("attestation"))
        return render("certificates/request.html",
                      **_context(chosen, values=values, errors=errors or {field_name: str(refusal)}))

    on_refusal(shown_again)
    if errors:
        raise Refusal(errors=errors)
    filing, issued = order_certificates(get_session(), current_app.extensions["hsm"], order,
                                        person_id=g.actor.person_id, actor=g.actor.national_id,
                                        auth_method=g.actor.auth_method,
                                        base_url=current_app.config["SETTINGS"].portal_base_url)
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
