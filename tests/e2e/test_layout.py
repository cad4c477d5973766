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
