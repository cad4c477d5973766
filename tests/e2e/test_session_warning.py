"""Issue 31 (7), WCAG 2.2.1, in Chromium at both sizes: 27 minutes without activity bring the warning, with the
focus on « Rester connecté »; staying closes it and the session goes on; past the end it says to log in again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import AXE, violations
from tests.e2e.test_forms import shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


def test_the_idle_warning_lets_the_user_stay(page, live_portal):
    page.clock.install()
    card_login(page, live_portal, "KIT PHARMA0003")
    dialog = page.locator("#session-expiration")
    expect(dialog).to_be_hidden()
    page.clock.run_for("27:10")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Rester connecté")).to_be_focused()
    no_horizontal_scroll(page)
    shot(page, "session-warning")
    with page.expect_response(lambda r: r.url.endswith("/auth/session/prolonger")) as stayed:
        page.get_by_role("button", name="Rester connecté").click()
    assert stayed.value.status == 200
    expect(dialog).to_be_hidden()
    page.clock.run_for("20:00")  # the clock started again: no warning yet
    expect(dialog).to_be_hidden()
    page.clock.run_for("09:30")  # 29:30 since staying: past the warning and the client's end
    expect(dialog).to_contain_text("Votre session est fermée")
    expect(page.get_by_role("button", name="Me reconnecter")).to_be_visible()
    page.keyboard.press("Escape")  # a native dialog: Échap closes it
    expect(dialog).to_be_hidden()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `npm ci` (make test does it)")
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_open_warning_has_no_axe_violation(chromium, live_portal, viewport):
    size = {"width": 1280, "height": 900} if viewport == "desktop" else {"width": 375, "height": 812}
    context = chromium.new_context(viewport=size, locale="fr-FR", bypass_csp=True)  # to inject axe only
    page = context.new_page()
    page.viewport_name = viewport
    page.clock.install()
    card_login(page, live_portal, "KIT PHARMA0003")
    page.clock.run_for("27:10")
    expect(page.locator("#session-expiration")).to_be_visible()
    page.clock.resume()  # axe waits on timers of its own
    assert not violations(page)
    page.clock.run_for("03:00")  # past the end: the dialog says to log in again
    expect(page.get_by_role("button", name="Me reconnecter")).to_be_visible()
    assert not violations(page)
    context.close()
