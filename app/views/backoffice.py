"""The ANS operator's back office: the queue of deposited forms, the file, and its decisions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, request, url_for

from app.db import after_commit, get_session
from app.domain.casefiles import STATES, Involvement, conflict
from app.domain.forms import FORMS
from app.domain.inputs import parse_id
from app.domain.refusals import Refusal
from app.models import Filing, Structure
from app.models.base import utcnow
from app.operations import casefiles
from app.operations.forms import workflow
from app.psc import registry
from app.web.casefiles import LoadedCase, case_page, case_target
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires


def test_identities():
    """Where an accepted F414's test identities go: the PSC sandbox's registry outside production (in
    production the real PSC is fed by ANS's own tool, which the portal cannot reach)."""
    settings = current_app.config["SETTINGS"]
    if settings.is_production:
        return None
    path = Path(settings.psc_sandbox_registry)
    return lambda identities: after_commit(lambda: registry.add(path, identities))


bp = Blueprint("backoffice", __name__, url_prefix="/instruction")
PAGE = 25
AGES = {"": None, "3j": timedelta(days=3), "10j": timedelta(days=10)}
# Built once: whether a file names the agent is asked of the database (25 payloads parsed in Python cost the page
# its budget), the agent's national id bound at execution.
QUEUE = (sa.select(Filing.id, Filing.reference, Filing.state, Filing.deposited_at, Structure.name, Filing.filer_id,
                   sa.cast(Filing.payload, sa.Text).contains(sa.bindparam("agent_id")).label("names_agent"),
                   Structure.id.label("structure_id"), Structure.parent_id)
         .join(Structure, Structure.id == Filing.structure_id)
         .where(Filing.form.in_(FORMS), Filing.state != "brouillon"))
BY_STATE = {"a_traiter": QUEUE.where(Filing.state.in_(("depose", "en_instruction"))), "tous": QUEUE,
            **{code: QUEUE.where(Filing.state == code) for code in STATES}}
BY_STATE = {state: query.order_by(Filing.deposited_at, Filing.id).limit(PAGE + 1) for state, query in BY_STATE.items()}


@bp.get("/")
@requires("agency.ans")
def queue():
    """Oldest deposit first; keyset pagination on (deposited_at, id) so a page costs the same at any depth."""
    args = request.args
    state = args.get("etat", "a_traiter")
    state = state if state in BY_STATE else "tous"
    query = BY_STATE[state]  # ordered and limited: the filters below only add conditions
    if args.get("formulaire") in FORMS:
        query = query.where(Filing.form == args["formulaire"])
    if text := args.get("structure", "").strip():
        query = query.where(Structure.name.ilike(f"%{text}%") | (Structure.finess == text) | (Structure.siret == text))
    if age := AGES.get(args.get("age", "")):
        query = query.where(Filing.deposited_at <= utcnow() - age)
    after = args.get("apres", "")
    if (after_id := parse_id(after)) and (anchor := get_session().get(Filing, after_id)) and anchor.deposited_at:
        query = query.where((Filing.deposited_at > anchor.deposited_at)
                            | ((Filing.deposited_at == anchor.deposited_at) & (Filing.id > anchor.id)))
    rows = get_session().connection().execute(query, {"agent_id": g.actor.national_id or "\x00"}).all()
    following = rows[PAGE - 1].id if len(rows) > PAGE else None
    filters = {k: args.get(k, "") for k in ("formulaire", "structure", "age")} | {"etat": state}
    agent = g.actor
    blocked = {r.id: conflict(agent, Involvement(r.filer_id, frozenset({agent.national_id} if r.names_agent else ()),
                                                 structure_ids=frozenset({r.structure_id, r.parent_id} - {None})))
               for r in rows[:PAGE]}
    return render("backoffice/queue.html", rows=rows[:PAGE], forms=FORMS, states=STATES, filters=filters,
                  following=following, blocked=blocked, block="results")


@bp.get("/<int:filing_id>")
@requires("filing.instruct", target=case_target)
def show(filing_id: int, target: LoadedCase):
    if target.filing.state == "brouillon":
        abort(404)  # a draft is the filer's own until deposited
    return case_page(target, back_office=True)


@bp.post("/<int:filing_id>/<verb>")
@requires("filing.instruct", target=case_target)
def act(filing_id: int, verb: str, target: LoadedCase):
    db = get_session()
    text = request.form.get("message", "")
    on_refusal(lambda refusal: case_page(target, back_office=True, error=str(refusal), message=text, posted_verb=verb),
               target.filing)
    unconfirmed = verb == "accepter" and not request.form.get("confirmation")
    if unconfirmed and conflict(g.actor, casefiles.involvement(db, target.filing)) is None:  # cards, roles: sure?
        raise Refusal("Cochez la confirmation : l’acceptation applique le formulaire.", field="confirmation")
    flow = workflow(current_app.extensions["hsm"], test_identities())
    casefiles.act(db, target.filing, verb, flow, agent=g.actor,
                  auth_method=g.actor.auth_method, message=text, filer_email=target.filer.email,
                  portal_url=current_app.config["SETTINGS"].portal_base_url
                  + url_for("filings.show", filing_id=filing_id),
                  home_url=current_app.config["SETTINGS"].portal_base_url + url_for("dashboard.index"))
    flash(f"Dossier {target.filing.reference} : {STATES[target.filing.state].lower()}.", "success")
    return success(url_for("backoffice.show", filing_id=filing_id))
