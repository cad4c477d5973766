"""Issue 18, blocking 1: a hospital director without any card asks for a link by e-mail, files the F101 with her
proof, follows it on her dashboard; the agency accepts it, fabricates and activates her CDE; she then logs in with
that card (a sandbox identity now, as ANS's EDIT tool makes one) and reaches her hospital."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_forms import SEALING, browser_page, decide, logout, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


def test_director_without_a_card_reaches_her_hospital_with_the_card_her_f101_ordered(chromium, live_portal,
                                                                                     tmp_path):
    page = browser_page(chromium, "desktop")
    page.goto(live_portal + "/auth/connexion")
    page.get_by_role("link", name="Recevez un lien de connexion par courriel").click()
    page.fill("#prenom", "Anne")
    page.fill("#nom", "CORSE")
    page.get_by_label("Adresse électronique professionnelle").fill("anne.corse@ch-ajaccio.example")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_text("Vérifiez votre messagerie")).to_be_visible()
    page.goto(live_portal + "/boite-de-reception")
    body = page.locator("article", has_text="anne.corse@ch-ajaccio.example").first.inner_text()
    link = re.search(r"https?://\S+/auth/courriel/\S+", body).group(0)
    page.goto(live_portal + link[link.index("/auth/"):])
    page.get_by_role("button", name="Me connecter").click()
    page.get_by_label("FINESS ou SIRET de la structure").fill("2A0000016")
    page.get_by_role("button", name=re.compile("Commencer|Continuer|Créer")).click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Représentant légal")
    expect(page.locator("#champ-identifiant")).to_have_value("")  # never an internal key
    page.select_option("#champ-civilite", "MME")
    page.fill("#champ-fonction", "Directrice générale")
    page.fill("#champ-date_naissance", "1971-04-02")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contact")
    page.fill("#champ-courriel", "direction@ch-ajaccio.example")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contrat")
    page.locator("label[for='champ-contrat']").click()
    page.locator("label[for='champ-exactitude']").click()
    proof = tmp_path / "arrete.pdf"
    proof.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("#champ-piece", str(proof))  # chosen, then straight to « Enregistrer »: joined all the same
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("button", name="Déposer le dossier").click()
    alert = page.locator(".fr-alert--success")
    expect(alert).to_contain_text("F101", timeout=SEALING)
    reference = re.search(r"\d{4}-F101-\d+|F101-\d{4}-\d+", page.content()).group(0)
    page.goto(live_portal + "/tableau-de-bord")
    expect(page.get_by_text("Centre hospitalier d’Ajaccio : déposée")).to_be_visible()
    expect(page.get_by_text("courriel:")).to_have_count(0)
    shot(page, "director-01-waiting")
    page.context.close()

    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "KIT OPERATEUR0011")
    decide(desk, live_portal, reference, "Accepter")
    desk.goto(live_portal + "/instruction/cartes")
    row = desk.locator("tr", has_text="CORSE")
    row.get_by_role("button", name=re.compile("Marquer fabriquée")).click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("CORSE")
    desk.locator("tr", has_text="CORSE").get_by_role("button", name=re.compile("Activer")).click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("active")
    logout(desk)

    card_login(desk, live_portal, "Anne CORSE")
    expect(desk.get_by_role("link", name="Centre hospitalier d’Ajaccio")).to_be_visible()
    no_horizontal_scroll(desk)
    shot(desk, "director-02-first-card-login")
    desk.context.close()
