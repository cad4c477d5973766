"""Issue 32: the agencies' statistics. The engine counts as files move; counting again from the files' history
gives the same counts; the pages draw each chart with its table, without JavaScript, and the CSV says the same."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from app.domain.permissions import Actor
from app.models import CaseStat
from app.models.base import utcnow
from app.operations import aac, statistics


def snapshot(db) -> dict:
    return {(s.form, s.product, s.month, s.measure, s.bucket): s.count for s in db.exec(select(CaseStat))}


def test_percentiles_are_exact_on_a_histogram_of_days():
    assert statistics.percentile({}, 0.5) is None
    assert statistics.percentile({0: 1}, 0.9) == 0
    histogram = {1: 5, 2: 3, 10: 1, 30: 1}  # ten decisions
    assert statistics.percentile(histogram, 0.5) == 1
    assert statistics.percentile(histogram, 0.9) == 10
    assert statistics.percentile(histogram, 1.0) == 30
    assert statistics.last_months(utcnow().date().replace(month=2, day=1), 3)[0].endswith("-12")


def test_the_engine_counts_what_counting_again_from_the_history_finds(db, hsm, aac_world, make_aac_request):
    make_aac_request("octroyee")
    make_aac_request("octroyee")
    refused = make_aac_request("transmise", criteria=[])
    evaluator = aac_world["evaluator"]
    agent = Actor(national_id=evaluator.national_id, person_id=evaluator.id, agency_roles=frozenset({"ansm_evaluator"}))
    aac.refuse(db, refused, hsm, actor=evaluator.national_id, reason="alternative", comment="", agent=agent,
               base_url="http://localhost", today=utcnow().date())
    counted = snapshot(db)
    month, code = statistics.month_of(utcnow()), aac_world["product"].code
    assert counted[("AAC", code, month, "transmises", "")] == 3
    assert counted[("AAC", code, month, "decisions", "automatique")] == 2
    assert counted[("AAC", code, month, "issues", "refus")] == 1
    assert counted[("AAC", code, month, "refus", "alternative")] == 1
    assert counted[("AAC", code, month, "delai", "0")] == 3
    statistics.rebuild(db.connection())
    assert snapshot(db) == counted


def test_the_statistics_pages_draw_each_chart_with_its_table_and_csv(db, hsm, aac_world, make_aac_request,
                                                                     as_actor, as_person, make_person,
                                                                     make_agency_role):
    make_aac_request("octroyee")
    evaluator = as_actor("evaluator")
    page = evaluator.get(f"/statistiques/ansm?produit={aac_world['product'].code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<svg") == 7 and html.count("<table") == 7
    assert "Demandes transmises à l’ANSM" in html and "<script" not in html.split("<main")[1].split("</main>")[0]
    assert 'fill="#000091"' in html  # one bar drawn for the month's request
    exported = evaluator.get(f"/statistiques/ansm.csv?produit={aac_world['product'].code}")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    month = statistics.month_of(utcnow())
    assert ["Demandes transmises à l’ANSM", "Demandes", month, "1"] in rows
    assert ["Décisions automatiques et évaluées", "Automatiques", month, "1"] in rows
    assert evaluator.get("/statistiques/ans").status_code == 403
    assert as_actor("prescriber").get("/statistiques/ansm").status_code == 403
    operator = make_person(family_name="OPERATRICE")
    make_agency_role(operator, "ans_operator")
    ans = as_person(operator).get("/statistiques/ans?formulaire=F301")
    assert ans.status_code == 200 and "Cartes commandées et fabriquées" in ans.get_data(as_text=True)
