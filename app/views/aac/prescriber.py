"""The prescriber: the request wizard (autosaved), sending it to the PUI, renewal."""

from __future__ import annotations

from flask import flash, g, request, url_for
from sqlmodel import select

from app.db import get_session, keep, refuse
from app.domain.casefiles import InvalidTransition
from app.models import ReferentialMedicine
from app.models.base import utcnow
from app.operations import aac
from app.operations.casefiles import Refused
from app.web.rendering import render, success
from app.web.security import requires

from . import bp
from .shared import LoadedRequest, link, page, request_target


@bp.post("/acces-compassionnel/nouvelle")
@requires("aac.file")
def start():
    code = request.form.get("code", "")
    filing = aac.open_request(get_session(), prescriber_id=g.actor.person_id, actor=g.actor.national_id, code=code)
    return success(url_for("aac.step", filing_id=filing.id, step="patient"))


def _step_data(step: str, form) -> dict:
    keys = {"patient": ("cadre", "initiale_nom", "initiale_prenom", "sexe", "mois_naissance", "annee_naissance",
                        "poids"),
            "medicament": ("code", "nom", "dci", "forme", "dosage", "laboratoire", "sans_amm", "indication",
                           "indication_libre"),
            "prescription": ("posologie", "duree", "essais", "justification", "differable", "donnees_cliniques",
                             "poursuite_utile"),
            "engagement": ("fonction", "information", "pharmacien")}[step]
    data = {k: form.get(k, "").strip() for k in keys}
    if step == "prescription":
        data["criteres"] = form.getlist("criteres")
    return data


@bp.route("/acces-compassionnel/<int:filing_id>/<any(patient, medicament, prescription, engagement):step>",
          methods=["GET", "POST"])
@requires("aac.edit", target=request_target)
def step(filing_id: int, step: str, target: LoadedRequest):
    filing, db = target.filing, get_session()
    if filing.state not in ("brouillon", "retournee"):
        return success(url_for("aac.show", filing_id=filing_id))
    names = [name for name, _ in aac.STEPS]
    data, errors, status = filing.payload.get(step) or {}, {}, 200
    if request.method == "POST":
        typed = _step_data(step, request.form)
        errors = aac.step_errors(db, step, typed, today=utcnow().date(), activity_ids=g.actor.activity_structure_ids,
                                 renewal=filing.payload.get("renouvellement_de") is not None)
        aac.save_step(db, filing, step, typed)  # the draft keeps what was typed, but never a patient's name
        keep()
        data = filing.payload[step]
        if not errors:
            index = names.index(step)
            back = request.form.get("_precedent") and index > 0
            following = names[index - 1] if back else (names[index + 1] if index + 1 < len(names) else None)
            return success(url_for("aac.step", filing_id=filing_id, step=following) if following
                           else url_for("aac.show", filing_id=filing_id))
        status = 422
    medicine = aac.product(db, (filing.payload.get("medicament") or {}).get("code", ""))
    indication = aac.indication_of(medicine, (filing.payload.get("medicament") or {}).get("indication", ""))
    products = db.exec(select(ReferentialMedicine).where(ReferentialMedicine.status == "AAC")
                       .order_by(ReferentialMedicine.name)).all()
    return render("aac/step.html", filing=filing, step=step, steps=aac.STEPS, data=data, errors=errors,
                  status=status, medicine=medicine, indication=indication, today=utcnow().date(),
                  products=[p for p in products if p.open_to_aac(utcnow().date())],
                  pharmacists=aac.pharmacists(db, g.actor.activity_structure_ids))


@bp.post("/acces-compassionnel/<int:filing_id>/<any(patient, medicament, prescription, engagement):step>/brouillon")
@requires("aac.edit", target=request_target)
def autosave(filing_id: int, step: str, target: LoadedRequest):
    """htmx, on each change: the step as typed goes into the draft (checks come with « Enregistrer »)."""
    filing, db = target.filing, get_session()
    if filing.state not in aac.EDITABLE:
        return "", 409
    aac.save_step(db, filing, step, _step_data(step, request.form))
    return "", 204


@bp.post("/acces-compassionnel/<int:filing_id>/renouveler")
@requires("aac.edit", target=request_target)
def renew(filing_id: int, target: LoadedRequest):
    db = get_session()
    try:
        filing = aac.renew(db, target.filing, actor=g.actor.national_id, today=utcnow().date())
    except InvalidTransition as exc:
        refuse()
        return page(target, status=422, error=str(exc))
    flash("Renouvellement pré-rempli : complétez les données cliniques de la période écoulée.", "success")
    return success(url_for("aac.step", filing_id=filing.id, step="prescription"))


@bp.post("/acces-compassionnel/<int:filing_id>/envoyer")
@requires("aac.edit", target=request_target)
def submit(filing_id: int, target: LoadedRequest):
    db = get_session()
    try:
        aac.submit(db, target.filing, actor=g.actor.national_id, auth_method=g.actor.auth_method,
                   activity_ids=g.actor.activity_structure_ids, today=utcnow().date(), link=link(filing_id))
    except (Refused, InvalidTransition) as exc:
        refuse(target.filing)
        return page(target, status=422, error="La demande est incomplète : complétez les étapes signalées."
                     if isinstance(exc, Refused) else str(exc))
    flash(f"Demande {target.filing.reference} envoyée à la PUI.", "success")
    return success(url_for("aac.show", filing_id=filing_id))

