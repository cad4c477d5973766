"""A world for the ANS forms: a public hospital (EJ with a site), its director and a mandataire holding
cards, an ANS operator, and the PKI that seals the deposited forms."""

from __future__ import annotations

import pytest

from app.operations.pki import init_pki


@pytest.fixture()
def world(db, hsm, make_structure, make_person, make_card, make_habilitation, make_agency_role):
    init_pki(db, hsm, "http://localhost")
    hospital = make_structure(kind="EJ", name="CHU d’essai", public=True)
    site = make_structure(kind="EG", name="Site nord", parent=hospital, public=True)
    clinic = make_structure(kind="EG", name="Clinique privée", public=False)
    director = make_person(profession_code="", family_name="DIRECTRICE", given_name="Anne",
                           national_id=f"3{hospital.finess}/DIR0001", email="direction@chu.example")
    make_card(director, "CDE", structure=hospital)
    make_habilitation(director, hospital, "legal_representative")
    mandataire = make_person(profession_code="", family_name="MANDATAIRE", given_name="Marc",
                             national_id=f"3{hospital.finess}/ADM0002", email="marc@chu.example")
    make_card(mandataire, "CPE", structure=hospital)
    make_habilitation(mandataire, hospital, "mandataire")
    admin = make_person(profession_code="", family_name="ADMIN", given_name="Théo",
                        national_id=f"3{hospital.finess}/TECH0003", email="theo@chu.example")
    make_card(admin, "CPE", structure=hospital)
    no_card = make_person(profession_code="", family_name="SANSCARTE", given_name="Lou",
                          national_id=f"3{hospital.finess}/TECH0004")
    operator = make_person(family_name="OPERATRICE", given_name="Inès")
    make_agency_role(operator, "ans_operator")
    return dict(hospital=hospital, site=site, clinic=clinic, director=director, mandataire=mandataire, admin=admin,
                no_card=no_card, operator=operator)
