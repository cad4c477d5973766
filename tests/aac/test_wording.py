"""Issue 31 (minor): the evaluator reaches her queue from her dashboard and from « Accès compassionnel », and no
two decision fields share a label."""

from __future__ import annotations

import re
from collections import Counter

from tests.aac.conftest import CRITERIA
from tests.aac.test_requests import file_request


def test_the_evaluator_finds_her_queue_and_tells_the_fields_apart(db, aac_world, as_actor):
    filing_id = file_request(as_actor("prescriber"), aac_world, criteria=CRITERIA[:1],
                             justification="Patient en attente de confirmation génétique.")
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    evaluator = as_actor("evaluator")
    for page in ("/tableau-de-bord", "/acces-compassionnel/"):
        assert 'href="/acces-compassionnel/evaluation"' in evaluator.get(page).get_data(as_text=True), page
    evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/evaluer")
    html = evaluator.get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    found = re.findall(r'<label class="fr-label"[^>]*>(.*?)</label>', html, re.S)
    labels = Counter(re.sub(r"<[^>]+>", "", label).strip() for label in found)
    assert labels and all(n == 1 for n in labels.values()), [k for k, n in labels.items() if n > 1]


def test_the_prescribers_dashboard_says_where_each_sent_request_stands(db, aac_world, as_actor):
    granted = file_request(as_actor("prescriber"), aac_world)
    as_actor("pharmacist").post(f"/acces-compassionnel/{granted}/pui/transmettre")  # conforming: granted at once
    page = as_actor("prescriber").get("/tableau-de-bord").get_data(as_text=True)
    section = page.split("Mes dernières demandes d’accès compassionnel")[1]
    assert "Octroyée" in section and "autorisée jusqu’au" in section
