"""The professional's dashboard and the structures they act for."""

from __future__ import annotations

from flask import Blueprint, g
from sqlmodel import select

from app.db import get_session
from app.domain.cardorders import STRUCTURE, card_actions
from app.domain.casefiles import STATES
from app.domain.codes import AUTH_METHODS, CARD_ORDER_STATES, HABILITATION_ROLES, PROFESSIONS
from app.domain.forms import FORMS
from app.domain.permissions import NewFiling, can
from app.models import CardOrder, Filing, Habilitation, Person, Structure
from app.views.rendering import render
from app.views.security import requires, structure_target

bp = Blueprint("dashboard", __name__)


@bp.get("/tableau-de-bord")
@requires("dashboard.view")
def index():
    actor = g.actor
    db = get_session()
    ids = set(actor.activity_structure_ids) | {h.structure_id for h in actor.habilitations}
    structures = db.exec(select(Structure).where(Structure.id.in_(ids)).order_by(Structure.name)).all() if ids else []
    roles_by_structure = {
        s.id: sorted({HABILITATION_ROLES[h.role] + (f" {h.certificate_family}" if h.certificate_family else "")
                      for h in actor.habilitations if h.structure_id == s.id}
                     | ({"Exercice"} if s.id in actor.activity_structure_ids else set()))
        for s in structures
    }
    todo = db.exec(select(Filing.id, Filing.form, Filing.state, Filing.reference)
                   .where(Filing.filer_id == actor.person_id, Filing.state.in_(("brouillon", "a_corriger")))
                   .order_by(Filing.id.desc()).limit(5)).all()
    return render("dashboard/index.html", actor=actor, structures=structures, roles_by_structure=roles_by_structure,
                  todo=todo, states=STATES,
                  profession=PROFESSIONS.get(actor.profession_code, ""),
                  auth_method=AUTH_METHODS.get(actor.auth_method, actor.auth_method))


@bp.get("/structures/<int:structure_id>")
@requires("structure.view", target=structure_target)
def structure(structure_id: int, target: Structure):
    db = get_session()
    item = target
    rows = db.exec(select(Habilitation, Person).join(Person, Person.id == Habilitation.person_id).where(
        Habilitation.structure_id == structure_id, Habilitation.ended_at.is_(None))).all()
    parent = db.get(Structure, item.parent_id) if item.parent_id else None
    sites = db.exec(select(Structure).where(Structure.parent_id == item.id)).all()
    manages = g.actor.has_role_on(item, "legal_representative", "mandataire") or "ans_operator" in g.actor.agency_roles
    filings = db.exec(select(Filing).where(Filing.structure_id == item.id, Filing.form.in_(FORMS),
                                           (Filing.state != "brouillon") | (Filing.filer_id == g.actor.person_id))
                      .order_by(Filing.id.desc()).limit(10)).all() if manages else []
    orders = db.exec(select(CardOrder).where(CardOrder.structure_id == item.id)
                     .order_by(CardOrder.id.desc()).limit(20)).all() if manages else []
    can_file = [spec for spec in FORMS.values()
                if can(g.actor, "filing.start", NewFiling(spec.code, spec.filed_by, item)) and spec.filed_by]
    return render("dashboard/structure.html", structure=item, parent=parent, sites=sites, holders=rows,
                  role_labels=HABILITATION_ROLES, filings=filings, orders=orders, can_file=can_file,
                  states=STATES, card_states=CARD_ORDER_STATES,
                  card_actions=lambda order: card_actions(order.state, STRUCTURE,
                                                          requested=order.revocation_requested_at is not None)
                  if g.actor.has_role_on(item, "legal_representative", "mandataire") else [])
