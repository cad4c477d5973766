"""F503, technical administrators added or withdrawn after the F413 (a SERV administrator with domains)."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Filing, Structure
from app.operations import domains

from .behaviour import FormBehaviour
from .means import Means
from .people import check_designations, end, grant


def check(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    for i, row in enumerate(payload.get("administrateurs") or []):
        if (row.get("domaines") or "").strip() and (row.get("action"), row.get("famille")) != ("ajouter", "SERV"):
            found.setdefault("administrateurs", {})[f"rows-{i}-domaines"] = (
                "Des domaines se déclarent seulement en ajoutant un administrateur de la famille SERV.")
    check_designations(db, payload.get("administrateurs") or [], "administrateurs", found, structure=structure,
                       role="technical_admin", adding=("ajouter",), family_of=lambda row: row.get("famille"))


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    for row in filing.payload["administrateurs"]:
        change = grant if row["action"] == "ajouter" else end
        change(db, filing, actor, row["identifiant"], "technical_admin", row["famille"])
        if row["action"] == "ajouter" and row["famille"] == "SERV" and row.get("domaines"):
            domains.declare(db, structure_id=filing.structure_id, text=row["domaines"], source=filing.reference,
                            actor=actor)


BEHAVIOURS = (FormBehaviour("F503", rules=check, on_acceptance=accept),)
