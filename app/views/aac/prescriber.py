"""The prescriber: the request wizard (autosaved), sending it to the PUI, renewal."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from app.db import get_session, keep
from app.domain.forms import schema
from app.domain.forms.aac_request import AAC_REQUEST
from app.domain.refusals import Refusal
from app.models.base import utcnow
from app.operations import aac, aac_wizard
from app.operations.casefiles import Refused, delete_draft
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

from .blueprint import bp
from .shared import LoadedRequest, act, link, page, request_target


@bp.post("/acces-compassionnel/nouvelle")
@requires("aac.file")
def start():
    code = request.form.get("code", "")
    filing = aac.open_request(get_session(), prescriber_id=g.actor.person_id, actor=g.actor.national_id, code=code)
    return success(url_for("aac.step", filing_id=filing.id, step="patient"))


STEP_NAMES = "patient, medicament, prescription, engagement"


def _situation(filing, step: str, payload: dict | None = None):
    return aac_wizard.situation(get_session(), filing.payload if payload is None else payload, step,
                                today=utcnow().date(), activity_ids=g.actor.activity_structure_ids)


@bp.route(f"/acces-compassionnel/<int:filing_id>/<any({STEP_NAMES}):step>", methods=["GET", "POST"])
@requires("aac.edit", target=request_target)
def step(filing_id: int, step: str, target: LoadedRequest):
    filing, db = target.filing, get_session()
    if filing.state not in aac.EDITABLE:
        return success(url_for("aac.show", filing_id=filing_id))
    current = AAC_REQUEST.step(step)
    data = filing.payload.get(step) or {}

    def step_page(errors: dict):
        seen = _situation(filing, step)
        return render("aac/step.html", filing=filing, spec=AAC_REQUEST, step=current, data=data, errors=errors,
                      labels=schema.labels(current, data, seen), situation=seen)

    on_refusal(lambda refusal: step_page(refusal.errors))
    if request.method == "POST":
        typed = schema.read(current, request.form, _situation(filing, step))
        errors = aac_wizard.step_errors(db, step, typed, filing.payload, today=utcnow().date(),
                                        activity_ids=g.actor.activity_structure_ids)
        # A medicine just chosen: its indications show now, to be chosen; no error for what was not yet offered.
        # (the page says whose indications it showed: an inline check may have saved the new code already)
        new_medicine = (step == "medicament" and bool(typed.get("code")) and "indication" not in request.form
                        and typed.get("code") != request.form.get("_indications_de", ""))
        aac.save_step(db, filing, step, typed)  # the draft keeps what was typed, but never a patient's name
        keep()
        data = filing.payload[step]
        if new_medicine and not errors.get("code") and not request.form.get("_precedent"):
            seen = _situation(filing, step)
            return render("aac/step.html", filing=filing, spec=AAC_REQUEST, step=current, data=data, errors={},
                          labels={}, situation=seen, chosen_medicine=True)
        back = AAC_REQUEST.neighbour(step, back=True) if request.form.get("_precedent") else None
        if back:  # going back never waits for the step to be valid
            return success(url_for("aac.step", filing_id=filing_id, step=back))
        if errors:
            raise Refusal(errors=errors)
        following = AAC_REQUEST.neighbour(step, back=False)
        return success(url_for("aac.step", filing_id=filing_id, step=following) if following
                       else url_for("aac.show", filing_id=filing_id))
    return step_page({})


@bp.post("/acces-compassionnel/<int:filing_id>/champ")
@requires("aac.edit", target=request_target)
def field(filing_id: int, target: LoadedRequest):
    """Inline check of one field as the prescriber leaves it, saving it in the draft on the way (autosave); the
    request's own rules speak for the field (« seules les initiales… »)."""
    filing, db = target.filing, get_session()
    try:
        current = AAC_REQUEST.step(request.form.get("_step", ""))
    except KeyError:
        abort(400)
    seen = _situation(filing, current.name)
    spec_field = schema.field_named(current, request.form.get("_name", ""), seen)
    if spec_field is None:
        abort(400)
    if filing.state not in aac.EDITABLE:
        abort(409)
    posted = schema.read(current, request.form, seen)
    typed = {**(filing.payload.get(current.name) or {}), spec_field.name: posted[spec_field.name]}
    error = aac_wizard.step_errors(db, current.name, typed, filing.payload, today=utcnow().date(),
                                   activity_ids=g.actor.activity_structure_ids).get(spec_field.name)
    aac.save_step(db, filing, current.name, typed)
    keep()

    def field_block(error: str | None):
        return render("components/_field.html", spec_field=spec_field, name=spec_field.name,
                      value=filing.payload[current.name].get(spec_field.name), error=error,
                      check_url=url_for("aac.field", filing_id=filing_id), step=current, situation=seen,
                      block="field")

    on_refusal(lambda refusal: field_block(str(refusal)))
    if error:
        raise Refusal(error, field=spec_field.name)
    return field_block(None)


@bp.post("/acces-compassionnel/<int:filing_id>/renouveler")
@requires("aac.edit", target=request_target)
def renew(filing_id: int, target: LoadedRequest):
    on_refusal(lambda refusal: page(target, error=str(refusal)))
    filing = aac.renew(get_session(), target.filing, actor=g.actor.national_id, today=utcnow().date())
    if filing.form == "CPC":
        flash("Ce médicament relève désormais d’un cadre de prescription compassionnelle (CPC)\u00a0: plus "
              "d’autorisation individuelle. L’inscription du patient dans le CPC reprend sa demande\u00a0; "
              "vérifiez-la.", "info")
        return success(url_for("follow_up.step", form_id=filing.id, step="patient"))
    flash("Renouvellement pré-rempli (dont le dernier suivi)\u00a0: complétez les données cliniques de la période "
          "écoulée.", "success")
    return success(url_for("aac.step", filing_id=filing.id, step="prescription"))


@bp.post("/acces-compassionnel/<int:filing_id>/envoyer")
@requires("aac.edit", target=request_target)
def submit(filing_id: int, target: LoadedRequest):
    on_refusal(lambda refusal: page(target, error="La demande est incomplète : complétez les étapes signalées."
                                    if isinstance(refusal, Refused) else str(refusal)), target.filing)
    aac.submit(get_session(), target.filing, actor=g.actor.national_id, auth_method=g.actor.auth_method,
               activity_ids=g.actor.activity_structure_ids, today=utcnow().date(), link=link(filing_id))
    flash(f"Demande {target.filing.reference} envoyée à la PUI.", "success")
    return success(url_for("aac.show", filing_id=filing_id))



@bp.post("/acces-compassionnel/<int:filing_id>/prescripteur/<verb>")
@requires("aac.edit", target=request_target)
def prescriber_act(filing_id: int, verb: str, target: LoadedRequest):
    """The prescriber answers the agency's complement request (the PUI pharmacist may too)."""
    if verb != "repondre_prescripteur":
        abort(404)
    return act(target, verb)


@bp.post("/acces-compassionnel/<int:filing_id>/supprimer")
@requires("aac.edit", target=request_target)
def delete(filing_id: int, target: LoadedRequest):
    on_refusal(lambda refusal: page(target, error=str(refusal)))
    delete_draft(get_session(), target.filing, actor=g.actor.national_id)
    flash("Brouillon de demande supprimé.", "success")
    return success(url_for("aac.index"))
