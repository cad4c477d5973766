"""Issue 31 (2, 3): messages both ways in every state, with documents and e-mails, unread counts in the queue;
the instructor's tools (assignment, private notes, a colleague's opinion, a correction's deadline and its
reminder), as démarches-simplifiées has them."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

from sqlmodel import select

from app.models import Filing, FilingAttachment, FilingEvent, OutboxMessage
from app.models.base import utcnow
from app.operations import exchanges

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _mails(db, to: str) -> list[OutboxMessage]:
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id)))


def _queue_row(page: str, reference: str) -> str:
    row = re.search(rf"<tr><td[^>]*><a[^>]*>{re.escape(reference)}</a>.*?</tr>", page, re.S)
    assert row, reference
    return row.group(0)


def test_the_agency_writes_without_moving_the_file_and_the_filer_answers_with_a_document(db, world, make_filing,
                                                                                          as_person):
    filing = make_filing("en_instruction")
    operator, mandataire = world["operator"], world["mandataire"]
    operator.email = "ines@ans.example"
    db.add(operator)
    agent = as_person(operator)
    assert agent.post(f"/instruction/{filing.id}/attribuer", {"agent": str(operator.id)}).status_code == 303
    sent = agent.post(f"/instruction/{filing.id}/message", {"message": "Le contact indiqué est-il toujours le bon ?"},
                      content_type="multipart/form-data")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("#echanges")
    db.refresh(filing)
    assert filing.state == "en_instruction"  # a question is not a correction request
    told = _mails(db, mandataire.email)[-1]
    assert "nouveau message de l’agence" in told.subject and f"/demarches/{filing.id}" in told.body
    assert "toujours le bon" not in told.body  # read on the portal, not in a mailbox

    filer = as_person(mandataire)
    page = filer.get(f"/demarches/{filing.id}").get_data(as_text=True)
    assert "Message de l’agence" in page and "toujours le bon" in page
    db.refresh(filing)
    assert filing.filer_seen_at is not None  # read: the filer's unread count is zero now
    answered = filer.post(f"/demarches/{filing.id}/message", {
        "message": "Oui, et voici la délégation signée.", "piece": (BytesIO(PDF), "delegation.pdf")},
        content_type="multipart/form-data")
    assert answered.status_code == 303
    document = db.exec(select(FilingAttachment).where(FilingAttachment.filing_id == filing.id)).one()
    answer = db.get(FilingEvent, document.event_id)
    assert answer.verb == "message" and answer.message.startswith("Oui")
    assert "nouveau message du déclarant" in _mails(db, operator.email)[-1].subject  # the agent instructing it

    agent = as_person(operator)
    row = _queue_row(agent.get("/instruction/?etat=tous").get_data(as_text=True), filing.reference)
    assert "1\u00a0message non lu" in row and operator.shown_name in row
    page = agent.get(f"/instruction/{filing.id}").get_data(as_text=True)
    assert "delegation.pdf" in page and "voici la délégation" in page
    proofs = page.split('id="pieces-jointes"')[1].split("</section>")[0]
    assert "delegation.pdf" not in proofs  # a message's document is not one of the form's proofs
    assert agent.get(f"/demarches/{filing.id}/pieces/{document.id}").data == PDF
    row = _queue_row(agent.get("/instruction/?etat=tous").get_data(as_text=True), filing.reference)
    assert "non lu" not in row


def test_notes_and_opinions_stay_between_agents(db, world, make_filing, as_person, make_person, make_agency_role):
    filing = make_filing("depose")
    colleague = make_person(family_name="EXPERTE", given_name="Rose", email="rose@ans.example")
    make_agency_role(colleague, "ans_operator")
    agent = as_person(world["operator"])
    assert agent.post(f"/instruction/{filing.id}/note", {"note": "Kbis ancien, à surveiller"}).status_code == 303
    asked = agent.post(f"/instruction/{filing.id}/avis-demande",
                       {"expert": str(colleague.id), "question": "Ce mandat vous paraît-il valable ?"})
    assert asked.status_code == 303
    assert "votre avis est demandé" in _mails(db, "rose@ans.example")[-1].subject
    expert = as_person(colleague)
    page = expert.get(f"/instruction/{filing.id}").get_data(as_text=True)
    assert "Votre avis est demandé" in page and "Ce mandat vous paraît-il valable" in page
    assert expert.post(f"/instruction/{filing.id}/avis", {"avis": "Valable jusqu’en 2027."}).status_code == 303
    page = expert.get(f"/instruction/{filing.id}").get_data(as_text=True)
    assert "Avis rendu" in page and "Votre avis est demandé" not in page  # given: no longer asked

    shown = as_person(world["mandataire"]).get(f"/demarches/{filing.id}").get_data(as_text=True)
    for private in ("Kbis ancien", "Ce mandat", "Valable jusqu", "agents seulement"):
        assert private not in shown
    agent = as_person(world["operator"])
    refused = agent.post(f"/instruction/{filing.id}/avis-demande", {"expert": "999999", "question": "?"})
    assert refused.status_code == 422 and "Choisissez un agent" in refused.get_data(as_text=True)
    odd = agent.post(f"/instruction/{filing.id}/attribuer", {"agent": "²"})  # a digit to isdigit(), not to int()
    assert odd.status_code == 422 and "Choisissez un agent" in odd.get_data(as_text=True)
    empty = as_person(world["operator"]).post(f"/instruction/{filing.id}/note", {"note": "  "})
    assert empty.status_code == 422 and "Le message est vide" in empty.get_data(as_text=True)
    assert len(db.exec(select(FilingEvent).where(FilingEvent.filing_id == filing.id,
                                                 FilingEvent.verb.in_(exchanges.PRIVATE))).all()) == 3


def test_the_queue_counts_sorts_and_filters_by_agent(db, world, make_filing, as_person):
    older, newer, other = make_filing("depose"), make_filing("depose"), make_filing("en_instruction")
    older.deposited_at = utcnow() - timedelta(days=12)
    db.add(older)
    db.flush()
    agent = as_person(world["operator"])
    agent.post(f"/instruction/{newer.id}/attribuer", {"agent": str(world["operator"].id)})
    page = agent.get("/instruction/").get_data(as_text=True)
    assert "<strong>3</strong> dossiers à traiter" in page
    assert "Déposé&nbsp;: 2" in page and "En instruction&nbsp;: 1" in page
    assert page.index(older.reference) < page.index(newer.reference)  # oldest first
    assert "12\u00a0jours" in _queue_row(page, older.reference)
    recent = agent.get("/instruction/?tri=recents").get_data(as_text=True)
    assert recent.index(other.reference) < recent.index(older.reference)
    mine = agent.get("/instruction/?agent=moi").get_data(as_text=True)
    assert newer.reference in mine and older.reference not in mine
    nobody = agent.get("/instruction/?agent=personne").get_data(as_text=True)
    assert newer.reference not in nobody and older.reference in nobody


def test_a_correction_has_a_deadline_and_a_reminder(db, world, make_filing, as_person):
    filing = make_filing("en_instruction")
    agent = as_person(world["operator"])
    past = agent.post(f"/instruction/{filing.id}/demander_correction",
                      {"message": "Joignez le mandat.", "delai": (utcnow().date() - timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and "date à venir" in past.get_data(as_text=True)
    db.refresh(filing)
    assert filing.state == "en_instruction" and filing.correction_due is None  # nothing half-done
    due = utcnow().date() + timedelta(days=10)
    assert agent.post(f"/instruction/{filing.id}/demander_correction",
                      {"message": "Joignez le mandat.", "delai": due.isoformat()}).status_code == 303
    db.refresh(filing)
    assert filing.state == "a_corriger" and filing.correction_due == due
    assert f"avant le {due:%d/%m/%Y}" in _mails(db, world["mandataire"].email)[-1].body
    page = as_person(world["mandataire"]).get(f"/demarches/{filing.id}").get_data(as_text=True)
    assert f"À corriger avant le {due:%d/%m/%Y}" in page

    link = lambda filing_id: f"https://portail.example/demarches/{filing_id}"  # noqa: E731
    assert exchanges.remind_corrections(db, link, utcnow()) == 0  # ten days ahead: not yet
    assert exchanges.remind_corrections(db, link, utcnow() + timedelta(days=8)) == 1
    assert exchanges.remind_corrections(db, link, utcnow() + timedelta(days=9)) == 0  # once
    reminder = _mails(db, world["mandataire"].email)[-1]
    assert "correction attendue" in reminder.subject and f"/demarches/{filing.id}" in reminder.body


def test_a_decided_file_still_takes_messages_a_draft_does_not(db, world, make_filing, as_person):
    decided, draft = make_filing("refuse"), make_filing("brouillon")
    filer = as_person(world["mandataire"])
    assert filer.post(f"/demarches/{decided.id}/message", {"message": "Pourquoi ce refus ?"},
                      content_type="multipart/form-data").status_code == 303
    refused = filer.post(f"/demarches/{draft.id}/message", {"message": "Bonjour"})
    assert refused.status_code == 422 and "pas encore déposé" in refused.get_data(as_text=True)
    assert db.get(Filing, decided.id).state == "refuse"
