"""F502, the structure's mandataires designated or withdrawn by its legal representative."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Filing, Structure

from .behaviour import FormBehaviour
from .means import Means
from .people import check_designations, end, grant


def check(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    check_designations(db, payload.get("mandataires") or [], "mandataires", found, structure=structure,
                       role="mandataire", adding=("designer",))


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    for row in filing.payload["mandataires"]:
        change = grant if row["action"] == "designer" else end
        change(db, filing, actor, row["identifiant"], "mandataire")


BEHAVIOURS = (FormBehaviour("F502", rules=check, on_acceptance=accept),)
