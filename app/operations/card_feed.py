"""Who outside the database learns a card's new status once it is committed: in development and tests, the PSC
sandbox (as ANS's card management tells the real Pro Santé Connect which cards are opposed). Every path that
changes a card's status (an order's transition, an F501 at deposit or at acceptance, the fleet) goes through the
ORM, so one listener sees them all; nothing is told of a rolled-back change."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session

from app.models import Card

_CHANGED = "card_statuses"
listener: Callable[[dict[str, str]], None] | None = None  # set by the app factory outside production


@sa.event.listens_for(Session, "before_flush")
def _seen(session: Session, _context, _instances) -> None:
    for card in (*session.new, *session.dirty):
        if isinstance(card, Card) and sa.inspect(card).attrs.status.history.has_changes():
            session.info.setdefault(_CHANGED, {})[card.serial] = card.status


@sa.event.listens_for(Session, "after_commit")
def _tell(session: Session) -> None:
    changes = session.info.pop(_CHANGED, None)
    if changes and listener is not None:
        listener(changes)


@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
