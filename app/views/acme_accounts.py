"""« Comptes ACME » : a SERV technical administrator makes the External Account Binding credentials an ACME client
(certbot, lego…) registers with; the HMAC key is shown once, then lives only in the HSM."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session
from app.domain.inputs import parse_id, parse_int
from app.models import AcmeAccount, EabCredential, Person, Structure
from app.models.base import utcnow
from app.operations import domain_control, domains, eab
from app.web.administered import administered_structures, shown_once
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("acme_accounts", __name__, url_prefix="/certificats/acme")


def _page(status: int = 200, **extra):
    db = get_session()
    credentials = db.exec(select(EabCredential).where(EabCredential.person_id == g.actor.person_id)
                          .order_by(EabCredential.id.desc())).all()
    structures = administered_structures(eab.FAMILY)
    bound = {a.eab_credential_id: a for a in db.exec(select(AcmeAccount).where(
        AcmeAccount.eab_credential_id.in_([c.id for c in credentials])))}
    directory = current_app.config["SETTINGS"].portal_base_url.rstrip("/") + url_for("acme.directory")
    contact = db.get(Person, g.actor.person_id).email or ""
    return shown_once(render("certificates/acme.html", credentials=credentials, structures=structures, bound=bound,
                             directory=directory, contact=contact, validity=eab.VALIDITY_DAYS, now=utcnow(),
                             status=status,
                             **({"shown": None, "error": None, "error_field": None, "values": {}} | extra)))


@bp.get("")
@requires("certificate.order")
def index():
    return _page()


@bp.post("")
@requires("certificate.order")
def create():
    db, form = get_session(), request.form
    structure_ids = [i for v in form.getlist("structures") if (i := parse_id(v)) is not None]
    days = parse_int(form.get("jours", ""), high=1000) or 0
    on_refusal(lambda refusal: _page(error=str(refusal), error_field=refusal.field, values={"nom": form.get("nom", ""),
                                                                  "structures": structure_ids}))
    credential, shown = eab.create(db, current_app.extensions["hsm"], db.get(Person, g.actor.person_id),
                                   name=form.get("nom", ""), structure_ids=structure_ids, days=days)
    structure = db.get(Structure, credential.structure_ids[0])
    declared = domains.declared(db, structure)
    proven = [d for d in declared if domain_control.covers(db, structure, f"serveur.{d}")]
    # the command shown works as pasted when a domain is proven: the name needs no challenge
    return _page(shown=shown, created=credential,
                 example_domain=(proven or declared or ["exemple.fr"])[0])


def credential_target(credential_id: int) -> EabCredential:
    credential = get_session().get(EabCredential, credential_id)
    if credential is None:
        abort(404)
    return credential


@bp.post("/<int:credential_id>/revoquer")
@requires("eab.revoke", target=credential_target)
def revoke(credential_id: int, target: EabCredential):
    eab.revoke(get_session(), current_app.extensions["hsm"], target, actor=g.actor.national_id)
    flash(f"Compte ACME « {target.name} » révoqué : il ne lie plus aucun client.", "success")
    return success(url_for("acme_accounts.index"))
