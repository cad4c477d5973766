"""F414, test cards: anyone orders individual test cards or an integration kit; accepting the form makes each card
a test identity of the PSC sandbox at once (card with PIN 1234, and e-CPS), as ANS's EDIT tool does, so a
publisher tests Pro Santé Connect minutes after asking."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select
from stdnum import luhn

from app.domain.identifiers import finess_check_digit
from app.domain.inputs import parse_int
from app.models import Filing, Person, Structure
from app.operations import audit, outbox

from .behaviour import FormBehaviour
from .means import Means

MAX_PER_ROW = 10
MAX_CARDS = 30
# offer -> (card type, profession, category, civility, activities, e-CPS)
PROFILES = {
    "cps_medecin": ("CPS", "10", "C", "DR", 1, True),
    "medecin_8": ("CPS", "10", "C", "DR", 8, True),
    "cps_infirmier": ("CPS", "60", "C", "MME", 1, True),
    "cps_pharmacien": ("CPS", "21", "C", "M", 1, True),
    "cpe": ("CPE", "", "", "M", 0, False),
    "cpa": ("CPA", "", "", "MME", 0, False),
}
KIT = ("cps_medecin", "medecin_8", "cps_infirmier", "cpe", "cpa")


def _cards(payload: dict) -> list[str]:
    offers = []
    for row in payload.get("cartes") or []:
        count = parse_int(row.get("quantite", ""), low=1, high=MAX_PER_ROW) or 0
        offers += [*(KIT if row.get("offre") == "kit" else (row.get("offre"),))] * count
    return offers


def check(payload: dict, found: dict) -> None:
    for i, row in enumerate(payload.get("cartes") or []):
        if row.get("quantite") and parse_int(row["quantite"], low=1, high=MAX_PER_ROW) is None:
            found.setdefault("cartes", {})[f"rows-{i}-quantite"] = f"De 1 à {MAX_PER_ROW} par ligne."
    if len(_cards(payload)) > MAX_CARDS:
        found.setdefault("cartes", {})["rows"] = (f"{MAX_CARDS} cartes de test au plus par commande (un kit en "
                                                  "compte 5).")


def _test_rpps() -> str:
    """8 + an RPPS number of ANS's test range (997…) with its Luhn key, as the portal checks it."""
    first = "997" + "".join(secrets.choice("0123456789") for _ in range(7))
    return "8" + first + luhn.calc_check_digit(first)


def _free_id(db: Session, taken: set[str], make) -> str:
    while True:
        value = make()
        if value not in taken and db.exec(select(Person.id).where(Person.national_id == value)).first() is None:
            taken.add(value)
            return value


def _site(structure: Structure, parent: Structure | None) -> tuple[dict, dict]:
    def shape(s: Structure) -> dict:
        return {"kind": s.kind, "finess": s.finess or "", "siret": s.siret or "", "name": s.name,
                "postal_code": s.postal_code, "city": s.city}

    return shape(structure), shape(parent or structure)


def test_structure(db: Session, structure: Structure) -> Structure:
    """The structure the test identities of ``structure``'s orders practise at: itself when it is flagged for
    integration tests, otherwise its twin made for them (a FINESS of département 99, which no real structure has).
    Test cards never join a real site's people: its prescribers never see a test pharmacist as theirs."""
    if structure.test_only:
        return structure
    name = f"{structure.name} – structure de test"[:200]
    twin = db.exec(select(Structure).where(Structure.test_only.is_(True), Structure.name == name)).first()
    if twin is None:
        first = f"99{structure.id % 1_000_000:06d}"
        twin = Structure(kind="EJ", name=name, finess=first + finess_check_digit(first), public=structure.public,
                         postal_code=structure.postal_code, city=structure.city, departement=structure.departement,
                         contract_signed_at=structure.contract_signed_at, test_only=True)
        db.add(twin)
        db.flush()
    return twin


def identities(db: Session, filing: Filing, structure: Structure) -> list[dict]:
    """The test identities of the order, in the sandbox's shape, practising at the order's test structure: a test
    RPPS number (8 + 997…) for health professionals, a staff number of the test structure (3 + its FINESS, then
    /TEST…) for the others."""
    structure = test_structure(db, structure)
    site, legal = _site(structure, None)
    staff_prefix = f"3{structure.finess}"
    taken: set[str] = set()
    made = []
    for n, offer in enumerate(_cards(filing.payload), 1):
        card_type, profession, category, civility, activities, ecps = PROFILES[offer]
        if profession:
            national_id = _free_id(db, taken, _test_rpps)
        else:
            national_id = _free_id(db, taken, lambda: f"{staff_prefix}/TEST{secrets.randbelow(10**6):06d}")
        serial = "2" + "".join(secrets.choice("0123456789") for _ in range(9))
        made.append({
            "national_id": national_id, "civility": civility, "given_name": "TEST",
            "family_name": f"{card_type}{filing.reference[-6:]}{n:02d}", "profession_code": profession,
            "category": category, "cards": [[card_type, serial, ecps]],
            "activities": [{"site": site, "legal": legal, "profession_code": profession,
                            "pharmacy_pui": profession == "21", "specialty_code": "SM54" if profession == "10"
                            else ""} for _ in range(activities)],
        })
    return made


def create(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    """At acceptance: the identities, given to the sandbox, recorded in the audit and mailed to the filer."""
    made = identities(db, filing, structure)
    if means.sandbox is not None:
        means.sandbox(made)
    listed = [{"identifiant": i["national_id"], "nom": f"{i['given_name']} {i['family_name']}",
               "carte": f"{i['cards'][0][0]} n° {i['cards'][0][1]}"} for i in made]
    audit.record(db, actor=actor, action="test_cards.created", object_type="filing", object_id=filing.id,
                 after={"identities": listed, "sandbox": means.sandbox is not None})
    filing.payload = {**filing.payload, "identites_test": listed}  # shown on the file, to the filer and the agency
    db.add(filing)
    filer = db.get(Person, filing.filer_id)
    lines = "\n".join(f"- {i['nom']} : {i['carte']}, identifiant {i['identifiant']}" for i in listed)
    outbox.queue(db, [filer.email or "", (filing.payload.get("contact") or {}).get("courriel", "")],
                 f"Vos cartes de test ({filing.reference})",
                 f"Les identités de test de la commande {filing.reference} sont prêtes dans le bac à sable Pro "
                 f"Santé Connect (code PIN des cartes : 1234 ; e-CPS activée pour les professionnels de santé) :\n"
                 f"{lines}", filing_id=filing.id)


BEHAVIOURS = (FormBehaviour("F414", rules=lambda db, filing, structure, payload, found: check(payload, found),
                            on_acceptance=create),)
