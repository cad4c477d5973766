"""Issue 21: the card fleet — every card of the structure and its sites, filtered, paged by key through 5,000
cards, exported as CSV, with the actions the rules allow (an incident pre-fills the F501)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import Card, Filing, Person
from app.models.base import utcnow
from app.operations import fleet


@pytest.fixture()
def hospital_cards(db, world):
    """5,000 cards: most on the EJ, some on its site, a few expiring, opposed or waiting; one holder each."""
    now = utcnow()
    people = [Person(national_id=f"3{world['hospital'].finess}/P{i:05d}", family_name=f"AGENT{i:05d}",
                     given_name="Camille", profession_code="") for i in range(5000)]
    db.add_all(people)
    db.flush()
    statuses = {0: "opposee", 1: "fabriquee", 2: "revoquee"}
    cards = [Card(person_id=p.id, card_type="CPE", serial=f"39{i:08d}", status=statuses.get(i % 100, "active"),
                  structure_id=(world["site"] if i % 10 == 0 else world["hospital"]).id,
                  expires_at=now + timedelta(days=30 if i % 50 == 3 else 700)) for i, p in enumerate(people)]
    db.add_all(cards)
    db.flush()
    return cards


def test_every_card_page_by_page(db, world, as_person, hospital_cards):
    browser = as_person(world["mandataire"])
    page = browser.get(f"/structures/{world['hospital'].id}/cartes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="compte">5\u00a0003 cartes<' in html  # and the world's three
    assert html.count('data-label="Carte"') == fleet.PAGE and "AGENT04999" in html  # newest first
    seen, url, pages = set(), f"/structures/{world['hospital'].id}/cartes", 0
    while url:
        html = browser.get(url).get_data(as_text=True)
        seen |= set(re.findall(r"AGENT\d{5}", html))
        following = re.search(r'href="([^"]+apres=\d+)"', html)
        url = following.group(1).replace("&amp;", "&") if following else None
        pages += 1
    assert len(seen) == 5000 and pages == 101  # the site's cards too, each once
    assert "Première page" in html


def test_filters_search_and_csv(db, world, as_person, hospital_cards):
    browser = as_person(world["director"])
    base = f"/structures/{world['hospital'].id}/cartes"
    expiring = browser.get(f"{base}?filtre=expirent").get_data(as_text=True)
    assert 'id="compte">100 cartes<' in expiring and "Bientôt" in expiring and "Renouveler" in expiring
    assert 'id="compte">50 cartes<' in browser.get(f"{base}?filtre=opposees").get_data(as_text=True)
    found = browser.get(f"{base}?q=agent00042").get_data(as_text=True)
    assert 'id="compte">1 carte<' in found and "AGENT00042" in found
    export = browser.get(f"{base}.csv?filtre=opposees")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Numéro" and len(rows) == 51 and {r[2] for r in rows[1:]} == {"Opposée"}
    everything = browser.get(f"{base}.csv").get_data(as_text=True)
    assert everything.count("\n") == 5004


def test_an_incident_link_opens_a_prefilled_f501(db, world, as_person, make_card):
    card = make_card(world["admin"], "CPE", structure=world["site"])
    browser = as_person(world["mandataire"])
    html = browser.get(f"/structures/{world['hospital'].id}/cartes").get_data(as_text=True)
    link = re.search(r'href="(/demarches/nouvelle/F501\?[^"]+)"', html.split(card.serial, 1)[1]).group(1)
    start = browser.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'name="champ-incident-carte" value="{card.serial}"' in start
    answer = browser.post("/demarches/nouvelle/F501", {"structure_id": world["hospital"].id,
                                                       "champ-incident-carte": card.serial,
                                                       "champ-incident-inconnu": "x", "champ-contact-courriel": "y"})
    assert answer.status_code == 303
    filing = db.exec(select(Filing).where(Filing.form == "F501")).one()
    assert filing.payload["incident"] == {"carte": card.serial}  # a field of the form that takes text, nothing else
    assert filing.payload["contact"]["courriel"] == "marc@chu.example"  # what the portal knows is not replaced


def test_other_people_see_no_fleet(db, world, as_person, make_person):
    assert as_person(world["admin"]).get(f"/structures/{world['hospital'].id}/cartes").status_code == 403
    assert as_person(world["mandataire"]).get(f"/structures/{world['clinic'].id}/cartes.csv").status_code == 403


def test_one_way_to_declare_a_lost_card_and_ordered_cards_in_the_fleet(db, world, as_person, make_card,
                                                                         make_filing):
    """Issue 31 (minor): the structure page sends a lost card to the F501 (which opposes it at once and orders its
    replacement), not to a second form of its own; a card ordered and not yet made shows as « commandée »."""
    from app.models import CardOrder

    card = make_card(world["admin"], "CPE", structure=world["hospital"])
    filing_id = make_filing("depose").id
    made = CardOrder(filing_id=filing_id, structure_id=world["hospital"].id, card_type="CPE", family_name="ADMIN",
                     given_name="Théo", state="active", card_id=card.id)
    waiting = CardOrder(filing_id=filing_id, structure_id=world["site"].id, card_type="CPE",
                        family_name="NOUVELLE", given_name="Zoé", state="commandee")
    db.add_all([made, waiting])
    db.flush()
    browser = as_person(world["mandataire"])
    page = browser.get(f"/structures/{world['hospital'].id}").get_data(as_text=True)
    assert "Déclarer une perte ou un vol (F501)" in page and f"champ-incident-carte={card.serial}" in page
    assert 'placeholder="Perte, vol' not in page  # no second way
    fleet_page = browser.get(f"/structures/{world['hospital'].id}/cartes").get_data(as_text=True)
    assert "Cartes commandées, pas encore fabriquées" in fleet_page and "Zoé NOUVELLE – CPE" in fleet_page
