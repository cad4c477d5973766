"""Issue 18, 6: « Étape précédente » is never refused: what was typed is kept, valid or not, in every wizard."""

from __future__ import annotations

from app.models import Filing
from tests.aac.test_requests import answers, open_draft
from tests.forms.test_walks import fill, start


def test_an_ans_form_goes_back_with_an_invalid_step_kept(db, world, as_person):
    browser = as_person(world["director"])
    filing_id = start(browser, "F301", world["hospital"])
    back = fill(browser, filing_id, "livraison", {"destinataire": "Accueil", "code_postal": "44", "_precedent": "1"})
    assert back.headers["Location"].endswith(f"/demarches/{filing_id}/etapes/titulaires")
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.payload["livraison"]["code_postal"] == "44"  # kept as typed, to be corrected later
    forward = fill(browser, filing_id, "livraison", {"destinataire": "Accueil", "code_postal": "44"}, expect=422)
    assert "Le code postal comporte 5 chiffres." in forward.get_data(as_text=True)


def test_the_aac_wizard_goes_back_with_an_invalid_step_kept(db, aac_world, as_actor):
    browser = as_actor("prescriber")
    filing_id = open_draft(browser, aac_world["product"].code)
    typed = answers(aac_world)["prescription"] | {"duree": "900", "_precedent": "1"}
    back = browser.post(f"/acces-compassionnel/{filing_id}/prescription", typed)
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/{filing_id}/medicament")
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.payload["prescription"]["duree"] == "900"
    first = browser.post(f"/acces-compassionnel/{filing_id}/patient", {"_precedent": "1"})
    assert first.status_code == 422  # there is no step before the first: its checks apply
