"""Issue 17: the evaluator's queue is sorted in SQL before its limit, and the laboratory's inbox filtered in SQL:
an urgent request shows among 300 deferrable ones waiting before it; a laboratory sees a request older than 2,000
others."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import Filing
from app.models.base import utcnow


def bulk(db, filer, count: int, *, state: str, code: str, differable: str, start, prefix: str,
         labo: bool = False) -> None:
    rows = [{"form": "AAC", "state": state, "filer_id": filer.id, "structure_id": None,
             "reference": f"{prefix}-{i:06d}", "idempotency_key": f"{prefix}{i}",
             "deposited_at": start + timedelta(seconds=i), "created_at": start, "updated_at": start,
             "payload": {"medicament": {"code": code}, "prescription": {"differable": differable},
                         **({"donnees_labo_demandees": True} if labo else {})}} for i in range(count)]
    db.execute(sa.insert(Filing.__table__), rows)
    db.flush()


def test_an_urgent_request_shows_among_300_waiting(db, aac_world, as_actor):
    prescriber = aac_world["prescriber"]
    bulk(db, prescriber, 300, state="transmise", code="AAC-9001", differable="oui",
         start=utcnow() - timedelta(days=5), prefix="OLD")
    bulk(db, prescriber, 1, state="transmise", code="AAC-9001", differable="non", start=utcnow(), prefix="URGENT")
    page = as_actor("evaluator").get("/acces-compassionnel/evaluation").get_data(as_text=True)
    assert "URGENT-000000" in page
    assert page.index("URGENT-000000") < page.index("OLD-000000")


def test_a_laboratory_sees_a_request_older_than_2000_others(db, aac_world, as_actor):
    prescriber, start = aac_world["prescriber"], utcnow() - timedelta(days=30)
    bulk(db, prescriber, 1, state="donnees_labo", code="AAC-9001", differable="oui", start=start, labo=True,
         prefix="ANCIENNE")
    bulk(db, prescriber, 2000, state="transmise", code="AAC-9002", differable="oui", start=start + timedelta(days=1),
         prefix="AUTRE")
    page = as_actor("laboratory").get("/acces-compassionnel/laboratoire").get_data(as_text=True)
    assert "ANCIENNE-000000" in page and "AUTRE-" not in page
