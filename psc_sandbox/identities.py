"""The sandbox's test identities, built from seeds/ in PSC's claim shapes."""

from __future__ import annotations

from pathlib import Path

from app.psc import registry
from seeds import data

STRUCTURES = {s["key"]: s for s in data.STRUCTURES}
TEST_CARD_PIN = "1234"  # every sandbox test card has this PIN; three wrong PINs block the card
SECTORS = {"EJ": "SA01", "EG": "SA01", "ORG": "SA52"}


REGISTRY: Path | None = None  # set by the sandbox app: identities added since the seeds (registry.py)


def identities() -> list[dict]:
    return data.IDENTITIES + (registry.load(REGISTRY) if REGISTRY is not None else [])


ENDED = ("opposee", "revoquee")


def card_usable(ident: dict) -> bool:
    """Whether one of the identity's cards still opens a session: an opposed or revoked card does not, as the real
    PSC checks the card's status; the e-CPS activated earlier is not the card and keeps working."""
    statuses = registry.load_statuses(REGISTRY) if REGISTRY is not None else {}
    return any(statuses.get(str(card[1])) not in ENDED for card in ident.get("cards") or [])


def find(national_id: str) -> dict | None:
    return next((i for i in identities() if i["national_id"] == national_id), None)


def display_name(ident: dict) -> str:
    prefix = "Dr " if ident["civility"] == "DR" else ""
    return f"{prefix}{ident['given_name']} {ident['family_name']}"


def _activity(act: dict) -> dict:
    # seeded identities name a seeded structure; test identities (F414) carry their structure inline
    site = act.get("site") or STRUCTURES[act["structure"]]
    legal = act.get("legal") or (STRUCTURES[site["parent"]] if site.get("parent") else site)
    return {
        "codeModeExercice": act.get("practice_mode", "S"),
        "codeSecteurDactivite": SECTORS.get(site["kind"], ""),
        "codeSectionPharmacien": "H" if act.get("pharmacy_pui") else "",
        "numeroFinessSite": site.get("finess") or "",
        "numeroFinessetablissementJuridique": legal.get("finess") or "",
        "numeroSiretSite": site.get("siret") or "",
        "raisonSocialeSite": site["name"],
        "enseigneCommercialeSite": "",
        "codePostal": site.get("postal_code", ""),
        "commune": site.get("city", ""),
    }


def psc_claims(ident: dict, auth_mode: str) -> dict:
    """Userinfo as PSC shapes it (empty strings for absent values included)."""
    exercises: dict[str, dict] = {}
    for act in ident.get("activities", []):
        ex = exercises.setdefault(act["profession_code"], {
            "codeProfession": act["profession_code"],
            "codeCategorieProfessionnelle": ident["category"],
            "codeCiviliteDexercice": ident["civility"],
            "nomDexercice": ident["family_name"],
            "prenomDexercice": ident["given_name"],
            "codeTypeSavoirFaire": "S" if act.get("specialty_code") else "",
            "codeSavoirFaire": act.get("specialty_code", ""),
            "activities": [],
        })
        ex["activities"].append(_activity(act))
    nid = ident["national_id"]
    other_ids = [{"identifiant": nid[1:], "origine": "RPPS", "qualite": 1}] if nid.startswith("8") else []
    return {
        "SubjectNameID": nid,
        "preferred_username": nid,
        "given_name": ident["given_name"],
        "family_name": ident["family_name"],
        "SubjectOrganization": "",
        "SubjectRefPro": {"codeCivilite": ident["civility"], "exercices": list(exercises.values())},
        "otherIds": other_ids,
        "SubjectRole": [f"{p}_{ident['category']}" for p in exercises] if exercises else [],
        "authMode": auth_mode,
        "email": "",
    }
