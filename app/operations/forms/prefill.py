"""What the portal already knows goes into the forms, so nobody types it twice."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import Card, Filing, Habilitation, Person, PracticeActivity, Structure

NAME_FIELDS = {"nom": "family_name", "prenom": "given_name"}


_SITES = sa.select(Structure.id).where(Structure.parent_id == sa.bindparam("ej"))  # built once: pages call it


def legal_entity(db: Session, structure_id: int) -> set[int]:
    """The structure, its EJ and the EJ's other sites: one legal entity."""
    structure = db.get(Structure, structure_id)
    if structure is None:
        return set()
    ej = structure.parent_id or structure.id
    return {ej, structure.id} | set(db.connection().execute(_SITES, {"ej": ej}).scalars())


def belongs_to(db: Session, person_id: int, structure_ids: set[int]) -> bool:
    """A card of, a current role on, or a practice in one of these structures."""
    if not structure_ids:
        return False
    ids = list(structure_ids)
    return any(db.exec(query).first() is not None for query in (
        select(Card.id).where(Card.person_id == person_id, Card.structure_id.in_(ids)),
        select(Habilitation.id).where(Habilitation.person_id == person_id, Habilitation.structure_id.in_(ids),
                                      Habilitation.ended_at.is_(None)),
        select(PracticeActivity.id).where(PracticeActivity.person_id == person_id,
                                          PracticeActivity.structure_id.in_(ids))))


def from_records(db: Session, row: dict, *, structure_id: int | None) -> dict:
    """The name fields still empty in ``row`` that the portal's record of its national id fills, and only for a
    person of the filing structure: a national id typed by anyone reveals nobody's name or address."""
    national_id = (row.get("identifiant") or "").strip()
    if not national_id or structure_id is None:
        return {}
    person = db.exec(select(Person).where(Person.national_id == national_id)).first()
    if person is None or not belongs_to(db, person.id, legal_entity(db, structure_id)):
        return {}
    found = {key: getattr(person, attr) for key, attr in NAME_FIELDS.items()
             if not row.get(key) and getattr(person, attr)}
    if not row.get("civilite") and person.civility in ("M", "MME"):
        found["civilite"] = person.civility
    return found


def last_contact(db: Session, structure_id: int, *, reader_id: int, manager: bool) -> dict | None:
    """The contact block of the structure's latest accepted filing that the reader may read (their own, or any
    of the structure's when they manage it): never one an outsider deposited, never one the reader may not see."""
    query = select(Filing.payload).where(Filing.structure_id == structure_id, Filing.state == "accepte")
    if not manager:
        query = query.where(Filing.filer_id == reader_id)
    for payload in db.exec(query.order_by(Filing.id.desc()).limit(10)):
        if (payload or {}).get("contact", {}).get("courriel"):
            return dict(payload["contact"])
    return None
