"""Issue 16 §2: no agent decides a case file they filed, are named in, or that concerns a structure where they hold
a role; the queues say so. Forms (the operator who also holds a doctor's CPS), card orders, AAC (an evaluator who
also prescribes)."""

from __future__ import annotations

from io import BytesIO

from sqlmodel import select

from app.models import CardOrder, Filing, PracticeActivity
from tests.aac.test_requests import file_request
from tests.forms.test_walks import decide, deposit, fill, person_row, start, start_f101

CANNOT = "Vous ne pouvez pas instruire ce dossier"


def test_the_operator_cannot_accept_his_own_f101_and_another_operator_can(db, world, as_person, make_structure,
                                                                           make_card, make_person, make_agency_role):
    clinic = make_structure(kind="EJ", name="Clinique du Parc", public=False, contract=False)
    operator = world["operator"]
    make_card(operator, "CPS")
    browser = as_person(operator)
    filing_id = start_f101(browser, clinic)
    fill(browser, filing_id, "representant", person_row(operator, fonction="Directeur"))
    fill(browser, filing_id, "contact", {"courriel": "direction@parc.example"})
    fill(browser, filing_id, "contrat", {"contrat": "1", "exactitude": "1"})
    browser.post(f"/demarches/{filing_id}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "kbis.pdf")},
                 content_type="multipart/form-data")
    deposit(browser, db, filing_id)

    queue = browser.get("/instruction/").get_data(as_text=True)
    assert CANNOT in queue
    page = browser.get(f"/instruction/{filing_id}").get_data(as_text=True)
    assert "vous l’avez déposé" in page and f'action="/instruction/{filing_id}/accepter"' not in page
    for verb, message in (("accepter", ""), ("passer_en_instruction", ""), ("refuser", "non"),
                          ("demander_correction", "pièce")):
        refused = browser.post(f"/instruction/{filing_id}/{verb}", {"message": message})
        assert refused.status_code == 422 and CANNOT in refused.get_data(as_text=True), verb
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.state == "depose" and not clinic.contract_signed

    colleague = make_person(family_name="COLLEGUE", given_name="Rémi")
    make_agency_role(colleague, "ans_operator")
    other = as_person(colleague)
    assert CANNOT not in other.get("/instruction/").get_data(as_text=True)
    assert other.post(f"/instruction/{filing_id}/accepter", {"confirmation": "1"}).status_code == 303


def test_an_operator_with_a_role_on_the_structure_cannot_decide_its_files(db, world, as_person, make_habilitation):
    browser = as_person(world["director"])
    filing_id = start(browser, "F503", world["hospital"])
    fill(browser, filing_id, "administrateurs", {"rows": "1"} | {
        f"rows-0-{k}": v for k, v in person_row(world["admin"], action="ajouter", famille="ORG").items()})
    deposit(browser, db, filing_id)
    make_habilitation(world["operator"], world["hospital"], "mandataire")
    operator = as_person(world["operator"])
    refused = operator.post(f"/instruction/{filing_id}/accepter", {"confirmation": "1"})
    assert refused.status_code == 422 and "un rôle dans la structure concernée" in refused.get_data(as_text=True)


def test_an_operator_named_in_an_f301_cannot_fabricate_the_card(db, world, as_person, make_person,
                                                                make_agency_role, make_card):
    holder = make_person(profession_code="", family_name="AGENT", given_name="Noé",
                         national_id=f"3{world['hospital'].finess}/AG0009")
    make_card(holder, "CPE", structure=world["hospital"], status="revoquee")  # a former card of the hospital
    make_agency_role(holder, "ans_operator")
    browser = as_person(world["director"])
    filing_id = start(browser, "F301", world["hospital"])
    row = person_row(holder, date_naissance="1980-01-01", lieu_naissance="Nantes", fonction="Accueil",
                     justification="Accès aux locaux")
    fill(browser, filing_id, "titulaires", {"rows": "1"} | {f"rows-0-{k}": v for k, v in row.items()})
    fill(browser, filing_id, "livraison", {"destinataire": "DRH", "adresse": "1 rue A", "code_postal": "44000",
                                           "ville": "Nantes"})
    fill(browser, filing_id, "contact", {"courriel": "drh@chu.example"})
    deposit(browser, db, filing_id)
    named = as_person(holder)
    assert named.post(f"/instruction/{filing_id}/accepter", {"confirmation": "1"}).status_code == 422
    decide(as_person, world, filing_id)
    order = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).one()
    named = as_person(holder)
    refused = named.post(f"/instruction/cartes/{order.id}/fabriquer")
    assert refused.status_code == 422  # the card queue again, the refusal's message at its top
    assert CANNOT in refused.get_data(as_text=True)
    page = named.get("/instruction/cartes").get_data(as_text=True)
    assert CANNOT in page and f"/instruction/cartes/{order.id}/fabriquer" not in page
    db.refresh(order)
    assert order.state == "commandee"


def test_an_evaluator_who_prescribes_cannot_decide_her_own_request(db, aac_world, as_actor, as_person,
                                                                   make_agency_role):
    prescriber = aac_world["prescriber"]
    make_agency_role(prescriber, "ansm_evaluator")
    filing_id = file_request(as_person(prescriber), aac_world, criteria=(),
                             justification="Aucune alternative, pas d’essai ouvert.")
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.state == "transmise"
    evaluator = as_person(prescriber)
    assert CANNOT in evaluator.get("/acces-compassionnel/evaluation").get_data(as_text=True)
    for verb, data in (("evaluer", {}), ("octroyer", {"duree": "30"}),
                       ("refuser", {"motif": "alternative", "message": "x"})):
        refused = evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/{verb}", data)
        assert refused.status_code == 422 and CANNOT in refused.get_data(as_text=True), verb
    db.refresh(filing)
    assert filing.state == "transmise"
    # An evaluator practising in the requesting PUI's hospital is barred as well.
    other = aac_world["evaluator"]
    db.add(PracticeActivity(person_id=other.id, structure_id=aac_world["hospital"].id, profession_code="21"))
    db.flush()
    assert as_person(other).post(f"/acces-compassionnel/{filing_id}/ansm/evaluer").status_code == 422
