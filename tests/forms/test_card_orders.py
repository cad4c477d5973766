"""A staff card from order to revocation: fabricated with an identifier, activated (then it can be designated),
revoked at the structure's request for a departed agent (then it can no longer be)."""

from __future__ import annotations

from sqlmodel import select

from app.models import Card, CardOrder, Person
from app.operations.forms import people
from tests.forms.test_walks import decide, deposit, fill, rows, start


def order_three(browser, db, world, as_person) -> list[CardOrder]:
    holders = [{"civilite": "M", "nom": f"AGENT{i}", "prenom": "Noé", "identifiant": "",
                "courriel": f"n{i}@chu.example",
                "date_naissance": "1985-05-05", "lieu_naissance": "Rezé", "fonction": "Accueil",
                "justification": "Accès aux locaux"} for i in range(3)]
    filing_id = start(browser, "F301", world["hospital"])
    fill(browser, filing_id, "titulaires", rows(holders))
    fill(browser, filing_id, "livraison", {"destinataire": "Accueil", "adresse": "1 rue", "code_postal": "44000",
                                           "ville": "Nantes"})
    fill(browser, filing_id, "contact", {"courriel": "direction@chu.example"})
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    return db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id).order_by(CardOrder.id)).all()


def test_card_lifecycle_and_revocation_of_a_departed_agent(db, world, as_person):
    director = as_person(world["director"])
    orders = order_three(director, db, world, as_person)
    first = orders[0]
    operator = as_person(world["operator"])
    queue = operator.get("/instruction/cartes").get_data(as_text=True)
    assert all(f"{o.given_name} {o.family_name}" in queue for o in orders)
    assert operator.post(f"/instruction/cartes/{first.id}/fabriquer").status_code == 303
    db.refresh(first)
    card = db.get(Card, first.card_id)
    holder = db.get(Person, card.person_id)
    assert first.state == "fabriquee" and card.status == "fabriquee"
    assert holder.national_id == f"3{world['hospital'].finess}/C{first.id:06d}"
    assert people.person_with_active_card(db, holder.national_id) is None  # not yet usable
    assert operator.post(f"/instruction/cartes/{first.id}/activer").status_code == 303
    db.refresh(card)
    assert card.status == "active" and people.person_with_active_card(db, holder.national_id) is not None

    director = as_person(world["director"])
    refused = director.post(f"/cartes/{first.id}/demander_revocation", {"motif": ""}, follow_redirects=True)
    assert "Indiquez le motif" in refused.get_data(as_text=True)
    db.refresh(first)
    assert first.revocation_requested_at is None
    assert director.post(f"/cartes/{first.id}/demander_revocation", {"motif": "Départ de l’agent"}).status_code == 303
    assert director.post(f"/instruction/cartes/{first.id}/revoquer", {"motif": "x"}).status_code == 403
    page = director.get(f"/structures/{world['hospital'].id}").get_data(as_text=True)
    assert "Révocation demandée" in page

    operator = as_person(world["operator"])
    assert "Départ de l’agent" in operator.get("/instruction/cartes").get_data(as_text=True)
    assert operator.post(f"/cartes/{first.id}/opposer", {"motif": "x"}).status_code == 403  # structure side only
    assert operator.post(f"/instruction/cartes/{first.id}/revoquer", {"motif": "Départ de l’agent"}).status_code == 303
    db.refresh(card)
    db.refresh(first)
    assert first.state == "revoquee" and card.status == "revoquee"
    assert people.person_with_active_card(db, holder.national_id) is None
    again = operator.post(f"/instruction/cartes/{first.id}/activer", follow_redirects=True)
    assert "Impossible" in again.get_data(as_text=True)
    db.refresh(first)
    assert first.state == "revoquee"
