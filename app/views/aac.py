"""Compassionate access: the prescriber's wizard and history, the PUI pharmacist's inbox, the evaluator's
queue and decisions, and the public verification of a sealed decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, g, request, send_file, stream_with_context, url_for
from sqlmodel import select

from app.db import get_session, keep, refuse
from app.domain import aac as rules
from app.domain.casefiles import InvalidTransition, conflict, involvement_of
from app.domain.inputs import parse_id, parse_int
from app.domain.permissions import AAC_BEFORE_AGENCY, can
from app.extensions import limiter
from app.models import Filing, FilingDocument, Person, ReferentialMedicine, Structure
from app.models.base import utcnow
from app.operations import aac
from app.operations.casefiles import Refused, history, involvement
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("aac", __name__)
PAGE = 20


@dataclass(frozen=True)
class LoadedRequest:
    filing: Filing
    laboratory: str = ""  # the referenced product's laboratory, for the laboratory role

    @property
    def filer_id(self) -> int:
        return self.filing.filer_id

    @property
    def structure_id(self) -> int | None:
        return self.filing.structure_id


def request_target(filing_id: int, **_ignored) -> LoadedRequest:
    filing = get_session().get(Filing, filing_id, with_for_update=request.method == "POST")
    if filing is None or filing.form != "AAC":
        abort(404)
    medicine = aac.product(get_session(), (filing.payload.get("medicament") or {}).get("code", ""))
    return LoadedRequest(filing, medicine.laboratory if medicine else "")


def _link(filing_id: int) -> str:
    return current_app.config["SETTINGS"].portal_base_url + url_for("aac.show", filing_id=filing_id)


@bp.get("/acces-compassionnel/")
@requires("dashboard.view")
def index():
    """The user's requests (prescriber) or their PUI's (pharmacist), newest first, keyset pages."""
    actor, db = g.actor, get_session()
    query = select(Filing).where(Filing.form == "AAC")
    if actor.is_hospital_pharmacist and request.args.get("vue") != "moi":
        query = query.where(Filing.structure_id.in_(list(actor.pui_structure_ids)), Filing.state != "brouillon")
    else:
        query = query.where(Filing.filer_id == actor.person_id)
    args = request.args
    if args.get("etat") in rules.AAC_STATES:
        query = query.where(Filing.state == args["etat"])
    if args.get("medicament"):
        query = query.where(Filing.payload["medicament"]["code"].as_string() == args["medicament"][:20])
    if (structure_id := parse_id(args.get("structure", ""))) is not None:
        query = query.where(Filing.structure_id == structure_id)
    for key, op in (("du", "__ge__"), ("au", "__le__")):
        try:
            day = date.fromisoformat(args.get(key, ""))
        except ValueError:
            continue
        bound = datetime.combine(day, time.max if key == "au" else time.min, tzinfo=UTC)
        query = query.where(getattr(Filing.deposited_at, op)(bound))
    if (before := parse_id(request.args.get("avant", ""))) is not None:
        query = query.where(Filing.id < before)
    rows = db.exec(query.order_by(Filing.id.desc()).limit(PAGE + 1)).all()
    filters = {k: args.get(k, "") for k in ("etat", "medicament", "structure", "du", "au", "vue")}
    products = db.exec(select(ReferentialMedicine.code, ReferentialMedicine.name)
                       .where(ReferentialMedicine.status == "AAC").order_by(ReferentialMedicine.name)).all()
    return render("aac/index.html", rows=rows[:PAGE], older=rows[PAGE - 1].id if len(rows) > PAGE else None,
                  states=rules.AAC_STATES, etat=filters["etat"], filters=filters, products=products)


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


@bp.get("/acces-compassionnel/<int:filing_id>")
@requires("aac.view", target=request_target)
def show(filing_id: int, target: LoadedRequest):
    return _page(target)


def _page(target: LoadedRequest, status: int = 200, **extra):
    db, filing = get_session(), target.filing
    filing_id = filing.id
    decision = db.exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id,
                                                    FilingDocument.kind == "decision")).first()
    errors = (aac.all_errors(db, filing, today=utcnow().date(), activity_ids=g.actor.activity_structure_ids)
              if filing.state in ("brouillon", "retournee") and filing.filer_id == g.actor.person_id else {})
    medicine = aac.product(db, (filing.payload.get("medicament") or {}).get("code", ""))
    pui = db.get(Structure, filing.structure_id) if filing.structure_id else None
    role = ("evaluateur" if "ansm_evaluator" in g.actor.agency_roles else
            "pharmacien" if filing.structure_id in g.actor.pui_structure_ids else
            "laboratoire" if target.laboratory in g.actor.laboratories else "prescripteur")
    by = {"evaluateur": rules.EVALUATOR, "pharmacien": rules.PHARMACIST, "prescripteur": rules.PRESCRIBER,
          "laboratoire": rules.LABORATORY}[role]
    blocked = conflict(g.actor, involvement(db, filing)) if by in rules.AAC_MACHINE.deciders else None
    return render("aac/show.html", filing=filing, states=rules.AAC_STATES, decision=decision, errors=errors,
                  medicine=medicine, pui=pui, role=role, events=history(db, filing_id), steps=aac.STEPS,
                  actions=[] if blocked else rules.AAC_MACHINE.available(filing.state, by), blocked=blocked,
                  reasons=rules.REFUSAL_REASONS,
                  prescriber=db.get(Person, filing.filer_id), status=status,
                  can_renew=can(g.actor, "aac.edit", target),
                  **({"error": None, "posted": {}, "posted_verb": ""} | extra))


@bp.post("/acces-compassionnel/<int:filing_id>/renouveler")
@requires("aac.edit", target=request_target)
def renew(filing_id: int, target: LoadedRequest):
    db = get_session()
    try:
        filing = aac.renew(db, target.filing, actor=g.actor.national_id, today=utcnow().date())
    except InvalidTransition as exc:
        refuse()
        return _page(target, status=422, error=str(exc))
    flash("Renouvellement pré-rempli : complétez les données cliniques de la période écoulée.", "success")
    return success(url_for("aac.step", filing_id=filing.id, step="prescription"))


@bp.post("/acces-compassionnel/<int:filing_id>/envoyer")
@requires("aac.edit", target=request_target)
def submit(filing_id: int, target: LoadedRequest):
    db = get_session()
    try:
        aac.submit(db, target.filing, actor=g.actor.national_id, auth_method=g.actor.auth_method,
                   activity_ids=g.actor.activity_structure_ids, today=utcnow().date(), link=_link(filing_id))
    except (Refused, InvalidTransition) as exc:
        refuse(target.filing)
        return _page(target, status=422, error="La demande est incomplète : complétez les étapes signalées."
                     if isinstance(exc, Refused) else str(exc))
    flash(f"Demande {target.filing.reference} envoyée à la PUI.", "success")
    return success(url_for("aac.show", filing_id=filing_id))


def _act(target: LoadedRequest, verb: str):
    db, filing = get_session(), target.filing
    form, settings, today = request.form, current_app.config["SETTINGS"], utcnow().date()
    keystore = current_app.extensions["hsm"]
    try:
        if verb == "transmettre":
            automatic = aac.transmit(db, filing, keystore, actor=g.actor.national_id, auth_method=g.actor.auth_method,
                                     base_url=settings.portal_base_url, today=today)
            message = ("Demande transmise et conforme : autorisation délivrée immédiatement." if automatic
                       else "Demande transmise à l’ANSM pour évaluation.")
        elif verb == "octroyer":
            medicine = aac.product(db, filing.payload["medicament"].get("code", ""))
            aac.grant(db, filing, keystore, actor=g.actor.national_id, by=rules.EVALUATOR, verb="octroyer",
                      agent=g.actor,
                      days=parse_int(form.get("duree", ""), high=100_000) or 0,
                      conditions=form.get("conditions") or (medicine.conditions if medicine else ""),
                      comment=form.get("message", ""), base_url=settings.portal_base_url, today=today)
            message = "Autorisation accordée et scellée."
        elif verb == "refuser":
            aac.refuse(db, filing, keystore, actor=g.actor.national_id, agent=g.actor, reason=form.get("motif", ""),
                       comment=form.get("message", ""), base_url=settings.portal_base_url, today=today)
            message = "Refus notifié et scellé."
        else:
            by = rules.AAC_MACHINE.transitions.get(verb)
            if by is None or by.by not in (rules.PHARMACIST, rules.EVALUATOR):
                abort(404)
            aac.move(db, filing, verb, by.by, actor=g.actor.national_id, agent=g.actor, message=form.get("message", ""),
                      auth_method=g.actor.auth_method)
            message = f"Demande {rules.AAC_STATES[filing.state].lower()}."
    except InvalidTransition as exc:
        refuse(filing)
        return _page(target, status=422, error=str(exc), posted=request.form, posted_verb=verb)
    flash(message, "success")
    return success(url_for("aac.show", filing_id=filing.id))


@bp.post("/acces-compassionnel/<int:filing_id>/pui/<verb>")
@requires("aac.pui", target=request_target)
def pharmacist_act(filing_id: int, verb: str, target: LoadedRequest):
    if verb == "modifier":
        db = get_session()
        try:
            changes = aac.pharmacist_edit(db, target.filing, request.form, actor=g.actor.national_id,
                                          today=utcnow().date())
        except InvalidTransition as exc:
            refuse(target.filing)
            return _page(target, status=422, error=str(exc), posted=request.form, posted_verb=verb)
        flash("Modifications enregistrées ; le prescripteur les voit dans l’historique." if changes
              else "Aucune modification.", "success" if changes else "info")
        return success(url_for("aac.show", filing_id=filing_id))
    if verb not in ("transmettre", "retourner", "repondre"):
        abort(404)
    return _act(target, verb)


@bp.post("/acces-compassionnel/<int:filing_id>/ansm/<verb>")
@requires("aac.evaluate", target=request_target)
def evaluator_act(filing_id: int, verb: str, target: LoadedRequest):
    if verb not in ("evaluer", "demander_complements", "demander_donnees_labo", "octroyer", "refuser", "classer"):
        abort(404)
    return _act(target, verb)


@bp.get("/acces-compassionnel/export.csv")
@requires("aac.menu")
def export():
    """Streamed: the agency gets everything, a pharmacist their PUI's requests, a prescriber their own."""
    from app.operations.aac_export import export_rows

    actor, table = g.actor, Filing.__table__
    if "ansm_evaluator" in actor.agency_roles:
        scope = table.c.state.not_in(AAC_BEFORE_AGENCY)
    elif actor.is_hospital_pharmacist and request.args.get("vue") != "moi":
        scope = table.c.structure_id.in_(list(actor.pui_structure_ids))
    else:
        scope = table.c.filer_id == actor.person_id
    response = Response(stream_with_context(export_rows(get_session(), scope)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="acces-compassionnel-{utcnow():%Y%m%d}.csv"'
    return response


@bp.post("/acces-compassionnel/<int:filing_id>/labo/<verb>")
@requires("aac.laboratory", target=request_target)
def laboratory_act(filing_id: int, verb: str, target: LoadedRequest):
    if verb != "repondre_labo":
        abort(404)
    db = get_session()
    try:
        aac.move(db, target.filing, verb, rules.LABORATORY, actor=g.actor.national_id,
                  message=request.form.get("message", ""), auth_method=g.actor.auth_method)
    except InvalidTransition as exc:
        refuse(target.filing)
        return _page(target, status=422, error=str(exc), posted=request.form, posted_verb=verb)
    flash("Réponse transmise à l’ANSM.", "success")
    return success(url_for("aac.show", filing_id=filing_id))


@bp.get("/acces-compassionnel/laboratoire")
@requires("aac.laboratory_inbox")
def laboratory_inbox():
    """Only the requests on which the ANSM asked this laboratory for data, for its own products."""
    db = get_session()
    codes = set(db.exec(select(ReferentialMedicine.code).where(
        ReferentialMedicine.laboratory.in_(list(g.actor.laboratories)))).all())
    rows = db.exec(select(Filing).where(Filing.form == "AAC",
                                        Filing.payload["medicament"]["code"].as_string().in_(codes),
                                        Filing.payload["donnees_labo_demandees"].as_boolean())
                   .order_by(Filing.id.desc()).limit(200)).all() if codes else []
    return render("aac/queue.html", rows=rows, states=rules.AAC_STATES, laboratory=True, blocked={})


@bp.get("/acces-compassionnel/evaluation")
@requires("aac.evaluate")
def queue():
    """The evaluator's queue: requests that could not be decided automatically, non-deferrable first."""
    waiting = ("transmise", "en_evaluation", "complements", "donnees_labo")
    state = request.args.get("etat", "")
    query = (sa.select(Filing, Structure.parent_id).outerjoin(Structure, Structure.id == Filing.structure_id)
             .where(Filing.form == "AAC", Filing.state.in_((state,) if state in waiting else waiting)))
    if request.args.get("age") in ("2j", "7j"):
        query = query.where(Filing.deposited_at <= utcnow() - timedelta(days=int(request.args["age"][0])))
    # Sorted in SQL before the limit: an urgent request is shown however many deferrable ones wait before it.
    urgent_first = sa.case((Filing.payload["prescription"]["differable"].as_string() == "non", 0), else_=1)
    found = get_session().execute(query.order_by(urgent_first, Filing.deposited_at, Filing.id).limit(200)).all()
    rows = [f for f, _ in found]
    blocked = {f.id: conflict(g.actor, involvement_of(f.filer_id, f.payload, (f.structure_id, parent)))
               for f, parent in found}
    return render("aac/queue.html", rows=rows, states=rules.AAC_STATES, waiting=waiting, state=state,
                  age=request.args.get("age", ""), blocked=blocked)


@bp.get("/acces-compassionnel/<int:filing_id>/apercu.pdf")
@requires("aac.evaluate", target=request_target)
def preview(filing_id: int, target: LoadedRequest):
    """The decision exactly as it would be issued, unsigned and marked « PROJET »."""
    from app.documents.decision import render_decision

    db, filing = get_session(), target.filing
    if filing.state not in rules.EVALUATING | {"complements", "donnees_labo"}:
        abort(404)  # only a request waiting for the agency's decision has a draft decision
    args = request.args
    draft = SimpleNamespace(reference=filing.reference, payload=filing.payload)
    issue = "refus" if args.get("issue") == "refus" else "octroi"
    days = int(args["duree"]) if args.get("duree", "").isdigit() else int(filing.payload["prescription"]["duree"])
    from datetime import timedelta

    today = utcnow().date()
    draft.payload = {**filing.payload, "decision": {"issue": issue, "duree": days, "date": today.isoformat(),
                                                    "fin": (today + timedelta(days=max(days, 1) - 1)).isoformat(),
                                                    "conditions": args.get("conditions", ""),
                                                    "motif": args.get("motif", ""),
                                                    "commentaire": args.get("message", "")}}
    pdf = render_decision(filing=draft, prescriber=db.get(Person, filing.filer_id),
                          pharmacist=db.get(Person, int(filing.payload["engagement"]["pharmacien"].split(":")[0])),
                          structure=db.get(Structure, filing.structure_id),
                          medicine=aac.product(db, filing.payload["medicament"].get("code", "")),
                          link="https://…/verification/PROJET", draft=True)
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"PROJET-{filing.reference}.pdf")


@bp.get("/acces-compassionnel/<int:filing_id>/decision.pdf")
@requires("aac.view", target=request_target)
def decision_pdf(filing_id: int, target: LoadedRequest):
    document = get_session().exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id,
                                                               FilingDocument.kind == "decision")).first()
    if document is None:
        abort(404)
    return send_file(BytesIO(document.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"decision-{target.filing.reference}.pdf")


@bp.get("/verification/<code>")
@limiter.limit("30 per minute")
def verify(code: str):
    """Public: the decision exists, its status, its SHA-256; no patient data."""
    db = get_session()
    document = db.exec(select(FilingDocument).where(FilingDocument.verification_code == code)).first()
    filing = db.get(Filing, document.filing_id) if document else None
    return render("aac/verify.html", document=document, filing=filing, states=rules.AAC_STATES,
                  status=200 if document else 404)
