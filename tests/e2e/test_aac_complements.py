"""Issue 18's AAC journeys: a prescriber whose structures have no PUI (Dr KIT DOC0002, liberal at the clinic)
files from a phone and designates the dispensing hospital's PUI; the request lacks a criterion, so the PUI
transmits it to the agency, which asks a complement; the prescriber answers from the phone with JavaScript off,
from the dashboard; the agency grants it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_aac import next_step, patient_and_medicine
from tests.e2e.test_certificates import ecps_login
from tests.e2e.test_forms import SEALING, browser_page, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll, pick

pytestmark = pytest.mark.e2e


def card_login_without_javascript(page, live_portal, name: str) -> None:
    page.goto(live_portal + "/auth/connexion")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    pick(page, name)
    page.locator("label[for=moyen-carte]").click()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code PIN (4 chiffres)").fill("1234")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text(f"Bonjour {name}")


def test_no_pui_prescriber_files_and_answers_the_agency_from_a_phone(chromium, live_portal):
    phone = browser_page(chromium, "phone")
    ecps_login(phone, live_portal, "Dr KIT DOC0002")
    phone.get_by_role("button", name="Nouvelle demande d’accès compassionnel").click()
    expect(phone.locator(".fr-stepper__title")).to_contain_text("Patient")
    expect(phone.get_by_text("le pharmacien de la PUI qui dispensera")).to_be_visible()
    patient_and_medicine(phone, initials=("B", "L"), sex="Masculin", born=("11", "1949"), weight="81")
    phone.fill("#champ-posologie", "50 mg par jour")
    phone.fill("#champ-duree", "90")
    phone.locator("#groupe-criteres label").first.click()  # one criterion only: the agency will evaluate
    phone.fill("#champ-justification", "Diagnostic génétique en attente, aucune alternative.")
    phone.locator("#groupe-differable label", has_text="Oui").click()
    next_step(phone, "Engagement")
    expect(phone.get_by_text("Aucun pharmacien de PUI n’exerce dans vos structures")).to_be_visible()
    phone.fill("#champ-fonction", "Praticien libéral")
    phone.fill("#champ-etablissement", "Laennec")
    phone.get_by_role("button", name="Enregistrer et continuer").click()
    phone.locator("#groupe-pharmacien label", has_text="PHARMA0003").click()
    phone.locator("label[for='champ-information']").click()
    no_horizontal_scroll(phone)
    shot(phone, "aac-nopui-engagement")
    phone.get_by_role("button", name="Enregistrer et continuer").click()
    phone.get_by_role("button", name="Envoyer à la PUI").click()
    reference = re.search(r"AAC-\d{4}-\d{6}", phone.locator(".fr-alert--success").inner_text()).group(0)
    phone.context.close()

    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "KIT PHARMA0003")
    desk.get_by_role("link", name=reference).first.click()
    desk.get_by_role("button", name="Transmettre à l’ANSM").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("Demande transmise à l’ANSM pour évaluation")
    expect(desk.locator(".fr-breadcrumb + #alertes .fr-alert--success")).to_be_visible()  # where the eye lands
    desk.context.close()
    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "Dr KIT EVALUATEUR0010")
    desk.goto(live_portal + "/acces-compassionnel/evaluation")
    desk.get_by_role("link", name=reference).click()
    desk.get_by_role("button", name="Prendre en évaluation").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("Demande prise en évaluation")
    desk.fill("#message-demander_complements", "Joignez le compte rendu de consultation génétique.")
    desk.get_by_role("button", name="Demander des compléments").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("le prescripteur et la PUI sont prévenus")
    evaluator_url = desk.url
    desk.context.close()

    phone = browser_page(chromium, "phone", javascript=False)
    card_login_without_javascript(phone, live_portal, "Dr KIT DOC0002")
    expect(phone.get_by_text("l’ANSM demande des compléments")).to_be_visible()
    phone.get_by_role("link", name=reference).click()
    expect(phone.locator("#complements")).to_contain_text("compte rendu de consultation génétique")
    expect(phone.locator(".fr-breadcrumb__button")).to_be_hidden()  # without JS it would open nothing (issue 31)
    expect(phone.locator(".fr-breadcrumb__list")).to_be_visible()
    phone.get_by_label("Votre réponse").fill("Compte rendu du 12/11 : mutation confirmée.")
    no_horizontal_scroll(phone)
    shot(phone, "aac-complement-answer-nojs")
    phone.get_by_role("button", name="Répondre et renvoyer à l’ANSM").click()
    expect(phone.locator(".fr-alert--success")).to_contain_text("retourne en évaluation")
    phone.context.close()

    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "Dr KIT EVALUATEUR0010")
    desk.goto(evaluator_url)
    expect(desk.get_by_text("mutation confirmée")).to_be_visible()
    # Issue 31 (6): the preview opens in a new tab; what the evaluator typed stays in her form.
    desk.fill("#duree-octroyer", "60")
    desk.fill("#message-octroyer", "Réévaluer à deux mois.")
    with desk.context.expect_page() as opened:
        desk.locator("form", has=desk.locator("#duree-octroyer")).get_by_role(
            "button", name="Aperçu de ce que vous avez saisi (PROJET, nouvel onglet)").click()
    preview = opened.value
    preview.wait_for_load_state()
    preview.close()
    expect(desk.locator("#duree-octroyer")).to_have_value("60")
    expect(desk.locator("#message-octroyer")).to_have_value("Réévaluer à deux mois.")
    desk.get_by_role("button", name="Octroyer", exact=True).click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("Autorisation accordée", timeout=SEALING)
    expect(desk.get_by_text("Autorisation accordée").first).to_be_visible()
    desk.context.close()
