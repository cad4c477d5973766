"""The laboratory: the requests on its products for which the ANSM asked data, and its answer."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session
from app.domain import aac as rules
from app.models import Filing, ReferentialMedicine
from app.operations import aac
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

from .blueprint import bp
from .shared import LoadedRequest, page, request_target


@bp.post("/acces-compassionnel/<int:filing_id>/labo/<verb>")
@requires("aac.laboratory", target=request_target)
def laboratory_act(filing_id: int, verb: str, target: LoadedRequest):
    if verb != "repondre_labo":
        abort(404)
    on_refusal(lambda refusal: page(target, error=str(refusal), posted=request.form, posted_verb=verb), target.filing)
    aac.move(get_session(), target.filing, verb, rules.LABORATORY, actor=g.actor.national_id,
             message=request.form.get("message", ""), auth_method=g.actor.auth_method)
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

