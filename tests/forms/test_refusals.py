"""Every rule refuses with its French message next to the field and stores nothing: no row, no audit
event, no mail, no file."""

from __future__ import annotations

from io import BytesIO

import pytest
import sqlalchemy as sa

from app.models import (
    AuditEvent,
    CardOrder,
    Filing,
    FilingAttachment,
    FilingAttachmentContent,
    FilingDocument,
    FilingEvent,
    Habilitation,
    OutboxMessage,
    ReferenceCounter,
)
from tests.forms.test_walks import f413, fill, person_row, rows, start

COUNTED = (AuditEvent, CardOrder, Filing, FilingAttachment, FilingDocument, FilingEvent, Habilitation, OutboxMessage,
           ReferenceCounter)


def snapshot(db, app) -> dict:
    counts = {m.__name__: db.execute(sa.select(sa.func.count()).select_from(m)).scalar_one() for m in COUNTED}
    counts["files"] = db.execute(sa.select(sa.func.count()).select_from(FilingAttachmentContent)).scalar_one()
    counts["states"] = sorted(db.execute(sa.select(Filing.id, Filing.state)).all())
    return counts


def deposit_refused(browser, db, filing_id):
    key = db.get(Filing, filing_id).idempotency_key
    return browser.post(f"/demarches/{filing_id}/deposer", {"cle": key})


def f413_with(world, **row):
    def prepare(browser, db):
        filing_id = f413(browser, world, admins=[world["admin"]])
        fill(browser, filing_id, "administrateurs",
             rows([person_row(world["admin"], usage="DMP", editeur="E", solution="S") | row]))
        return lambda: deposit_refused(browser, db, filing_id)
    return prepare


def f301_with(world, structure_key="hospital", **row):
    def prepare(browser, db):
        filing_id = start(browser, "F301", world[structure_key])
        holder = {"civilite": "M", "nom": "AGENT", "prenom": "Léo", "identifiant": "", "courriel": "l@chu.example",
                  "date_naissance": "1990-02-02", "lieu_naissance": "Nantes", "fonction": "Accueil",
                  "justification": "Accès aux locaux"} | row
        fill(browser, filing_id, "titulaires", rows([holder]))
        fill(browser, filing_id, "livraison", {"destinataire": "Accueil", "adresse": "1 rue", "code_postal": "44000",
                                               "ville": "Nantes"})
        fill(browser, filing_id, "contact", {"courriel": "direction@chu.example"})
        return lambda: deposit_refused(browser, db, filing_id)
    return prepare


def refusal_cases(world, make_structure, make_person):
    org = make_structure(kind="ORG", name="Centre de santé hors FINESS", siret="73282932000074", public=False)
    no_contract = make_structure(kind="EJ", name="Hôpital sans contrat", public=True, contract=False)
    other_ej = make_structure(kind="EJ", name="CH voisin du GHT", public=True)
    nurse = make_person(profession_code="60", family_name="SOIGNANTE")
    world.update(org=org, no_contract=no_contract)

    def f413_without_contract(browser, db):
        from app.models import Habilitation as H

        db.add(H(person_id=world["director"].id, structure_id=no_contract.id, role="legal_representative"))
        db.flush()
        filing_id = f413(browser, world, admins=[world["admin"]], structure=no_contract)
        return lambda: deposit_refused(browser, db, filing_id)

    def start_refused(form, structure_key, who="director"):
        def prepare(browser, db):
            return lambda: browser.post(f"/demarches/nouvelle/{form}", {"structure_id": world[structure_key].id})
        return prepare, who

    def step_refused(data):
        def prepare(browser, db):
            filing_id = start(browser, "F413", world["hospital"])
            return lambda: browser.post(f"/demarches/{filing_id}/etapes/contact", data)
        return prepare, "mandataire"

    def upload_refused(content: bytes, name: str):
        def prepare(browser, db):
            filing_id = start(browser, "F413", world["hospital"])
            return lambda: browser.post(f"/demarches/{filing_id}/pieces", {"piece": (BytesIO(content), name)},
                                        content_type="multipart/form-data", follow_redirects=True)
        return prepare, "mandataire"

    def f413_filer_without_active_card(browser, db):
        from app.models import Card

        filing_id = f413(browser, world, admins=[world["admin"]])
        for card in db.exec(sa.select(Card).where(Card.person_id == world["mandataire"].id)).scalars():
            card.status = "opposee"
            db.add(card)
        db.flush()
        return lambda: deposit_refused(browser, db, filing_id)

    def f413_already_designated(browser, db):
        db.add(Habilitation(person_id=world["admin"].id, structure_id=world["hospital"].id, role="technical_admin",
                            certificate_family="ORG", source="test"))
        db.flush()
        return f413_with(world)(browser, db)

    return {
        "administrator already designated": (f413_already_designated, "mandataire", 422,
                                             "Théo ADMIN est déjà désigné(e) sur cette structure (famille ORG)"),
        "F413 filer needs an active card": (f413_filer_without_active_card, "mandataire", 422,
                                            "doit détenir une carte active"),
        "F502 only by the legal representative": (*start_refused("F502", "hospital", "mandataire"), 403,
                                                   "Accès refusé"),
        "F413 of a public site goes to its EJ": (*start_refused("F413", "site"), 422, "FINESS juridique"),
        "F413 needs the contract": (f413_without_contract, "director", 422, "pas de contrat d’adhésion"),
        "administrator without an active card": ((f413_with(world, identifiant=world["no_card"].national_id)),
                                                 "mandataire", 422, "Aucune carte active"),
        "one F413 per legal entity (GHT)": (f413_with(world, perimetre=other_ej.finess), "mandataire", 422,
                                            "autre entité juridique"),
        "F413 périmètre outside the structure": (f413_with(world, perimetre="440000099"), "mandataire", 422,
                                                 "FINESS"),
        "health professionals get no staff card": (f301_with(world, identifiant=nurse.national_id), "director", 422,
                                                   "via le RPPS"),
        "e-mail syntax": (*step_refused({"courriel": "pas-une-adresse"}), 422, "Adresse électronique invalide"),
        "required field": (*step_refused({"courriel": ""}), 422, "Ce champ est obligatoire"),
        "attachment type from content": (*upload_refused(b"MZ\x90\x00 not a pdf", "preuve.pdf"), 422,
                                         "Seuls les fichiers PDF, PNG et JPEG"),
        "attachment size": (*upload_refused(b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "gros.pdf"), 422,
                            "dépasse 5 Mo"),
    }


CASES = ["administrator already designated", "F413 filer needs an active card", "F502 only by the legal representative",
         "F413 of a public site goes to its EJ",
         "F413 needs the contract", "administrator without an active card",
         "one F413 per legal entity (GHT)", "F413 périmètre outside the structure",
         "health professionals get no staff card", "e-mail syntax", "required field",
         "attachment type from content", "attachment size"]


@pytest.mark.parametrize("case", CASES)
def test_rule_refuses_with_its_message_and_stores_nothing(app, db, world, as_person, make_structure, make_person,
                                                           case):
    prepare, who, status, message = refusal_cases(world, make_structure, make_person)[case]
    browser = as_person(world[who])
    act = prepare(browser, db)
    before = snapshot(db, app)
    response = act()
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert snapshot(db, app) == before


def test_staff_cards_outside_finess_need_a_cda_first(app, db, world, as_person, make_structure, make_person,
                                                     make_habilitation):
    org = make_structure(kind="ORG", name="Centre hors FINESS", siret="73282932000074", public=False)
    make_habilitation(world["director"], org, "legal_representative")
    browser = as_person(world["director"])
    act = f301_with({**world, "org": org}, "org")(browser, db)
    before = snapshot(db, app)
    response = act()
    assert response.status_code == 422 and "carte CDA active" in response.get_data(as_text=True)
    assert snapshot(db, app) == before
