"""Idempotent loader: creates what is missing, keyed by natural identifiers, never duplicates."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, select

from app.models import (
    Card,
    DomainControl,
    Ght,
    Habilitation,
    Person,
    PracticeActivity,
    ReferentialMedicine,
    ServDomain,
    Structure,
)
from app.models.base import utcnow
from app.operations import audit
from app.operations.roles import grant_role

from . import data

ACTOR = "seed"


ESTABLISHMENT_CARDS = frozenset({"CPE", "CDE", "CPA", "CDA"})


def load(db: Session) -> Counter:
    """Load the demo data; returns how many rows of each kind were created."""
    created: Counter = Counter()
    ghts = {g["code"]: _get_or_create(db, created, Ght, {"code": g["code"]}, g) for g in data.GHTS}
    structures: dict[str, Structure] = {}
    for s in data.STRUCTURES:
        natural = {"finess": s["finess"]} if s.get("finess") else {"siret": s["siret"]}
        values = {
            "kind": s["kind"], "name": s["name"], "finess": s.get("finess"), "siret": s.get("siret"),
            "legal_form": s.get("legal_form", ""), "public": s.get("public", False),
            "dialysis": s.get("dialysis", False), "street": s.get("street", ""),
            "postal_code": s.get("postal_code", ""), "city": s.get("city", ""),
            "departement": s.get("departement", ""),
            "parent_id": structures[s["parent"]].id if s.get("parent") else None,
            "ght_id": ghts[s["ght"]].id if s.get("ght") else None,
            "contract_signed_at": utcnow() if s.get("contract") else None,
        }
        structures[s["key"]] = _get_or_create(db, created, Structure, natural, values)
        for domain in s.get("serv_domains", []):
            _get_or_create(db, created, ServDomain, {"structure_id": structures[s["key"]].id, "name": domain},
                           {"structure_id": structures[s["key"]].id, "name": domain, "source": "seed"})
            if domain in s.get("serv_unproven", []):
                continue
            # the demonstration's other domains (.example) count as proven on the day they are loaded
            _get_or_create(db, created, DomainControl, {"structure_id": structures[s["key"]].id, "name": domain},
                           {"structure_id": structures[s["key"]].id, "name": domain, "method": "dns-01",
                            "token": "demonstration", "requested_by": "seed", "validated_at": utcnow(),
                            "validated_by": "seed"})

    for ident in data.IDENTITIES:
        person = _get_or_create(db, created, Person, {"national_id": ident["national_id"]}, {
            "national_id": ident["national_id"], "civility": ident["civility"], "given_name": ident["given_name"],
            "family_name": ident["family_name"], "profession_code": ident["profession_code"],
            "profession_category": ident["category"],
            "email": ident.get("email") or demo_email(ident),
        })
        # a staff card's number names its structure: 3 + FINESS or 5 + SIRET, before the « / »
        prefix, number = ident["national_id"][:1], ident["national_id"][1:].split("/")[0]
        workplace = next((s.id for s in structures.values() if (prefix, number) in (("3", s.finess), ("5", s.siret))),
                         None)
        for card_type, serial, ecps in ident.get("cards", []):
            # an establishment's card belongs to its structure's fleet (« Cartes de la structure »)
            _get_or_create(db, created, Card, {"serial": serial},
                           {"person_id": person.id, "card_type": card_type, "serial": serial, "ecps_active": ecps,
                            "structure_id": workplace if card_type in ESTABLISHMENT_CARDS else None})
        for act in ident.get("activities", []):
            structure = structures[act["structure"]]
            _get_or_create(db, created, PracticeActivity,
                           {"person_id": person.id, "structure_id": structure.id,
                            "profession_code": act["profession_code"]},
                           {"person_id": person.id, "structure_id": structure.id,
                            "profession_code": act["profession_code"],
                            "specialty_code": act.get("specialty_code", ""),
                            "practice_mode": act.get("practice_mode", "S"),
                            "pharmacy_pui": act.get("pharmacy_pui", False)})
        for key, role, family in ident.get("habilitations", []):
            structure = structures[key]
            _get_or_create(db, created, Habilitation,
                           {"person_id": person.id, "structure_id": structure.id, "role": role,
                            "certificate_family": family},
                           {"person_id": person.id, "structure_id": structure.id, "role": role,
                            "certificate_family": family, "source": "seed"})
    for med in data.MEDICINES:
        _get_or_create(db, created, ReferentialMedicine, {"code": med["code"]}, medicine_values(med))
    db.commit()
    for ident in data.IDENTITIES:
        for role in ident.get("agency_roles", []):
            role, _, scope = role.partition(":")  # « laboratory:<its name> », « crpv:<region> »
            _, new = grant_role(db, ident["national_id"], role, granted_by=ACTOR, scope=scope)
            created["AgencyRole"] += int(new)
    db.commit()
    return created


def medicine_values(med: dict) -> dict:
    """A product as the référentiel stores it: its indication becomes the first of its list, with its criteria."""
    from datetime import date

    values = dict(med)
    values.setdefault("indications", [{"code": "I1", "label": med.get("indication", ""), "status": "en_cours",
                                       "criteria": list(med.get("granting_criteria", []))}])
    for key in ("ended_on", "cpc_until"):
        if isinstance(values.get(key), str):
            values[key] = date.fromisoformat(values[key])
    return values


def demo_email(ident: dict) -> str:
    """Demo people get an address under a reserved name (.localhost): the dev inbox shows what they receive."""
    return f"{ident['given_name']}.{ident['family_name']}@demo.portail-sante.localhost".lower()


def _get_or_create(db: Session, created: Counter, model, natural: dict, values: dict):
    query = select(model)
    for column, value in natural.items():
        query = query.where(getattr(model, column) == value)
    row = db.exec(query).first()
    if row is not None:
        return row
    row = model(**values)
    db.add(row)
    db.flush()
    audit.record(db, actor=ACTOR, action="seed.created", object_type=model.__tablename__, object_id=row.id,
                 after={k: v for k, v in natural.items()})
    created[model.__name__] += 1
    return row
