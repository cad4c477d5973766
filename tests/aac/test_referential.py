"""The public référentiel: search as you type and filters, product sheets offering a request only while the
AAC is open, and the evaluator keeping products, indications and the end of an AAC."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models import AuditEvent, ReferentialMedicine
from tests.aac.test_requests import open_draft


def test_search_filters_and_sheets(app, db, aac_world):
    anonymous = app.test_client()
    page = anonymous.get("/referentiel/?q=amylose").get_data(as_text=True)
    assert "Rarexib" in page and "Hemacort" not in page
    assert "Rarexib" in anonymous.get("/referentiel/?q=orphelins").get_data(as_text=True)  # laboratory
    block = anonymous.get("/referentiel/?q=hémacortine", headers={"HX-Request": "true", "HX-Target": "resultats"})
    assert "<html" not in block.get_data(as_text=True) and "Hemacort" in block.get_data(as_text=True)
    # the count alone is announced: a status region updated out of band; the list itself is not live
    assert re.search(r'<p id="resultats-nombre" [^>]*role="status" hx-swap-oob="true">1 spécialité</p>',
                     block.get_data(as_text=True))
    assert 'id="resultats-nombre"' in page and "aria-live" not in page.split('id="resultats"')[1][:40]
    ended = anonymous.get("/referentiel/?etat=termine").get_data(as_text=True)
    assert "Hemacort" in ended and "Rarexib" not in ended
    sheet = anonymous.get("/referentiel/AAC-9001").get_data(as_text=True)
    assert "Amylose héréditaire" in sheet and "180 jours" in sheet and "Se connecter pour faire une demande" in sheet
    closed = anonymous.get("/referentiel/AAC-9002").get_data(as_text=True)
    assert "est terminé" in closed and "faire une demande" not in closed.lower()
    assert anonymous.get("/referentiel/AAC-0000").status_code == 404


def test_a_prescriber_starts_a_request_from_the_sheet(db, aac_world, as_actor):
    browser = as_actor("prescriber")
    sheet = browser.get("/referentiel/AAC-9001").get_data(as_text=True)
    assert "Faire une demande" in sheet
    started = browser.post("/acces-compassionnel/nouvelle", {"code": "AAC-9001"})
    assert started.status_code == 303
    step = browser.get(started.headers["Location"].replace("/patient", "/medicament")).get_data(as_text=True)
    assert 'value="AAC-9001" selected' in step and "Amylose héréditaire" in step


def test_the_evaluator_creates_edits_and_ends_an_aac(db, aac_world, as_actor):
    evaluator = as_actor("evaluator")
    form = {"code": "AAC-9100", "name": "Novacur 5 mg", "dci": "novacurine", "pharmaceutical_form": "comprimé",
            "strength": "5 mg", "status": "AAC", "laboratory": "Nova", "max_days": "120",
            "indications": "Maladie de Fabry\n- Adulte\n- Échec de l’enzymothérapie\n\nAutre indication (terminée)"}
    bad = evaluator.post("/referentiel/nouveau", form | {"max_days": "400", "code": "X"})
    assert bad.status_code == 422 and "1 à 365 jours" in bad.get_data(as_text=True)
    assert not db.exec(select(ReferentialMedicine).where(ReferentialMedicine.name == "Novacur 5 mg")).first()
    assert evaluator.post("/referentiel/nouveau", form).status_code == 303
    product = db.exec(select(ReferentialMedicine).where(ReferentialMedicine.code == "AAC-9100")).one()
    assert product.indications[0]["criteria"] == ["Adulte", "Échec de l’enzymothérapie"]
    assert product.indications[1]["status"] == "terminee" and product.max_days == 120
    edit_page = evaluator.get("/referentiel/AAC-9100/modifier").get_data(as_text=True)
    assert "- Échec de l’enzymothérapie" in edit_page and "Autre indication (terminée)" in edit_page
    ended = form | {"ended_on": "2026-01-31"}
    del ended["code"]
    assert evaluator.post("/referentiel/AAC-9100/modifier", ended).status_code == 303
    db.refresh(product)
    assert str(product.ended_on) == "2026-01-31"
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "referential.saved")).all()
    prescriber = as_actor("prescriber")
    filing_id = open_draft(prescriber, "AAC-9100")
    refused = prescriber.post(f"/acces-compassionnel/{filing_id}/medicament", {"code": "AAC-9100", "indication": "I1"})
    assert refused.status_code == 422 and "est terminé depuis le 31/01/2026" in refused.get_data(as_text=True)
    assert as_actor("prescriber").get("/referentiel/AAC-9100/modifier").status_code == 403


def test_the_listing_pages_ten_cards_at_a_time(app, db, aac_world):
    from app.views.referential import listings

    for n in range(12):
        db.add(ReferentialMedicine(code=f"AAC-PAGE{n:02d}", name=f"Zpaginex {n:02d}", dci="paginex", status="AAC",
                                   pharmaceutical_form="comprimé", strength="1 mg", laboratory="Lab",
                                   indication="Essai de pagination"))
    db.flush()
    listings.forget()
    anonymous = app.test_client()
    first = anonymous.get("/referentiel/?q=paginex").get_data(as_text=True)
    assert "12 spécialités – page 1 sur 2" in first
    assert first.count('class="fr-card ') == 10 and "Zpaginex 09" in first and "Zpaginex 10" not in first
    following = re.search(r'href="([^"]+)">Page suivante', first).group(1).replace("&amp;", "&")
    second = anonymous.get(following).get_data(as_text=True)
    assert second.count('class="fr-card ') == 2 and "Zpaginex 11" in second and "Zpaginex 00" not in second


def test_the_catalogue_is_rendered_once_for_everyone_but_the_header_is_each_visitors(app, db, aac_world, as_actor,
                                                                                     monkeypatch):
    from app.views import referential

    anonymous = app.test_client()
    first = anonymous.get("/referentiel/?q=amylose").get_data(as_text=True)
    assert '<section class="fr-card' in first and "&lt;section" not in first and "Se connecter" in first
    builds, render = [], referential.render_template
    monkeypatch.setattr(referential, "render_template", lambda *a, **kw: builds.append(a) or render(*a, **kw))
    again = anonymous.get("/referentiel/?q=amylose").get_data(as_text=True)
    mine = as_actor("prescriber").get("/referentiel/?q=amylose").get_data(as_text=True)
    assert builds == []  # served from the rendered catalogue
    assert again == first
    assert "Paul MEDECIN" in mine and "Se déconnecter" in mine and "Se connecter</a>" not in mine
    assert mine.count('<section class="fr-card') == first.count('<section class="fr-card') == 1
    referential.listings.forget()  # an evaluator's edit in this worker: the next page is rendered again
    assert "Rarexib" in anonymous.get("/referentiel/?q=amylose").get_data(as_text=True)
