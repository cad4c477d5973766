"""Issue 16 §9, §11–§14 and the confirmed unconfirmed ones: drafts are their author's; the e-mail link echoes
nothing and is limited per address; attachments served as what they are; bad ids and bodies answer 4xx; a decided
file's thread is closed; opposing a card revokes its certificate; no secret in the access log."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from app.models import Card, Filing, IssuedCertificate, OutboxMessage
from app.operations.pki import certificate_status, issue_card_certificate
from tests.certificates.conftest import pem_csr
from tests.certificates.test_api import bearer, make_token
from tests.forms.test_card_orders import order_three
from tests.forms.test_walks import decide, deposit, fill, person_row, rows, start


def test_a_draft_is_its_authors_alone(db, world, as_person):
    director = as_person(world["director"])
    filing_id = start(director, "F413", world["hospital"])
    upload = director.post(f"/demarches/{filing_id}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")},
                           content_type="multipart/form-data")
    assert upload.status_code == 303
    attachment = db.exec(select(Filing).where(Filing.id == filing_id)).one()
    from app.models import FilingAttachment
    piece = db.exec(select(FilingAttachment).where(FilingAttachment.filing_id == attachment.id)).one()
    for who in ("operator", "mandataire"):
        browser = as_person(world[who])
        assert browser.get(f"/demarches/{filing_id}").status_code == 403, who
        assert browser.get(f"/demarches/{filing_id}/pieces/{piece.id}").status_code == 403, who
    assert as_person(world["operator"]).get(f"/instruction/{filing_id}").status_code == 403
    assert as_person(world["director"]).get(f"/demarches/{filing_id}").status_code == 200


def test_the_email_link_echoes_nothing_and_is_limited_per_address(app, db):
    def ask(address: str, name: str):
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/auth/courriel").get_data(True)).group(1)
        return client.post("/auth/courriel", data={"csrf_token": token, "courriel": address, "nom": name,
                                                   "prenom": "Visitez http://piege.example"})

    for _ in range(5):
        answer = ask("victime@hopital.example", "GAGNEZ UN PRIX sur http://piege.example")
        assert answer.status_code == 200 and "Vérifiez votre messagerie" in answer.get_data(as_text=True)
    mails = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == "victime@hopital.example")).all()
    assert len(mails) == 3  # the same answer each time, but three links an hour for one address
    for mail in mails:
        assert "piege.example" not in mail.body and "GAGNEZ" not in mail.body and "Visitez" not in mail.body


def test_an_attachment_is_served_as_the_type_its_content_has(db, world, as_person):
    director = as_person(world["director"])
    filing_id = start(director, "F413", world["hospital"])
    director.post(f"/demarches/{filing_id}/pieces", {"piece": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "justificatif.html")},
                  content_type="multipart/form-data")
    from app.models import FilingAttachment
    piece = db.exec(select(FilingAttachment).where(FilingAttachment.filing_id == filing_id)).one()
    response = director.get(f"/demarches/{filing_id}/pieces/{piece.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "justificatif.pdf" in disposition and ".html" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", [
    "/demarches/99999999999999999999999", "/demarches/9223372036854775808",
    "/acces-compassionnel/99999999999999999999", "/certificats/99999999999999999999999",
    "/instruction/cartes/99999999999999999999/fabriquer",
])
def test_ids_beyond_bigint_are_not_found(world, as_person, url):
    browser = as_person(world["operator"])
    response = browser.post(url) if url.endswith("fabriquer") else browser.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["avant=²", "avant=99999999999999999999999", "avant=-1", "avant=1e3"])
def test_odd_cursors_are_ignored(world, as_person, query):
    browser = as_person(world["director"])
    assert browser.get(f"/demarches/?{query}").status_code == 200
    operator = as_person(world["operator"])
    assert operator.get(f"/instruction/?{query.replace('avant', 'apres')}").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"nom_service": 12345}, "nom_service"), ({"courriel": ["a@b.fr"]}, "courriel"), ({"noms_dns": [1]}, "noms_dns"),
    ({"noms_dns": "a.chu.example"}, "noms_dns"), ({"structure_id": 2**70}, "structure_id"),
    ({"structure_id": "abc"}, "structure_id"), ({"renouvellement_de": 2**64}, "renouvellement_de"),
    ({"csrs": {"ORG_AUTH_CLI": 5}}, "csrs"), ({"attestation": "oui"}, "attestation"), ({"usage": None}, None),
])
def test_the_api_answers_bad_json_types_in_french(db, pki_world, as_admin, client, body, field):
    raw = make_token(as_admin(pki_world["admin"]), [pki_world["hospital"]])
    base = {"structure_id": pki_world["hospital"].id, "famille": "ORG", "usage": "PSC", "nom_service": "Serveur PSC",
            "courriel": "theo@chu.example", "csr": pem_csr()}
    response = client.application.test_client().post("/api/v1/certificats", json=base | body, headers=bearer(raw))
    assert 400 <= response.status_code < 500 and response.is_json and response.get_json()["erreur"]
    if field:
        assert response.get_json()["champ"] == field
    listed = client.application.test_client().get("/api/v1/certificats?apres=²", headers=bearer(raw))
    assert listed.status_code == 400 and listed.get_json()["champ"] == "apres"


def test_a_decided_files_thread_stays_open(db, world, as_person):
    """Issue 31: as démarches-simplifiées, a decided file still takes a question (the decision does not move)."""
    browser = as_person(world["mandataire"])
    filing_id = start(browser, "F413", world["hospital"])
    fill(browser, filing_id, "famille", {"famille": "ORG"})
    fill(browser, filing_id, "administrateurs",
         rows([person_row(world["admin"], usage="DMP", editeur="Éditeur", solution="DPI")]))
    fill(browser, filing_id, "contact", {"courriel": "informatique@chu.example"})
    fill(browser, filing_id, "engagements", {"cgu": "1", "pc": "1"})
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id, "refuser", "Pièce manquante")
    browser = as_person(world["mandataire"])
    page = browser.get(f"/demarches/{filing_id}").get_data(as_text=True)
    assert 'name="message"' in page
    asked = browser.post(f"/demarches/{filing_id}/message", {"message": "Pourquoi ?"})
    assert asked.status_code == 303
    from app.models import FilingEvent
    assert db.get(Filing, filing_id).state == "refuse"
    assert [e.message for e in db.exec(select(FilingEvent).where(FilingEvent.filing_id == filing_id,
                                                                 FilingEvent.verb == "message"))] == ["Pourquoi ?"]


def test_opposing_a_card_revokes_its_certificate_and_its_mail_speaks_french(db, hsm, world, as_person):
    director = as_person(world["director"])
    order = order_three(director, db, world, as_person)[0]
    operator = as_person(world["operator"])
    operator.post(f"/instruction/cartes/{order.id}/fabriquer")
    operator.post(f"/instruction/cartes/{order.id}/activer")
    db.refresh(order)
    card = db.get(Card, order.card_id)
    from app.models import Person
    holder = db.get(Person, card.person_id)
    certificate = issue_card_certificate(db, hsm, person=holder, public_key=ec.generate_private_key(
        ec.SECP256R1()).public_key(), title="Agent d’accueil", base_url="http://localhost", card=card)
    director = as_person(world["director"])
    assert director.post(f"/cartes/{order.id}/opposer", {"motif": "Carte perdue"}).status_code == 303
    db.refresh(certificate)
    assert certificate.revoked_at is not None and certificate.revocation_reason == "key_compromise"
    status = certificate_status(db, certificate.authority_id, int(certificate.serial_hex, 16))
    assert status.status == "revoked"
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.subject.like("Votre carte%"))
                   .order_by(OutboxMessage.id.desc())).first()
    assert "« Opposée »" in mail.body and "opposee" not in mail.body
    assert db.exec(select(IssuedCertificate).where(IssuedCertificate.card_id == card.id,
                                                   IssuedCertificate.revoked_at.is_(None))).all() == []


def test_the_access_log_masks_the_login_token_and_oidc_codes():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from app.access_log import RedactingLogger

    logger = RedactingLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/auth/courriel/Secr3tT0ken-abc", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/auth/courriel/Secr3tT0ken-abc", "QUERY_STRING": "",
               "HTTP_REFERER": "https://portail.example/auth/psc/callback?code=c0de&state=st4te"}
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])]), environ,
                         SimpleNamespace(seconds=0, microseconds=1000))
    line = " ".join(str(v) for v in atoms.values())
    assert "Secr3tT0ken" not in line and "c0de" not in line and "st4te" not in line
    assert "/auth/courriel/[masqué]" in atoms["r"]
