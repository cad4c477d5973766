"""The PUI pharmacist: completes, returns, transmits, answers the agency."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from app.db import get_session
from app.models.base import utcnow
from app.operations import aac
from app.web.refusals import on_refusal
from app.web.rendering import success
from app.web.security import requires

from .blueprint import bp
from .shared import LoadedRequest, act, page, request_target


@bp.post("/acces-compassionnel/<int:filing_id>/pui/<verb>")
@requires("aac.pui", target=request_target)
def pharmacist_act(filing_id: int, verb: str, target: LoadedRequest):
    if verb == "modifier":
        on_refusal(lambda refusal: page(target, error=str(refusal), posted=request.form, posted_verb=verb),
                   target.filing)
        changes = aac.pharmacist_edit(get_session(), target.filing, request.form, actor=g.actor.national_id,
                                      today=utcnow().date())
        flash("Modifications enregistrées ; le prescripteur les voit dans l’historique." if changes
              else "Aucune modification.", "success" if changes else "info")
        return success(url_for("aac.show", filing_id=filing_id))
    if verb not in ("transmettre", "retourner", "repondre"):
        abort(404)
    return act(target, verb)

