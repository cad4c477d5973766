"""Issue 30 (4): the rights model has one definition per rule, with its query side. What « Mes démarches » lists
and what a file's page opens come from the same reach (legal representatives and mandataires: their structures and,
for an EJ, its sites), so the two never disagree. Before, an EJ's legal representative opened a site's file (200)
that their list did not show."""

from __future__ import annotations

import secrets

import pytest

from app.models import Filing


def _deposited(db, structure, filer, reference: str) -> Filing:
    filing = Filing(form="F504", structure_id=structure.id, filer_id=filer.id, state="depose", reference=reference,
                    idempotency_key=secrets.token_hex(16),
                    payload={"livraison": {"destinataire": "Accueil", "adresse": "1 rue A", "code_postal": "44000",
                                           "ville": "Nantes"}})
    db.add(filing)
    db.flush()
    return filing


@pytest.fixture()
def files(db, world, make_person, make_card, make_habilitation):
    site_mandataire = make_person(profession_code="", family_name="SITE", given_name="Sam",
                                  national_id=f"3{world['site'].finess}/ADM0009")
    make_card(site_mandataire, "CPE", structure=world["site"])
    make_habilitation(site_mandataire, world["site"], "mandataire")
    clinic_director = make_person(profession_code="", family_name="CLINIQUE", given_name="Cléo",
                                  national_id=f"3{world['clinic'].finess}/DIR0009")
    make_habilitation(clinic_director, world["clinic"], "legal_representative")
    return {
        "people": {"EJ director": world["director"], "site mandataire": site_mandataire,
                   "other structure's director": clinic_director, "EJ mandataire": world["mandataire"]},
        "filings": {"site": _deposited(db, world["site"], site_mandataire, "F504-TEST-SITE"),
                    "EJ": _deposited(db, world["hospital"], world["mandataire"], "F504-TEST-EJ")},
    }


EXPECTED = {  # who sees which file, by the rule: the filer, and the managers of its structure or of its EJ
    ("EJ director", "site"): True, ("EJ director", "EJ"): True,
    ("site mandataire", "site"): True, ("site mandataire", "EJ"): False,
    ("other structure's director", "site"): False, ("other structure's director", "EJ"): False,
    ("EJ mandataire", "site"): True, ("EJ mandataire", "EJ"): True,
}


@pytest.mark.parametrize("who", ["EJ director", "site mandataire", "other structure's director", "EJ mandataire"])
def test_the_list_shows_exactly_the_files_the_pages_open(db, world, files, as_person, who):
    browser = as_person(files["people"][who])
    listed = browser.get("/demarches/").get_data(as_text=True)
    for where, filing in files["filings"].items():
        opened = browser.get(f"/demarches/{filing.id}").status_code
        assert (opened == 200) == EXPECTED[(who, where)], (who, where, opened)
        assert (filing.reference in listed) == EXPECTED[(who, where)], (who, where, "list")
