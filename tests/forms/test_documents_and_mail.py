"""The deposited form as a sealed PDF, checked by pyHanko and poppler's pdfsig; mail that waits while the SMTP
server is down and goes out when it is back."""

from __future__ import annotations

import subprocess
import time
from io import BytesIO

from asn1crypto import x509 as a_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import select

from app.mail import SmtpTransport, deliver_due
from app.models import OutboxMessage
from app.operations.pki import authority
from tests.forms.test_walks import deposit, f413


def test_the_deposited_form_is_sealed_and_states_who_signed_and_how(db, world, as_person, tmp_path):
    browser = as_person(world["mandataire"])
    filing_id = f413(browser, world, admins=[world["admin"]])
    filing = deposit(browser, db, filing_id)
    response = browser.get(f"/demarches/{filing_id}/formulaire.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "f413.pdf"
    path.write_bytes(response.data)
    checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert filing.reference in text and "MANDATAIRE" in text and "Carte CPx et lecteur" in text and "ADMIN" in text
    root = a_x509.Certificate.load(authority(db, "root").certificate_der)
    status = validate_pdf_signature(PdfFileReader(BytesIO(response.data)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    outsider = as_person(world["admin"])
    assert outsider.get(f"/demarches/{filing_id}/formulaire.pdf").status_code == 403


def test_mail_down_the_filing_succeeds_and_the_notice_leaves_when_mail_is_back(db, world, as_person, smtp_server):
    transport = SmtpTransport("127.0.0.1", smtp_server["port"], "portail@example.org", timeout=2)
    browser = as_person(world["mandataire"])
    filing = deposit(browser, db, f413(browser, world, admins=[world["admin"]]))  # the server is not started
    assert filing.reference
    queued = db.exec(select(OutboxMessage).where(OutboxMessage.filing_id == filing.id)).all()
    assert {m.recipient for m in queued} >= {"marc@chu.example", "informatique@chu.example"}
    by = {m.recipient: m.body for m in queued}
    # the designated administrator cannot open the mandataire's file: his link is the portal's, to log in
    assert f"/demarches/{filing.id}" not in by["theo@chu.example"] and "/tableau-de-bord" in by["theo@chu.example"]
    assert f"/demarches/{filing.id}" in by["marc@chu.example"]  # the mandataire who filed it
    down = deliver_due(db, transport)
    assert down == {"sent": 0, "failed": len(queued)}
    for message in queued:
        db.refresh(message)
        assert message.sent_at is None and message.attempts == 1 and "Connection" in message.last_error
    assert deliver_due(db, transport) == {"sent": 0, "failed": 0}  # backoff: not yet due again

    smtp_server["controller"].start()
    later = max(m.next_attempt_at for m in queued)
    sent = deliver_due(db, transport, now=later)
    assert sent == {"sent": len(queued), "failed": 0}
    deadline = time.monotonic() + 5
    while len(smtp_server["handler"].received) < len(queued) and time.monotonic() < deadline:
        time.sleep(0.05)
    received = smtp_server["handler"].received
    assert {r for rcpts, _ in received for r in rcpts} == {m.recipient for m in queued}
    assert all(filing.reference in body for _, body in received)
    assert deliver_due(db, transport, now=later) == {"sent": 0, "failed": 0}  # sent once, never twice


def test_the_dev_inbox_lists_the_outbox_and_is_absent_in_production(app, db, client, monkeypatch):
    from app.operations import outbox

    outbox.queue(db, ["someone@example.org"], "Sujet d’essai", "Corps du message")
    db.flush()
    page = client.get("/boite-de-reception")
    assert page.status_code == 200 and "Sujet d’essai" in page.get_data(as_text=True)
    monkeypatch.setattr(app.config["SETTINGS"], "env", "production")
    assert client.get("/boite-de-reception").status_code == 404
