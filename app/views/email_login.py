"""« Je n’ai pas encore de carte » : a single-use link by e-mail, to file the F101 (legal representatives)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from sqlmodel import select

from app.db import get_session, keep, refuse
from app.domain.forms.schema import EMAIL
from app.domain.refusals import Refusal
from app.extensions import limiter
from app.models import Filing
from app.operations.email_login import HasCard, consume_link, request_link
from app.web.refusals import on_refusal
from app.web.rendering import render
from app.web.security import start_portal_session

bp = Blueprint("email_login", __name__, url_prefix="/auth/courriel")


def _limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "30 per minute")


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def ask():
    values = {k: request.form.get(k, "").strip() for k in ("courriel", "nom", "prenom")}
    errors = {}
    on_refusal(lambda refusal: render("auth/email_ask.html", values=values, errors=refusal.errors, needs_csrf=True))
    if request.method == "POST":
        if not EMAIL.match(values["courriel"]):
            errors["courriel"] = "Adresse électronique invalide (exemple : prenom.nom@etablissement.fr)."
        for key in ("nom", "prenom"):
            if not values[key]:
                errors[key] = "Ce champ est obligatoire."
            elif len(values[key]) > 100:
                errors[key] = "Ce texte est trop long."
        if errors:
            raise Refusal(errors=errors)
        base = current_app.config["SETTINGS"].portal_base_url + url_for("email_login.ask")
        request_link(get_session(), email=values["courriel"], family_name=values["nom"],
                     given_name=values["prenom"], link_base=base)
        return render("auth/email_sent.html", email=values["courriel"],
                      dev_inbox=not current_app.config["SETTINGS"].is_production)
    return render("auth/email_ask.html", values=values, errors=errors, needs_csrf=True)


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def follow(token: str):
    """GET only shows a button: mail scanners that open links must not spend them."""
    if request.method == "GET":
        return render("auth/email_confirm.html", token=token, needs_csrf=True)
    try:
        login = consume_link(get_session(), token)
    except HasCard as exc:
        keep()  # the link is spent all the same
        return render("auth/email_confirm.html", token=token, needs_csrf=True, status=409, error=str(exc))
    if login is None:
        refuse()
        return render("auth/email_confirm.html", token=token, needs_csrf=True, status=400,
                      error="Ce lien a déjà servi ou a expiré : demandez-en un nouveau.")
    start_portal_session(login.id)
    filed = get_session().exec(select(Filing.id).where(Filing.form == "F101", Filing.filer_id == login.person_id,
                                                       Filing.state != "brouillon")).first()
    # a second visit (the F101 deposited, or accepted and the card on its way): the dashboard says what comes next
    return redirect(url_for("dashboard.index") if filed else url_for("filings.start", form="F101"), code=303)
