"""Every route after the decision × role: the patient's file for those who follow it or fill its forms, a
declaration for them and the region's CRPV, a laboratory's data and reports for that laboratory only, the
statistics for their agency."""

from __future__ import annotations

import io

import pytest

from app.models.base import utcnow
from app.operations import follow_up, reports
from tests.aac.test_cpc_and_reports import PDF
from tests.matrix import wrong_answers

ROLES = ["anonymous", "prescriber", "colleague", "pharmacist", "foreign_pharmacist", "evaluator", "laboratory",
         "other_laboratory", "crpv"]
NOBODY = {r: 403 for r in ROLES} | {"anonymous": 303}
POSTED = {r: 403 for r in ROLES} | {"anonymous": 400}  # no CSRF token without a session
STEP = "/suivi/fiche/<int:form_id>/<step>"
ROUTES = {  # (method, rule) -> (which object, expected by role)
    ("GET", "/suivi/<int:file_id>"): ("file", NOBODY | {"prescriber": 200, "pharmacist": 200, "evaluator": 200}),
    ("POST", "/suivi/<int:file_id>/fiche/<code>"): ("file", POSTED | {"prescriber": 303, "pharmacist": 303}),
    ("POST", "/cpc/inscrire"): (None, POSTED | {"prescriber": 303, "colleague": 303}),
    ("GET", STEP): ("draft", NOBODY | {"prescriber": 200}),
    ("POST", STEP): ("draft", POSTED | {"prescriber": 303}),
    ("GET", "/suivi/fiche/<int:form_id>"): ("effect", NOBODY | {"prescriber": 200, "pharmacist": 200,
                                                                "evaluator": 200, "crpv": 200}),
    ("GET", "/suivi/fiche/<int:form_id>/accuse.pdf"): ("effect", NOBODY | {"prescriber": 200, "pharmacist": 200,
                                                                           "evaluator": 200, "crpv": 200}),
    ("GET", "/suivi/en-retard"): (None, NOBODY | {"prescriber": 200, "colleague": 200, "pharmacist": 200,
                                                  "foreign_pharmacist": 200}),
    ("GET", "/vigilance/"): (None, NOBODY | {"evaluator": 200, "laboratory": 200, "other_laboratory": 200,
                                             "crpv": 200}),
    ("GET", "/laboratoire/"): (None, NOBODY | {"laboratory": 200, "other_laboratory": 200}),
    ("GET", "/laboratoire/<code>/donnees.csv"): ("product", NOBODY | {"laboratory": 200}),
    ("GET", "/laboratoire/<code>/rapport"): ("product", NOBODY | {"laboratory": 200}),
    ("POST", "/laboratoire/<code>/rapport"): ("product", POSTED | {"laboratory": 422}),  # no PDF joined here
    ("GET", "/rapports/"): (None, NOBODY | {"evaluator": 200}),
    ("GET", "/rapports/<int:report_id>"): ("report", NOBODY | {"evaluator": 200, "laboratory": 200}),
    ("GET", "/rapports/<int:report_id>/rapport.pdf"): ("report", NOBODY | {"evaluator": 200, "laboratory": 200}),
    ("POST", "/rapports/<int:report_id>/<verb>"): ("report", POSTED | {"evaluator": 303}),
    ("GET", "/rapports/<int:report_id>/deposer"): ("report", NOBODY | {"laboratory": 409}),  # not sent back
    ("POST", "/rapports/<int:report_id>/deposer"): ("report", POSTED | {"laboratory": 409}),
    ("GET", "/statistiques/ansm"): (None, NOBODY | {"evaluator": 200}),
    ("GET", "/statistiques/ansm.csv"): (None, NOBODY | {"evaluator": 200}),
    ("GET", "/statistiques/ans"): (None, NOBODY),  # the ANS operator's: tests/aac/test_statistics.py
    ("GET", "/statistiques/ans.csv"): (None, NOBODY),
}


@pytest.fixture()
def scene(db, hsm, aac_world, make_aac_request):
    product = aac_world["product"]
    product.protocol = {"collecte": True, "suivi_mois": 3, "delegues": ["pharmacien"], "effets_vers": "crpv"}
    product.collects_data = True
    granted = make_aac_request("octroyee")
    file = follow_up.patient_file(db, granted)
    prescriber, today = aac_world["prescriber"], utcnow().date()
    draft = follow_up.open_form(db, file, "INIT", person_id=prescriber.id, actor=prescriber.national_id)
    effect = follow_up.open_form(db, file, "EI", person_id=prescriber.id, actor=prescriber.national_id)
    follow_up.save_step(db, effect, "effet", {"date_survenue": today.isoformat(), "description": "Nausées",
                                              "gravite": "non_grave", "criteres_gravite": [],
                                              "evolution": "guerison"})
    follow_up.transmit(db, effect, file=file, actor=prescriber.national_id, auth_method="cps-tls", keystore=hsm,
                       base_url="http://localhost", today=today)

    class Upload:
        filename, stream = "rapport.pdf", io.BytesIO(PDF)

    laboratory = aac_world["laboratory"]
    report = reports.file_report(db, product, {"du": "2026-01-01", "au": "2026-06-30", "resume": "r" * 30}, Upload(),
                                 person_id=laboratory.id, actor=laboratory.national_id, max_bytes=10**6)
    return {"file": granted.id, "draft": draft.id, "effect": effect.id, "report": report.id, "product": product.code}


@pytest.mark.parametrize("role", ROLES)
def test_after_decision_routes(app, aac_world, scene, as_actor, role):
    def url_of(method, rule):
        which = ROUTES[(method, rule)][0]
        value = str(scene[which]) if which else "0"
        return (rule.replace("<int:file_id>", value).replace("<int:form_id>", value)
                .replace("<int:report_id>", value).replace("<code>", scene["product"] if which == "product"
                                                            else "INIT")
                .replace("<step>", "initiation").replace("<verb>", "valider"))

    def data_of(method, rule):
        return {"date_debut": utcnow().date().isoformat(), "poids": "60", "posologie": "50 mg", "code": "CPC-0001",
                "du": "2026-01-01", "au": "2026-06-30", "resume": "r" * 30}

    browser = as_actor(role) if role != "anonymous" else None
    assert not wrong_answers(app, browser, ROUTES, role, url_of=url_of, data_of=data_of,
                             expected_of=lambda m, r: ROUTES[(m, r)][1])
