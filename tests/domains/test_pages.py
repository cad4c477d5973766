"""« Mes domaines »: a SERV administrator asks, publishes and checks a domain from the pages; refusals in French
next to the field; nobody else sees or checks the structure's domains."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.certificates.conftest import pki_world  # noqa: F401 - admin: ORG and SERV on the hospital
from tests.domains.servers import DnsServer


@pytest.fixture()
def dns_server(app, monkeypatch):
    server = DnsServer()
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "dns_resolver", "127.0.0.1")
    monkeypatch.setattr(settings, "dns_port", server.port)
    monkeypatch.setattr(settings, "domain_check_networks", "127.0.0.0/8")
    yield server
    server.stop()


def test_an_administrator_proves_a_domain_from_the_pages(pki_world, as_person, dns_server):  # noqa: F811
    admin = as_person(pki_world["admin"])
    page = admin.get("/certificats/domaines").get_data(as_text=True)
    assert "Prouver un domaine" in page and "CHU d’essai" in page and "CH voisin" not in page
    refused = admin.post("/certificats/domaines", {"structure": pki_world["hospital"].id, "domaine": "*.chu.example",
                                                    "methode": "dns-01"})
    assert refused.status_code == 422 and "sans «\u00a0*.\u00a0»" in refused.get_data(as_text=True)
    assert 'value="*.chu.example"' in refused.get_data(as_text=True)  # what was typed is kept
    asked = admin.post("/certificats/domaines", {"structure": pki_world["hospital"].id, "domaine": "essai.chu.example",
                                                  "methode": "dns-01"})
    assert asked.status_code == 303
    page = admin.get("/certificats/domaines").get_data(as_text=True)
    control_id = re.search(r'id="domaine-(\d+)"', page).group(1)
    value = re.search(rf'id="valeur-{control_id}">([^<]+)<', page).group(1)
    assert "_acme-challenge.essai.chu.example" in page and "À vérifier" in page
    # issue 29 (1): « Vérifier » answers at once, the job engine looks (here at once, after the commit)
    assert admin.post(f"/certificats/domaines/{control_id}/verifier").status_code == 303
    page = admin.get("/certificats/domaines").get_data(as_text=True)
    assert "Aucun enregistrement TXT" in page and "Vérifier à nouveau" in page  # what was found, kept on the card
    dns_server.zone.txt["_acme-challenge.essai.chu.example"] = [value]
    assert admin.post(f"/certificats/domaines/{control_id}/verifier").status_code == 303
    page = admin.get("/certificats/domaines").get_data(as_text=True)
    assert "Vérifié jusqu’au" in page and "Aucun enregistrement TXT" not in page


def test_a_check_under_way_shows_on_its_card_which_polls_until_it_ends(pki_world, as_person, db):  # noqa: F811
    from app.models import DomainControl
    from app.models.base import utcnow
    from app.operations import domain_control

    admin = as_person(pki_world["admin"])
    admin.post("/certificats/domaines", {"structure": pki_world["hospital"].id, "domaine": "lent.chu.example",
                                         "methode": "http-01"})
    control = db.exec(select(DomainControl).where(DomainControl.name == "lent.chu.example")).one()
    assert domain_control.ask_check(db, control, utcnow())  # its task is with a worker
    db.commit()
    card = admin.get(f"/certificats/domaines/{control.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Vérification en cours" in card and 'hx-trigger="every 2s"' in card and "<form" not in card
    page = admin.get("/certificats/domaines").get_data(as_text=True)
    assert "Cette carte se met à jour seule" in page and "Actualiser" in page  # and without JavaScript
    control.checking_since, control.last_error = None, "Aucun fichier à http://lent.chu.example/…"
    db.add(control)
    db.commit()
    card = admin.get(f"/certificats/domaines/{control.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in card and "Aucun fichier" in card and "Vérifier à nouveau" in card


def test_others_neither_see_nor_check_the_structures_domains(pki_world, as_person, dns_server):  # noqa: F811
    admin = as_person(pki_world["admin"])
    admin.post("/certificats/domaines", {"structure": pki_world["hospital"].id, "domaine": "essai.chu.example",
                                         "methode": "http-01"})
    control_id = re.search(r'id="domaine-(\d+)"', admin.get("/certificats/domaines").get_data(as_text=True)).group(1)
    foreign = as_person(pki_world["foreign"])  # ORG administrator of another hospital
    page = foreign.get("/certificats/domaines").get_data(as_text=True)
    assert "essai.chu.example" not in page and "réservée à ses administrateurs techniques SERV" in page
    assert foreign.post(f"/certificats/domaines/{control_id}/verifier").status_code == 404
    refused = foreign.post("/certificats/domaines", {"structure": pki_world["hospital"].id, "domaine": "x.example",
                                                      "methode": "dns-01"})
    assert refused.status_code == 422 and "famille SERV" in refused.get_data(as_text=True)


def test_checks_are_counted_per_structure(pki_world, as_person, dns_server, app, monkeypatch):  # noqa: F811
    """Issue 27 (2): each look costs the portal a wait on somebody's server: past the structure's quota (pages and
    ACME together), a 429 that says when to come back, and no look."""
    monkeypatch.setattr(app.config["SETTINGS"], "domain_check_rate_limit", "2 per hour")
    admin = as_person(pki_world["admin"])
    admin.post("/certificats/domaines", {"structure": pki_world["hospital"].id, "domaine": "quota.chu.example",
                                         "methode": "dns-01"})
    control_id = re.search(r'id="domaine-(\d+)"', admin.get("/certificats/domaines").get_data(as_text=True)).group(1)
    answers = [admin.post(f"/certificats/domaines/{control_id}/verifier") for _ in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 429]
    assert "Trop de vérifications pour cette structure\u00a0: réessayez dans" in answers[2].get_data(as_text=True)
