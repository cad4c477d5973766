"""Issue 31 (minor): what the pages say, as a user reads it — error pages titled « Erreur » with a contact, labels
inside sentences keeping their acronyms, a summary naming each box still to tick."""

from __future__ import annotations

from app.domain.codes import lowered
from tests.forms.test_walks import f413, fill, start


def test_an_error_page_says_erreur_and_whom_to_write_to(client, app):
    page = client.get("/nulle-part").get_data(as_text=True)
    assert "<title>Erreur 404 – Page non trouvée" in page
    assert f'href="mailto:{app.config["SETTINGS"].legal_contact}"' in page


def test_a_label_inside_a_sentence_keeps_its_acronyms():
    assert lowered("À valider par la PUI") == "à valider par la PUI"
    assert lowered("Déposé") == "déposé" and lowered("CPS active") == "CPS active"


def test_the_summary_names_each_box_left_unticked(db, world, as_person):
    browser = as_person(world["mandataire"])
    filing_id = f413(browser, world, admins=[world["admin"]])
    fill(browser, filing_id, "engagements", {}, expect=422)  # both boxes unticked again
    page = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert page.count("\u00a0: Cette case doit être cochée") == 2  # each with the box it is about
    assert "J’accepte les conditions générales" in page.split('id="erreurs"')[1].split("</div>")[0]


def test_my_drafts_are_told_apart_and_deleted_from_the_list(db, world, as_person):
    browser = as_person(world["mandataire"])
    first, second = start(browser, "F413", world["hospital"]), start(browser, "F413", world["hospital"])
    page = browser.get("/demarches/").get_data(as_text=True)
    assert page.count("Administrateurs techniques des certificats logiciels · commencé le") == 2
    assert f'action="/demarches/{first}/supprimer"' in page and f'action="/demarches/{second}/supprimer"' in page
    assert browser.post(f"/demarches/{first}/supprimer").status_code == 303
    page = browser.get("/demarches/").get_data(as_text=True)
    assert f"/demarches/{first}/" not in page and f"/demarches/{second}" in page


def test_what_happens_next_gives_the_measured_delay(db, hsm, world, make_filing, as_person):
    from datetime import timedelta

    from sqlmodel import select

    from app.models import OutboxMessage
    from app.models.base import utcnow
    from app.operations.delays import usual_delay

    assert usual_delay(db, "F413") is None  # no decision yet: nothing to measure
    for days in (2, 3, 4, 5, 9):
        decided = make_filing("refuse")
        decided.deposited_at, decided.decided_at = utcnow() - timedelta(days=days + 1), utcnow() - timedelta(days=1)
        db.add(decided)
    db.flush()
    assert usual_delay(db, "F413") == 4
    from app.operations import casefiles
    from app.operations.forms import workflow
    from tests.forms.conftest import f413_payload

    waiting = casefiles.open_draft(db, form="F413", structure_id=world["hospital"].id,
                                   filer_id=world["mandataire"].id, actor="test")
    for part, data in f413_payload([world["director"]]).items():
        casefiles.save_part(db, waiting, part, data)
    casefiles.deposit(db, waiting, workflow(hsm), actor="test", auth_method="cps-tls",
                      idempotency_key=waiting.idempotency_key, filer_email="marc@chu.example")
    page = as_person(world["mandataire"]).get(f"/demarches/{waiting.id}").get_data(as_text=True)
    assert "Et ensuite" in page and "4\u00a0jours (médiane des dossiers F413" in page
    deposit_mail = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == "marc@chu.example")).one()
    assert "Et ensuite" in deposit_mail.body and "4\u00a0jours" in deposit_mail.body


def test_a_staff_card_holder_without_a_role_is_told_where_their_card_belongs(world, make_person, make_card, as_person):
    agent = make_person(profession_code="", family_name="AGENT", given_name="Lina")
    make_card(agent, "CPE", structure=world["hospital"])
    page = as_person(agent).get("/tableau-de-bord").get_data(as_text=True)
    assert "Votre carte CPE est rattachée à <strong>CHU d’essai</strong>" in page
    assert "Aucune structure n’est rattachée" not in page


def test_a_professional_without_a_role_finds_the_structure_by_name_or_town(db, world, as_person, make_person):
    """Issue 31 (minor): an F414 (no role needed) for a doctor who knows no FINESS: search, pick, start."""
    world["hospital"].city = "Nantes"
    db.add(world["hospital"])
    db.flush()
    doctor = as_person(make_person(profession_code="10", family_name="MEDECIN", given_name="Jules"))
    page = doctor.get("/demarches/nouvelle/F414?recherche=nantes").get_data(as_text=True)
    assert f'value="{world["hospital"].id}"' in page and "CHU d’essai" in page and "· Nantes" in page
    assert "Aucune structure ne correspond" in doctor.get("/demarches/nouvelle/F414?recherche=Zzyzx").get_data(
        as_text=True)
    started = doctor.post("/demarches/nouvelle/F414", {"structure_id": str(world["hospital"].id)})
    assert started.status_code == 303 and "/etapes/" in started.headers["Location"]
