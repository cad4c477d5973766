"""The query side of the rights model (``app/domain/permissions.py``): each reach as an SQL filter, so that a list
shows exactly what ``can()`` opens."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.permissions import TECHNICAL_ADMINISTRATORS, Actor, structure_and_its_ej
from app.models import Habilitation, Structure


def structures_reached(held) -> sa.ColumnElement[bool]:
    """Structure rows a reach covers: those held (ids, or an expanding bind parameter) and the sites of an EJ held."""
    return Structure.id.in_(held) | Structure.parent_id.in_(held)


def administered(db: Session, actor: Actor) -> dict[int, set[str]]:
    """Structure id -> the certificate families the actor administers there (a habilitation on an EJ covers its
    sites)."""
    families: dict[int, set[str]] = {}
    for h in actor.habilitations:
        if h.role in TECHNICAL_ADMINISTRATORS.roles and h.certificate_family:
            families.setdefault(h.structure_id, set()).add(h.certificate_family)
    if families:
        for site_id, parent_id in db.exec(select(Structure.id, Structure.parent_id)
                                          .where(Structure.parent_id.in_(list(families)))):
            families.setdefault(site_id, set()).update(families[parent_id])
    return families


def technical_administrators(structure: Structure, family: str) -> sa.ColumnElement[bool]:
    """The current habilitations that make someone a technical administrator of ``family`` on ``structure``, as
    the habilitations stored (a person's API token, the notices of a certificate's end, who is asked at issuance)."""
    return (Habilitation.structure_id.in_(structure_and_its_ej(structure))
            & Habilitation.role.in_(TECHNICAL_ADMINISTRATORS.roles)
            & (Habilitation.certificate_family == family) & Habilitation.ended_at.is_(None))
