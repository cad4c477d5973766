"""A hospital with its PUI, a prescriber and a PUI pharmacist practising there, another hospital's pharmacist,
an ANSM evaluator, two référentiel products (one open, one whose AAC ended) and the PKI that seals decisions."""

from __future__ import annotations

from datetime import date

import pytest

from app.models import PracticeActivity, ReferentialMedicine
from app.operations.pki import init_pki
from tests.factories import Browser

CRITERIA = ["Patient adulte avec diagnostic génétique confirmé", "Absence d’alternative thérapeutique"]


@pytest.fixture()
def aac_world(db, hsm, make_structure, make_person, make_agency_role):
    init_pki(db, hsm, "http://localhost")
    hospital = make_structure(kind="EJ", name="CHU d’essai", public=True)
    other = make_structure(kind="EJ", name="CH voisin", public=True)
    prescriber = make_person(profession_code="10", family_name="MEDECIN", given_name="Paul",
                             email="paul@chu.example", civility="DR")
    colleague = make_person(profession_code="10", family_name="CONFRERE", given_name="Jean")
    pharmacist = make_person(profession_code="21", family_name="PHARMA", given_name="Léa", email="lea@chu.example")
    foreign_pharmacist = make_person(profession_code="21", family_name="AUTREPUI", given_name="Max")
    evaluator = make_person(profession_code="21", family_name="EVALUATRICE", given_name="Inès")
    make_agency_role(evaluator, "ansm_evaluator")
    laboratory = make_person(profession_code="", family_name="LABO", given_name="Nora",
                             national_id="3" + hospital.finess + "/LAB0001")
    other_laboratory = make_person(profession_code="", family_name="AUTRELABO", given_name="Ugo",
                                   national_id="3" + hospital.finess + "/LAB0002")
    from app.models import AgencyRole

    crpv = make_person(profession_code="21", family_name="PHARMACOVIGILANCE", given_name="Rose",
                       email="crpv@chu.example")
    db.add_all([AgencyRole(national_id=laboratory.national_id, role="laboratory", scope="Laboratoires Orphelins SA"),
                AgencyRole(national_id=other_laboratory.national_id, role="laboratory", scope="Hémato"),
                AgencyRole(national_id=crpv.national_id, role="crpv", scope="PDL")])
    product = ReferentialMedicine(code="AAC-9001", name="Rarexib 50 mg, comprimé", dci="rarexibumab",
                                  pharmaceutical_form="comprimé", strength="50 mg", status="AAC",
                                  laboratory="Laboratoires Orphelins SA", max_days=180,
                                  conditions="Réserve hospitalière.",
                                  indications=[{"code": "I1", "label": "Amylose héréditaire à transthyrétine",
                                                "status": "en_cours", "criteria": CRITERIA}])
    ended = ReferentialMedicine(code="AAC-9002", name="Hemacort 20 mg, gélule", dci="hémacortine",
                                pharmaceutical_form="gélule", strength="20 mg", status="AAC", laboratory="Hémato",
                                ended_on=date(2026, 6, 30),
                                indications=[{"code": "I1", "label": "Anémie", "status": "terminee", "criteria": []}])
    db.add_all([product, ended])
    for person, structure, pui in ((prescriber, hospital, False), (colleague, hospital, False),
                                   (pharmacist, hospital, True), (foreign_pharmacist, other, True)):
        db.add(PracticeActivity(person_id=person.id, structure_id=structure.id,
                                profession_code=person.profession_code, pharmacy_pui=pui))
    db.flush()
    return dict(hospital=hospital, other=other, prescriber=prescriber, colleague=colleague, pharmacist=pharmacist,
                foreign_pharmacist=foreign_pharmacist, evaluator=evaluator, product=product, ended=ended,
                laboratory=laboratory, other_laboratory=other_laboratory, crpv=crpv)


@pytest.fixture()
def as_actor(as_person, aac_world):
    """The practices are in place (the prescribers and a PUI pharmacist at the hospital, another PUI pharmacist
    at the other one); the card login keeps them."""

    def login(role: str) -> Browser:
        return as_person(aac_world[role])

    return login


@pytest.fixture()
def make_aac_request(db, hsm, aac_world):
    """``make_aac_request(state=…)``: a request of the world's prescriber taken through the operations (draft,
    sent to the PUI, transmitted: granted at once when every criterion is attested, else to the evaluator)."""
    from app.models.base import utcnow
    from app.operations import aac
    from tests.aac.test_requests import answers

    def make(state: str = "a_valider_pui", *, criteria=CRITERIA, justification: str = "Urgence."):
        prescriber, pharmacist = aac_world["prescriber"], aac_world["pharmacist"]
        filing = aac.open_request(db, prescriber_id=prescriber.id, actor=prescriber.national_id,
                                  code=aac_world["product"].code)
        for step, data in answers(aac_world, criteria=criteria, justification=justification).items():
            aac.save_step(db, filing, step, data)
        if state == "brouillon":
            return filing
        today = utcnow().date()
        aac.submit(db, filing, actor=prescriber.national_id, auth_method="cps-tls",
                   activity_ids={aac_world["hospital"].id}, today=today, link="")
        if state == "a_valider_pui":
            return filing
        aac.transmit(db, filing, hsm, actor=pharmacist.national_id, auth_method="cps-tls",
                     base_url="http://localhost", today=today)
        assert filing.state == state, (filing.state, state)  # octroyee (all criteria) or transmise
        return filing

    return make
