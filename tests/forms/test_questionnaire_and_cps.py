"""Issue 21: F102 (the questionnaire decides the legal representative's card, the reason shown before deposit) and
F201/F202 (a CPS for professionals outside the RPPS automatic issuance: registration checked with its key,
diploma attached, employing structure), walked to acceptance; their refusals store nothing."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from app.models import CardOrder, Filing
from app.models.base import utcnow
from tests.forms.test_card_incidents import _judged
from tests.forms.test_walks import decide, deposit, fill


def _start(browser, form: str, structure) -> int:
    answer = browser.post(f"/demarches/nouvelle/{form}", {"structure_id": structure.id})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return int(answer.headers["Location"].split("/demarches/")[1].split("/")[0])


def _attach(browser, filing_id: int, _step: str = "") -> None:
    answer = browser.post(f"/demarches/{filing_id}/pieces", {"piece": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"),
                                                                        "diplome.pdf")},
                          content_type="multipart/form-data")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]


@pytest.fixture()
def editor(make_structure):
    structure = make_structure(kind="ORG", name="Éditeur de logiciels", public=False)
    return structure


def test_f102_decides_the_card_and_says_why(db, world, as_person, make_person, editor, tmp_path):
    representative = make_person(profession_code="", family_name="PRESIDENTE", given_name="Nina",
                                 email="nina@editeur.example")
    browser = as_person(representative)
    filing_id = _start(browser, "F102", editor)
    fill(browser, filing_id, "questionnaire", {"patients": "oui", "services": "oui", "activite": "Éditeur"})
    fill(browser, filing_id, "representant", {"civilite": "MME", "nom": "PRESIDENTE", "prenom": "Nina",
                                              "courriel": "nina@editeur.example", "fonction": "Présidente",
                                              "date_naissance": "1980-05-04"})
    fill(browser, filing_id, "contact", {"courriel": "contact@editeur.example"})
    fill(browser, filing_id, "engagement", {"exactitude": "1"})
    _attach(browser, filing_id, "engagement")
    summary = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert "Aucune carte par ce formulaire" in summary and "formulaire F101" in summary
    refused = browser.post(f"/demarches/{filing_id}/deposer", {"cle": db.get(Filing, filing_id).idempotency_key})
    assert refused.status_code == 422 and db.get(Filing, filing_id).state == "brouillon"

    fill(browser, filing_id, "questionnaire", {"patients": "non", "services": "oui", "activite": "Éditeur"})
    summary = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert "Carte attribuée\u00a0: CPA" in summary and "hors FINESS" in summary
    deposit(browser, db, filing_id)
    assert "PRESIDENTE" in _judged(browser, db, filing_id, tmp_path)
    decide(as_person, world, filing_id)
    order = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).one()
    assert (order.card_type, order.family_name, order.structure_id) == ("CPA", "PRESIDENTE", editor.id)


def test_f102_for_a_finess_structure_gives_a_cde(db, world, as_person, make_person):
    browser = as_person(make_person(profession_code="", family_name="DIRECTEUR", given_name="Luc"))
    filing_id = _start(browser, "F102", world["clinic"])
    fill(browser, filing_id, "questionnaire", {"patients": "non", "services": "oui", "activite": "Siège"})
    assert "Carte attribuée\u00a0: CDE" in browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)


@pytest.mark.parametrize(("form", "profession", "other"), [("F201", "70", "26"), ("F202", "28", "60")])
def test_cps_for_a_salaried_professional(db, world, as_person, make_person, make_card, form, profession, other,
                                         tmp_path):
    browser = as_person(world["mandataire"])
    filing_id = _start(browser, form, world["hospital"])
    row = {"civilite": "MME", "nom": "MARTIN", "prenom": "Julie", "date_naissance": "1990-02-03",
           "profession": other, "identifiant": "899700000014", "courriel": "julie@chu.example"}
    wrong = fill(browser, filing_id, "professionnel", row, expect=422).get_data(as_text=True)
    assert "Choisissez une valeur dans la liste" in wrong and "clé de contrôle" in wrong  # not this form's; key
    fill(browser, filing_id, "professionnel", row | {"profession": profession, "identifiant": "899700000013"})
    holder = make_person(profession_code=profession, family_name="DÉJÀ", national_id="899700000021")
    make_card(holder, "CPS")
    fill(browser, filing_id, "emploi", {"fonction": "Salariée du service", "date_embauche": "2024-09-01"})
    fill(browser, filing_id, "contact", {"courriel": "rh@chu.example"})
    summary = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert "diplôme" in summary.lower()  # the attachment is asked
    _attach(browser, filing_id, "contact")
    fill(browser, filing_id, "professionnel", row | {"profession": profession, "identifiant": "899700000021"})
    assert "déjà une CPS active" in browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    fill(browser, filing_id, "professionnel", row | {"profession": profession, "identifiant": "899700000039"})
    deposit(browser, db, filing_id)
    assert "MARTIN" in _judged(browser, db, filing_id, tmp_path) and form in _judged(browser, db, filing_id, tmp_path)
    decide(as_person, world, filing_id)
    order = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).one()
    assert (order.card_type, order.national_id, order.structure_id) == ("CPS", "899700000039", world["hospital"].id)


def test_only_the_employer_asks_a_cps_for_its_employee(db, world, as_person, make_person):
    """Issue 27 (10): somebody with no role at the hospital cannot make it the employer of a professional of their
    choice; a mandataire who lost the role cannot deposit the draft; the back office sees who filed and their tie."""
    from app.models import Habilitation

    outsider = as_person(make_person(profession_code="", family_name="INCONNU", given_name="Max",
                                     email="max@ailleurs.example"))
    refused = outsider.post("/demarches/nouvelle/F201", {"structure_id": world["hospital"].id})
    assert refused.status_code in (403, 422)
    assert not db.exec(select(Filing).where(Filing.form == "F201")).all()

    browser = as_person(world["mandataire"])
    filing_id = _start(browser, "F201", world["hospital"])
    fill(browser, filing_id, "professionnel", {"civilite": "MME", "nom": "MARTIN", "prenom": "Julie",
                                               "date_naissance": "1990-02-03", "profession": "70",
                                               "identifiant": "899700000039", "courriel": "julie@chu.example"})
    fill(browser, filing_id, "emploi", {"fonction": "Salariée du service", "date_embauche": "2024-09-01"})
    fill(browser, filing_id, "contact", {"courriel": "rh@chu.example"})
    _attach(browser, filing_id, "contact")
    role = db.exec(select(Habilitation).where(Habilitation.person_id == world["mandataire"].id)).one()
    role.ended_at = utcnow()
    db.add(role)
    db.flush()
    key = db.get(Filing, filing_id).idempotency_key
    late = browser.post(f"/demarches/{filing_id}/deposer", {"cle": key})
    assert late.status_code in (403, 422) and db.get(Filing, filing_id).state == "brouillon"
    role.ended_at = None
    db.add(role)
    db.flush()
    deposit(as_person(world["mandataire"]), db, filing_id)
    page = as_person(world["operator"]).get(f"/instruction/{filing_id}").get_data(as_text=True)
    assert "Déposé par Marc MANDATAIRE" in page and "mandataire (CHU d’essai)" in page
