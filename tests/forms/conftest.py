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


def agent_of(person, role: str = "ans_operator"):
    """The actor an agency person is for the rules (what the login builds from their grants)."""
    from app.domain.permissions import Actor

    return Actor(national_id=person.national_id, person_id=person.id, agency_roles=frozenset({role}))


def f413_payload(admins, family: str = "ORG") -> dict:
    return {"famille": {"famille": family, **({"domaines": "chu-essai.example"} if family == "SERV" else {})},
            "administrateurs": [{"civilite": "M", "nom": a.family_name, "prenom": a.given_name,
                                 "identifiant": a.national_id, "courriel": a.email or "x@example.org",
                                 "usage": "DMP", "editeur": "Éditeur", "solution": "DPI"} for a in admins],
            "contact": {"courriel": "informatique@chu.example"}, "engagements": {"cgu": True, "pc": True}}


@pytest.fixture()
def make_filing(db, hsm, world):
    """``make_filing(state=…)``: an F413 of the world's hospital by its mandataire, taken through the operations
    (draft, deposit with its sealed PDF, then the operator's transitions) to the state asked."""
    from app.operations import casefiles
    from app.operations.forms import workflow

    paths = {"brouillon": [], "depose": [], "en_instruction": ["passer_en_instruction"],
             "a_corriger": ["demander_correction"], "accepte": ["accepter"], "refuse": ["refuser"]}

    def make(state: str = "depose", *, filer=None, admins=None, family: str = "ORG"):
        filer = filer or world["mandataire"]
        filing = casefiles.open_draft(db, form="F413", structure_id=world["hospital"].id, filer_id=filer.id,
                                      actor=filer.national_id)
        for part, data in f413_payload(admins or [world["admin"]], family).items():
            casefiles.save_part(db, filing, part, data)
        if state == "brouillon":
            return filing
        flow = workflow(hsm)
        casefiles.deposit(db, filing, flow, actor=filer.national_id, auth_method="cps-tls",
                          idempotency_key=filing.idempotency_key)
        for verb in paths[state]:
            casefiles.act(db, filing, verb, flow, agent=agent_of(world["operator"]), message="Motif d’essai")
        return filing

    return make
