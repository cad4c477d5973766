"""Issue 19 (7): requests no person sends still get a clear answer, never a 500: the API's errors in JSON (404,
405 with Allow), NUL characters removed from what is typed, a database that does not answer a French 503."""

from __future__ import annotations

import pytest


def test_every_api_error_is_json_and_a_405_says_what_is_allowed(client):
    unknown = client.get("/api/v1/inconnu")
    assert unknown.status_code == 404 and unknown.is_json and unknown.json["erreur"]
    wrong = client.put("/api/v1/certificats")
    assert wrong.status_code == 405 and wrong.is_json
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    page = client.delete("/")
    assert page.status_code == 405 and "GET" in page.headers["Allow"] and "text/html" in page.content_type
    nul = client.post("/api/v1/certificats", json={"csr": "\x00"}, headers={"Authorization": "Bearer x\x00"})
    assert nul.status_code == 401 and nul.is_json


def test_nul_characters_are_removed_from_what_is_typed_and_paths_with_one_name_nothing(client):
    from app.web.requests import PortalRequest

    request = PortalRequest.from_values("/referentiel/?q=a%00b", method="POST", data={"message": "bon\x00jour"})
    assert request.args["q"] == "ab" and request.form["message"] == "bonjour"
    assert PortalRequest.from_values("/", method="POST", json={"a\x00": ["b\x00"]}).get_json() == {"a": ["b"]}
    assert client.get("/referentiel/?q=%00").status_code == 200
    assert client.get("/referentiel/AAC-9001%00").status_code == 404


@pytest.fixture()
def unreachable_database(app_config):
    from app import create_app

    return create_app(dict(app_config) | {"DATABASE_URL": "postgresql+psycopg://portail@127.0.0.1:9/absente"})


def test_a_database_that_does_not_answer_gives_a_french_503(unreachable_database):
    client = unreachable_database.test_client()
    page = client.get("/referentiel/AAC-9001")
    assert page.status_code == 503 and page.headers["Retry-After"]
    html = page.get_data(as_text=True)
    assert "Service indisponible" in html and "Réessayez" in html and "La base de données ne répond pas" in html
    api = client.get("/api/v1/certificats", headers={"Authorization": "Bearer pst_x"})
    assert api.status_code == 503 and api.is_json
    assert client.get("/healthz").status_code == 200  # the process lives: readiness takes it out of rotation
    assert client.get("/readyz").status_code == 503 and client.get("/readyz").get_json()["base"] == "down"


def test_ids_beyond_the_integer_columns_are_refused_not_overflowed(client):
    """Found by schemathesis on PostgreSQL: ids are int4 there; 2^31 passed the BIGINT bound and overflowed."""
    from app.domain.inputs import parse_id

    assert parse_id("2147483647") == 2**31 - 1 and parse_id("2147483648") is None and parse_id(2**31) is None
    assert client.get("/api/v1/certificats/2147483648").status_code == 404
    assert client.get("/referentiel/2147483648").status_code == 404
    assert client.get("/demarches/2147483648").status_code in (302, 303, 404)  # anonymous: to the login, or 404
