"""« Cartes de la structure »: the legal representative and the mandataires see every card of the structure and
of its sites, filter them, act where the rules allow (declare an incident, ask a departed agent's card to be
revoked, renew) and export them as CSV."""

from __future__ import annotations

import io

from flask import Blueprint, Response, request, stream_with_context

from app.db import get_session
from app.documents.spreadsheet import SafeWriter
from app.domain.cardorders import STRUCTURE, card_actions
from app.domain.codes import CARD_ORDER_STATES
from app.domain.inputs import parse_id
from app.models.base import aware, utcnow
from app.operations import fleet
from app.web.rendering import render
from app.web.security import requires, structure_target

bp = Blueprint("fleet", __name__, url_prefix="/structures/<int:structure_id>")


def _query() -> fleet.FleetQuery:
    kind = request.args.get("filtre", "toutes")
    return fleet.FleetQuery(filter=kind if kind in fleet.FILTERS else "toutes",
                            search=request.args.get("q", "")[:100], after=parse_id(request.args.get("apres", "")))


@bp.get("/cartes")
@requires("structure.manage", target=structure_target)
def index(structure_id: int, target):
    db, query, now = get_session(), _query(), utcnow()
    rows, following = fleet.page(db, structure_id, query, now=now)
    return render("fleet/index.html", block="results" if request.args.get("partiel") else "content",
                  structure=target, rows=rows, following=following, query=query, filters=fleet.FILTERS,
                  total=fleet.count(db, structure_id, query, now), states=CARD_ORDER_STATES, now=now,
                  soon=now + fleet.EXPIRING, aware=aware, ordered=fleet.ordered(db, structure_id),
                  actions=lambda row: [t for t in card_actions(row.order_state, STRUCTURE,
                                                                requested=row.revocation_requested_at is not None)
                                       if t.verb == "demander_revocation"] if row.order_id else [])


@bp.get("/cartes.csv")
@requires("structure.manage", target=structure_target)
def export(structure_id: int, target):
    query, now = _query(), utcnow()
    db = get_session()

    def lines():
        buffer = io.StringIO()
        writer = SafeWriter(buffer, delimiter=";")
        buffer.write("\ufeff")  # spreadsheets in French read UTF-8 with its mark
        writer.writerow(["Numéro", "Type", "Statut", "Expiration", "Identifiant", "Civilité", "Nom", "Prénom"])
        for row in fleet.every(db, structure_id, query, now):
            writer.writerow([row.serial, row.card_type, CARD_ORDER_STATES.get(row.status, row.status),
                             aware(row.expires_at).date().isoformat() if row.expires_at else "",
                             row.national_id, row.civility, row.family_name, row.given_name])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="cartes-{target.id}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
