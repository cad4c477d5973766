"""After the decision: a patient's file, the PUT-SP's forms and adverse-effect declarations filled through one
wizard (every form is a specification, none has a page of its own), late follow-ups, CPC registrations, and the
declarations a CRPV, a laboratory or the agency reads."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, g, request, send_file, url_for
from sqlmodel import select

from app import metrics
from app.db import after_commit, get_session, keep
from app.domain.follow_up import CPC_STATES, FOLLOW_UP_STATES
from app.domain.forms import schema
from app.domain.forms.follow_up import BY_CODE
from app.domain.permissions import can
from app.domain.protocol import REGION_NAMES
from app.domain.refusals import Refusal
from app.models import Filing, FilingDocument, Person, ReferentialMedicine, Structure
from app.models.base import utcnow
from app.operations import aac_wizard, follow_up
from app.operations.follow_up import FollowUpForm, PatientFile
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("follow_up", __name__)
LABELS = {"INIT": "Fiche d’initiation", "SUIVI": "Fiche de suivi", "FIN": "Fiche de fin de traitement",
          "EI": "Déclarer un effet indésirable"}


def patient_target(file_id: int, **_ignored) -> PatientFile:
    db = get_session()
    found = follow_up.patient_file(db, db.get(Filing, file_id, with_for_update=request.method == "POST"))
    if found is None:
        abort(404)
    return found


def form_target(form_id: int, **_ignored) -> FollowUpForm:
    db = get_session()
    form = db.get(Filing, form_id, with_for_update=request.method == "POST")
    if form is None or form.form not in BY_CODE:
        abort(404)
    if form.form == "CPC":  # a registration is its own patient file
        medicine = aac_wizard.product(db, (form.payload.get("conditions") or {}).get("code", ""))
        return FollowUpForm(form, PatientFile(form, medicine, follow_up.protocol_of(medicine)))
    parent = follow_up.patient_file(db, db.get(Filing, form.parent_id)) if form.parent_id else None
    if parent is None:
        abort(404)
    return FollowUpForm(form, parent)


@bp.get("/suivi/<int:file_id>")
@requires("follow_up.view", target=patient_target)
def show(file_id: int, target: PatientFile):
    """The patient's file: who, what medicine, the decision, the forms filled and due, the declarations."""
    return _file_page(target)


def _file_page(target: PatientFile, error: str | None = None):
    db = get_session()
    forms = follow_up.forms_on(db, target.filing)
    visible = [f for f in forms if f.state != "brouillon" or f.filer_id == g.actor.person_id]
    fills, declares = can(g.actor, "follow_up.fill", target), can(g.actor, "follow_up.declare", target)
    offered = [code for code in follow_up.offered(target, forms)
               if (declares if code == "EI" else fills)]
    receipts = {d.filing_id for d in db.exec(select(FilingDocument).where(
        FilingDocument.filing_id.in_([f.id for f in visible] or [0]), FilingDocument.kind == "accuse"))}
    people = {p.id: p for p in db.exec(select(Person).where(Person.id.in_({f.filer_id for f in visible} or {0})))}
    return render("follow_up/show.html", file=target, forms=visible, offered=offered, labels=LABELS,
                  titles={code: spec.title for code, spec in BY_CODE.items()},
                  first={code: spec.steps[0].name for code, spec in BY_CODE.items()}, states=FOLLOW_UP_STATES,
                  cpc_states=CPC_STATES, receipts=receipts, people=people, today=utcnow().date(),
                  patient=follow_up.patient_block(target), prescriber=db.get(Person, target.filer_id),
                  structure=db.get(Structure, target.structure_id) if target.structure_id else None, error=error)


@bp.post("/suivi/<int:file_id>/fiche/<code>")
@requires("follow_up.view", target=patient_target)
def open_form(file_id: int, code: str, target: PatientFile):
    if code not in LABELS:
        abort(404)
    if not can(g.actor, "follow_up.declare" if code == "EI" else "follow_up.fill", target):
        abort(403)
    on_refusal(lambda refusal: _file_page(target, error=str(refusal)), target.filing)
    draft = follow_up.open_form(get_session(), target, code, person_id=g.actor.person_id,
                                actor=g.actor.national_id)
    return success(url_for("follow_up.step", form_id=draft.id, step=BY_CODE[code].steps[0].name))


@bp.post("/cpc/inscrire")
@requires("cpc.register")
def register():
    """From a CPC's page in the référentiel (or « Accès compassionnel »): a registration, at its first step."""
    code = request.form.get("code", "")[:20]
    places = g.actor.activity_structure_ids
    draft = follow_up.open_registration(get_session(), prescriber_id=g.actor.person_id, actor=g.actor.national_id,
                                        code=code, establishment=next(iter(places)) if len(places) == 1 else None)
    return success(url_for("follow_up.step", form_id=draft.id, step="patient"))


@bp.route("/suivi/fiche/<int:form_id>/<step>", methods=["GET", "POST"])
@requires("follow_up.edit", target=form_target)
def step(form_id: int, step: str, target: FollowUpForm):
    """The one wizard of every form after the decision: each step kept as typed; the last one transmits."""
    db, draft, today = get_session(), target.form, utcnow().date()
    spec = BY_CODE[draft.form]
    try:
        current = spec.step(step)
    except KeyError:
        abort(404)
    file = target.patient if draft.form != "CPC" else None
    data = draft.payload.get(step) or {}
    places = g.actor.activity_structure_ids

    def page(errors: dict):
        seen = follow_up.situation(db, draft.form, draft.payload, step, today=today, activity_ids=places)
        return render("follow_up/step.html", draft=draft, spec=spec, step=current, data=draft.payload.get(step) or {},
                      errors=errors, labels=schema.labels(current, data, seen), situation=seen, file=file,
                      patient=follow_up.patient_block(file) if file else [],
                      last=spec.neighbour(step, back=False) is None)

    on_refusal(lambda refusal: page(refusal.errors or {"_": str(refusal)}))
    if request.method == "GET":
        return page({})
    typed = schema.read(current, request.form, follow_up.situation(db, draft.form, {**draft.payload, step: {
        **data, "code": request.form.get("code", data.get("code", ""))}}, step, today=today, activity_ids=places))
    errors = follow_up.step_errors(db, draft, step, typed, file=file, today=today, activity_ids=places)
    follow_up.save_step(db, draft, step, typed)
    keep()
    if request.form.get("_precedent") and (back := spec.neighbour(step, back=True)):
        return success(url_for("follow_up.step", form_id=form_id, step=back))
    if errors:
        raise Refusal(errors=errors)
    following = spec.neighbour(step, back=False)
    if following:
        return success(url_for("follow_up.step", form_id=form_id, step=following))
    return _transmit(target, file, first=spec.steps[0].name)


def _transmit(target: FollowUpForm, file: PatientFile | None, *, first: str):
    db, draft = get_session(), target.form
    settings = current_app.config["SETTINGS"]

    def refused(refusal):
        errors = refusal.errors
        if errors and isinstance(next(iter(errors.values())), dict):  # another step is incomplete: go there
            name = next(iter(errors))
            flash("La fiche est incomplète\u00a0: corrigez l’étape signalée.", "error")
            return success(url_for("follow_up.step", form_id=draft.id, step=name))
        raise refusal

    try:
        follow_up.transmit(db, draft, file=file, actor=g.actor.national_id, auth_method=g.actor.auth_method,
                           keystore=current_app.extensions["hsm"], base_url=settings.portal_base_url,
                           today=utcnow().date(), activity_ids=g.actor.activity_structure_ids)
    except follow_up.Refused as refusal:
        return refused(refusal)
    outcome = (draft.payload.get("effet") or {}).get("gravite") or draft.state
    after_commit(lambda: metrics.AFTER_DECISION.labels(draft.form, outcome).inc())
    if draft.form == "CPC":
        flash(f"Patient inscrit dans le CPC ({draft.reference})\u00a0: remplissez la fiche d’initiation à la première "
              "dispensation.", "success")
        return success(url_for("follow_up.show", file_id=draft.id))
    flash(f"{BY_CODE[draft.form].title} transmise ({draft.reference}).", "success")
    return success(url_for("follow_up.show", file_id=target.patient.filing.id))


@bp.get("/suivi/fiche/<int:form_id>")
@requires("follow_up.read", target=form_target)
def form(form_id: int, target: FollowUpForm):
    db = get_session()
    receipt = db.exec(select(FilingDocument.id).where(FilingDocument.filing_id == form_id,
                                                      FilingDocument.kind == "accuse")).first()
    return render("follow_up/form.html", target=target, spec=BY_CODE[target.form.form], receipt=receipt,
                  states=FOLLOW_UP_STATES, regions=REGION_NAMES,
                  patient=follow_up.patient_block(target.patient), declarant=db.get(Person, target.form.filer_id),
                  follows=can(g.actor, "follow_up.view", target.patient))


@bp.get("/suivi/fiche/<int:form_id>/accuse.pdf")
@requires("follow_up.read", target=form_target)
def receipt(form_id: int, target: FollowUpForm):
    document = get_session().exec(select(FilingDocument).where(FilingDocument.filing_id == form_id,
                                                               FilingDocument.kind == "accuse")).first()
    if document is None:
        abort(404)
    return send_file(BytesIO(document.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"accuse-{target.form.reference}.pdf")


@bp.get("/suivi/en-retard")
@requires("follow_up.late")
def late():
    """« Suivi en retard »: the patient files whose next form was due before today (own, or the PUI's)."""
    db = get_session()
    rows = follow_up.late_files(db, g.actor)
    codes = {(f.payload.get("medicament") or {}).get("code", "") for f in rows}
    names = dict(db.exec(select(ReferentialMedicine.code, ReferentialMedicine.name)
                         .where(ReferentialMedicine.code.in_(codes or {""}))).all())
    return render("follow_up/late.html", rows=rows, names=names, today=utcnow().date())


@bp.get("/vigilance/")
@requires("vigilance.read")
def vigilance():
    """Adverse-effect declarations: a CRPV its region's, a laboratory those the protocol sends it, the agency
    every one (serious ones first)."""
    db, actor = get_session(), g.actor
    query = select(Filing).where(Filing.form == "EI", Filing.state == "transmise")
    if "ansm_evaluator" not in actor.agency_roles:
        products = db.exec(select(ReferentialMedicine.code).where(
            ReferentialMedicine.laboratory.in_(sorted(actor.laboratories) or [""]))).all()
        region = (Filing.payload["region"].as_string().in_(sorted(actor.crpv_regions) or [""])
                  & (Filing.payload["destinataire"].as_string() == "crpv"))
        to_lab = ((Filing.payload["destinataire"].as_string() == "laboratoire")
                  & Filing.payload["produit"].as_string().in_(list(products) or [""]))
        query = query.where(region | to_lab)
    rows = db.exec(query.order_by(Filing.id.desc()).limit(200)).all()
    rows.sort(key=lambda f: (f.payload.get("effet") or {}).get("gravite") != "grave")
    codes = {f.payload.get("produit", "") for f in rows}
    names = dict(db.exec(select(ReferentialMedicine.code, ReferentialMedicine.name)
                         .where(ReferentialMedicine.code.in_(codes or {""}))).all())
    return render("follow_up/vigilance.html", rows=rows, regions=REGION_NAMES, names=names,
                  own_regions=sorted(REGION_NAMES.get(r, r) for r in actor.crpv_regions))
