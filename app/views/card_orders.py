"""Card orders after acceptance: the structure opposes a lost card or asks to revoke a departed agent's;
the agency fabricates, activates and revokes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, request, url_for

from app.db import after_commit, get_session
from app.domain.cardorders import STRUCTURE, card_actions
from app.domain.casefiles import BACK_OFFICE, conflict
from app.domain.codes import CARD_ORDER_STATES, lowered
from app.errors import render_error
from app.models import Card, CardOrder, Structure
from app.operations import cardorders
from app.operations.casefiles import involvement
from app.psc import registry
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("card_orders", __name__)


@dataclass(frozen=True)
class LoadedOrder:
    order: CardOrder
    structure: Structure


def order_target(order_id: int, **_ignored) -> LoadedOrder:
    db = get_session()
    order = db.get(CardOrder, order_id)
    if order is None:
        abort(404)
    return LoadedOrder(order, db.get(Structure, order.structure_id))


def _apply(target: LoadedOrder, verb: str, by: str, back: str):
    db = get_session()
    cardorders.change(db, target.order, verb, by=by, actor=g.actor.national_id, agent=g.actor,
                      keystore=current_app.extensions["hsm"], reason=request.form.get("motif", ""),
                      home_url=current_app.config["SETTINGS"].portal_base_url + url_for("main.home"),
                      base_url=current_app.config["SETTINGS"].portal_base_url)
    settings = current_app.config["SETTINGS"]
    if verb == "activer" and not settings.is_production:  # the sandbox learns the new card, as ANS's EDIT tool
        order = target.order
        holder = dict(national_id=order.national_id, civility=order.civility, given_name=order.given_name,
                      family_name=order.family_name, card_type=order.card_type,
                      serial=get_session().get(Card, order.card_id).serial)
        after_commit(lambda: registry.register(Path(settings.psc_sandbox_registry), **holder))
    flash(f"Carte de {target.order.given_name} {target.order.family_name} : "
          f"{lowered(CARD_ORDER_STATES[target.order.state])}"
          + (", révocation demandée" if verb == "demander_revocation" else "") + ".", "success")
    return success(back)


@bp.post("/cartes/<int:order_id>/<verb>")
@requires("card.manage", target=order_target)
def structure_act(order_id: int, verb: str, target: LoadedOrder):
    back = url_for("dashboard.structure", structure_id=target.structure.id) + "#cartes"
    on_refusal(lambda refusal: render_error(refusal.status, str(refusal), back=back))
    return _apply(target, verb, STRUCTURE, back)


@bp.get("/instruction/cartes")
@requires("agency.ans")
def queue():
    return _queue_page()


def _queue_page(error: str | None = None):
    db = get_session()
    rows = cardorders.pending_for_agency(db)
    blocked = {o.id: conflict(g.actor, involvement(db, o)) for o, _, _ in rows}
    return render("backoffice/cards.html", rows=rows, card_states=CARD_ORDER_STATES, blocked=blocked, error=error,
                  actions={o.id: [] if blocked[o.id] else card_actions(o.state, BACK_OFFICE) for o, _, _ in rows})


@bp.post("/instruction/cartes/<int:order_id>/<verb>")
@requires("card.instruct", target=order_target)
def agency_act(order_id: int, verb: str, target: LoadedOrder):
    on_refusal(lambda refusal: _queue_page(str(refusal)))
    return _apply(target, verb, BACK_OFFICE, url_for("card_orders.queue"))
