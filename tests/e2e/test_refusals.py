"""Issue 30 (1): a refusal shows the page the person was on again, with the message next to the field and
« Erreur » in the title (422), at desktop size and on a phone; what was typed is still there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_forms import browser_page, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_f101_for_an_unknown_structure_is_refused_on_its_own_page(chromium, live_portal, size):
    page = browser_page(chromium, size)
    card_login(page, live_portal, "KIT DIRECTEUR0006")
    page.goto(f"{live_portal}/demarches/nouvelle/F101")
    page.locator("label[for=structure-autre]").click()
    page.fill("#identifiant_structure", "449999999")  # a FINESS the portal does not know
    with page.expect_response(lambda r: r.url.endswith("/demarches/nouvelle/F101")) as answered:
        page.get_by_role("button", name="Commencer").click()
    assert answered.value.status == 422
    expect(page).to_have_title(re.compile("^Erreur"))
    expect(page.locator("#structure-erreur")).to_contain_text("structure connue du portail")
    expect(page.locator("#identifiant_structure")).to_have_value("449999999")
    expect(page.locator("#structure-autre")).to_be_checked()  # the choice made stays made
    no_horizontal_scroll(page)
    shot(page, f"refus-01-f101-inconnue-{size}")
    page.context.close()
