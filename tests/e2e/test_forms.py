"""The forms in a real browser: a director orders three staff cards (desktop) through a correction round;
a mandataire declares a technical administrator from a 375 px phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("E2E_SCREENSHOTS")
SEALING = 60000  # ms: a deposit seals its PDF (PAdES B-LTA in the token): seconds on a loaded CI machine


def shot(page, name: str) -> None:
    """Screenshots for a human walk-through when E2E_SCREENSHOTS names a directory."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{page.viewport_name}-{name}.png", full_page=True)


CSP_ERRORS: list[str] = []  # every browser test ends without one (tests/e2e/conftest.py)


def watch_csp(page) -> None:
    """Keep what the browser refused under the Content Security Policy (an inline style or script): the
    autouse fixture fails the test that caused it."""
    page.on("console", lambda msg: msg.type == "error" and "Content Security Policy" in msg.text
            and CSP_ERRORS.append(f"{page.url}: {msg.text}"))


def browser_page(chromium, viewport: str, *, javascript: bool = True):
    size = {"width": 1280, "height": 900} if viewport == "desktop" else {"width": 375, "height": 812}
    context = chromium.new_context(viewport=size, locale="fr-FR", is_mobile=viewport == "phone",
                                   has_touch=viewport == "phone", java_script_enabled=javascript)
    page = context.new_page()
    context.on("page", watch_csp)  # pages it opens later (a phone's approval tab)
    watch_csp(page)
    page.viewport_name = viewport
    return page


def logout(page) -> None:
    if page.viewport_name == "phone":
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Se déconnecter").first.click()
    expect(page.locator("h1")).to_contain_text("Portail des professionnels")


def fill_holder(page, i: int, name: str) -> None:
    page.select_option(f"#champ-rows-{i}-civilite", "MME")
    page.fill(f"#champ-rows-{i}-nom", name)
    page.fill(f"#champ-rows-{i}-prenom", "Zoé")
    page.fill(f"#champ-rows-{i}-courriel", f"{name.lower()}@chu.example")
    page.fill(f"#champ-rows-{i}-date_naissance", f"1990-03-0{i + 1}")
    page.fill(f"#champ-rows-{i}-lieu_naissance", "Nantes")
    page.fill(f"#champ-rows-{i}-fonction", "Secrétaire médicale")
    page.fill(f"#champ-rows-{i}-justification", "Accès au dossier patient informatisé")


def decide(page, live_portal, reference: str, button: str, motive: str = "") -> None:
    page.goto(live_portal + "/instruction/")
    page.get_by_role("link", name=reference).click()
    expect(page.locator("h1")).to_contain_text("F")
    if motive:
        page.get_by_label(f"Motif pour « {button} »").fill(motive)
    if button == "Accepter":  # it orders the cards and grants the roles: the agent confirms
        page.locator("label[for='confirmer-accepter']").click()
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".fr-alert--success")).to_contain_text(reference, timeout=SEALING)


def test_director_orders_three_cards_through_a_correction(chromium, live_portal):
    page = browser_page(chromium, "desktop")
    card_login(page, live_portal, "KIT DIRECTEUR0006")
    page.get_by_role("link", name="Mes démarches").first.click()
    shot(page, "f301-01-demarches")
    page.get_by_role("link", name=re.compile("^F301 –")).click()
    page.get_by_role("button", name="Commencer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Titulaires")
    fill_holder(page, 0, "AGENTUN")
    page.get_by_role("button", name="Ajouter un titulaire").click()
    expect(page.locator("#champ-rows-1-nom")).to_be_visible()
    fill_holder(page, 1, "AGENTDEUX")
    page.get_by_role("button", name="Ajouter un titulaire").click()
    expect(page.locator("#champ-rows-2-nom")).to_be_visible()
    page.fill("#champ-rows-2-courriel", "pas-une-adresse")
    page.locator("#champ-rows-2-nom").focus()  # leaving the field checks it inline
    expect(page.locator("#champ-rows-2-courriel-erreur")).to_contain_text("Adresse électronique invalide")
    shot(page, "f301-02-inline-error")
    fill_holder(page, 2, "AGENTTROIS")
    expect(page.locator("#champ-rows-2-courriel-erreur")).to_have_count(0)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Livraison")
    page.fill("#champ-destinataire", "Accueil")
    page.fill("#champ-adresse", "1 place Alexis-Ricordeau")
    page.fill("#champ-code_postal", "44000")
    page.fill("#champ-ville", "Nantes")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contact")
    page.get_by_role("button", name="Enregistrer et continuer").click()  # pre-filled from the portal's records
    expect(page.locator("h1")).to_contain_text("récapitulatif")
    shot(page, "f301-03-summary")
    page.get_by_role("button", name="Déposer le dossier").click()
    alert = page.locator(".fr-alert--success")
    expect(alert).to_contain_text("Numéro d’accusé de réception", timeout=SEALING)
    reference = re.search(r"F301-\d{4}-\d{6}", alert.inner_text()).group(0)
    shot(page, "f301-04-deposited")
    logout(page)

    card_login(page, live_portal, "KIT OPERATEUR0011")
    decide(page, live_portal, reference, "Demander une correction", "Précisez le nom du destinataire des cartes.")
    shot(page, "f301-05-backoffice")
    logout(page)

    card_login(page, live_portal, "KIT DIRECTEUR0006")
    page.get_by_role("link", name="Mes démarches").first.click()
    page.get_by_role("link", name=reference).click()
    expect(page.locator("#correction")).to_contain_text("Précisez le nom du destinataire des cartes.")  # on top
    page.locator("#correction").get_by_role("link", name="Corriger et déposer à nouveau").click()
    page.get_by_role("link", name=re.compile("^Modifier.*Livraison")).click()
    page.fill("#champ-destinataire", "Mme Durand, accueil principal")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contact")  # boosted: wait for the swap
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("h1")).to_contain_text("récapitulatif")
    page.get_by_role("button", name="Déposer à nouveau").click()
    expect(page.locator(".fr-alert--success")).to_contain_text(reference, timeout=SEALING)
    logout(page)

    card_login(page, live_portal, "KIT OPERATEUR0011")
    decide(page, live_portal, reference, "Accepter")
    rows = page.locator("table", has_text="Titulaire").locator("tbody tr")
    expect(rows).to_have_count(3)
    for name in ("AGENTUN", "AGENTDEUX", "AGENTTROIS"):
        expect(rows.filter(has_text=name)).to_contain_text("Commandée")
    shot(page, "f301-06-accepted")
    page.context.close()


def file_f413(page, live_portal, *, family: str, admin: dict) -> str:
    """A logged-in mandataire files an F413 for one administrator; returns the acknowledgement number."""
    page.goto(live_portal + "/demarches/")
    page.get_by_role("link", name=re.compile("^F413 –")).click()
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Commencer").click()
    page.select_option("#champ-famille", family)
    if family == "SERV":  # the servers' domains, which the SERV certificates' names must fall within
        page.fill("#champ-domaines", "chu-nantes.example")
    shot(page, "f413-01-famille")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Administrateurs")
    page.select_option("#champ-rows-0-civilite", admin["civilite"])
    for key in ("identifiant", "nom", "prenom", "courriel", "usage", "editeur", "solution"):
        page.fill(f"#champ-rows-0-{key}", admin[key])
    # The records answer the known national id out of band while the name is being typed: what was typed stays.
    page.wait_for_load_state("networkidle")
    for key in ("nom", "prenom", "courriel"):
        expect(page.locator(f"#champ-rows-0-{key}")).to_have_value(admin[key])
    no_horizontal_scroll(page)
    shot(page, "f413-02-administrateur")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contact")
    page.fill("#champ-courriel", "informatique@chu-nantes.example")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Engagements")
    page.locator("label[for='champ-cgu']").click()
    page.locator("label[for='champ-pc']").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("h1")).to_contain_text("récapitulatif")
    no_horizontal_scroll(page)
    shot(page, "f413-03-summary")
    page.get_by_role("button", name="Déposer le dossier").click()
    alert = page.locator(".fr-alert--success")
    expect(alert).to_contain_text("F413-", timeout=SEALING)
    no_horizontal_scroll(page)
    shot(page, "f413-04-deposited")
    return re.search(r"F413-\d{4}-\d{6}", alert.inner_text()).group(0)


def test_mandataire_declares_a_technical_administrator_on_a_phone(chromium, live_portal):
    page = browser_page(chromium, "phone")
    card_login(page, live_portal, "KIT SECRETAIRE0007")
    file_f413(page, live_portal, family="SERV", admin={
        "civilite": "MME", "nom": "ADMINTECH0009", "prenom": "KIT", "identifiant": "581234567600017/TECH0009",
        "courriel": "admintech@editeur.example", "usage": "Serveur web du portail patient (SSL)",
        "editeur": "Éditeur Santé SA", "solution": "Portail patient"})
    page.context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_refused_step_opens_on_its_error_summary(chromium, live_portal, viewport):
    """Issue 17's one 422, in the browser: the focus goes to the summary, its links reach the fields."""
    page = browser_page(chromium, viewport)
    card_login(page, live_portal, "KIT DIRECTEUR0006")
    page.goto(live_portal + "/demarches/nouvelle/F301")
    page.get_by_role("button", name="Commencer").click()
    page.fill("#champ-rows-0-nom", "DURAND")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#erreurs")).to_be_focused()
    assert page.title().startswith("Erreur")
    expect(page.locator("#champ-rows-0-nom")).to_have_value("DURAND")
    no_horizontal_scroll(page)
    page.locator("#erreurs a", has_text="Prénom").click()
    expect(page.locator("#champ-rows-0-prenom")).to_be_focused()  # issue 31: the field itself, typing at once
    page.keyboard.type("Jeanne")
    expect(page.locator("#champ-rows-0-prenom")).to_have_value("Jeanne")
    page.context.close()


def test_adding_and_removing_a_row_keeps_the_focus_where_the_work_is(chromium, live_portal):
    """Issue 18, 5: after « Ajouter un titulaire » the new row's first field has the focus; after « Retirer » the
    row that took its place, or « Ajouter » when none is left; with JavaScript and without."""
    for javascript in (True, False):
        page = browser_page(chromium, "desktop", javascript=javascript)
        if javascript:
            card_login(page, live_portal, "KIT DIRECTEUR0006")
        else:
            page.goto(live_portal + "/auth/connexion")
            page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
            page.locator("label.fr-label", has_text="KIT DIRECTEUR0006").first.click()
            page.locator("label[for=moyen-carte]").click()
            page.get_by_role("button", name="Continuer").click()
            page.get_by_label("Code PIN (4 chiffres)").fill("1234")
            page.get_by_role("button", name="Valider").click()
        page.goto(live_portal + "/demarches/nouvelle/F301")
        page.get_by_role("button", name="Commencer").click()
        page.get_by_role("button", name="Ajouter un titulaire").click()
        expect(page.locator("#champ-rows-1-civilite")).to_be_focused()
        page.get_by_role("button", name="Retirer titulaire 1").click()
        expect(page.locator("#champ-rows-0-civilite")).to_be_focused()
        page.get_by_role("button", name="Retirer titulaire 1").click()
        expect(page.get_by_role("button", name="Ajouter un titulaire")).to_be_focused()
        page.context.close()
