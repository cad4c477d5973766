"""The professional's dashboard and the structures they act for."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g

from app.db import get_session, rows
from app.domain.aac import AAC_STATES
from app.domain.cardorders import STRUCTURE, card_actions
from app.domain.casefiles import STATES
from app.domain.codes import AUTH_METHODS, CARD_ORDER_STATES, HABILITATION_ROLES, PROFESSIONS
from app.domain.forms import FORMS
from app.domain.permissions import NewFiling, can
from app.models import Card, CardOrder, Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import follow_up
from app.web.rendering import render
from app.web.security import requires, structure_target

bp = Blueprint("dashboard", __name__)


_S, _F, _H, _P, _C = (model.__table__.c for model in (Structure, Filing, Habilitation, Person, CardOrder))
_MY_STRUCTURES = (sa.select(_S.id, _S.name, _S.kind, _S.finess, _S.siret).where(_S.id.in_(sa.bindparam("ids")))
                  .order_by(_S.name))
# What waits for the person: their drafts, a form to correct, an AAC returned by the PUI or whose complement the
# agency asks; for a PUI pharmacist, the requests to check or to complete.
_PENDING = (sa.select(_F.id, _F.form, _F.state, _F.reference)
            .where(_F.filer_id == sa.bindparam("person_id"),
                   _F.state.in_(("brouillon", "a_corriger", "retournee", "complements")))
            .order_by(_F.id.desc()).limit(10))
_PUI_WAITING = (sa.select(_F.id, _F.form, _F.state, _F.reference)
                .where(_F.form == "AAC", _F.structure_id.in_(sa.bindparam("pui_ids", expanding=True)),
                       _F.state.in_(("a_valider_pui", "complements")))
                .order_by(_F.id.desc()).limit(10))
# A legal representative's own F101 and the card it ordered: what comes next, stage by stage.
_MY_F101 = (sa.select(_F.id, _F.state, _F.reference, _S.name, _C.card_type, _C.state.label("card_state"))
            .join_from(Filing.__table__, Structure.__table__, _S.id == _F.structure_id)
            .outerjoin(CardOrder.__table__, _C.filing_id == _F.id)
            .where(_F.filer_id == sa.bindparam("person_id"), _F.form == "F101")
            .order_by(_F.id.desc()).limit(3))
# A card holder's cards and their structures (a CPE agent with no role still belongs to one), and a prescriber's
# latest requests with where they stand (granted ones included).
_MY_CARDS = (sa.select(Card.__table__.c.card_type, _S.name)
             .join_from(Card.__table__, Structure.__table__, _S.id == Card.__table__.c.structure_id)
             .where(Card.__table__.c.person_id == sa.bindparam("person_id"), Card.__table__.c.status == "active"))
_MY_REQUESTS = (sa.select(_F.id, _F.state, _F.reference, _F.payload)
                .where(_F.filer_id == sa.bindparam("person_id"), _F.form == "AAC", _F.state != "brouillon")
                .order_by(_F.id.desc()).limit(5))
NEXT_STEP = {
    "brouillon": "votre demande est un brouillon : complétez-la et déposez-la.",
    "depose": "déposée, elle attend l’instruction de l’ANS (quelques jours ouvrés d’habitude).",
    "en_instruction": "l’ANS l’instruit (quelques jours ouvrés d’habitude).",
    "a_corriger": "l’ANS demande une correction : ouvrez le dossier.",
    "refuse": "refusée : le motif figure dans le dossier.",
    "classe_sans_suite": "classée sans suite : le motif figure dans le dossier.",
}
CARD_NEXT_STEP = {
    "commandee": "acceptée : votre carte {card} est commandée, elle sera fabriquée puis activée.",
    "fabriquee": "acceptée : votre carte {card} est fabriquée, elle sera activée à sa remise.",
    "active": "votre carte {card} est active : connectez-vous avec elle ou avec e-CPS pour agir pour la structure.",
}
_HOLDERS = (sa.select(_H.role, _H.certificate_family, _P.given_name, _P.family_name)
            .join_from(Habilitation.__table__, Person.__table__, _P.id == _H.person_id)
            .where(_H.structure_id == sa.bindparam("structure_id"), _H.ended_at.is_(None)))
_FAMILY = (sa.select(_S.id, _S.name, _S.finess)  # the parent EJ and the sites, in one query
           .where((_S.id == sa.bindparam("parent_id")) | (_S.parent_id == sa.bindparam("structure_id")))
           .order_by(_S.name))
_RECENT_FILINGS = (sa.select(_F.id, _F.form, _F.state, _F.reference)
                   .where(_F.structure_id == sa.bindparam("structure_id"), _F.form.in_(FORMS),
                          (_F.state != "brouillon") | (_F.filer_id == sa.bindparam("person_id")))
                   .order_by(_F.id.desc()).limit(10))
_RECENT_ORDERS = (sa.select(_C.id, _C.given_name, _C.family_name, _C.card_type, _C.state, _C.revocation_requested_at,
                            Card.__table__.c.serial)
                  .outerjoin(Card.__table__, Card.__table__.c.id == _C.card_id)
                  .where(_C.structure_id == sa.bindparam("structure_id")).order_by(_C.id.desc()).limit(20))


@bp.get("/tableau-de-bord")
@requires("dashboard.view")
def index():
    actor = g.actor
    ids = set(actor.activity_structure_ids) | {h.structure_id for h in actor.habilitations}
    structures = rows(_MY_STRUCTURES, ids=list(ids)) if ids else []
    roles_by_structure = {
        s.id: sorted({HABILITATION_ROLES[h.role] + (f" {h.certificate_family}" if h.certificate_family else "")
                      for h in actor.habilitations if h.structure_id == s.id}
                     | ({"Exercice"} if s.id in actor.activity_structure_ids else set()))
        for s in structures
    }
    todo = rows(_PENDING, person_id=actor.person_id)
    own_f101 = [] if structures else rows(_MY_F101, person_id=actor.person_id)
    stages = [(f, (CARD_NEXT_STEP.get(f.card_state, "acceptée.").format(card=f.card_type) if f.state == "accepte"
                   else NEXT_STEP.get(f.state, ""))) for f in own_f101]
    email = get_session().get(Person, actor.person_id).email if actor.national_id.startswith("courriel:") else ""
    if actor.pui_structure_ids:
        todo += rows(_PUI_WAITING, pui_ids=list(actor.pui_structure_ids))
    cards = [] if structures else rows(_MY_CARDS, person_id=actor.person_id)
    waiting = {f.id for f in todo}  # listed once: what waits for the prescriber is under « À faire »
    requests = [r for r in rows(_MY_REQUESTS, person_id=actor.person_id) if r.id not in waiting] \
        if actor.is_prescriber else []
    late = (follow_up.count_late(get_session(), actor)
            if actor.is_prescriber or actor.is_hospital_pharmacist else 0)
    evaluator = "ansm_evaluator" in actor.agency_roles
    serious = follow_up.count_serious(get_session(), utcnow().date()) if evaluator else 0
    reports = get_session().execute(sa.select(sa.func.count()).select_from(Filing.__table__).where(
        _F.form == "RSP", _F.state == "deposee")).scalar() if evaluator else 0
    return render("dashboard/index.html", actor=actor, structures=structures, roles_by_structure=roles_by_structure,
                  late=late, serious=serious, reports=reports,
                  todo=todo, states=STATES, aac_states=AAC_STATES, stages=stages, email=email, cards=cards,
                  requests=requests,
                  profession=PROFESSIONS.get(actor.profession_code, ""),
                  auth_method=AUTH_METHODS.get(actor.auth_method, actor.auth_method))


@bp.get("/structures/<int:structure_id>")
@requires("structure.view", target=structure_target)
def structure(structure_id: int, target: Structure):
    item = target
    family = rows(_FAMILY, parent_id=item.parent_id or 0, structure_id=item.id)
    parent = next((s for s in family if s.id == item.parent_id), None)
    manages = can(g.actor, "structure.follow", item)
    in_charge = can(g.actor, "structure.manage", item)
    can_file = [spec for spec in FORMS.values()
                if can(g.actor, "filing.start", NewFiling(spec.code, spec.filed_by, item)) and spec.filed_by]
    return render("dashboard/structure.html", structure=item, parent=parent,
                  sites=[s for s in family if s.id != item.parent_id], holders=rows(_HOLDERS, structure_id=item.id),
                  role_labels=HABILITATION_ROLES, can_file=can_file, states=STATES, card_states=CARD_ORDER_STATES,
                  manages_cards=in_charge,
                  filings=rows(_RECENT_FILINGS, structure_id=item.id, person_id=g.actor.person_id) if manages else [],
                  orders=rows(_RECENT_ORDERS, structure_id=item.id) if manages else [],
                  card_actions=lambda order: card_actions(order.state, STRUCTURE,
                                                          requested=order.revocation_requested_at is not None)
                  if in_charge else [])
