"""The demo data must itself pass the portal's identifier checks."""

from app.domain.codes import AGENCY_ROLES, CARD_TYPES, HABILITATION_ROLES
from app.domain.identifiers import parse_national_id, validate_finess, validate_siret
from seeds import data


def test_structures_have_valid_identifiers():
    keys = {s["key"] for s in data.STRUCTURES}
    for s in data.STRUCTURES:
        assert s.get("finess") or s.get("siret"), s["key"]
        if s.get("finess"):
            validate_finess(s["finess"])
        if s.get("siret"):
            validate_siret(s["siret"])
        if s["kind"] == "EG":
            assert s["parent"] in keys


def test_identities_are_valid_and_cover_the_test_kits():
    card_types = set()
    for ident in data.IDENTITIES:
        parse_national_id(ident["national_id"])
        for card_type, _serial, _ecps in ident["cards"]:
            assert card_type in CARD_TYPES
            card_types.add(card_type)
        for _key, role, family in ident.get("habilitations", []):
            assert role in HABILITATION_ROLES
            assert family in (None, "ORG", "SERV")
        for role in ident.get("agency_roles", []):
            role, _, scope = role.partition(":")  # « laboratory:<its name> », « crpv:<region> »
            assert role in AGENCY_ROLES and bool(scope) == (role in ("laboratory", "crpv"))
    assert {"CPS", "CPF", "CPE", "CDE", "CPA"} <= card_types
    assert any(len(i.get("activities", [])) > 1 for i in data.IDENTITIES), "a médecin with several activities"
    assert any(a.get("pharmacy_pui") for i in data.IDENTITIES for a in i.get("activities", []))


def test_structures_cover_the_demo_cases():
    kinds = [(s["kind"], s.get("public"), s.get("dialysis", False)) for s in data.STRUCTURES]
    assert sum(1 for s in data.STRUCTURES if s.get("parent") == "chu") == 2
    assert ("EJ", False, True) in kinds
    assert sum(1 for s in data.STRUCTURES if s.get("ght")) == 2
    assert any(s["kind"] == "ORG" for s in data.STRUCTURES)
    statuses = {m["status"] for m in data.MEDICINES}
    assert statuses == {"AAC", "AAP", "CPC"}
