"""The request path's claims, pinned: a logged-in page reads its session, person and rights in one query, and
each page adds the few it needs (README « Coût d'une page »)."""

from __future__ import annotations

import pytest

from tests.forms.test_walks import start


@pytest.fixture()
def director(world, as_person):
    return as_person(world["director"])


def measure(count_queries, browser, url) -> list[str]:
    browser.get(url)  # warm: the once-a-minute touch, caches
    with count_queries() as statements:
        response = browser.get(url)
    assert response.status_code == 200, url
    return statements


def test_the_session_person_and_rights_come_in_one_query(count_queries, director):
    statements = measure(count_queries, director, "/tableau-de-bord")
    rights = [s for s in statements if "UNION ALL" in s.upper() and "habilitation" in s.lower()]
    assert len(rights) == 1, statements


@pytest.mark.parametrize("url, most", [
    ("/tableau-de-bord", 3), ("/structures/{hospital}", 6), ("/demarches/", 2),
    ("/demarches/{draft}/etapes/titulaires", 3), ("/referentiel/", 1),
    ("/demarches/{draft}/recapitulatif", 5),  # the filer still holds the role the form asks (issue 27.10)
])
def test_each_page_runs_a_bounded_number_of_queries(count_queries, world, director, url, most):
    draft = start(director, "F301", world["hospital"])
    statements = measure(count_queries, director, url.format(hospital=world["hospital"].id, draft=draft))
    assert len(statements) <= most, "\n".join(statements)
