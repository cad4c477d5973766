"""« Jetons d’API » : a technical administrator gives an editor's software a token for the certificate API."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session
from app.domain.inputs import parse_id, parse_int
from app.models import ApiToken, Person
from app.models.base import utcnow
from app.operations import rights
from app.operations.api_tokens import VALIDITY_DAYS, create_token, revoke_token
from app.web.administered import administered_structures, shown_once
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("api_tokens", __name__, url_prefix="/certificats/jetons")


def _page(status: int = 200, **extra):
    db = get_session()
    tokens = db.exec(select(ApiToken).where(ApiToken.person_id == g.actor.person_id)
                     .order_by(ApiToken.id.desc())).all()
    return shown_once(render("certificates/tokens.html", tokens=tokens, structures=administered_structures(),
                             scopes=rights.administered(db, g.actor), validity=VALIDITY_DAYS, now=utcnow(),
                             status=status,
                             **({"raw": None, "error": None, "error_field": None, "values": {}} | extra)))


@bp.get("")
@requires("certificate.order")
def index():
    return _page()


@bp.post("")
@requires("certificate.order")
def create():
    db = get_session()
    form = request.form
    structure_ids = [i for v in form.getlist("structures") if (i := parse_id(v)) is not None]
    families = form.getlist("familles")
    days = parse_int(form.get("jours", ""), high=10_000) or 0
    on_refusal(lambda refusal: _page(error=str(refusal), error_field=refusal.field, values={"nom": form.get("nom", ""),
                                                                  "structures": structure_ids, "familles": families}))
    token, raw = create_token(db, db.get(Person, g.actor.person_id), name=form.get("nom", ""),
                              structure_ids=structure_ids, families=families, days=days)
    return _page(raw=raw, created=token)


def token_target(token_id: int) -> ApiToken:
    token = get_session().get(ApiToken, token_id)
    if token is None:
        abort(404)
    return token


@bp.post("/<int:token_id>/revoquer")
@requires("api_token.revoke", target=token_target)
def revoke(token_id: int, target: ApiToken):
    db, token = get_session(), target
    revoke_token(db, token, actor=g.actor.national_id)
    flash(f"Jeton « {token.name} » révoqué : il n’ouvre plus rien.", "success")
    return success(url_for("api_tokens.index"))
