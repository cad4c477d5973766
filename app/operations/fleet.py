"""A structure's card fleet (TOM's « gestion de parc »): every card of the structure and of its sites, with its
holder, type, number, status and expiry, filtered and paged by key — a hospital's 5,000 cards cost the same per
page as fifty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import Card, CardOrder, Person, Structure
from app.models.base import utcnow

PAGE = 50
EXPIRING = timedelta(days=90)
FILTERS = {"toutes": "Toutes", "actives": "Actives", "expirent": "Expirent dans les 90 jours",
           "opposees": "En opposition", "en_attente": "Fabriquées, pas encore activées", "revoquees": "Révoquées"}


@dataclass(frozen=True)
class FleetQuery:
    filter: str = "toutes"
    search: str = ""
    after: int | None = None  # keyset: the last card id of the previous page (pages go by decreasing id)


def structure_and_its_sites(db: Session, structure_id: int) -> list[int]:
    """The structure and, for an EJ, its sites."""
    sites = db.execute(sa.select(Structure.id).where(Structure.parent_id == structure_id)).scalars().all()
    return [structure_id, *sites]


_COLUMNS = (Card.id, Card.serial, Card.card_type, Card.status, Card.expires_at, Card.structure_id,
            Person.national_id, Person.civility, Person.family_name, Person.given_name,
            CardOrder.id.label("order_id"), CardOrder.state.label("order_state"),
            CardOrder.revocation_requested_at)


def _statement(structure_ids: list[int], query: FleetQuery, now: datetime):
    statement = (sa.select(*_COLUMNS).join(Person, Person.id == Card.person_id)
                 .outerjoin(CardOrder, CardOrder.card_id == Card.id)
                 .where(Card.structure_id.in_(structure_ids)))
    kind = query.filter
    if kind == "actives":
        statement = statement.where(Card.status == "active")
    elif kind == "expirent":
        statement = statement.where(Card.status == "active", Card.expires_at.is_not(None),
                                    Card.expires_at <= now + EXPIRING)
    elif kind == "opposees":
        statement = statement.where(Card.status == "opposee")
    elif kind == "en_attente":
        statement = statement.where(Card.status == "fabriquee")
    elif kind == "revoquees":
        statement = statement.where(Card.status == "revoquee")
    text = query.search.strip()
    if text:
        like = f"%{text.upper().replace('%', '').replace('_', '')}%"
        statement = statement.where(sa.or_(sa.func.upper(Person.family_name).like(like), Card.serial == text,
                                           Person.national_id == text))
    return statement


def page(db: Session, structure_id: int, query: FleetQuery, size: int = PAGE, now: datetime | None = None
         ) -> tuple[list[sa.Row], int | None]:
    """One page of cards, newest first, and the key of the next page (None on the last)."""
    statement = _statement(structure_and_its_sites(db, structure_id), query, now or utcnow())
    if query.after is not None:
        statement = statement.where(Card.id < query.after)
    found = db.execute(statement.order_by(Card.id.desc()).limit(size + 1)).all()
    return found[:size], (found[size - 1].id if len(found) > size else None)


def count(db: Session, structure_id: int, query: FleetQuery, now: datetime | None = None) -> int:
    inner = _statement(structure_and_its_sites(db, structure_id), FleetQuery(query.filter, query.search),
                       now or utcnow()).subquery()
    return db.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()


def every(db: Session, structure_id: int, query: FleetQuery, now: datetime | None = None):
    """Every card of the filter, for the CSV export, read by pages of a thousand."""
    after = None
    while True:
        rows, after = page(db, structure_id, FleetQuery(query.filter, query.search, after), size=1000, now=now)
        yield from rows
        if after is None:
            return


def ordered(db: Session, structure_id: int) -> list[CardOrder]:
    """The cards ordered for the structure and its sites and not made yet (new ones, replacements): they appear in
    the fleet as « commandée » until the agency makes them."""
    ids = structure_and_its_sites(db, structure_id)
    return list(db.exec(select(CardOrder).where(CardOrder.structure_id.in_(ids), CardOrder.state == "commandee")
                        .order_by(CardOrder.id.desc()).limit(100)))
