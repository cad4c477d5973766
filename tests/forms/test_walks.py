"""Each form from empty to accepted, through the pages, and the effect of its acceptance."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from sqlmodel import select

from app.models import CardOrder, Filing, FilingEvent, Habilitation, OutboxMessage

YEAR_REF = re.compile(r"F\d{3}-\d{4}-\d{6}")


def start(browser, form: str, structure) -> int:
    response = browser.post(f"/demarches/nouvelle/{form}", {"structure_id": structure.id})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/demarches/(\d+)/", response.headers["Location"]).group(1))


def fill(browser, filing_id: int, step: str, data: dict, *, expect: int = 303):
    response = browser.post(f"/demarches/{filing_id}/etapes/{step}", data)
    assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    return response


def rows(prefix_rows: list[dict]) -> dict:
    data = {"rows": str(len(prefix_rows))}
    for i, row in enumerate(prefix_rows):
        data |= {f"rows-{i}-{k}": v for k, v in row.items()}
    return data


def person_row(person, **extra) -> dict:
    return {"civilite": "M", "nom": person.family_name, "prenom": person.given_name,
            "identifiant": person.national_id, "courriel": person.email or "x@example.org", **extra}


def deposit(browser, db, filing_id: int) -> Filing:
    page = browser.get(f"/demarches/{filing_id}/recapitulatif")
    assert page.status_code == 200
    key = re.search(r'name="cle" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = browser.post(f"/demarches/{filing_id}/deposer", {"cle": key})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    again = browser.post(f"/demarches/{filing_id}/deposer", {"cle": key})  # the double click
    assert again.status_code == 303
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.state == "depose" and YEAR_REF.fullmatch(filing.reference)
    deposits = db.exec(select(FilingEvent).where(FilingEvent.filing_id == filing_id,
                                                 FilingEvent.verb.in_(("deposer", "redeposer")))).all()
    assert len(deposits) == 1
    return filing


def decide(as_person, world, filing_id: int, verb: str = "accepter", message: str = ""):
    operator = as_person(world["operator"])
    queue = operator.get("/instruction/").get_data(as_text=True)
    assert f"/instruction/{filing_id}" in queue
    response = operator.post(f"/instruction/{filing_id}/{verb}", {"message": message, "confirmation": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return operator


def f413(browser, world, *, admins, family="ORG", structure=None) -> int:
    filing_id = start(browser, "F413", structure or world["hospital"])
    fill(browser, filing_id, "famille", {"famille": family})
    fill(browser, filing_id, "administrateurs",
         rows([person_row(a, usage="DMP", editeur="Éditeur", solution="DPI") for a in admins]))
    fill(browser, filing_id, "contact", {"courriel": "informatique@chu.example"})
    fill(browser, filing_id, "engagements", {"cgu": "1", "pc": "1"})
    return filing_id


def admins_of(db, structure, family):
    return {h.person_id for h in db.exec(select(Habilitation).where(
        Habilitation.structure_id == structure.id, Habilitation.role == "technical_admin",
        Habilitation.certificate_family == family, Habilitation.ended_at.is_(None)))}


def test_f413_accepted_makes_the_administrator_of_exactly_that_structure_and_family(db, world, as_person):
    browser = as_person(world["mandataire"])
    filing_id = f413(browser, world, admins=[world["admin"]])
    filing = deposit(browser, db, filing_id)
    assert admins_of(db, world["hospital"], "ORG") == set()
    decide(as_person, world, filing_id)
    db.refresh(filing)
    assert filing.state == "accepte"
    assert admins_of(db, world["hospital"], "ORG") == {world["admin"].id}
    assert admins_of(db, world["hospital"], "SERV") == set()
    assert not db.exec(select(Habilitation).where(Habilitation.person_id == world["admin"].id,
                                                  Habilitation.structure_id != world["hospital"].id)).all()
    mails = {m.recipient for m in db.exec(select(OutboxMessage).where(OutboxMessage.filing_id == filing_id))}
    assert {"marc@chu.example", "informatique@chu.example", "theo@chu.example"} <= mails


def test_f503_removal_ends_the_habilitation_and_keeps_the_certificates(db, hsm, world, as_person,
                                                                       make_habilitation):
    from app.operations.pki import certificate_status, issue_certificate
    from tests.pki.conftest import make_csr

    make_habilitation(world["admin"], world["hospital"], "technical_admin", "ORG")
    certificate = issue_certificate(db, hsm, requested_by=world["admin"].national_id, structure=world["hospital"],
                                    profile_code="ORG_AUTH_CLI", csr=make_csr()[0], service_name="DMP",
                                    base_url="http://localhost")
    browser = as_person(world["director"])
    filing_id = start(browser, "F503", world["hospital"])
    fill(browser, filing_id, "administrateurs", rows([person_row(world["admin"], action="retirer", famille="ORG")]))
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    assert admins_of(db, world["hospital"], "ORG") == set()
    ended = db.exec(select(Habilitation).where(Habilitation.person_id == world["admin"].id)).one()
    assert ended.ended_at is not None
    db.refresh(certificate)
    assert certificate.revoked_at is None
    assert certificate_status(db, certificate.authority_id, int(certificate.serial_hex, 16)).status == "good"


def test_f502_designates_then_removes_a_mandataire(db, world, as_person):
    browser = as_person(world["director"])
    filing_id = start(browser, "F502", world["hospital"])
    fill(browser, filing_id, "mandataires", rows([person_row(world["admin"], action="designer")]))
    fill(browser, filing_id, "engagements", {"pouvoirs": "1"})
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    held = db.exec(select(Habilitation).where(Habilitation.person_id == world["admin"].id,
                                              Habilitation.role == "mandataire", Habilitation.ended_at.is_(None)))
    assert len(held.all()) == 1

    browser = as_person(world["director"])
    filing_id = start(browser, "F502", world["hospital"])
    fill(browser, filing_id, "mandataires", rows([person_row(world["admin"], action="retirer")]))
    fill(browser, filing_id, "engagements", {"pouvoirs": "1"})
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    assert not db.exec(select(Habilitation).where(Habilitation.person_id == world["admin"].id,
                                                  Habilitation.role == "mandataire",
                                                  Habilitation.ended_at.is_(None))).all()


def test_f301_orders_one_card_per_holder_after_a_correction(db, world, as_person):
    holders = [{"civilite": "MME", "nom": f"AGENT{i}", "prenom": "Zoé", "identifiant": "",
                "courriel": f"a{i}@chu.example", "date_naissance": f"1990-01-0{i + 1}", "lieu_naissance": "Nantes",
                "fonction": "Secrétaire", "justification": "Accès au DPI"} for i in range(3)]
    browser = as_person(world["director"])
    filing_id = start(browser, "F301", world["hospital"])
    fill(browser, filing_id, "titulaires", rows(holders))
    fill(browser, filing_id, "livraison", {"destinataire": "Accueil", "adresse": "1 rue de la Santé",
                                           "code_postal": "44000", "ville": "Nantes"})
    fill(browser, filing_id, "contact", {"courriel": "direction@chu.example"})
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id, "demander_correction", "Précisez le destinataire.")
    browser = as_person(world["director"])
    assert "Précisez le destinataire." in browser.get(f"/demarches/{filing_id}").get_data(as_text=True)
    fill(browser, filing_id, "livraison", {"destinataire": "Mme Durand, accueil", "adresse": "1 rue de la Santé",
                                           "code_postal": "44000", "ville": "Nantes"})
    page = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    key = re.search(r'name="cle" value="([^"]+)"', page).group(1)
    assert browser.post(f"/demarches/{filing_id}/deposer", {"cle": key}).status_code == 303
    sealed = browser.get(f"/demarches/{filing_id}/formulaire.pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=sealed, capture_output=True, check=True).stdout.decode()
    assert "01/01/1990" in text and "1990-01-01" not in text  # dates as people read them, as on the pages
    decide(as_person, world, filing_id)
    orders = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).all()
    assert sorted(o.family_name for o in orders) == ["AGENT0", "AGENT1", "AGENT2"]
    assert {o.card_type for o in orders} == {"CPE"} and {o.state for o in orders} == {"commandee"}


def test_f101_with_an_existing_card_records_the_role_and_orders_nothing(db, world, as_person, make_structure,
                                                                       make_person, make_card):
    ehpad = make_structure(kind="EJ", name="EHPAD sans contrat", public=True, contract=False)
    chief = make_person(family_name="CHEF", given_name="Paule", email="paule@ehpad.example")
    make_card(chief, "CPS")
    browser = as_person(chief)
    filing_id = start_f101(browser, ehpad)
    representative = person_row(chief, fonction="Directrice")
    fill(browser, filing_id, "representant", representative)
    fill(browser, filing_id, "contact", {"courriel": "accueil@ehpad.example"})
    fill(browser, filing_id, "contrat", {"contrat": "1", "exactitude": "1"})
    refused = browser.post(f"/demarches/{filing_id}/deposer", {"cle": db.get(Filing, filing_id).idempotency_key})
    assert refused.status_code == 422 and "Joignez" in refused.get_data(as_text=True)
    from io import BytesIO
    upload = browser.post(f"/demarches/{filing_id}/pieces",
                          {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "kbis.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 303
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    db.refresh(ehpad)
    assert ehpad.contract_signed
    assert db.exec(select(Habilitation).where(Habilitation.person_id == chief.id, Habilitation.structure_id == ehpad.id,
                                              Habilitation.role == "legal_representative")).one()
    assert not db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).all()


def start_f101(browser, structure) -> int:
    response = browser.post("/demarches/nouvelle/F101", {"identifiant_structure": structure.finess})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/demarches/(\d+)/", response.headers["Location"]).group(1))


def test_f101_without_a_card_by_an_emailed_single_use_link_orders_a_cde(app, db, world, as_person, make_structure):
    """The legal representative has no card: a link by e-mail, the F101 with its proof, acceptance orders a CDE;
    its fabrication makes the holder legal representative of the structure."""
    from io import BytesIO

    from app.models import Habilitation as H
    from app.models import Person

    ehpad = make_structure(kind="EJ", name="EHPAD des Lilas", public=True, contract=False)
    anonymous = app.test_client()
    page = anonymous.get("/auth/courriel").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = anonymous.post("/auth/courriel", data={"csrf_token": token, "courriel": "x@", "nom": "", "prenom": "Léa"})
    assert bad.status_code == 422 and "Adresse électronique invalide" in bad.get_data(as_text=True)
    sent = anonymous.post("/auth/courriel", data={"csrf_token": token, "courriel": "Lea.Martin@Lilas.example",
                                                  "nom": "MARTIN", "prenom": "Léa"})
    assert sent.status_code == 200 and "Vérifiez votre messagerie" in sent.get_data(as_text=True)
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == "lea.martin@lilas.example")).one()
    link = re.search(r"http://localhost(/auth/courriel/\S+)", mail.body).group(1)
    assert anonymous.get(link).status_code == 200  # a mail scanner opening it spends nothing
    opened = anonymous.post(link, data={"csrf_token": token})
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/demarches/nouvelle/F101")
    assert anonymous.post(link, data={"csrf_token": token}).status_code == 400  # single use

    from tests.factories import Browser
    browser = Browser(anonymous)
    filing_id = start_f101(browser, ehpad)
    step = browser.get(f"/demarches/{filing_id}/etapes/representant").get_data(as_text=True)
    assert "courriel:" not in step and 'value="lea.martin@lilas.example"' in step  # no internal key, ever
    fill(browser, filing_id, "representant", {"civilite": "MME", "nom": "MARTIN", "prenom": "Léa", "identifiant": "",
                                              "courriel": "lea.martin@lilas.example", "fonction": "Directrice",
                                              "date_naissance": "1975-06-15"})
    fill(browser, filing_id, "contact", {"courriel": "direction@lilas.example"})
    fill(browser, filing_id, "contrat", {"contrat": "1", "exactitude": "1"})
    browser.post(f"/demarches/{filing_id}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "arrete.pdf")},
                 content_type="multipart/form-data")
    deposit(browser, db, filing_id)
    assert "courriel:" not in browser.get(f"/demarches/{filing_id}").get_data(as_text=True)
    waiting = browser.get("/tableau-de-bord").get_data(as_text=True)
    assert "courriel:" not in waiting and "EHPAD des Lilas : déposée" in waiting
    assert browser.get("/demarches/nouvelle/F413").status_code == 200  # the page says no structure allows it
    assert browser.post("/demarches/nouvelle/F413", {"structure_id": ehpad.id}).status_code == 403
    me = db.exec(select(Person).where(Person.email == "lea.martin@lilas.example")).one()
    decide(as_person, world, filing_id)
    order = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).one()
    assert order.card_type == "CDE" and order.family_name == "MARTIN"
    operator = as_person(world["operator"])
    assert operator.post(f"/instruction/cartes/{order.id}/fabriquer").status_code == 303
    db.refresh(order)
    holder = db.exec(select(Person).where(Person.national_id == order.national_id)).one()
    assert holder.id == me.id and holder.email_account.startswith("courriel:")  # one person, one record
    assert db.exec(select(H).where(H.person_id == holder.id, H.structure_id == ehpad.id,
                                   H.role == "legal_representative", H.ended_at.is_(None))).one()
    assert operator.post(f"/instruction/cartes/{order.id}/activer").status_code == 303
    registered = json.loads(Path(app.config["SETTINGS"].psc_sandbox_registry).read_text())
    assert {"national_id": order.national_id, "family_name": "MARTIN"}.items() <= next(
        i for i in registered if i["national_id"] == order.national_id).items()  # the sandbox knows her card
    successor = as_person(world["director"])  # another F101 for the same structure: it replaces Léa (issue 31.9)
    second = start_f101(successor, ehpad)
    fill(successor, second, "representant", {"civilite": "MME", "nom": world["director"].family_name,
                                             "prenom": world["director"].given_name,
                                             "identifiant": world["director"].national_id,
                                             "courriel": "direction@chu.example", "fonction": "Directrice"})
    fill(successor, second, "contact", {"courriel": "direction@lilas.example"})
    fill(successor, second, "contrat", {"contrat": "1", "exactitude": "1"})
    successor.post(f"/demarches/{second}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "arrete.pdf")},
                   content_type="multipart/form-data")
    deposit(successor, db, second)
    warned = as_person(world["operator"]).get(f"/instruction/{second}").get_data(as_text=True)
    assert "La structure a déjà un représentant légal\u00a0: Léa MARTIN" in warned
    assert "Accepter le remplacera" in warned
    decide(as_person, world, second)
    current = db.exec(select(H).where(H.structure_id == ehpad.id, H.role == "legal_representative",
                                      H.ended_at.is_(None))).all()
    assert [h.person_id for h in current] == [world["director"].id]  # one legal representative
    db.refresh(order)
    assert order.revocation_requested_at is not None and "remplacé" in order.revocation_reason
    later = app.test_client()  # another day, another browser
    token = re.search(r'name="csrf_token" value="([^"]+)"', later.get("/auth/courriel").get_data(True)).group(1)
    again = later.post("/auth/courriel", data={"csrf_token": token, "courriel": "lea.martin@lilas.example",
                                                "nom": "MARTIN", "prenom": "Léa"})
    assert again.status_code == 200
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == "lea.martin@lilas.example")
                   .order_by(OutboxMessage.id.desc())).first()
    link = re.search(r"http://localhost(/auth/courriel/\S+)", mail.body).group(1)
    refused = later.post(link, data={"csrf_token": token})
    assert refused.status_code == 409 and "connectez-vous désormais avec elle" in refused.get_data(as_text=True)


def test_my_filings_come_twenty_a_page_newest_first(db, world, as_person):
    from app.operations.casefiles import open_draft

    ids = [open_draft(db, form="F503", structure_id=world["hospital"].id, filer_id=world["director"].id,
                      actor="test").id for _ in range(25)]
    browser = as_person(world["director"])
    first = browser.get("/demarches/").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'href="/demarches/(\d+)"', first)]
    assert shown == sorted(ids, reverse=True)[:20]
    older = re.search(r'href="(/demarches/\?avant=\d+)"', first).group(1)
    second = browser.get(older).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'href="/demarches/(\d+)"', second)] == sorted(ids, reverse=True)[20:]
    assert "avant=" not in second


def test_a_national_id_fills_the_identity_from_the_portal_records(db, world, as_person):
    browser = as_person(world["mandataire"])
    filing_id = start(browser, "F413", world["hospital"])
    answer = browser.post(f"/demarches/{filing_id}/champ", {"_step": "administrateurs", "_name": "rows-0-identifiant",
                                                            "rows-0-identifiant": world["admin"].national_id},
                          headers={"HX-Request": "true"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'id="groupe-rows-0-nom" hx-swap-oob="true"' in html and 'value="ADMIN"' in html
    assert "theo@chu.example" not in html  # the name of a person of the structure, never their address
    row = db.get(Filing, filing_id).payload["administrateurs"][0]
    assert row["nom"] == "ADMIN" and row["prenom"] == "Théo"
    # Without JavaScript the step's own post fills the same fields.
    fill(browser, filing_id, "administrateurs", rows([{"civilite": "M", "identifiant": world["admin"].national_id,
                                                       "usage": "DMP", "editeur": "E", "solution": "S"}]), expect=422)
    db.expire_all()
    assert db.get(Filing, filing_id).payload["administrateurs"][0]["nom"] == "ADMIN"
    assert not db.get(Filing, filing_id).payload["administrateurs"][0]["courriel"]
    # The contact written for the structure once comes back in its next form, once accepted.
    fill(browser, filing_id, "famille", {"famille": "ORG"})
    fill(browser, filing_id, "contact", {"courriel": "informatique@chu.example"})
    fill(browser, filing_id, "engagements", {"cgu": "1", "pc": "1"})
    fill(browser, filing_id, "administrateurs", rows([{"civilite": "M", "identifiant": world["admin"].national_id,
                                                       "courriel": "theo@chu.example", "usage": "DMP",
                                                       "editeur": "E", "solution": "S"}]))
    deposit(browser, db, filing_id)
    director = as_person(world["director"])
    second = start(director, "F503", world["hospital"])
    assert "contact" not in db.get(Filing, second).payload  # the F503 has no contact block
    third = start(director, "F301", world["hospital"])
    assert db.get(Filing, third).payload["contact"]["courriel"] == "direction@chu.example"  # not accepted yet
    decide(as_person, world, filing_id)
    director = as_person(world["director"])
    fourth = start(director, "F301", world["hospital"])
    assert db.get(Filing, fourth).payload["contact"]["courriel"] == "informatique@chu.example"


def test_my_filings_show_what_the_mandataire_filed_and_only_the_forms_i_may_file(db, world, as_person,
                                                                                  make_person):
    mandataire = as_person(world["mandataire"])
    filing_id = f413(mandataire, world, admins=[world["admin"]])
    draft_page = as_person(world["director"]).get("/demarches/").get_data(as_text=True)
    assert f'href="/demarches/{filing_id}"' not in draft_page  # a draft is its author's alone
    deposit(as_person(world["mandataire"]), db, filing_id)
    page = as_person(world["director"]).get("/demarches/").get_data(as_text=True)
    assert f'href="/demarches/{filing_id}"' in page and "F413 –" in page
    doctor = make_person(profession_code="10", family_name="PRESCRIPTEUR")
    tiles = as_person(doctor).get("/demarches/").get_data(as_text=True)
    assert "/demarches/nouvelle/F101" in tiles and "/demarches/nouvelle/F301" not in tiles
    assert "déposés par le représentant légal" in tiles


def test_a_draft_is_deleted_with_its_attachment_and_a_deposited_file_is_not(app, db, world, as_person,
                                                                             make_filing):
    from io import BytesIO

    from app.models import FilingAttachment, FilingAttachmentContent

    browser = as_person(world["mandataire"])
    draft = make_filing("brouillon").id
    browser.post(f"/demarches/{draft}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "kbis.pdf")},
                 content_type="multipart/form-data")
    stored = db.exec(select(FilingAttachment).where(FilingAttachment.filing_id == draft)).one().id
    assert db.get(FilingAttachmentContent, stored).data.startswith(b"%PDF")
    assert "Supprimer le brouillon" in browser.get(f"/demarches/{draft}").get_data(as_text=True)
    deleted = browser.post(f"/demarches/{draft}/supprimer")
    assert deleted.status_code == 303 and deleted.headers["Location"].endswith("/demarches/")
    db.expire_all()
    assert db.get(Filing, draft) is None and db.get(FilingAttachmentContent, stored) is None  # bytes with the row
    deposited = make_filing("depose").id
    kept = browser.post(f"/demarches/{deposited}/supprimer")
    assert kept.status_code == 422 and "Seul un brouillon se supprime" in kept.get_data(as_text=True)
    assert db.get(Filing, deposited) is not None


def test_a_file_chosen_on_the_last_step_is_joined_by_its_own_post_and_a_bad_one_refused_beside_it(db, world,
                                                                                                as_person):
    from io import BytesIO

    from app.models import FilingAttachment

    browser = as_person(world["director"])
    filing_id = start_f101(browser, world["clinic"])
    last = {"contrat": "1", "exactitude": "1"}
    bad = browser.post(f"/demarches/{filing_id}/etapes/contrat", last | {
        "piece": (BytesIO(b"MZ\x90\x00 not a proof"), "virus.exe")}, content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="champ-piece-erreur"' in html and 'href="#champ-piece"' in html
    good = browser.post(f"/demarches/{filing_id}/etapes/contrat", last | {
        "piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "kbis.pdf")}, content_type="multipart/form-data")
    assert good.status_code == 303 and good.headers["Location"].endswith("/recapitulatif")
    assert db.exec(select(FilingAttachment).where(FilingAttachment.filing_id == filing_id)).one().name == "kbis.pdf"


def test_the_delivery_starts_from_the_structure_and_the_publisher_fields_wait_for_the_delegation(db, world,
                                                                                                 as_person):
    world["hospital"].postal_code, world["hospital"].city = "44093", "Nantes"
    db.flush()
    browser = as_person(world["director"])
    filing_id = start(browser, "F301", world["hospital"])
    delivery = browser.get(f"/demarches/{filing_id}/etapes/livraison").get_data(as_text=True)
    assert 'value="44093"' in delivery and 'value="Nantes"' in delivery and world["hospital"].name in delivery
    assert "astérisque" in delivery
    f413_id = start(as_person(world["mandataire"]), "F413", world["hospital"])
    step = as_person(world["mandataire"]).get(f"/demarches/{f413_id}/etapes/famille").get_data(as_text=True)
    assert step.count("portal-reveal-checked") == 2 and step.count("portal-reveal-SERV") == 1


def test_a_file_to_correct_takes_the_document_the_agency_asked_for_whatever_its_form(db, world, as_person,
                                                                                       make_filing):
    from io import BytesIO

    from app.models import FilingAttachment

    filing_id = make_filing("a_corriger").id
    browser = as_person(world["mandataire"])
    page = browser.get(f"/demarches/{filing_id}").get_data(as_text=True)
    assert "Joindre un document demandé par l’agence" in page
    sent = browser.post(f"/demarches/{filing_id}/pieces", {"_retour": "dossier", "piece": (
        BytesIO(b"%PDF-1.4\n%%EOF\n"), "attestation.pdf")}, content_type="multipart/form-data")
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/demarches/{filing_id}#pieces-jointes")
    assert db.exec(select(FilingAttachment).where(FilingAttachment.filing_id == filing_id)).one()
