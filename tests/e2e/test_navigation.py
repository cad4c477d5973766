"""Issue 18, 4b: an error reached by a boosted link replaces the whole page (one header, one footer), as a plain
link would, instead of being drawn inside the current page."""

from __future__ import annotations

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
    expect(page).to_have_title("Page non trouvée – Portail santé")
    page.context.close()
