"""Issue 16 §5, §6, §7, §10: bounded rows in autosave and steps; contact prefill only from accepted filings the
reader may read; an F301 holder from another structure refused at deposit and at acceptance; the row prefill gives
only the name of a person of the filing structure."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models import CardOrder, Filing, Person
from tests.forms.test_walks import decide, deposit, fill, person_row, rows, start, start_f101


def autosave(browser, filing_id, step, name, value):
    return browser.post(f"/demarches/{filing_id}/champ", {"_step": step, "_name": name, name: value},
                        headers={"HX-Request": "true"})


def test_autosave_accepts_only_declared_fields_in_rows_below_the_maximum(db, world, as_person):
    browser = as_person(world["director"])
    filing_id = start(browser, "F301", world["hospital"])
    for name in ("rows-1000000-nom", "rows-30-nom", "rows-²-nom", "rows-0-mot_de_passe", "rows--nom", "nom"):
        assert autosave(browser, filing_id, "titulaires", name, "X").status_code == 400, name
    assert autosave(browser, filing_id, "livraison", "rows-0-ville", "Nantes").status_code == 400
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert "titulaires" not in filing.payload
    assert autosave(browser, filing_id, "titulaires", "rows-29-nom", "DERNIER").status_code == 200
    db.refresh(filing)
    assert len(filing.payload["titulaires"]) == 30 and filing.payload["titulaires"][29]["nom"] == "DERNIER"
    big = browser.post(f"/demarches/{filing_id}/etapes/titulaires", {"rows": "100000", "_ajouter": "1"})
    assert big.status_code in (200, 303, 422)
    db.refresh(filing)
    assert len(filing.payload["titulaires"]) <= 30


def test_the_contact_prefill_neither_leaks_nor_can_be_poisoned(db, world, as_person, make_person, make_card,
                                                               make_structure):
    director = as_person(world["director"])
    first = start(director, "F301", world["hospital"])
    fill(director, first, "contact", {"courriel": "secret-rh@chu.example", "telephone": "0240000000"})
    fill(director, first, "titulaires", rows([person_row(world["admin"], date_naissance="1990-01-01",
                                                         lieu_naissance="Nantes", fonction="Accueil",
                                                         justification="Accès aux locaux")]))
    fill(director, first, "livraison", {"destinataire": "DRH", "adresse": "1 rue A", "code_postal": "44000",
                                        "ville": "Nantes"})
    deposit(director, db, first)
    decide(as_person, world, first)

    outsider = make_person(family_name="DEHORS", given_name="Ugo", email="ugo@ailleurs.example")
    make_card(outsider, "CPS")
    browser = as_person(outsider)
    f101 = start_f101(browser, world["hospital"])
    draft = db.get(Filing, f101).payload
    assert "secret-rh@chu.example" not in str(draft) and "0240000000" not in str(draft)
    assert draft["contact"] == {"courriel": "ugo@ailleurs.example"}
    fill(browser, f101, "contact", {"courriel": "pirate@ailleurs.example"})
    fill(browser, f101, "representant", person_row(outsider, fonction="Directeur"))
    fill(browser, f101, "contrat", {"contrat": "1", "exactitude": "1"})
    from io import BytesIO
    browser.post(f"/demarches/{f101}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "kbis.pdf")},
                 content_type="multipart/form-data")
    deposit(browser, db, f101)

    director = as_person(world["director"])
    second = start(director, "F301", world["hospital"])
    assert db.get(Filing, second).payload["contact"]["courriel"] == "secret-rh@chu.example"


def f301_with_holder(browser, world, national_id: str, name: str = "AUTRE") -> int:
    filing_id = start(browser, "F301", world["hospital"])
    row = {"civilite": "M", "nom": name, "prenom": "Kit", "identifiant": national_id, "courriel": "k@example.org",
           "date_naissance": "1980-01-01", "lieu_naissance": "Lyon", "fonction": "Accueil",
           "justification": "Accès aux locaux"}
    fill(browser, filing_id, "titulaires", rows([row]))
    fill(browser, filing_id, "livraison", {"destinataire": "DRH", "adresse": "1 rue A", "code_postal": "44000",
                                           "ville": "Nantes"})
    fill(browser, filing_id, "contact", {"courriel": "drh@chu.example"})
    return filing_id


def test_an_f301_cannot_give_a_card_to_a_person_of_another_structure(db, world, as_person, make_person, make_card,
                                                                     make_habilitation):
    clinic = world["clinic"]
    stranger = make_person(profession_code="", family_name="DIRECTEUR", given_name="Kit",
                           national_id=f"3{clinic.finess}/DIR0008")
    make_card(stranger, "CDE", structure=clinic)
    make_habilitation(stranger, clinic, "legal_representative")
    browser = as_person(world["director"])
    filing_id = f301_with_holder(browser, world, stranger.national_id)
    key = re.search(r'name="cle" value="([^"]+)"', browser.get(f"/demarches/{filing_id}/recapitulatif")
                    .get_data(as_text=True)).group(1)
    refused = browser.post(f"/demarches/{filing_id}/deposer", {"cle": key})
    assert refused.status_code == 422 and "personne d’une autre structure" in refused.get_data(as_text=True)
    new_elsewhere = f301_with_holder(browser, world, f"3{clinic.finess}/NEW01")
    summary = browser.get(f"/demarches/{new_elsewhere}/recapitulatif").get_data(as_text=True)
    assert "personne d’une autre structure" in summary

    # Deposited for a new staff id of the hospital; that id then turns out to be a clinic person's: acceptance
    # checks again and orders nothing.
    local_id = f"3{world['hospital'].finess}/NEW02"
    ok = f301_with_holder(browser, world, local_id, name="NOUVEAU")
    deposit(browser, db, ok)
    moved = make_person(profession_code="", family_name="NOUVEAU", given_name="Kit", national_id=local_id)
    make_card(moved, "CPE", structure=clinic)
    operator = as_person(world["operator"])
    refused = operator.post(f"/instruction/{ok}/accepter", {"confirmation": "1"})
    assert refused.status_code == 422 and "personne d’une autre structure" in refused.get_data(as_text=True)
    assert not db.exec(select(CardOrder).where(CardOrder.filing_id == ok)).all()


def test_the_row_prefill_names_only_people_of_the_filing_structure(db, world, as_person, make_person, make_card):
    clinic = world["clinic"]
    stranger = make_person(profession_code="", family_name="SECRET", given_name="Nom", email="secret@clinique.example",
                           national_id=f"3{clinic.finess}/DIR0009")
    make_card(stranger, "CDE", structure=clinic)
    browser = as_person(world["mandataire"])
    filing_id = start(browser, "F413", world["hospital"])
    answer = autosave(browser, filing_id, "administrateurs", "rows-0-identifiant", stranger.national_id)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "SECRET" not in html and "secret@clinique.example" not in html
    fill(browser, filing_id, "administrateurs", rows([{"identifiant": stranger.national_id}]), expect=422)
    stored = db.get(Filing, filing_id)
    db.refresh(stored)
    assert "SECRET" not in str(stored.payload)
    known = autosave(browser, filing_id, "administrateurs", "rows-0-identifiant", world["admin"].national_id)
    assert 'value="ADMIN"' in known.get_data(as_text=True) and "theo@chu.example" not in known.get_data(True)
    assert db.exec(select(Person).where(Person.national_id == stranger.national_id)).one()
