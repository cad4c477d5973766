"""F413, a structure's technical administrators of certificates (ORG or SERV family, SERV with its DNS
domains), at the level of identification its kind requires."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import Filing, Person, Structure
from app.operations import domains

from .behaviour import FormBehaviour
from .means import Means
from .people import check_designations, grant, person_with_active_card


def certified_identifier_rule(structure: Structure) -> str | None:
    """Why this structure may not carry an F413 (FINESS EJ for public hospitals and dialysis centres, EG for
    private establishments, SIRET outside FINESS), or None when it may."""
    if structure.kind == "ORG":
        return None if structure.siret else "Une structure hors FINESS est identifiée par son SIRET."
    if (structure.public or structure.dialysis) and structure.kind != "EJ":
        return ("Les établissements publics et les centres de dialyse déclarent leurs administrateurs au niveau "
                "du FINESS juridique (EJ) : déposez le formulaire pour l’entité juridique.")
    if not (structure.public or structure.dialysis) and structure.kind != "EG":
        return ("Les établissements privés déclarent leurs administrateurs au niveau du FINESS géographique "
                "(EG) : déposez un formulaire par site.")
    return None


def _check_fields(db: Session, structure: Structure, payload: dict, found: dict) -> None:
    if (why := certified_identifier_rule(structure)) is not None:
        found.setdefault("famille", {})["structure"] = why
    famille = payload.get("famille") or {}
    if famille.get("famille") == "SERV" and not (famille.get("domaines") or "").strip():
        found.setdefault("famille", {}).setdefault(
            "domaines", "Déclarez les domaines DNS des serveurs : les certificats SERV ne porteront que des noms "
                        "situés dans ces domaines.")
    elif famille.get("famille") == "ORG" and (famille.get("domaines") or "").strip():
        found.setdefault("famille", {}).setdefault(
            "domaines", "Les certificats ORG ne portent aucun nom DNS : laissez ce champ vide.")
    if famille.get("delegation") and not (famille.get("editeur_raison_sociale") and famille.get("editeur_siret")):
        found.setdefault("famille", {}).setdefault(
            "editeur_raison_sociale", "Indiquez la raison sociale et le SIRET de l’éditeur délégataire.")
    rows = payload.get("administrateurs") or []
    check_designations(db, rows, "administrateurs", found, structure=structure, role="technical_admin",
                       adding=("ajouter",), family_of=lambda row: famille.get("famille") or None)
    own = {structure.finess} | {s.finess for s in db.exec(select(Structure).where(
        Structure.parent_id == (structure.parent_id or structure.id)))} | (
        {db.get(Structure, structure.parent_id).finess} if structure.parent_id else set())
    for i, row in enumerate(rows):
        for finess in (row.get("perimetre") or "").split():
            if finess in own:
                continue
            other = db.exec(select(Structure).where(Structure.finess == finess)).first()
            why = (f"Le FINESS {finess} relève d’une autre entité juridique ({other.name}) : un F413 ne couvre "
                   "qu’une entité juridique, même dans un GHT ou un groupe ; déposez-en un par entité."
                   if other else f"Le FINESS {finess} n’est pas un site de cette structure.")
            found.setdefault("administrateurs", {})[f"rows-{i}-perimetre"] = why


def check(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    _check_fields(db, structure, payload, found)
    filer = db.get(Person, filing.filer_id)
    if person_with_active_card(db, filer.national_id) is None:
        found.setdefault("engagements", {})["filer"] = ("Le déclarant d’un F413 doit détenir une carte active "
                                                        "(CPS, CPE, CDE…).")


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    family = filing.payload["famille"]["famille"]
    for row in filing.payload["administrateurs"]:
        grant(db, filing, actor, row["identifiant"], "technical_admin", family)
    if family == "SERV":
        domains.declare(db, structure_id=filing.structure_id, text=filing.payload["famille"].get("domaines", ""),
                        source=filing.reference, actor=actor)


BEHAVIOURS = (FormBehaviour("F413", rules=check, on_acceptance=accept),)
