"""The ANS operator's back office: the queue of deposited forms, the file, its thread and its decisions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, request, url_for
from sqlalchemy.orm import aliased

from app.db import after_commit, get_session
from app.domain.casefiles import STATES, Involvement, conflict
from app.domain.codes import lowered
from app.domain.forms import FORMS
from app.domain.inputs import parse_id
from app.domain.refusals import Refusal
from app.models import Filing, Person, Structure
from app.models.base import utcnow
from app.operations import casefiles, exchanges
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
SORTS = {"anciens": "Les plus anciens d’abord", "recents": "Les plus récents d’abord"}
ASSIGNED = {"": "Tous", "moi": "Attribués à moi", "personne": "Non attribués"}
_ASSIGNEE = aliased(Person)
# Built once: whether a file names the agent is asked of the database (25 payloads parsed in Python cost the page
# its budget), the agent's national id bound at execution.
QUEUE = (sa.select(Filing.id, Filing.reference, Filing.state, Filing.deposited_at, Structure.name, Filing.filer_id,
                   sa.cast(Filing.payload, sa.Text).contains(sa.bindparam("agent_id")).label("names_agent"),
                   Structure.id.label("structure_id"), Structure.parent_id, Filing.correction_due,
                   (_ASSIGNEE.given_name + " " + _ASSIGNEE.family_name).label("assignee"),
                   exchanges.UNREAD_BY_AGENCY.label("unread"))
         .join(Structure, Structure.id == Filing.structure_id)
         .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Filing.assignee_id)
         .where(Filing.form.in_(FORMS), Filing.state != "brouillon"))
BY_STATE = {"a_traiter": QUEUE.where(Filing.state.in_(("depose", "en_instruction"))), "tous": QUEUE,
            **{code: QUEUE.where(Filing.state == code) for code in STATES}}
BY_STATE = {state: query.limit(PAGE + 1) for state, query in BY_STATE.items()}
COUNTS = (sa.select(Filing.state, sa.func.count()).where(Filing.form.in_(FORMS), Filing.state != "brouillon")
          .group_by(Filing.state))


@bp.get("/")
@requires("agency.ans")
def queue():
    """Oldest deposit first (or newest); keyset pagination on (deposited_at, id) so a page costs the same at any
    depth. Counts per state above, days waiting, the agent instructing and the unread messages on each row."""
    args = request.args
    state = args.get("etat", "a_traiter")
    state = state if state in BY_STATE else "tous"
    sort = args.get("tri") if args.get("tri") in SORTS else "anciens"
    newest = sort == "recents"
    query = BY_STATE[state].order_by(*((Filing.deposited_at.desc(), Filing.id.desc()) if newest
                                       else (Filing.deposited_at, Filing.id)))
    counts = COUNTS
    if args.get("formulaire") in FORMS:
        query = query.where(Filing.form == args["formulaire"])
        counts = counts.where(Filing.form == args["formulaire"])
    if text := args.get("structure", "").strip():
        query = query.where(Structure.name.ilike(f"%{text}%") | (Structure.finess == text) | (Structure.siret == text))
    if age := AGES.get(args.get("age", "")):
        query = query.where(Filing.deposited_at <= utcnow() - age)
    assigned = args.get("agent") if args.get("agent") in ASSIGNED else ""
    if assigned == "moi":
        query = query.where(Filing.assignee_id == g.actor.person_id)
    elif assigned == "personne":
        query = query.where(Filing.assignee_id.is_(None))
    after = args.get("apres", "")
    if (after_id := parse_id(after)) and (anchor := get_session().get(Filing, after_id)) and anchor.deposited_at:
        at, key = anchor.deposited_at, anchor.id
        query = query.where((Filing.deposited_at < at) | ((Filing.deposited_at == at) & (Filing.id < key)) if newest
                            else (Filing.deposited_at > at) | ((Filing.deposited_at == at) & (Filing.id > key)))
    db = get_session()
    rows = db.connection().execute(query, {"agent_id": g.actor.national_id or "\x00"}).all()
    by_state = dict(db.connection().execute(counts).all())
    following = rows[PAGE - 1].id if len(rows) > PAGE else None
    filters = {k: args.get(k, "") for k in ("formulaire", "structure", "age")} | {"etat": state, "tri": sort,
                                                                                  "agent": assigned}
    agent = g.actor
    blocked = {r.id: conflict(agent, Involvement(r.filer_id, frozenset({agent.national_id} if r.names_agent else ()),
                                                 structure_ids=frozenset({r.structure_id, r.parent_id} - {None})))
               for r in rows[:PAGE]}
    return render("backoffice/queue.html", rows=rows[:PAGE], forms=FORMS, states=STATES, filters=filters,
                  following=following, blocked=blocked, block="results", sorts=SORTS, assigned_choices=ASSIGNED,
                  by_state=by_state, to_do=by_state.get("depose", 0) + by_state.get("en_instruction", 0),
                  today=utcnow().date())


@bp.get("/<int:filing_id>")
@requires("filing.instruct", target=case_target)
def show(filing_id: int, target: LoadedCase):
    if target.filing.state == "brouillon":
        abort(404)  # a draft is the filer's own until deposited
    return case_page(target, back_office=True)


def _link(endpoint: str, filing_id: int) -> str:
    return current_app.config["SETTINGS"].portal_base_url + url_for(endpoint, filing_id=filing_id)


def _exchange(target: LoadedCase, posted: str, field: str):
    """A thread form's refusal: the file's page again, the message beside the form posted, the text kept."""
    text = request.form.get(field, "")
    on_refusal(lambda refusal: case_page(target, back_office=True, error=str(refusal), message=text,
                                         posted_verb=posted), target.filing)
    return text


@bp.post("/<int:filing_id>/message")
@requires("filing.instruct", target=case_target)
def message(filing_id: int, target: LoadedCase):
    """Write to the filer, in any state, without changing it."""
    text = _exchange(target, "message", "message")
    exchanges.write(get_session(), target.filing, actor=g.actor.national_id, side=exchanges.AGENCY_SIDE,
                    message=text, upload=request.files.get("piece"),
                    max_bytes=current_app.config["SETTINGS"].attachment_max_bytes, filer_email=target.filer.email,
                    link=_link("filings.show", filing_id))
    flash("Message envoyé au déclarant.", "success")
    return success(url_for("backoffice.show", filing_id=filing_id) + "#echanges")


@bp.post("/<int:filing_id>/note")
@requires("filing.instruct", target=case_target)
def note(filing_id: int, target: LoadedCase):
    """A note for the other agents, never shown to the filer."""
    exchanges.note(get_session(), target.filing, actor=g.actor.national_id, message=_exchange(target, "note", "note"))
    flash("Note enregistrée (visible des seuls agents).", "success")
    return success(url_for("backoffice.show", filing_id=filing_id) + "#echanges")


@bp.post("/<int:filing_id>/attribuer")
@requires("filing.instruct", target=case_target)
def assign(filing_id: int, target: LoadedCase):
    chosen = exchanges.assign(get_session(), target.filing, actor=g.actor.national_id,
                              assignee_id=_exchange(target, "attribuer", "agent"))
    flash(f"Dossier attribué à {chosen.shown_name}." if chosen else "Dossier sans agent attribué.", "success")
    return success(url_for("backoffice.show", filing_id=filing_id))


@bp.post("/<int:filing_id>/avis-demande")
@requires("filing.instruct", target=case_target)
def ask_opinion(filing_id: int, target: LoadedCase):
    question = _exchange(target, "avis-demande", "question")
    exchanges.ask_opinion(get_session(), target.filing, actor=g.actor.national_id,
                          expert_id=request.form.get("expert", ""), question=question,
                          link=_link("backoffice.show", filing_id))
    flash("Avis demandé\u00a0: l’agent sollicité est prévenu par courriel.", "success")
    return success(url_for("backoffice.show", filing_id=filing_id) + "#echanges")


@bp.post("/<int:filing_id>/avis")
@requires("filing.instruct", target=case_target)
def give_opinion(filing_id: int, target: LoadedCase):
    exchanges.give_opinion(get_session(), target.filing, actor=g.actor.national_id,
                           opinion=_exchange(target, "avis", "avis"))
    flash("Avis enregistré dans le dossier.", "success")
    return success(url_for("backoffice.show", filing_id=filing_id) + "#echanges")


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
    due = (exchanges.correction_deadline(request.form.get("delai", ""), utcnow().date())
           if verb == "demander_correction" else None)
    flow = workflow(current_app.extensions["hsm"], test_identities())
    casefiles.act(db, target.filing, verb, flow, agent=g.actor, correction_due=due,
                  auth_method=g.actor.auth_method, message=text, filer_email=target.filer.email,
                  portal_url=current_app.config["SETTINGS"].portal_base_url
                  + url_for("filings.show", filing_id=filing_id),
                  home_url=current_app.config["SETTINGS"].portal_base_url + url_for("dashboard.index"))
    flash(f"Dossier {target.filing.reference} : {lowered(STATES[target.filing.state])}.", "success")
    return success(url_for("backoffice.show", filing_id=filing_id))
