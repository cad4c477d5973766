"""Every compassionate-access route × role: a prescriber sees only their requests, a pharmacist only their
PUI's, and nobody but the agency the evaluator's queue and its actions."""

from __future__ import annotations

import pytest

from tests.aac.conftest import CRITERIA
from tests.aac.test_requests import answers
from tests.matrix import wrong_answers

ROLES = ["anonymous", "prescriber", "colleague", "pharmacist", "foreign_pharmacist", "evaluator"]
NOBODY = {r: 403 for r in ROLES} | {"anonymous": 303}
STEP = "/acces-compassionnel/<int:filing_id>/<any(patient, medicament, prescription, engagement):step>"
CHAMP = "/acces-compassionnel/<int:filing_id>/champ"
ROUTES = {  # (method, rule) -> (which request, expected by role)
    ("GET", "/acces-compassionnel/"): (None, {r: 200 for r in ROLES} | {"anonymous": 303}),
    ("POST", "/acces-compassionnel/nouvelle"): (None, NOBODY | {"anonymous": 400, "prescriber": 303,
                                                                "colleague": 303}),
    ("GET", STEP): ("draft", NOBODY | {"prescriber": 200}),
    ("POST", STEP): ("draft", NOBODY | {"anonymous": 400, "prescriber": 303}),
    ("POST", CHAMP): ("draft", NOBODY | {"anonymous": 400, "prescriber": 200}),
    # Waiting for the PUI: not the agency's yet (drafts and requests before transmission are never shown to it).
    ("GET", "/acces-compassionnel/<int:filing_id>"): ("submitted", NOBODY | {"prescriber": 200, "pharmacist": 200}),
    ("POST", "/acces-compassionnel/<int:filing_id>/prescripteur/<verb>"): ("draft", NOBODY | {"anonymous": 400,
                                                                                          "prescriber": 422}),
    ("POST", "/acces-compassionnel/<int:filing_id>/supprimer"): ("submitted", NOBODY | {"anonymous": 400,
                                                                                       "prescriber": 422}),
    ("POST", "/acces-compassionnel/<int:filing_id>/envoyer"): ("draft", NOBODY | {"anonymous": 400,
                                                                                  "prescriber": 303}),
    ("POST", "/acces-compassionnel/<int:filing_id>/pui/<verb>"): ("submitted", NOBODY | {"anonymous": 400,
                                                                                         "pharmacist": 303}),
    ("POST", "/acces-compassionnel/<int:filing_id>/ansm/<verb>"): ("transmitted", NOBODY | {"anonymous": 400,
                                                                                            "evaluator": 303}),
    ("GET", "/acces-compassionnel/evaluation"): (None, NOBODY | {"evaluator": 200}),
    ("GET", "/acces-compassionnel/laboratoire"): (None, NOBODY),  # laboratories: tests/aac/test_requests.py
    ("POST", "/acces-compassionnel/<int:filing_id>/labo/<verb>"): ("transmitted", NOBODY | {"anonymous": 400}),
    ("GET", "/acces-compassionnel/export.csv"): (None, {r: 200 for r in ROLES} | {"anonymous": 303}),
    ("POST", "/acces-compassionnel/<int:filing_id>/renouveler"): ("granted", NOBODY | {"anonymous": 400,
                                                                                       "prescriber": 303}),
    ("GET", "/acces-compassionnel/<int:filing_id>/apercu.pdf"): ("transmitted", NOBODY | {"evaluator": 200}),
    ("POST", "/acces-compassionnel/<int:filing_id>/apercu.pdf"): ("transmitted", NOBODY | {"anonymous": 400,
                                                                                          "evaluator": 200}),
    ("GET", "/acces-compassionnel/<int:filing_id>/decision.pdf"): ("granted", NOBODY | {
        "prescriber": 200, "pharmacist": 200, "evaluator": 200}),
}
VERBS = {"/pui/": "retourner", "/ansm/": "evaluer", "/labo/": "repondre_labo",
         "/prescripteur/": "repondre_prescripteur"}


@pytest.fixture()
def scene(db, make_aac_request):
    return {"draft": make_aac_request("brouillon").id, "submitted": make_aac_request("a_valider_pui").id,
            "transmitted": make_aac_request("transmise", criteria=CRITERIA[:1]).id,
            "granted": make_aac_request("octroyee").id}


@pytest.mark.parametrize("role", ROLES)
def test_aac_routes(app, aac_world, scene, as_actor, role):
    def url_of(method, rule):
        which = ROUTES[(method, rule)][0]
        return (rule.replace("<int:filing_id>", str(scene[which]) if which else "0")
                .replace("<any(patient, medicament, prescription, engagement):step>", "engagement")
                .replace("<verb>", next((v for k, v in VERBS.items() if k in rule), "")))

    def data_of(method, rule):
        return answers(aac_world)["engagement"] | {"message": "À revoir", "code": aac_world["product"].code,
                                                   "_step": "engagement", "_name": "fonction"}

    browser = as_actor(role) if role != "anonymous" else None
    assert not wrong_answers(app, browser, ROUTES, role, url_of=url_of, data_of=data_of,
                             expected_of=lambda m, r: ROUTES[(m, r)][1])
