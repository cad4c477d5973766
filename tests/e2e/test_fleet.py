"""Issue 21: the director looks at her structure's cards on her phone, declares a blocked PIN for one of them
straight from the list (the F501 opens with the card's number filled in), and deposits it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_forms import SEALING, browser_page, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_fleet_and_an_incident_from_it(chromium, live_portal, size):
    page = browser_page(chromium, size)
    card_login(page, live_portal, "KIT DIRECTEUR0006")
    page.goto(f"{live_portal}/tableau-de-bord")
    page.get_by_role("link", name="Centre hospitalier universitaire de Loire-Atlantique").first.click()
    page.get_by_role("link", name="Cartes de la structure").click()
    expect(page.locator("h1")).to_have_text("Cartes de la structure")
    row = page.locator("tr", has_text="SECRETAIRE0007")
    expect(row).to_contain_text("3800000007")
    no_horizontal_scroll(page)
    shot(page, f"parc-01-liste-{size}")
    page.select_option("#filtre", "opposees")
    expect(page.locator("#compte")).to_contain_text("carte")
    page.select_option("#filtre", "toutes")
    expect(page.locator("tr", has_text="SECRETAIRE0007")).to_be_visible()
    page.locator("tr", has_text="SECRETAIRE0007").get_by_role("link", name=re.compile("Déclarer un incident")).click()
    expect(page.locator("h1")).to_contain_text("F501")
    page.get_by_role("button", name="Commencer").click()
    expect(page.locator("#champ-carte")).to_have_value("3800000007")
    page.locator("label", has_text="Code PIN bloqué").click()
    page.fill("#champ-date_incident", "2026-11-30")
    no_horizontal_scroll(page)
    shot(page, f"parc-02-f501-{size}")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Contact")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("h1")).to_contain_text("récapitulatif")
    page.get_by_role("button", name="Déposer").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("F501-", timeout=SEALING)
    shot(page, f"parc-03-depose-{size}")
    page.context.close()
