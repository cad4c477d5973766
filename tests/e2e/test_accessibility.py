"""Issue 18: axe-core (WCAG 2.1 A/AA rules) finds no violation on the pages this wave changed, at 1,280 and 375 px,
logged out and in each actor's shoes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_login import card_login

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    None: ("/", "/auth/connexion", "/auth/courriel", "/accessibilite", "/mentions-legales", "/referentiel/"),
    "KIT DIRECTEUR0006": ("/tableau-de-bord", "/demarches/", "/demarches/nouvelle/F101"),
    "KIT PHARMA0003": ("/tableau-de-bord", "/acces-compassionnel/"),
    "KIT ADMINTECH0009": ("/certificats/", "/certificats/demande", "/certificats/demande?famille=ORG"),
    "KIT OPERATEUR0011": ("/instruction/?etat=tous", "/instruction/cartes"),
}


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))""")
    return found


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `npm ci` (make test does it)")
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_axe_violation_on_the_changed_pages(chromium, live_portal, viewport):
    size = {"width": 1280, "height": 900} if viewport == "desktop" else {"width": 375, "height": 812}
    found = {}
    for who, paths in PAGES.items():
        context = chromium.new_context(viewport=size, locale="fr-FR", bypass_csp=True)  # to inject axe only
        page = context.new_page()
        page.viewport_name = viewport
        if who:
            card_login(page, live_portal, who)
        for path in paths:
            page.goto(live_portal + path)
            if problems := violations(page):
                found[path] = problems
        context.close()
    assert not found, found
