"""What the portal already knows goes into the forms, so nobody types it twice."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import Filing, Person

IDENTITY_FIELDS = {"nom": "family_name", "prenom": "given_name", "courriel": "email"}


def from_records(db: Session, row: dict) -> dict:
    """The identity fields still empty in ``row`` that the portal's record of its national id fills."""
    national_id = (row.get("identifiant") or "").strip()
    if not national_id:
        return {}
    person = db.exec(select(Person).where(Person.national_id == national_id)).first()
    if person is None:
        return {}
    found = {key: getattr(person, attr) for key, attr in IDENTITY_FIELDS.items()
             if not row.get(key) and getattr(person, attr)}
    if not row.get("civilite") and person.civility in ("M", "MME"):
        found["civilite"] = person.civility
    return found


def last_contact(db: Session, structure_id: int) -> dict | None:
    """The contact block of the structure's latest deposited filing (contacts are written once)."""
    for payload in db.exec(select(Filing.payload).where(Filing.structure_id == structure_id,
                                                        Filing.reference.is_not(None))
                           .order_by(Filing.id.desc()).limit(10)):
        if (payload or {}).get("contact", {}).get("courriel"):
            return dict(payload["contact"])
    return None
