from seeds.loader import load


def test_home_is_a_french_dsfr_page(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert 'class="fr-header"' in html and 'class="fr-footer"' in html and 'class="fr-skiplinks"' in html
    version = client.application.config["ASSET_VERSION"]
    assert f"/static/v/{version}/vendor/dsfr/dsfr.min.css" in html
    assert f"/static/v/{version}/vendor/htmx/htmx.min.js" in html
    assert "Portail des professionnels et établissements de santé" in html
    # Anonymous pages post nothing: no CSRF token, so no session cookie either.
    assert "X-CSRFToken" not in html
    response = client.get("/")
    assert "Set-Cookie" not in response.headers


def test_static_assets_are_versioned_cached_and_compressed(client):
    version = client.application.config["ASSET_VERSION"]
    css = client.get(f"/static/v/{version}/vendor/dsfr/dsfr.min.css", headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "gzip"
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in css.headers["Vary"]
    import gzip

    plain = client.get(f"/static/v/{version}/vendor/dsfr/dsfr.min.css")
    assert "Content-Encoding" not in plain.headers and gzip.decompress(css.data) == plain.data
    # A font the stylesheet names relatively comes from the same versioned folder.
    font = client.get(f"/static/v/{version}/vendor/dsfr/fonts/Marianne-Regular.woff2")
    assert font.status_code == 200 and font.headers["Cache-Control"].endswith("immutable")
    stale = client.get("/static/v/000000000000/css/app.css")
    assert stale.status_code == 200 and "immutable" not in stale.headers["Cache-Control"]
    assert client.get(f"/static/v/{version}/../../app/factory.py").status_code == 404


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    from urllib.parse import urlsplit

    psc = urlsplit(client.application.config["SETTINGS"].psc_discovery_url)
    form_action = next(d for d in csp.split(";") if d.strip().startswith("form-action")).split()[1:]
    assert form_action == ["'self'", f"{psc.scheme}://{psc.netloc}"]  # and PSC's end-session origin only
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    assert "Strict-Transport-Security" not in response.headers
    tls = client.get("/", base_url="https://portail.example")
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_in_pages(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and " on" + "click=" not in html and 'style="' not in html


def test_readiness_reports_each_capability_and_nothing_else(client, hsm):
    hsm.generate_keypair("essai-readiness", "ec-p256") if not hsm.has_key("essai-readiness") else None
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "base": "ok", "hsm": "ok", "limites": "ok"}
    assert client.get("/readyz/hsm").status_code == 200 and client.get("/readyz/autre").status_code == 404


def test_the_hsm_down_takes_signing_out_of_rotation_not_the_node(app, client, monkeypatch):
    from app.signing.hsm import Hsm

    broken = Hsm("/nonexistent/module.so", "x", "1234")
    monkeypatch.setitem(app.extensions, "hsm", broken)
    assert client.get("/healthz").status_code == 200  # alive: pages that do not sign still work
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "base": "ok", "hsm": "down", "limites": "ok"}
    assert client.get("/readyz/hsm").status_code == 503
    assert "nonexistent" not in response.get_data(as_text=True)  # no module path, label or error text


def test_french_error_pages(client):
    response = client.get("/n-existe-pas")
    assert response.status_code == 404
    assert "Page non trouvée" in response.get_data(as_text=True)
    response = client.post("/")
    assert response.status_code in (400, 405)
    assert "fr-header" in response.get_data(as_text=True)


def test_htmx_request_gets_the_block_only(client, db):
    load(db)
    full = client.get("/referentiel/?statut=AAC")
    assert full.status_code == 200 and "fr-header" in full.get_data(as_text=True)
    block = client.get("/referentiel/?statut=AAC", headers={"HX-Request": "true", "HX-Target": "resultats"})
    html = block.get_data(as_text=True)
    assert "fr-header" not in html and "<html" not in html
    assert "Rarexib" in html and "Oncoplex" not in html
    boosted = client.get("/referentiel/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "fr-header" in boosted.get_data(as_text=True)
    restore = client.get("/referentiel/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "fr-header" in restore.get_data(as_text=True)


def test_htmx_error_retargets_main(client):
    response = client.get("/n-existe-pas", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#contenu"
    assert "fr-header" not in response.get_data(as_text=True)
    boosted = client.get("/n-existe-pas", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 404 and "HX-Retarget" not in boosted.headers  # the whole page replaces the page
    assert boosted.get_data(as_text=True).count('class="fr-header"') == 1


def test_referential_listing_is_reread_after_a_short_while(client, db, monkeypatch):
    from app.models import ReferentialMedicine
    from app.views import referential

    load(db)
    assert "Rarexib" in client.get("/referentiel/").get_data(as_text=True)
    db.add(ReferentialMedicine(code="AAC-0099", name="Nouvexa 5 mg", dci="nouvexab", pharmaceutical_form="comprimé",
                               strength="5 mg", status="AAC"))
    db.flush()
    assert "Nouvexa" not in client.get("/referentiel/").get_data(as_text=True)  # kept for a few seconds
    clock = referential.time.monotonic() + referential.FRESH_FOR + 1
    monkeypatch.setattr(referential.time, "monotonic", lambda: clock)
    assert "Nouvexa" in client.get("/referentiel/").get_data(as_text=True)


def test_flash_messages_travel_with_htmx_blocks(app):
    from flask import flash

    from app.web.rendering import render

    with app.test_request_context("/referentiel/", headers={"HX-Request": "true"}):
        flash("Brouillon enregistré.", "success")
        html = render("main/legal.html", legal=app.config["SETTINGS"]).get_data(as_text=True)
    assert 'id="alertes" aria-live="polite" hx-swap-oob="true"' in html and "Brouillon enregistré." in html
    assert "<html" not in html  # still the block, not the page
    with app.test_request_context("/referentiel/"):
        flash("Demande transmise.", "success")
        page = render("main/legal.html", legal=app.config["SETTINGS"]).get_data(as_text=True)
    assert "Demande transmise." in page and "hx-swap-oob" not in page


def test_the_legal_pages_say_who_publishes_hosts_and_what_data_is_kept(client, app):
    accessibility = client.get("/accessibilite").get_data(as_text=True)
    for needed in ("<strong>non conforme</strong>", "taux de conformité", "7 décembre 2026", "Défenseur des droits",
                   "Libre réponse 71120", "Schéma pluriannuel", "plan d’action", "formulaire.defenseurdesdroits.fr",
                   app.config["SETTINGS"].legal_contact):
        assert needed in accessibility, needed  # issue 31 (8): without an audit, RGAA says « non conforme »
    assert "partiellement conforme" not in accessibility
    legal = client.get("/mentions-legales").get_data(as_text=True)
    for needed in ("Éditeur", "Hébergement", "le mois et l’année de naissance", "cnil.fr/fr/plaintes", "Cookies",
                   "5 ans après la décision", "10 ans", "7 décembre 2026", app.config["SETTINGS"].legal_dpo):
        assert needed in legal, needed
    from app.domain.forms import FORMS
    assert all(code in legal for code in FORMS if code.startswith("F")), "every form's purpose"
    assert "âge" not in legal


def test_pages_are_compressed_unless_they_echo_the_request(client):
    import brotli

    page = client.get("/accessibilite", headers={"Accept-Encoding": "gzip, br"})
    plain = client.get("/accessibilite")
    assert page.headers["Content-Encoding"] == "br" and "Accept-Encoding" in page.headers["Vary"]
    assert "Content-Encoding" not in plain.headers and brotli.decompress(page.data) == plain.data
    assert len(page.data) < len(plain.data) / 2
    gzipped = client.get("/accessibilite", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    # BREACH: an answer that may reflect the query carries the CSRF token in clear, never compressed
    echoed = client.get("/verification?reference=AAC-2026-000001", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in echoed.headers
