"""Issue 18, 4b: an error reached by a boosted link replaces the whole page (one header, one footer), as a plain
link would, instead of being drawn inside the current page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_forms import browser_page
from tests.e2e.test_login import card_login

pytestmark = pytest.mark.e2e


def test_an_error_page_reached_by_a_boosted_link_replaces_the_page(chromium, live_portal):
    page = browser_page(chromium, "desktop")
    card_login(page, live_portal, "Dr KIT DOC0001")
    page.evaluate("""() => { const link = document.createElement('a'); link.href = '/demarches/999999';
        link.id = 'lien-perime'; link.textContent = 'Un ancien lien'; document.querySelector('main').append(link);
        htmx.process(link); }""")
    page.click("#lien-perime")
    expect(page.locator("h1")).to_have_text("Page non trouvée")
    expect(page.locator("header.fr-header")).to_have_count(1)
    expect(page.locator("footer.fr-footer")).to_have_count(1)
    expect(page).to_have_title("Erreur 404 – Page non trouvée – Portail santé")
    page.context.close()


def test_the_referential_announces_a_count_and_a_product_opens_at_its_own_address(chromium, live_portal):
    page = browser_page(chromium, "phone")
    page.goto(f"{live_portal}/referentiel/")
    first = page.locator("#resultats .fr-card__title a").first
    name = first.inner_text()
    page.locator("#q").press_sequentially(name)
    expect(page.locator("#resultats-nombre")).to_have_text("1 spécialité")
    expect(page).to_have_url(re.compile(r"/referentiel/\?q="))
    page.locator("#resultats .fr-card__title a").first.click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page).to_have_url(re.compile(r"/referentiel/[A-Z]+-\d+$"))
    page.wait_for_timeout(600)  # the search box left by the click starts no late search over the product's address
    expect(page).to_have_url(re.compile(r"/referentiel/[A-Z]+-\d+$"))
    page.go_back()
    expect(page.locator("#q")).to_have_value(name)
    page.fill("#q", "")
    page.select_option("#statut", "CPC")  # a filter still searches at once, without the button
    expect(page).to_have_url(re.compile(r"statut=CPC"))
    cards = page.locator("#resultats .fr-card")
    expect(cards.first).to_be_visible()
    expect(page.locator("#resultats-nombre")).to_have_text(re.compile(f"^{cards.count()} spécialités?"))
    page.context.close()
