"""What the technical administrator's pages share (API tokens, ACME credentials, « Mes domaines »): the structures
they administer, and a page that shows a secret once."""

from __future__ import annotations

from flask import g
from sqlmodel import select

from app.db import get_session
from app.models import Structure
from app.operations import rights


def administered_structures(family: str | None = None) -> list[Structure]:
    """The structures where the actor administers certificates (of ``family`` if given), by name."""
    ids = [i for i, families in rights.administered(get_session(), g.actor).items()
           if family is None or family in families]
    return list(get_session().exec(select(Structure).where(Structure.id.in_(ids)).order_by(Structure.name)))


def shown_once(response):
    """The page may show a secret (a token, a key) that is never shown again: no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response
