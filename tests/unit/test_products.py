"""The products a usage needs and the dated structure rule, as plain data."""

from datetime import date

import pytest

from app.domain.products import PRIVATE_EJ_FROM, PRODUCTS, StructureFacts, structure_decision, usages_for

PUBLIC_EJ, PUBLIC_EG = StructureFacts("EJ", True, False), StructureFacts("EG", True, False)
DIALYSIS_EJ = StructureFacts("EJ", False, True)
PRIVATE_EJ, PRIVATE_EG = StructureFacts("EJ", False, False), StructureFacts("EG", False, False)
OUTSIDE = StructureFacts("ORG", False, False)
TODAY = date(2026, 11, 29)


def test_dmp_needs_two_certificates_and_insi_one():
    assert PRODUCTS[("ORG", "DMP")].profiles == ("ORG_AUTH_CLI", "ORG_SIGN")
    assert PRODUCTS[("ORG", "INSI")].profiles == ("ORG_AUTH_CLI",)
    assert [u for u, _ in usages_for("SERV")] == ["MSS", "AUTRE"]
    assert ("SERV", "DMP") not in PRODUCTS


@pytest.mark.parametrize("facts, renewal, attestation, today, allowed, rule, words", [
    (PUBLIC_EJ, False, False, TODAY, True, "public-ej", "FINESS juridique"),
    (DIALYSIS_EJ, False, False, TODAY, True, "public-ej", "dialyse"),
    (PUBLIC_EG, False, False, TODAY, False, "public-eg-renewal", "plus commandé"),
    (PUBLIC_EG, True, False, TODAY, True, "public-eg-renewal", "renouvelé"),
    (PRIVATE_EG, False, False, TODAY, True, "private-eg", "un certificat par site"),
    (PRIVATE_EJ, False, False, TODAY, False, "private-ej", "attestation"),
    (PRIVATE_EJ, False, True, TODAY, True, "private-ej", "métadonnées"),
    (PRIVATE_EJ, False, True, date(2024, 6, 1), False, "private-ej", PRIVATE_EJ_FROM.strftime("%d/%m/%Y")),
    (OUTSIDE, False, False, TODAY, True, "outside-finess", "SIRET"),
])
def test_structure_rule(facts, renewal, attestation, today, allowed, rule, words):
    decision = structure_decision(facts, renewal=renewal, attestation=attestation, today=today)
    assert decision.allowed is allowed and decision.rule.code == rule
    assert words in decision.message
