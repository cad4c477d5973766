"""Requests a person follows, whatever their role: history (own or the PUI's), one request, its decision, the
statistics extract."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from io import BytesIO

from flask import Response, abort, g, request, send_file, stream_with_context
from sqlmodel import select

from app.db import get_session
from app.domain import aac as rules
from app.domain.inputs import parse_id
from app.models import Filing, FilingDocument, Person, ReferentialMedicine
from app.models.base import utcnow
from app.operations import aac
from app.web.rendering import render
from app.web.security import requires

from .blueprint import bp
from .shared import LoadedRequest, page, request_target

PAGE = 20


@bp.get("/acces-compassionnel/")
@requires("dashboard.view")
def index():
    """The user's requests (prescriber) or their PUI's (pharmacist), newest first, keyset pages."""
    actor, db = g.actor, get_session()
    query = select(Filing).where(Filing.form == "AAC",
                                 aac.followed_requests(actor, own=request.args.get("vue") == "moi"))
    args = request.args
    pui_view = actor.is_hospital_pharmacist and args.get("vue") != "moi"
    state = args.get("etat", "a_valider_pui" if pui_view else "")  # the PUI opens on what waits for it
    if state in rules.AAC_STATES:
        query = query.where(Filing.state == state)
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
    filters = {k: args.get(k, "") for k in ("etat", "medicament", "structure", "du", "au", "vue")} | {"etat": state}
    products = db.exec(select(ReferentialMedicine.code, ReferentialMedicine.name)
                       .where(ReferentialMedicine.status == "AAC").order_by(ReferentialMedicine.name)).all()
    older = rows[PAGE - 1].id if len(rows) > PAGE else None
    rows = rows[:PAGE]
    filers = {f.filer_id for f in rows}
    prescribers = {p.id: p for p in db.exec(select(Person).where(Person.id.in_(filers)))} if filers else {}
    return render("aac/index.html", rows=rows, older=older,
                  states=rules.AAC_STATES, etat=state, filters=filters, products=products,
                  medicines=dict(products), prescribers=prescribers, pui_view=pui_view)


@bp.get("/acces-compassionnel/<int:filing_id>")
@requires("aac.view", target=request_target)
def show(filing_id: int, target: LoadedRequest):
    return page(target)


@bp.get("/acces-compassionnel/<int:filing_id>/decision.pdf")
@requires("aac.view", target=request_target)
def decision_pdf(filing_id: int, target: LoadedRequest):
    document = get_session().exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id,
                                                               FilingDocument.kind == "decision")).first()
    if document is None:
        abort(404)
    return send_file(BytesIO(document.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"decision-{target.filing.reference}.pdf")


@bp.get("/acces-compassionnel/export.csv")
@requires("aac.menu")
def export():
    """Streamed: the agency gets everything, a pharmacist their PUI's requests, a prescriber their own."""
    from app.operations.aac_export import export_rows

    scope = aac.followed_requests(g.actor, own=request.args.get("vue") == "moi", agency=True)
    response = Response(stream_with_context(export_rows(get_session(), scope)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="acces-compassionnel-{utcnow():%Y%m%d}.csv"'
    return response

