"""Issue 19 (7): schemathesis generates requests for every operation of ``/api/v1`` from its own OpenAPI
document; none gets a 5xx, and every error is JSON with a French message (never an HTML page)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.certificates.conftest import pki_world  # noqa: F401 - a hospital and its technical administrator
from tests.certificates.test_api import bearer, make_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


@pytest.fixture()
def api_token(pki_world, as_person):  # noqa: F811
    return make_token(as_person(pki_world["admin"]), [pki_world["hospital"]], families=("ORG", "SERV"))


def test_no_generated_request_breaks_the_api(app, api_token):
    from hypothesis import given

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    calls = []

    for operation in operations:
        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            for headers in (bearer(api_token), {}, bearer("pst_" + "A" * 43)):
                response = case.call(headers=headers)
                calls.append(response.status_code)
                assert response.status_code < 500, (case.method, case.path, response.text[:300])
                if response.status_code >= 400:
                    kind = {k.lower(): v for k, v in response.headers.items()}["content-type"]
                    assert "application/json" in str(kind), response.text[:200]
                    assert response.json()["erreur"]

        run()
    print(f"{len(calls)} API calls, {sum(c >= 500 for c in calls)} 5xx")
    assert len(calls) >= len(operations) * min(EXAMPLES, 10)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


def test_the_server_answers_what_its_document_says(app, client, api_token):
    """Issue 27 (15): one source of truth. Every status the API answers is documented (schemathesis'
    status_code_conformance, on generated requests valid and invalid), and what the document rejects the server
    rejects: a repeated or unknown query parameter, an id out of range, a body field of the wrong type."""
    from hypothesis import given
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import negative_data_rejection, status_code_conformance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    def checked(operation, mode):
        checks = [status_code_conformance] + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

        @settings(max_examples=min(EXAMPLES, 60), deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            case.call_and_validate(headers=bearer(api_token), checks=checks)

        return run

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            checked(result.ok(), mode)()
    for query in ("apres=1&apres=2", "apres[x]=1", "apres=0", "apres=2147483648", "apres=%C2%B2", "page=2"):
        answer = client.get(f"/api/v1/certificats?{query}", headers=bearer(api_token))
        assert answer.status_code == 400 and answer.get_json()["erreur"], query
    for body in ({"structure_id": "1"}, {"noms_dns": "a.example"}, {"structure_id": 2**31}, {"attestation": "oui"}):
        answer = client.post("/api/v1/certificats", json=body, headers=bearer(api_token))
        assert answer.status_code == 422 and answer.get_json()["champ"] == next(iter(body)), body
