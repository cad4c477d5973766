"""Issue 18, 10: the list pages do not shift as they load, and fit a 375 px screen without sideways scrolling."""

from __future__ import annotations

import pytest

from tests.e2e.test_forms import browser_page
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e
LAYOUT_SHIFT = """() => new Promise(resolve => { let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 1000); })"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_list_pages_are_stable_and_fit_the_screen(chromium, live_portal, viewport):
    for name, paths in (("KIT OPERATEUR0011", ("/instruction/?etat=tous", "/instruction/cartes")),
                        ("KIT ADMINTECH0009", ("/certificats/", "/tableau-de-bord"))):
        page = browser_page(chromium, viewport)
        card_login(page, live_portal, name)
        for path in paths:
            page.goto(live_portal + path)
            assert page.evaluate(LAYOUT_SHIFT) <= 0.05, path
            if viewport == "phone" and not path.startswith("/instruction/"):  # the agency works on a desktop
                no_horizontal_scroll(page)
        page.context.close()


def test_the_menu_skip_link_reaches_the_navigation_on_a_phone(chromium, live_portal):
    """Issue 31 (minor): on a phone the navigation is in the menu dialog; the « Menu » skip link opens it and puts
    the focus on its first entry, instead of pointing at a hidden element."""
    from playwright.sync_api import expect

    phone = browser_page(chromium, "phone")
    card_login(phone, live_portal, "KIT PHARMA0003")
    phone.locator(".fr-skiplinks a", has_text="Menu").focus()
    phone.keyboard.press("Enter")
    first = phone.locator("#navigation-principale a").first
    expect(first).to_be_visible()
    expect(first).to_be_focused()
    phone.context.close()
