"""The ANSM evaluator: the queue, the decisions and their preview."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, g, request, send_file

from app.db import get_session
from app.domain import aac as rules
from app.domain.casefiles import conflict, involvement_of
from app.domain.inputs import parse_int
from app.models import Filing, Person, Structure
from app.models.base import utcnow
from app.operations import aac_wizard
from app.web.rendering import render
from app.web.security import requires

from .blueprint import bp
from .shared import LoadedRequest, act, request_target


@bp.post("/acces-compassionnel/<int:filing_id>/ansm/<verb>")
@requires("aac.evaluate", target=request_target)
def evaluator_act(filing_id: int, verb: str, target: LoadedRequest):
    if verb not in ("evaluer", "demander_complements", "demander_donnees_labo", "octroyer", "refuser", "classer"):
        abort(404)
    return act(target, verb)


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


@bp.route("/acces-compassionnel/<int:filing_id>/apercu.pdf", methods=["GET", "POST"])
@requires("aac.evaluate", target=request_target)
def preview(filing_id: int, target: LoadedRequest):
    """The decision exactly as it would be issued, unsigned and marked « PROJET »: posted from the decision form
    (what the evaluator typed, in a new tab), or asked by its address."""
    from app.documents.decision import render_decision

    db, filing = get_session(), target.filing
    if filing.state not in rules.EVALUATING | {"complements", "donnees_labo"}:
        abort(404)  # only a request waiting for the agency's decision has a draft decision
    args = request.values
    draft = SimpleNamespace(reference=filing.reference, payload=filing.payload)
    issue = "refus" if args.get("issue") == "refus" else "octroi"
    days = (parse_int(args.get("duree", ""), low=1, high=365)
            or parse_int(str((filing.payload.get("prescription") or {}).get("duree", "")), low=1, high=365) or 1)
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
                          medicine=aac_wizard.product(db, filing.payload["medicament"].get("code", "")),
                          link="https://…/verification/PROJET", draft=True)
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"PROJET-{filing.reference}.pdf")

