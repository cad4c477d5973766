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
def test_an_f413_for_a_public_site_is_refused_on_its_own_page(chromium, live_portal, size):
    page = browser_page(chromium, size)
    card_login(page, live_portal, "KIT DIRECTEUR0006")
    page.goto(f"{live_portal}/demarches/nouvelle/F413")
    page.locator("label[for=structure-autre]").click()
    page.fill("#identifiant_structure", "440000024")  # Hôpital Nord Laennec, a public site of the CHU
    with page.expect_response(lambda r: r.url.endswith("/demarches/nouvelle/F413")) as answered:
        page.get_by_role("button", name="Commencer").click()
    assert answered.value.status == 422
    expect(page).to_have_title(re.compile("^Erreur"))
    expect(page.locator("#structure-erreur")).to_contain_text("FINESS juridique (EJ)")
    expect(page.locator("#identifiant_structure")).to_have_value("440000024")
    no_horizontal_scroll(page)
    shot(page, f"refus-01-f413-site-{size}")
    page.context.close()
