"""Issue 17's one 422: every refused form answers with an error summary at the top (linking to each field itself,
issue 31), « Erreur » in the title, and what was typed kept: the ANS forms' steps and summary, the AAC wizard,
the certificate request, the back office, the e-mail login."""

from __future__ import annotations

import re

from app.models import Filing
from tests.aac.test_requests import answers, open_draft
from tests.certificates.conftest import pem_csr
from tests.forms.test_walks import deposit, f413, fill, start


def summary_links(html: str) -> list[str]:
    block = re.search(r'<div class="fr-alert fr-alert--error[^"]*portal-error-summary"[^>]*id="erreurs".*?</div>',
                      html, re.S)
    assert block, "no error summary"
    return re.findall(r'href="#([^"]+)"', block.group(0))


def assert_refused_page(response, *, kept: str):
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r"<title>Erreur – ", html)
    links = summary_links(html)
    assert links and all(f'id="{anchor}"' in html for anchor in links), links
    assert kept in html
    return links


def test_an_ans_form_step_and_its_summary(db, world, as_person):
    browser = as_person(world["director"])
    filing_id = start(browser, "F301", world["hospital"])
    refused = fill(browser, filing_id, "titulaires", {"rows": "1", "rows-0-nom": "DURAND-ÉCRIT",
                                                      "rows-0-date_naissance": "pas une date"}, expect=422)
    links = assert_refused_page(refused, kept='value="DURAND-ÉCRIT"')
    assert "champ-rows-0-date_naissance" in links
    assert re.search(r'<input[^>]*id="champ-rows-0-date_naissance"', refused.get_data(as_text=True))  # the field
    assert "Titulaire 1 – Date de naissance : Date invalide" in refused.get_data(as_text=True)
    page = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    key = re.search(r'name="cle" value="([^"]+)"', page).group(1)
    blocked = browser.post(f"/demarches/{filing_id}/deposer", {"cle": key})
    links = assert_refused_page(blocked, kept="DURAND-ÉCRIT")
    assert "etape-titulaires" in links and "etape-livraison" in links


def test_the_aac_wizard(db, aac_world, as_actor):
    browser = as_actor("prescriber")
    filing_id = open_draft(browser, aac_world["product"].code)
    refused = browser.post(f"/acces-compassionnel/{filing_id}/patient",
                           answers(aac_world)["patient"] | {"poids": "900", "sexe": ""})
    links = assert_refused_page(refused, kept='value="1958"')
    assert {"champ-poids", "champ-sexe"} <= set(links)


def test_the_certificate_request(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    refused = browser.post("/certificats/demande", {
        "famille": "SERV", "structure": str(pki_world["hospital"].id), "usage": "AUTRE",
        "dns_names": "www.ameli.fr", "email": "theo@chu.example", "csr_SERV_SSL": pem_csr()})
    links = assert_refused_page(refused, kept='value="www.ameli.fr"')
    assert links == ["champ-dns_names"]


def test_the_back_office_keeps_the_typed_motive(db, world, as_person, make_person, make_agency_role):
    filer = as_person(world["mandataire"])
    filing_id = f413(filer, world, admins=[world["admin"]])
    deposit(filer, db, filing_id)
    colleague = make_person(family_name="COLLEGUE", given_name="Rémi")
    make_agency_role(colleague, "ans_operator")
    assert as_person(colleague).post(f"/instruction/{filing_id}/demander_correction",
                                     {"message": "Pièce illisible"}).status_code == 303
    operator = as_person(world["operator"])  # her page was loaded before: she refuses a file now « à corriger »
    refused = operator.post(f"/instruction/{filing_id}/refuser", {"message": "Motif tapé avant l’erreur"})
    assert "Impossible de « refuser » un dossier à corriger" in refused.get_data(as_text=True)
    assert_refused_page(refused, kept="Motif tapé avant l’erreur")


def test_accepting_asks_for_a_confirmation_and_only_the_posted_motif_turns_red(db, world, as_person):
    filer = as_person(world["mandataire"])
    filing_id = f413(filer, world, admins=[world["admin"]])
    deposit(filer, db, filing_id)
    operator = as_person(world["operator"])
    unconfirmed = operator.post(f"/instruction/{filing_id}/accepter")
    links = assert_refused_page(unconfirmed, kept="Je confirme l’acceptation")
    assert links == ["confirmer-accepter"] and "habilités pour la famille" in unconfirmed.get_data(as_text=True)
    assert db.get(Filing, filing_id).state == "depose"
    empty = operator.post(f"/instruction/{filing_id}/refuser", {"message": ""})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and html.count("fr-input-group--error") == 1  # not the other two motifs
    assert 'id="message-refuser-erreur"' in html and summary_links(html) == ["message-refuser"]


def test_the_email_login(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/auth/courriel").get_data(True)).group(1)
    refused = client.post("/auth/courriel", data={"csrf_token": token, "courriel": "pas-une-adresse",
                                                  "nom": "", "prenom": "Léa"})
    links = assert_refused_page(refused, kept='value="Léa"')
    assert set(links) == {"courriel", "nom"}


def test_every_aac_step_links_each_error_to_its_message(db, aac_world, as_actor):
    browser = as_actor("prescriber")
    filing_id = open_draft(browser)
    for step in ("patient", "medicament", "prescription", "engagement"):
        refused = browser.post(f"/acces-compassionnel/{filing_id}/{step}", {})
        assert_refused_page(refused, kept="Demande d’autorisation")
