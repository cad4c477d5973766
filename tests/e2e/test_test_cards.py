"""Issue 21: a publisher's developer orders test cards (F414) on a phone, the agency accepts, and the new test
identities log in to the portal through the PSC sandbox at once — one by card and PIN, one by e-CPS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_forms import SEALING, browser_page, decide, logout, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll, open_login, pick

pytestmark = pytest.mark.e2e


def test_test_cards_ordered_accepted_then_used(chromium, live_portal):
    page = browser_page(chromium, "phone")
    card_login(page, live_portal, "Dr KIT DOC0002")  # a doctor, no mandate: F414 asks for none
    page.goto(f"{live_portal}/demarches/nouvelle/F414")
    page.fill("#identifiant_structure", "440000016")
    page.get_by_role("button", name="Commencer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Cartes de test")
    page.select_option("#champ-rows-0-offre", "cps_medecin")
    page.select_option("#champ-rows-0-quantite", "1")
    page.get_by_role("button", name="Ajouter une commande").click()
    expect(page.locator("#champ-rows-1-offre")).to_be_visible()
    page.select_option("#champ-rows-1-offre", "cps_infirmier")
    page.select_option("#champ-rows-1-quantite", "1")
    no_horizontal_scroll(page)
    shot(page, "f414-01-cartes")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Projet")
    page.fill("#champ-logiciel", "Logiciel de cabinet Exemple")
    page.fill("#champ-usage", "Connexion Pro Santé Connect par carte et par e-CPS.")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contact")
    page.fill("#champ-courriel", "qualite@editeur.example")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("h1")).to_contain_text("récapitulatif")
    page.get_by_role("button", name="Déposer le dossier").click()
    alert = page.locator(".fr-alert--success")
    expect(alert).to_contain_text("Numéro d’accusé de réception", timeout=SEALING)
    reference = re.search(r"F414-\d{4}-\d{6}", alert.inner_text()).group(0)
    logout(page)

    card_login(page, live_portal, "KIT OPERATEUR0011")
    decide(page, live_portal, reference, "Accepter")
    shot(page, "f414-02-accepte")
    logout(page)

    doctor = f"Dr TEST CPS{reference[-6:]}01"  # the order's first card: its identity in the sandbox
    card_login(page, live_portal, doctor)
    expect(page.get_by_text("Médecin").first).to_be_visible()
    shot(page, "f414-03-carte")
    logout(page)

    nurse = f"TEST CPS{reference[-6:]}02"
    open_login(page, live_portal)
    pick(page, nurse)
    page.locator("label[for=moyen-mobile]").click()
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("h1")).to_have_text("Validez sur votre téléphone")
    phone = page.context.new_page()
    phone.goto(page.url.split("/auth/")[0] + page.locator("#lien-telephone").get_attribute("href"))
    phone.get_by_role("button", name="Valider la connexion").click()
    expect(page.locator("h1")).to_have_text(f"Bonjour {nurse}", timeout=15000)
    expect(page.get_by_text("e-CPS")).to_be_visible()
    shot(page, "f414-04-ecps")
    page.context.close()
