"""Development only: the « boîte de réception » lists what the outbox would send (or has sent)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from sqlmodel import select

from app.db import get_session
from app.models import OutboxMessage
from app.web.rendering import render

bp = Blueprint("inbox", __name__)


@bp.get("/boite-de-reception")
def index():
    """Open to anyone in development (a legal representative without a card reads their link here); absent in
    production, where mail really leaves."""
    if current_app.config["SETTINGS"].is_production:
        abort(404)
    messages = get_session().exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)).all()
    return render("inbox/index.html", messages=messages)
