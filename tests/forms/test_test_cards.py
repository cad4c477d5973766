"""Issue 21: F414 — anyone orders test cards; accepting the order makes them test identities of the PSC sandbox
(card with PIN, and e-CPS) in PSC's claim shapes; bad quantities store nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from app.models import AuditEvent, Filing, OutboxMessage, PracticeActivity, Structure
from psc_sandbox.identities import psc_claims
from tests.forms.test_card_incidents import _judged
from tests.forms.test_walks import decide, deposit, fill, rows


def _order(browser, world, lines: list[dict]) -> int:
    started = browser.post("/demarches/nouvelle/F414", {"identifiant_structure": world["hospital"].finess})
    assert started.status_code == 303, started.get_data(as_text=True)[:500]
    filing_id = int(started.headers["Location"].split("/demarches/")[1].split("/")[0])
    fill(browser, filing_id, "cartes", rows(lines))
    fill(browser, filing_id, "projet", {"logiciel": "DPI Exemple", "usage": "Connexion Pro Santé Connect."})
    fill(browser, filing_id, "contact", {"courriel": "qualite@editeur.example"})
    return filing_id


def test_anyone_orders_test_cards_and_they_join_the_sandbox(app, db, world, as_person, make_person, tmp_path):
    registry = Path(app.config["SETTINGS"].psc_sandbox_registry)
    before = {i["national_id"] for i in json.loads(registry.read_text())} if registry.exists() else set()
    doctor = make_person(profession_code="10", family_name="EDITEUR", given_name="Paul")  # no mandate, no role
    browser = as_person(doctor)
    filing_id = _order(browser, world, [{"offre": "kit", "quantite": "1"}, {"offre": "cps_infirmier",
                                                                            "quantite": "2"}])
    filing = deposit(browser, db, filing_id)
    assert "F414" in _judged(browser, db, filing_id, tmp_path)
    decide(as_person, world, filing_id)
    db.refresh(filing)
    assert filing.state == "accepte"
    added = [i for i in json.loads(registry.read_text()) if i["national_id"] not in before]
    assert len(added) == 7
    types = sorted(i["cards"][0][0] for i in added)
    assert types == ["CPA", "CPE", "CPS", "CPS", "CPS", "CPS", "CPS"]
    eight = next(i for i in added if len(i["activities"]) == 8)
    claims = psc_claims(eight, "CARD")
    exercise = claims["SubjectRefPro"]["exercices"][0]
    assert exercise["codeProfession"] == "10" and len(exercise["activities"]) == 8
    twin = db.exec(select(Structure).where(Structure.test_only.is_(True))).one()  # issue 27 (13)
    assert exercise["activities"][0]["numeroFinessSite"] == twin.finess != world["hospital"].finess
    assert twin.finess.startswith("99") and "structure de test" in twin.name
    assert all(i["cards"][0][2] for i in added if i["cards"][0][0] == "CPS")  # e-CPS for professionals
    staff = next(i for i in added if i["cards"][0][0] == "CPE")
    assert staff["national_id"].startswith(f"3{twin.finess}/TEST")
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.subject.contains("cartes de test"))).all()
    assert {m.recipient for m in mail} >= {"qualite@editeur.example"} and "1234" in mail[0].body
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "test_cards.created")).one()
    # Issue 31: the names are on the file, for the filer and for the agency, not only in an e-mail.
    for page in (as_person(doctor).get(f"/demarches/{filing_id}"), as_person(world["operator"]).get(
            f"/instruction/{filing_id}")):
        shown = page.get_data(as_text=True).split('id="identites-test"')[1].split("</section>")[0]
        assert all(i["family_name"] in shown and i["national_id"] in shown for i in added)


def test_quantities_are_bounded_and_nothing_is_made_before_acceptance(app, db, world, as_person, make_person):
    doctor = make_person(profession_code="10", family_name="EDITRICE", given_name="Léa")
    browser = as_person(doctor)
    started = browser.post("/demarches/nouvelle/F414", {"identifiant_structure": world["hospital"].finess})
    filing_id = int(started.headers["Location"].split("/demarches/")[1].split("/")[0])
    refused = fill(browser, filing_id, "cartes", rows([{"offre": "kit", "quantite": "11"}]), expect=422)
    assert "Choisissez une valeur dans la liste" in refused.get_data(as_text=True)
    fill(browser, filing_id, "cartes", rows([{"offre": "kit", "quantite": "7"}]))
    page = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert "30 cartes de test au plus" in page
    assert db.get(Filing, filing_id).state == "brouillon"


def test_someone_with_roles_may_still_name_another_structure(db, world, as_person):
    """F414 and F101 are for anyone: the start page lists one's own structures and still takes a typed FINESS."""
    browser = as_person(world["mandataire"])  # mandataire of the hospital
    page = browser.get("/demarches/nouvelle/F414").get_data(as_text=True)
    assert "Une autre structure" in page and 'id="identifiant_structure"' in page
    answer = browser.post("/demarches/nouvelle/F414", {"structure_id": world["hospital"].id,
                                                       "identifiant_structure": world["clinic"].finess})
    assert answer.status_code == 303
    assert db.exec(select(Filing).where(Filing.form == "F414")).one().structure_id == world["clinic"].id
    assert "Une autre structure" not in browser.get("/demarches/nouvelle/F301").get_data(as_text=True)


def test_an_acceptance_that_fails_leaves_no_identity_in_the_sandbox(app, db, world, as_person, make_person,
                                                                    monkeypatch):
    from app.operations.forms import f414 as test_cards

    registry = Path(app.config["SETTINGS"].psc_sandbox_registry)
    doctor = make_person(profession_code="10", family_name="EDITEUR", given_name="Tom")
    browser = as_person(doctor)
    filing_id = _order(browser, world, [{"offre": "cps_medecin", "quantite": "1"}])
    deposit(browser, db, filing_id)
    before = registry.read_text() if registry.exists() else ""

    def broken(*_args, **_kwargs):
        raise RuntimeError("the mail queue fails after the identities were made")

    monkeypatch.setattr(test_cards.outbox, "queue", broken)
    operator = as_person(world["operator"])
    failed = operator.post(f"/instruction/{filing_id}/accepter", {"message": "", "confirmation": "1"})
    assert failed.status_code == 500
    assert (registry.read_text() if registry.exists() else "") == before  # written only once committed
    db.refresh(db.get(Filing, filing_id))
    assert db.get(Filing, filing_id).state == "depose"


def test_a_test_pharmacist_never_joins_the_real_sites_pui(app, db, world, as_person, make_person, psc_sandbox):
    """Issue 27 (13): a test « pharmacien hospitalier » ordered for a real hospital logs in and practises at the
    hospital's test structure: the hospital's prescribers are never offered them as their PUI pharmacist."""
    from tests.psc import psc_login

    registry = Path(app.config["SETTINGS"].psc_sandbox_registry)
    before = {i["national_id"] for i in json.loads(registry.read_text())} if registry.exists() else set()
    browser = as_person(make_person(profession_code="10", family_name="CURIEUX", given_name="Jean"))
    filing_id = _order(browser, world, [{"offre": "cps_pharmacien", "quantite": "1"}])
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    pharmacist = next(i for i in json.loads(registry.read_text()) if i["national_id"] not in before)
    assert psc_login(app.test_client(), psc_sandbox["url"], pharmacist["national_id"]).status_code == 303
    from app.models import Person

    person = db.exec(select(Person).where(Person.national_id == pharmacist["national_id"])).one()
    practices = db.exec(select(PracticeActivity).where(PracticeActivity.person_id == person.id)).all()
    assert practices and all(db.get(Structure, p.structure_id).test_only for p in practices)
    assert not db.exec(select(PracticeActivity).where(PracticeActivity.structure_id == world["hospital"].id,
                                                      PracticeActivity.person_id == person.id)).all()
