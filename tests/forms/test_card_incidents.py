"""Issue 21: F501 (an incident on a card) and F504 (the cards' delivery address), walked through the pages with
their effects; their refusals store nothing."""

from __future__ import annotations

import subprocess

from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from app.models import AuditEvent, Card, CardOrder, Filing, OutboxMessage
from app.operations.pki import certificate_status, issue_card_certificate
from tests.forms.test_walks import decide, deposit, fill, start

ADDRESS = {"destinataire": "Service informatique", "adresse": "5 allée de l’Île Gloriette", "code_postal": "44000",
           "ville": "Nantes"}


def _card_with_certificate(db, hsm, world, make_card):
    card = make_card(world["admin"], "CPE", structure=world["site"])
    certificate = issue_card_certificate(db, hsm, person=world["admin"], public_key=ec.generate_private_key(
        ec.SECP256R1()).public_key(), title="CPE", base_url="http://localhost", card=card)
    return card, certificate


def _f501(browser, world, serial: str, incident: str, structure=None) -> int:
    filing_id = start(browser, "F501", structure or world["hospital"])
    fill(browser, filing_id, "incident", {"carte": serial, "incident": incident, "date_incident": "2026-11-28",
                                          "circonstances": "Oubliée dans un train."})
    fill(browser, filing_id, "contact", {"courriel": "informatique@chu.example"})
    return filing_id


def test_a_lost_card_is_opposed_at_deposit_and_replaced_at_acceptance(db, hsm, world, as_person, make_card):
    card, certificate = _card_with_certificate(db, hsm, world, make_card)
    browser = as_person(world["mandataire"])
    filing_id = _f501(browser, world, card.serial, "perte")
    assert certificate_status(db, certificate.authority_id, int(certificate.serial_hex, 16)).status == "good"
    deposit(browser, db, filing_id)
    db.refresh(card)
    db.refresh(certificate)
    assert card.status == "opposee" and certificate.revoked_at is not None  # before any agent read it
    assert certificate_status(db, certificate.authority_id, int(certificate.serial_hex, 16)).status == "revoked"
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "card.opposed")).one()
    decide(as_person, world, filing_id)
    replacement = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).one()
    assert (replacement.national_id, replacement.card_type, replacement.state) == \
        (world["admin"].national_id, "CPE", "commandee")
    assert card.serial in replacement.justification


def test_pin_and_refusals(db, hsm, world, as_person, make_card):
    card, _ = _card_with_certificate(db, hsm, world, make_card)
    browser = as_person(world["mandataire"])
    unknown = _f501(browser, world, "9999999999", "vol")
    page = browser.get(f"/demarches/{unknown}/recapitulatif").get_data(as_text=True)
    assert "Aucune carte de la structure ne porte ce numéro" in page
    foreign_card = make_card(world["director"], "CDE", structure=world["clinic"])
    foreign = _f501(browser, world, foreign_card.serial, "vol")
    assert "Aucune carte de la structure" in browser.get(f"/demarches/{foreign}/recapitulatif").get_data(as_text=True)
    refused = browser.post(f"/demarches/{foreign}/deposer", {"cle": db.get(Filing, foreign).idempotency_key})
    assert refused.status_code == 422
    db.refresh(foreign_card)
    assert foreign_card.status == "active" and db.get(Filing, foreign).state == "brouillon"

    pin = _f501(browser, world, card.serial, "pin_bloque")
    deposit(browser, db, pin)
    db.refresh(card)
    assert card.status == "active"  # a blocked PIN opposes nothing
    decide(as_person, world, pin)
    assert db.exec(select(OutboxMessage).where(OutboxMessage.recipient == world["admin"].email,
                                               OutboxMessage.subject.contains("déblocage"))).one()
    assert not db.exec(select(CardOrder).where(CardOrder.filing_id == pin)).all()


def test_a_damaged_card_is_revoked_when_its_replacement_is_ordered(db, hsm, world, as_person, make_card):
    card, certificate = _card_with_certificate(db, hsm, world, make_card)
    browser = as_person(world["director"])
    filing_id = _f501(browser, world, card.serial, "endommagee")
    deposit(browser, db, filing_id)
    db.refresh(card)
    assert card.status == "active"
    decide(as_person, world, filing_id)
    db.refresh(card)
    db.refresh(certificate)
    assert card.status == "revoquee" and certificate.revocation_reason == "superseded"
    assert db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id)).one().state == "commandee"
    browser = as_person(world["director"])  # decide() logged the operator in on the same client
    again = _f501(browser, world, card.serial, "perte")
    assert "rien à déclarer" in browser.get(f"/demarches/{again}/recapitulatif").get_data(as_text=True)


def test_f504_moves_the_filing_structures_cards_not_yet_made_and_no_others(db, world, as_person):
    """Issue 27 (9): the EJ's new address carries over the EJ's own waiting orders, not its site's; the operator
    sees, before accepting, which orders will move."""
    from app.operations.casefiles import open_draft

    holder_filing = open_draft(db, form="F301", structure_id=world["hospital"].id, filer_id=world["director"].id,
                               actor="x")
    waiting = CardOrder(filing_id=holder_filing.id, structure_id=world["hospital"].id, card_type="CPE",
                        family_name="ATTENTE", given_name="Léa", delivery={"adresse": "ancienne"})
    at_site = CardOrder(filing_id=holder_filing.id, structure_id=world["site"].id, card_type="CPE",
                        family_name="SITE", given_name="Jo", delivery={"adresse": "du site"})
    made = CardOrder(filing_id=holder_filing.id, structure_id=world["hospital"].id, card_type="CPE",
                     family_name="FAITE", given_name="Noé", state="fabriquee", delivery={"adresse": "ancienne"})
    db.add_all([waiting, at_site, made])
    db.flush()
    browser = as_person(world["mandataire"])
    filing_id = start(browser, "F504", world["hospital"])
    bad = fill(browser, filing_id, "livraison", ADDRESS | {"code_postal": "440"}, expect=422)
    assert "code postal" in bad.get_data(as_text=True).lower()
    fill(browser, filing_id, "livraison", ADDRESS)
    fill(browser, filing_id, "contact", {"courriel": "informatique@chu.example"})
    deposit(browser, db, filing_id)
    db.refresh(waiting)
    assert waiting.delivery == {"adresse": "ancienne"}  # the agency accepts first
    page = as_person(world["operator"]).get(f"/instruction/{filing_id}").get_data(as_text=True)
    assert f"CPE de Léa ATTENTE (commande n°\u00a0{waiting.id})" in page and "SITE" not in page
    decide(as_person, world, filing_id)
    for order in (waiting, at_site, made, world["hospital"]):
        db.refresh(order)
    assert waiting.delivery == ADDRESS and made.delivery == {"adresse": "ancienne"}
    assert at_site.delivery == {"adresse": "du site"}  # a site keeps its own address
    assert world["hospital"].card_delivery == ADDRESS
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "structure.card_delivery_changed")).one()


def _judged(browser, db, filing_id: int, tmp_path) -> str:
    """The sealed PDF of the deposit, valid for pdfsig and pyHanko; its text."""
    from io import BytesIO

    from asn1crypto import x509 as a_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.operations.pki import authority

    response = browser.get(f"/demarches/{filing_id}/formulaire.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / f"{filing_id}.pdf"
    path.write_bytes(response.data)
    checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
    root = a_x509.Certificate.load(authority(db, "root").certificate_der)
    status = validate_pdf_signature(PdfFileReader(BytesIO(response.data)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_sealed_pdfs_of_f501_and_f504(db, hsm, world, as_person, make_card, tmp_path):
    card, _ = _card_with_certificate(db, hsm, world, make_card)
    browser = as_person(world["mandataire"])
    incident = _f501(browser, world, card.serial, "vol")
    deposit(browser, db, incident)
    text = _judged(browser, db, incident, tmp_path)
    assert card.serial in text and "Vol" in text and "F501" in text
    address = start(browser, "F504", world["hospital"])
    fill(browser, address, "livraison", ADDRESS)
    fill(browser, address, "contact", {"courriel": "informatique@chu.example"})
    deposit(browser, db, address)
    assert "Île Gloriette" in _judged(browser, db, address, tmp_path)


def test_the_agency_sees_where_a_card_goes(db, world, as_person):
    from app.operations.casefiles import open_draft

    filing = open_draft(db, form="F301", structure_id=world["hospital"].id, filer_id=world["director"].id, actor="x")
    db.add(CardOrder(filing_id=filing.id, structure_id=world["hospital"].id, card_type="CPE", family_name="LIVRÉE",
                     given_name="Ana", delivery=ADDRESS))
    db.flush()
    page = as_person(world["operator"]).get("/instruction/cartes").get_data(as_text=True)
    assert "LIVRÉE" in page and "5 allée de l’Île Gloriette" in page


def test_a_card_declared_lost_opens_no_psc_session_and_is_on_its_crl(db, app, world, as_person, psc_sandbox):
    """Issue 27 (3): a card made through the portal carries its authentication certificate under the cards' CA;
    declared lost, the certificate is on the CRL at once and Pro Santé Connect (the sandbox, as the real one) refuses
    the card, while the e-CPS activated before keeps working."""
    from cryptography import x509

    from app.models import Card, IssuedCertificate, Person
    from tests.forms.test_card_orders import order_three
    from tests.psc import SandboxBrowser, psc_login

    first = order_three(as_person(world["director"]), db, world, as_person)[0]
    operator = as_person(world["operator"])
    for verb in ("fabriquer", "activer"):
        assert operator.post(f"/instruction/cartes/{first.id}/{verb}").status_code == 303
    db.refresh(first)
    card = db.get(Card, first.card_id)
    holder = db.get(Person, card.person_id)
    made = db.exec(select(IssuedCertificate).where(IssuedCertificate.card_id == card.id)).one()
    assert made.profile == "CARD_AUTH" and holder.national_id in made.subject
    assert certificate_status(db, made.authority_id, int(made.serial_hex, 16)).status == "good"
    assert psc_login(app.test_client(), psc_sandbox["url"], holder.national_id).status_code == 303

    filing_id = _f501(as_person(world["director"]), world, card.serial, "perte")
    deposit(as_person(world["director"]), db, filing_id)
    db.refresh(made)
    assert made.revoked_at is not None
    crl_url = x509.load_der_x509_certificate(made.der).extensions.get_extension_for_class(
        x509.CRLDistributionPoints).value[0].full_name[0].value
    crl = app.test_client().get(crl_url.replace("http://localhost", "")).data
    listed = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"], input=crl, capture_output=True,
                            check=True).stdout.decode()
    assert made.serial_hex.upper().lstrip("0") in listed.replace(":", "").upper()

    portal = app.test_client()
    start_login = portal.get("/auth/psc/login")
    browser = SandboxBrowser(psc_sandbox["url"])
    req_id = browser.open_authorize(start_login.headers["Location"])
    assert browser.choose(req_id, holder.national_id, "card").status_code == 303
    refused = browser.http.get(f"{psc_sandbox['url']}/auth/{req_id}/pin", timeout=10)
    assert refused.status_code == 403 and "Carte opposée ou révoquée" in refused.text
    assert browser.pin(req_id, "1234").status_code == 403  # the right PIN changes nothing
    assert psc_login(app.test_client(), psc_sandbox["url"], holder.national_id, "mobile").status_code == 303


def test_a_sites_mandataire_opposes_at_once_only_what_their_fleet_shows(db, hsm, world, as_person, make_person,
                                                                         make_card, make_habilitation):
    """Issue 27 (8): a site's mandataire names the legal entity's director's card: nothing is opposed before the
    agency accepts, but the holder and the legal representative are told at once; a card of the site itself is
    opposed at deposit, until the declarant's daily limit."""
    from app.operations import audit
    from app.operations.forms.f501 import IMMEDIATE_PER_DAY

    site_mandataire = make_person(profession_code="", family_name="MANDASITE", given_name="Léo",
                                  national_id=f"3{world['site'].finess}/ADM0009", email="leo@site.example")
    make_habilitation(site_mandataire, world["site"], "mandataire")
    make_card(site_mandataire, "CPE", structure=world["site"])
    director_card = db.exec(select(Card).where(Card.person_id == world["director"].id)).one()
    browser = as_person(site_mandataire)
    filing_id = _f501(browser, world, director_card.serial, "vol", world["site"])
    deposit(browser, db, filing_id)
    db.refresh(director_card)
    assert director_card.status == "active"  # the legal entity's card waits for the agency
    told = db.exec(select(OutboxMessage).where(OutboxMessage.filing_id == filing_id,
                                               OutboxMessage.subject.contains(director_card.serial))).all()
    assert {m.recipient for m in told} == {world["director"].email}  # the holder, also the legal representative
    assert "MANDASITE" in told[0].body and "L’agence vérifie la déclaration" in told[0].body
    decide(as_person, world, filing_id)
    db.refresh(director_card)
    assert director_card.status == "opposee"  # the agency confirmed it

    agent = make_person(profession_code="", family_name="AGENTSITE", given_name="Ana", email="ana@site.example")
    site_card, certificate = _card_with_certificate(db, hsm, {**world, "admin": agent}, make_card)
    filing_id = _f501(as_person(site_mandataire), world, site_card.serial, "perte", world["site"])
    deposit(as_person(site_mandataire), db, filing_id)
    db.refresh(site_card)
    assert site_card.status == "opposee"  # a card of the declarant's own fleet: at once

    for _ in range(IMMEDIATE_PER_DAY):  # the declarant's day is full
        audit.record(db, actor=site_mandataire.national_id, action="card.opposed", object_type="card", object_id=0)
    audit.write_pending(db)
    late_card, _ = _card_with_certificate(db, hsm, {**world, "admin": agent}, make_card)
    filing_id = _f501(as_person(site_mandataire), world, late_card.serial, "perte", world["site"])
    deposit(as_person(site_mandataire), db, filing_id)
    db.refresh(late_card)
    assert late_card.status == "active"
